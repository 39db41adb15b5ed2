import { ValidationError } from '../../../kernel/app-error';
import { objectKeys } from '../../../storage/object-keys';
import { parseScheduleExpression, ScheduleExpressionError } from './schedule-expression';
import type { CronSchedule, RateSchedule } from './schedule-expression';

/**
 * Where a scheduled refresh fetches from and how often. Sources are `https://` URLs or
 * `s3://{the platform bucket}/sources/{owner id}/…` (a folder no ingestion watches); schedules are
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

/**
 * An s3:// source must be a file of the platform's bucket under the owner's `sources/{userId}/`.
 * Not the drop folder: every file written there is ingested and moved away at once, so a refresh
 * would find nothing (or the file would be ingested twice).
 */
export function assertOwnS3Source(
  source: Extract<RefreshSource, { kind: 's3' }>,
  bucket: string,
  userId: string,
  field = 'body.refresh.sourceUrl',
): void {
  const prefix = objectKeys.refreshSourcePrefix(userId);
  const rest = source.key.startsWith(prefix) ? source.key.slice(prefix.length).split('/') : [];
  if (
    source.bucket !== bucket ||
    rest.length === 0 ||
    rest.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new ValidationError(
      `An s3:// source must be a file under your sources folder: s3://${bucket}/${prefix}…`,
      { field },
    );
  }
}

export const MIN_REFRESH_INTERVAL_MINUTES = 15;
const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

export type RefreshSchedule = RateSchedule | CronSchedule;

/**
 * Parses a refresh schedule (`rate(…)` or `cron(…)`, UTC, as EventBridge Scheduler reads them) and
 * refuses one that can fire more often than every 15 minutes: each firing fetches a user-chosen URL.
 */
export function parseRefreshSchedule(schedule: string, field = 'body.refresh.schedule'): RefreshSchedule {
  let parsed;
  try {
    parsed = parseScheduleExpression(schedule);
  } catch (error) {
    const reason = error instanceof ScheduleExpressionError ? ` ${error.message}` : '';
    throw new ValidationError(
      `The schedule must be rate(N minutes|hours|days) or cron(m h dom mon dow year).${reason}`,
      { field, cause: error },
    );
  }
  if (parsed.kind === 'at') {
    throw new ValidationError('A refresh repeats: use rate(…) or cron(…), not at(…).', { field });
  }
  const shortestMinutes = shortestGapMinutes(parsed);
  if (shortestMinutes < MIN_REFRESH_INTERVAL_MINUTES) {
    throw new ValidationError(
      `"${schedule}" can fire ${shortestMinutes} minute${shortestMinutes === 1 ? '' : 's'} after the previous firing; refresh at most every ${MIN_REFRESH_INTERVAL_MINUTES} minutes.`,
      {
        field,
        code: 'REFRESH.SCHEDULE_TOO_FREQUENT',
        details: {
          minimumIntervalMinutes: MIN_REFRESH_INTERVAL_MINUTES,
          shortestIntervalMinutes: shortestMinutes,
        },
      },
    );
  }
  return parsed;
}

/**
 * The shortest time between two consecutive firings. A cron fires at the same times of day on
 * every day it fires, so the gaps are those between its times of day, plus the gap across
 * midnight (counted whether or not two consecutive days fire: refusing the rare schedule that
 * never does is the safe side).
 */
function shortestGapMinutes(schedule: RefreshSchedule): number {
  if (schedule.kind === 'rate') return schedule.intervalMs / MINUTE_MS;
  const times = [...schedule.hours]
    .flatMap((hour) => [...schedule.minutes].map((minute) => hour * 60 + minute))
    .sort((a, b) => a - b);
  const first = times[0] ?? 0;
  let shortest = first + DAY_MINUTES - (times.at(-1) ?? first);
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return shortest;
}

/** Milliseconds between refreshes for a `rate(…)`, undefined for `cron(…)`; throws on anything else. */
export function refreshInterval(schedule: string, field = 'body.refresh.schedule'): number | undefined {
  const parsed = parseRefreshSchedule(schedule, field);
  return parsed.kind === 'rate' ? parsed.intervalMs : undefined;
}

export function refreshScheduleName(datasetId: string): string {
  return `dataset-refresh-${datasetId}`;
}
