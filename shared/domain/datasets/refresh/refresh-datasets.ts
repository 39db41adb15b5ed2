import { createHash } from 'node:crypto';
import { pipeline, Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { JsonbExpression, JsonValue } from '../../../db/schema';
import { withSystemScope, withTenant } from '../../../db/tenant';
import { NotFoundError, ValidationError } from '../../../kernel/app-error';
import { REFRESH_INTERNAL_MESSAGE, RefreshRefusedError } from './refresh-errors';
import type { RefreshRefusalCode } from './refresh-errors';
import type { Services } from '../../../ports/services';
import { objectKeys, safeFileName } from '../../../storage/object-keys';
import type { Dataset, DatasetVersion } from '../dataset-records';
import {
  findDataset,
  listDueRefreshesAcrossTenants,
  readUserUsage,
  recordRefreshOutcome,
} from '../dataset-repository';
import { insertUploadingVersion, rejectVersion } from '../dataset-version-repository';
import { acceptsFormat, fileKindOf } from '../file-formats';
import { assertOwnS3Source, parseRefreshSchedule, parseRefreshSource } from './refresh-source';
import type { RefreshSchedule, RefreshSource } from './refresh-source';
import { nextFireTime } from './schedule-expression';
import { limitBytes, safeFetch, SourceTooLargeError } from './safe-fetch';
import type { SafeFetchOptions } from './safe-fetch';
import { checkFileAllowed, tierLimits } from '../tier-limits';

/**
 * Scheduled refresh: fetch each due dataset's source and, when the bytes changed since the last
 * fetch, store them as the next version's raw object. The object's ObjectCreated event then
 * takes the same path as an upload (one job, one message, source `scheduled`).
 */
export type RefreshServices = Pick<Services, 'db' | 'blobs' | 'clock' | 'config' | 'logger' | 'ids'>;

export interface RefreshOptions {
  /** Per fetch. */
  timeoutMs?: number;
  /** Tests pass a resolver or a CA; production uses DNS and the system's trust store. */
  fetch?: Pick<SafeFetchOptions, 'resolve' | 'ca'>;
  limit?: number;
}

export type RefreshResult =
  | { datasetId: string; outcome: 'new-version'; versionNumber: number; sha256: string }
  | { datasetId: string; outcome: 'unchanged'; sha256: string }
  | { datasetId: string; outcome: 'failed'; code: string; error: string }
  | { datasetId: string; outcome: 'skipped'; reason: string };

/** The skip reason of a dataset that is gone or no longer refreshes. */
export const NO_REFRESH_SOURCE = 'no refresh source';

const RETRY_AFTER_FAILURE_MS = 60 * 60 * 1000;
/** The whole fetch, body included (the function runs for at most 10 minutes). */
const FETCH_TIMEOUT_MS = 5 * 60 * 1000;
const CRON_FALLBACK_MS = 24 * 60 * 60 * 1000;
/**
 * A dataset's own schedule fires when its refresh is due, give or take delivery delays: a firing
 * this much before `next_refresh_at` still runs (so a rate schedule whose previous run started a
 * little late is not skipped), an earlier one is skipped (a duplicate, or the sweep got there first).
 */
const EARLY_FIRING_TOLERANCE_MS = 5 * 60 * 1000;

export async function refreshDueDatasets(
  services: RefreshServices,
  options: RefreshOptions = {},
): Promise<RefreshResult[]> {
  const now = services.clock.now();
  const due = await withSystemScope(services.db, 'schedule.refresh-datasets', (trx) =>
    listDueRefreshesAcrossTenants(trx, now, options.limit ?? 50),
  );
  const results: RefreshResult[] = [];
  for (const dataset of due) results.push(await refreshDataset(services, dataset, options));
  return results;
}

/** One dataset, by id and owner (a per-dataset schedule's firing). */
export async function refreshDatasetById(
  services: RefreshServices,
  ids: { userId: string; datasetId: string },
  options: RefreshOptions = {},
): Promise<RefreshResult> {
  const dataset = await withTenant(services.db, { userId: ids.userId, role: 'user' }, (trx) =>
    findDataset(trx, ids),
  );
  if (!dataset?.refreshSourceUrl)
    return { datasetId: ids.datasetId, outcome: 'skipped', reason: NO_REFRESH_SOURCE };
  const now = services.clock.now();
  if (dataset.nextRefreshAt && dataset.nextRefreshAt.getTime() > now.getTime() + EARLY_FIRING_TOLERANCE_MS)
    return { datasetId: dataset.id, outcome: 'skipped', reason: 'not due yet' };
  return refreshDataset(services, dataset, options);
}

export async function refreshDataset(
  services: RefreshServices,
  dataset: Dataset,
  options: RefreshOptions = {},
): Promise<RefreshResult> {
  const now = services.clock.now();
  const scope = { userId: dataset.userId, role: 'user' as const };
  const sourceUrl = dataset.refreshSourceUrl;
  if (!sourceUrl) return { datasetId: dataset.id, outcome: 'skipped', reason: NO_REFRESH_SOURCE };
  const nextAt = (ms: number) => new Date(now.getTime() + ms);
  let schedule: RefreshSchedule | undefined;
  try {
    schedule = dataset.refreshSchedule ? parseRefreshSchedule(dataset.refreshSchedule) : undefined;
  } catch {
    schedule = undefined;
  }
  // The schedule's next firing (a rate's next interval, a cron's next instant); a day when unreadable.
  const nextScheduled = (): Date =>
    (schedule && nextFireTime(schedule, now, { anchor: now })) ?? nextAt(CRON_FALLBACK_MS);
  // After a failure a rate keeps its pace; a cron (perhaps daily) is tried again within the hour.
  const nextAfterFailure = (): Date =>
    schedule?.kind === 'rate' ? nextScheduled() : nextAt(RETRY_AFTER_FAILURE_MS);

  try {
    const usage = await withTenant(services.db, scope, (trx) => readUserUsage(trx, dataset.userId));
    if (!usage) return { datasetId: dataset.id, outcome: 'skipped', reason: 'owner gone' };
    const limits = tierLimits(usage.tier, services.config.datasets?.tierLimits);
    const source = asRefusal('REFRESH.INVALID_SOURCE', () => parseRefreshSource(sourceUrl));
    const opened = await openSource(services, dataset, source, limits.maxFileBytes, options);
    const kind = fileKindOf(opened.fileName);
    if (!kind || !acceptsFormat(dataset.modality, kind)) {
      opened.body.destroy();
      throw new RefreshRefusedError(
        'REFRESH.UNSUPPORTED_FILE',
        `The source's file "${opened.fileName || '(no name)'}" is not a ${dataset.modality} file type PipeWeave reads.`,
      );
    }

    // The file streams into a staging object (no event fires there) while it is hashed; only a
    // changed file is then copied to raw/, where its arrival starts ingestion.
    const stagingKey = objectKeys.refreshStaging(dataset.userId, dataset.id, services.ids.uuid());
    try {
      const digest = hashStream();
      await services.blobs.put(
        stagingKey,
        pipeline(opened.body, digest.stream, () => undefined),
        {
          contentType: kind.contentType,
        },
      );
      const { sha256, sizeBytes } = digest.result();
      if (lastRefreshSha(dataset) === sha256) {
        await withTenant(services.db, scope, (trx) =>
          recordRefreshOutcome(trx, {
            datasetId: dataset.id,
            nextRefreshAt: nextScheduled(),
            error: null,
            refreshedAt: now,
          }),
        );
        return { datasetId: dataset.id, outcome: 'unchanged', sha256 };
      }
      const safeName = safeFileName(opened.fileName);
      // Same lock order as an upload (the owner's row, then the dataset's): storage is checked
      // against usage no one else is changing, and of two runs of this dataset (the sweep and its
      // own schedule) the second sees the first's claim and stops.
      const claimed = await withTenant(services.db, scope, async (trx): Promise<Claim> => {
        const owner = await readUserUsage(trx, dataset.userId, { forUpdate: true });
        const locked = await findDataset(
          trx,
          { userId: dataset.userId, datasetId: dataset.id },
          { forUpdate: true },
        );
        if (!owner || !locked?.refreshSourceUrl) return { skipped: 'dataset deleted meanwhile' };
        if (
          lastRefreshSha(locked) !== lastRefreshSha(dataset) ||
          locked.nextRefreshAt?.getTime() !== dataset.nextRefreshAt?.getTime()
        ) {
          return { skipped: 'refreshed meanwhile' };
        }
        const breach = checkFileAllowed(
          owner,
          tierLimits(owner.tier, services.config.datasets?.tierLimits),
          sizeBytes,
        );
        if (breach) {
          throw new RefreshRefusedError(
            breach.limit === 'fileSize' ? 'LIMIT.FILE_SIZE' : 'LIMIT.STORAGE',
            breach.message,
          );
        }
        const created = await insertUploadingVersion(trx, {
          userId: dataset.userId,
          datasetId: dataset.id,
          originalFilename: safeName,
          originalFormat: kind.format,
          contentType: kind.contentType,
          sizeBytes,
          sourceType: 'scheduled',
          uploadExpiresAt: nextAt(RETRY_AFTER_FAILURE_MS),
          rawKey: (n) => objectKeys.raw(dataset.userId, dataset.id, n, safeName),
        });
        // The claim: a concurrent run of this dataset now sees another next refresh and stops.
        await recordRefreshOutcome(trx, {
          datasetId: dataset.id,
          nextRefreshAt: nextScheduled(),
          error: null,
          refreshedAt: null,
        });
        return { version: created };
      });
      if ('skipped' in claimed) return { datasetId: dataset.id, outcome: 'skipped', reason: claimed.skipped };
      const version = claimed.version;
      if (!version.rawObjectKey) throw new Error('The new version has no raw object key.');
      // The object first, the hash after: a hash recorded for an object that was never stored
      // would make every later run answer "unchanged".
      try {
        await services.blobs.copy(stagingKey, version.rawObjectKey);
      } catch (error) {
        await withTenant(services.db, scope, (trx) =>
          rejectVersion(trx, {
            datasetVersionId: version.id,
            errors: [
              {
                code: 'REFRESH.STORE_FAILED',
                message: 'The fetched file could not be stored; the next refresh tries again.',
              },
            ],
          }),
        );
        throw error;
      }
      await withTenant(services.db, scope, async (trx) => {
        await trx
          .updateTable('datasets')
          .set({
            metadata:
              sql<JsonValue>`metadata || ${JSON.stringify({ refresh: { sha256, fetchedAt: now.toISOString(), versionNumber: version.versionNumber } })}::jsonb` as JsonbExpression,
          })
          .where('id', '=', dataset.id)
          .execute();
        await recordRefreshOutcome(trx, {
          datasetId: dataset.id,
          nextRefreshAt: nextScheduled(),
          error: null,
          refreshedAt: now,
        });
      });
      services.logger.info('dataset refreshed', {
        datasetId: dataset.id,
        versionNumber: version.versionNumber,
      });
      return { datasetId: dataset.id, outcome: 'new-version', versionNumber: version.versionNumber, sha256 };
    } finally {
      // Whatever happened, the source's connection closes (a no-op once it was read to the end).
      opened.body.destroy();
      await services.blobs.delete(stagingKey).catch((error: unknown) => {
        // Left over, it expires by the bucket's lifecycle rule for staging/.
        services.logger.warn('refresh staging object not deleted', { key: stagingKey, error });
      });
    }
  } catch (error) {
    // The owner sees why only when they can act on it; anything else is ours, and goes to the log.
    const refusal = error instanceof RefreshRefusedError ? error : undefined;
    const message = refusal ? refusal.message : REFRESH_INTERNAL_MESSAGE;
    if (refusal) {
      services.logger.warn('dataset refresh refused', { datasetId: dataset.id, code: refusal.code, error });
    } else {
      services.logger.error('dataset refresh failed', { datasetId: dataset.id, error });
    }
    await withTenant(services.db, scope, (trx) =>
      recordRefreshOutcome(trx, {
        datasetId: dataset.id,
        nextRefreshAt: nextAfterFailure(),
        error: message,
        refreshedAt: null,
      }),
    );
    return {
      datasetId: dataset.id,
      outcome: 'failed',
      code: refusal?.code ?? 'REFRESH.INTERNAL',
      error: message,
    };
  }
}

function lastRefreshSha(dataset: Dataset): string | undefined {
  const metadata = dataset.metadata;
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return undefined;
  const refresh = metadata['refresh'];
  if (!refresh || typeof refresh !== 'object' || Array.isArray(refresh)) return undefined;
  const sha = refresh['sha256'];
  return typeof sha === 'string' ? sha : undefined;
}

/** A validation error of the stored source becomes a refusal the owner reads. */
function asRefusal<T>(code: RefreshRefusalCode, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ValidationError)
      throw new RefreshRefusedError(code, error.message, { cause: error });
    throw error;
  }
}

type Claim = { skipped: string } | { version: DatasetVersion };

interface OpenedSource {
  body: Readable;
  fileName: string;
}

/** The source's bytes as a stream, capped at `maxBytes`; nothing is read whole into memory. */
async function openSource(
  services: RefreshServices,
  dataset: Dataset,
  source: RefreshSource,
  maxBytes: number,
  options: RefreshOptions,
): Promise<OpenedSource> {
  if (source.kind === 'https') {
    const fetched = await safeFetch(source.url, {
      maxBytes,
      timeoutMs: options.timeoutMs ?? FETCH_TIMEOUT_MS,
      allowedHosts: services.config.datasets?.refreshAllowedHosts ?? [],
      ...options.fetch,
    });
    return {
      body: fetched.body,
      fileName: decodeURIComponent(fetched.finalUrl.pathname.split('/').pop() ?? ''),
    };
  }
  asRefusal('REFRESH.INVALID_SOURCE', () => assertOwnS3Source(source, services.blobs.bucket, dataset.userId));
  const object = await services.blobs.get(source.key).catch((error: unknown) => {
    if (error instanceof NotFoundError) {
      throw new RefreshRefusedError(
        'REFRESH.SOURCE_NOT_FOUND',
        `There is no file at s3://${source.bucket}/${source.key}.`,
        { cause: error },
      );
    }
    throw error;
  });
  if (object.info.size > maxBytes) {
    object.body.destroy();
    throw new SourceTooLargeError(maxBytes, object.info.size);
  }
  return {
    body: pipeline(object.body, limitBytes(maxBytes), () => undefined),
    fileName: source.key.split('/').pop() ?? '',
  };
}

/** A pass-through that hashes and counts what goes by; `result()` once the stream has ended. */
function hashStream(): { stream: Transform; result(): { sha256: string; sizeBytes: number } } {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let sha256: string | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.byteLength;
      callback(null, chunk);
    },
    flush(callback) {
      sha256 = hash.digest('hex');
      callback();
    },
  });
  return {
    stream,
    result() {
      if (sha256 === undefined) throw new Error('The source stream did not end.');
      return { sha256, sizeBytes };
    },
  };
}
