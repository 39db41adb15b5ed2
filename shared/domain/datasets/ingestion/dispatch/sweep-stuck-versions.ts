import type { VersionValidationIssue } from '../../dataset-records';
import { getIngestionTarget } from '../../dataset-version-repository';
import { recordDispatched, releaseDispatch } from '../../ingestion-job-repository';
import { withSystemScope, withTenant } from '../../../../db/tenant';
import { parseArrivalKey } from '../../../../storage/object-keys';
import { ingestionMessageAttributes } from '../messages';
import { acceptRawArrival } from './accept-raw-arrival';
import { handleObjectArrival } from './handle-object-arrival';
import type { DispatchServices, ObjectArrival } from './object-arrival';
import { buildIngestionMessage, ingestionQueueForVersion } from './send-ingestion-message';
import { claimRedrive, expireUpload, findStuckVersions, failStuckVersion } from './stuck-version-repository';
import type { StuckVersion } from './stuck-version-repository';

/**
 * Every version ends validated or failed within a bounded time:
 * - uploading: once its upload window has passed (plus a grace for uploads still in flight),
 *   a file that did arrive is taken in as the storage event would have (the event was lost),
 *   a drop-folder file that was never moved is moved again, and otherwise the version fails
 *   with the reason;
 * - uploaded or validating: when its ingestion job has been quiet for longer than the attempt
 *   lease (no worker runs longer than the longest worker timeout without reporting progress),
 *   or waits for a message nobody claimed, the job is claimed again (one UPDATE decides between
 *   concurrent sweeps) and its message sent again, unless its attempts ran out or it is older
 *   than `maxAgeMs`: then the version fails with the reason.
 * The same step re-drives one version for `POST …/complete`.
 */
export const INGESTION_ATTEMPT_LEASE_MS = 20 * 60 * 1000;
/** After the upload link expired: an upload accepted just before may still be arriving. */
export const UPLOAD_GRACE_MS = 15 * 60 * 1000;
/** An ingestion never takes this long; past it the version is given up. */
export const MAX_INGESTION_AGE_MS = 24 * 3600 * 1000;
/** Attempts a job may start (the modality queues' maxReceiveCount). */
export const MAX_INGESTION_ATTEMPTS = 5;
const SWEEP_BATCH = 100;

export interface VersionSweepPolicy {
  /** A job quiet for longer than this lost its worker or its message (0: all did, after a restart). */
  leaseMs?: number;
  uploadGraceMs?: number;
  maxAgeMs?: number;
  maxAttempts?: number;
}

export type VersionSweepOutcome = 'requeued' | 'arrived' | 'expired' | 'failed' | 'in-progress' | 'unchanged';

export interface VersionSweepReport {
  requeued: string[];
  arrived: string[];
  expired: string[];
  failed: string[];
}

export async function sweepStuckVersions(
  services: DispatchServices,
  policy: VersionSweepPolicy = {},
): Promise<VersionSweepReport> {
  const now = services.clock.now();
  const candidates = await withSystemScope(services.db, 'schedule.sweep-versions', (trx) =>
    findStuckVersions(trx, {
      expiredBefore: new Date(now.getTime() - (policy.uploadGraceMs ?? UPLOAD_GRACE_MS)),
      quietSince: new Date(now.getTime() - (policy.leaseMs ?? INGESTION_ATTEMPT_LEASE_MS)),
      now,
      limit: SWEEP_BATCH,
    }),
  );
  const report: VersionSweepReport = { requeued: [], arrived: [], expired: [], failed: [] };
  for (const candidate of candidates) {
    let outcome: VersionSweepOutcome;
    try {
      outcome = await settleStuckVersion(services, candidate, policy);
    } catch (error) {
      // One version's trouble (storage down, a queue refusing) must not stop the others.
      services.logger.error('the version sweep could not settle a version', {
        datasetVersionId: candidate.versionId,
        error,
      });
      continue;
    }
    if (outcome === 'requeued' || outcome === 'arrived' || outcome === 'expired' || outcome === 'failed')
      report[outcome].push(candidate.versionId);
  }
  const changed =
    report.requeued.length + report.arrived.length + report.expired.length + report.failed.length;
  if (changed > 0) services.logger.warn('stuck dataset versions settled', { ...report });
  return report;
}

/** One version, by its ids: what the sweep does for it, and what `complete` does for a stuck one. */
export async function settleStuckVersion(
  services: DispatchServices,
  version: Pick<StuckVersion, 'versionId' | 'userId' | 'datasetId'>,
  policy: VersionSweepPolicy = {},
): Promise<VersionSweepOutcome> {
  const scope = { userId: version.userId, role: 'user' as const };
  const now = services.clock.now();
  const target = await withTenant(services.db, scope, async (trx) => {
    const job = await trx
      .selectFrom('ingestion_jobs')
      .select('id')
      .where('dataset_version_id', '=', version.versionId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const versionRow = await trx
      .selectFrom('dataset_versions')
      .select(['status', 'upload_expires_at', 'raw_object_key', 'source_type'])
      .where('id', '=', version.versionId)
      .executeTakeFirst();
    if (!versionRow) return undefined;
    const full = job
      ? await getIngestionTarget(trx, {
          datasetId: version.datasetId,
          datasetVersionId: version.versionId,
          ingestionJobId: job.id,
        })
      : undefined;
    return { versionRow, full };
  });
  if (!target) return 'unchanged';
  const { versionRow, full } = target;

  if (versionRow.status === 'uploading') {
    const graceMs = policy.uploadGraceMs ?? UPLOAD_GRACE_MS;
    const expiresAt = versionRow.upload_expires_at;
    if (!expiresAt || expiresAt.getTime() + graceMs > now.getTime()) return 'in-progress';
    return settleExpiredUpload(services, version, {
      rawKey: versionRow.raw_object_key,
      dropKey: full?.job.objectKey.startsWith('dropbox/') ? full.job.objectKey : undefined,
      expiresAt,
      fromDropFolder: versionRow.source_type === 'dropfolder',
    });
  }
  if (versionRow.status !== 'uploaded' && versionRow.status !== 'validating') return 'unchanged';
  if (!full) return 'unchanged';
  const { dataset, job } = full;
  const ids = { ingestionJobId: job.id, datasetVersionId: version.versionId };

  if (job.status === 'failed') {
    // The job ended but its version was left behind (a crash between the two writes).
    await withTenant(services.db, scope, (trx) =>
      failStuckVersion(trx, {
        ...ids,
        issue: { code: 'INGESTION.FAILED', message: job.errorMessage ?? GAVE_UP.message },
      }),
    );
    return 'failed';
  }
  if (job.status !== 'queued' && job.status !== 'processing') return 'unchanged';

  const leaseMs = policy.leaseMs ?? INGESTION_ATTEMPT_LEASE_MS;
  const quietSince = new Date(now.getTime() - leaseMs);
  const maxAttempts = policy.maxAttempts ?? MAX_INGESTION_ATTEMPTS;
  const quiet = job.updatedAt.getTime() <= quietSince.getTime();
  if (quiet && job.attempts >= maxAttempts) {
    await withTenant(services.db, scope, (trx) =>
      failStuckVersion(trx, { ...ids, issue: retriesRanOut(job.attempts) }),
    );
    return 'failed';
  }
  const maxAgeMs = policy.maxAgeMs ?? MAX_INGESTION_AGE_MS;
  if (job.createdAt.getTime() + maxAgeMs <= now.getTime()) {
    await withTenant(services.db, scope, (trx) => failStuckVersion(trx, { ...ids, issue: tooOld(maxAgeMs) }));
    return 'failed';
  }

  const rawKey = full.version.rawObjectKey;
  const info = rawKey ? await services.blobs.head(rawKey) : undefined;
  if (!rawKey || !info) {
    await withTenant(services.db, scope, (trx) => failStuckVersion(trx, { ...ids, issue: FILE_GONE }));
    return 'failed';
  }
  const queue = ingestionQueueForVersion(dataset, full.version);
  const claimed = await withTenant(services.db, scope, (trx) =>
    claimRedrive(trx, { jobId: job.id, queue, now, quietSince }),
  );
  if (!claimed) return 'in-progress';
  const message = buildIngestionMessage({
    job: claimed,
    dataset,
    version: full.version,
    bucket: services.blobs.bucket,
    key: rawKey,
    size: info.size,
    etag: (info.etag ?? '').replaceAll('"', ''),
    ...(info.versionId ? { versionId: info.versionId } : {}),
    arrivedAt: now,
  });
  let messageId: string;
  try {
    ({ messageId } = await services.queues.send(queue, message, {
      attributes: ingestionMessageAttributes(message),
    }));
  } catch (error) {
    await withTenant(services.db, scope, (trx) => releaseDispatch(trx, job.id));
    throw error;
  }
  await withTenant(services.db, scope, (trx) => recordDispatched(trx, job.id, messageId));
  services.logger.info('ingestion job sent again', {
    datasetVersionId: version.versionId,
    ingestionJobId: job.id,
    attempts: job.attempts,
    messageId,
  });
  return 'requeued';
}

async function settleExpiredUpload(
  services: DispatchServices,
  version: Pick<StuckVersion, 'versionId' | 'userId' | 'datasetId'>,
  facts: { rawKey: string | null; dropKey: string | undefined; expiresAt: Date; fromDropFolder: boolean },
): Promise<VersionSweepOutcome> {
  // The file may be there and only its storage event lost: take it in as the event would have.
  if (facts.rawKey) {
    const info = await services.blobs.head(facts.rawKey);
    const parsed = parseArrivalKey(facts.rawKey);
    if (info && parsed.kind === 'raw') {
      await acceptRawArrival(services, arrivalOf(services, facts.rawKey, info), parsed);
      return 'arrived';
    }
  }
  // A drop that was filed but not moved (a crash in between): the drop's own step moves it again.
  if (facts.dropKey) {
    const info = await services.blobs.head(facts.dropKey);
    if (info) {
      await handleObjectArrival(services, arrivalOf(services, facts.dropKey, info));
      return 'arrived';
    }
  }
  const issue: VersionValidationIssue = facts.fromDropFolder
    ? {
        code: 'UPLOAD.EXPIRED',
        message: `The drop-folder file could not be moved into the dataset before ${facts.expiresAt.toISOString()} and is no longer in the drop folder. Nothing was stored; write the file to the drop folder again.`,
      }
    : {
        code: 'UPLOAD.EXPIRED',
        message: `No file arrived before the upload link expired at ${facts.expiresAt.toISOString()}. Nothing was stored and the space reserved for it is free again. Ask for a new upload (POST /datasets/{datasetId}/versions) and send the file before that link expires.`,
      };
  const expired = await withTenant(services.db, { userId: version.userId, role: 'user' }, (trx) =>
    expireUpload(trx, { datasetVersionId: version.versionId, issue }),
  );
  return expired ? 'expired' : 'unchanged';
}

function arrivalOf(
  services: DispatchServices,
  key: string,
  info: { size: number; etag?: string | undefined; versionId?: string | undefined },
): ObjectArrival {
  return {
    bucket: services.blobs.bucket,
    key,
    size: info.size,
    etag: (info.etag ?? '').replaceAll('"', ''),
    ...(info.versionId ? { versionId: info.versionId } : {}),
  };
}

const GAVE_UP: VersionValidationIssue = {
  code: 'INGESTION.FAILED',
  message:
    'Processing failed for a reason on our side, not in your file. Upload it again as a new version later, or contact support.',
};

const FILE_GONE: VersionValidationIssue = {
  code: 'INGESTION.FILE_MISSING',
  message:
    'The uploaded file is no longer in storage, so it cannot be processed. Upload it again as a new version.',
};

function retriesRanOut(attempts: number): VersionValidationIssue {
  return {
    code: 'INGESTION.RETRIES_EXHAUSTED',
    message: `Processing was interrupted ${attempts} times before it finished, for reasons on our side, not in your file, and was given up. Upload the file again as a new version; contact support if it happens again.`,
  };
}

function tooOld(maxAgeMs: number): VersionValidationIssue {
  const hours = Math.round(maxAgeMs / 3_600_000);
  return {
    code: 'INGESTION.TIMED_OUT',
    message: `Processing did not finish within ${hours} hour${hours === 1 ? '' : 's'} of the upload, for reasons on our side, and was given up. Upload the file again as a new version; contact support if it happens again.`,
  };
}
