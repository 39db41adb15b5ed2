import { ValidationError } from '../errors/app-error';

/**
 * Where a scheduled refresh fetches from and how often. Sources are `https://` URLs or
 * `s3://{the platform bucket}/dropbox/{owner id}/…` (a user's own drop folder); schedules are
 * EventBridge `rate(…)` or `cron(…)` expressions, at most every 15 minutes.
 */
export type RefreshSource = { kind: 'https'; url: URL } | { kind: 's3'; bucket: string; key: string };

export function parseRefreshSource(value: string, field = 'body.refresh.sourceUrl'): RefreshSource {
  if (value.startsWith('s3://')) {
    const rest = value.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash > 0 ? rest.slice(0, slash) : '';
    const key = slash > 0 ? rest.slice(slash + 1) : '';
    if (!bucket || !key) throw new ValidationError('An s3:// source is s3://{bucket}/{key}.', { field });
    return { kind: 's3', bucket, key };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError('The refresh source must be an https:// URL or an s3:// URI.', { field });
  }
  if (url.protocol !== 'https:') throw new ValidationError('Only https:// URLs can be fetched.', { field });
  if (url.username || url.password) throw new ValidationError('Put no credentials in the URL.', { field });
  return { kind: 'https', url };
}

/** An s3:// source must name the platform's bucket and the owner's own drop folder. */
export function assertOwnS3Source(
  source: Extract<RefreshSource, { kind: 's3' }>,
  bucket: string,
  userId: string,
  field = 'body.refresh.sourceUrl',
): void {
  const segments = source.key.split('/');
  if (
    source.bucket !== bucket ||
    segments[0] !== 'dropbox' ||
    segments[1] !== userId ||
    segments.length < 3 ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new ValidationError(
      `An s3:// source must be a file in your drop folder: s3://${bucket}/dropbox/${userId}/…`,
      { field },
    );
  }
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MIN_INTERVAL_MS = 15 * 60_000;

/** Milliseconds between refreshes for a `rate(…)`, undefined for `cron(…)`; throws on anything else. */
export function refreshInterval(schedule: string, field = 'body.refresh.schedule'): number | undefined {
  const rate = RATE.exec(schedule);
  if (rate) {
    const unit = (rate[2] ?? 'minute').replace(/s$/, '');
    const ms = Number(rate[1]) * (UNIT_MS[unit] ?? 60_000);
    if (ms < MIN_INTERVAL_MS) throw new ValidationError('Refresh at most every 15 minutes.', { field });
    return ms;
  }
  if (CRON.test(schedule)) return undefined;
  throw new ValidationError(
    'The schedule must be rate(N minutes|hours|days) or cron(m h dom mon dow year).',
    { field },
  );
}

export function refreshScheduleName(datasetId: string): string {
  return `dataset-refresh-${datasetId}`;
}
