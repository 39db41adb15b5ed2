import { findDataset, readUserUsage } from '../../dataset-repository';
import type { Dataset, DatasetVersion, IngestionJob, VersionValidationIssue } from '../../dataset-records';
import { findVersionByNumber, markVersionUploaded, rejectVersion } from '../../dataset-version-repository';
import {
  awaitsDispatch,
  findJobForVersion,
  recordIngestionJob,
  updateIngestionJob,
} from '../../ingestion-job-repository';
import { checkFileAllowed, humanBytes, tierLimits } from '../../tier-limits';
import { withTenant } from '../../../../db/tenant';
import type { ParsedObjectKey } from '../../../../storage/object-keys';
import { arrivalIdempotencyKey } from './object-arrival';
import type { ArrivalOutcome, DispatchServices, ObjectArrival } from './object-arrival';
import { buildIngestionMessage, sendIngestionMessage } from './send-ingestion-message';

type RawKey = Extract<ParsedObjectKey, { kind: 'raw' }>;

type Decision =
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; version: DatasetVersion; reason: string }
  | { kind: 'dispatch'; dataset: Dataset; version: DatasetVersion; job: IngestionJob; fresh: boolean };

/**
 * An object arrived under `raw/{userId}/{datasetId}/{version}/{file}` (presigned POST, a filed
 * drop, a refresh, or the `complete` fallback). The version must be waiting for exactly this key;
 * its size is checked against the owner's tier again (the POST policy bounds it, but tiers change
 * and objects can be written by other paths). Accepted: one ingestion job, status uploaded, one
 * message. Too big: version failed with the reason and the object deleted. Everything else (a
 * late or repeated delivery) changes nothing.
 */
export async function acceptRawArrival(
  services: DispatchServices,
  arrival: ObjectArrival,
  parsed: RawKey,
): Promise<ArrivalOutcome> {
  const scope = { userId: parsed.userId, role: 'user' as const };
  const overrides = services.config.datasets?.tierLimits ?? {};

  const decision = await withTenant(services.db, scope, async (trx): Promise<Decision> => {
    // The row lock makes concurrent deliveries of one event take turns here.
    const version = await findVersionByNumber(
      trx,
      { userId: parsed.userId, datasetId: parsed.datasetId, versionNumber: parsed.version },
      { forUpdate: true },
    );
    if (!version) return { kind: 'ignored', reason: 'no live dataset version matches this key' };
    if (version.rawObjectKey !== arrival.key)
      return { kind: 'ignored', reason: 'the version expects another key' };
    const dataset = await findDataset(trx, { userId: parsed.userId, datasetId: parsed.datasetId });
    if (!dataset) return { kind: 'ignored', reason: 'the dataset was deleted' };
    const existingJob = await findJobForVersion(trx, version.id);

    if (version.status !== 'uploading') {
      return existingJob
        ? { kind: 'dispatch', dataset, version, job: existingJob, fresh: false }
        : { kind: 'ignored', reason: `the version is ${version.status}, not waiting for an upload` };
    }

    const usage = await readUserUsage(trx, parsed.userId);
    if (!usage) return { kind: 'ignored', reason: 'the owner no longer exists' };
    const limits = tierLimits(usage.tier, overrides);
    // Storage already counts this version's declared size (reserved when the upload was allowed).
    const usageWithoutReservation = {
      tier: usage.tier,
      datasetCount: usage.datasetCount,
      storageUsedBytes: Math.max(0, usage.storageUsedBytes - (version.originalSizeBytes ?? 0)),
    };
    const breach = checkFileAllowed(usageWithoutReservation, limits, arrival.size);
    if (breach) {
      const issue: VersionValidationIssue = {
        code: breach.limit === 'fileSize' ? 'LIMIT.FILE_SIZE' : 'LIMIT.STORAGE',
        message: `${breach.message} The uploaded file was deleted; upload a smaller file or upgrade your plan.`,
        sample: `${humanBytes(arrival.size)} received`,
      };
      await rejectVersion(trx, { datasetVersionId: version.id, errors: [issue] });
      const details = {
        limit: breach.limit,
        tier: breach.tier,
        allowed: breach.allowed,
        received: arrival.size,
      };
      if (existingJob) {
        await updateIngestionJob(trx, existingJob.id, {
          status: 'failed',
          errorMessage: issue.message,
          errorDetails: details,
        });
      } else {
        await recordIngestionJob(trx, {
          userId: parsed.userId,
          datasetId: dataset.id,
          datasetVersionId: version.id,
          sourceType: version.sourceType,
          objectKey: arrival.key,
          idempotencyKey: arrivalIdempotencyKey(arrival),
          status: 'failed',
          errorMessage: issue.message,
          errorDetails: details,
        });
      }
      return { kind: 'rejected', version, reason: issue.message };
    }

    const uploaded = await markVersionUploaded(trx, {
      datasetVersionId: version.id,
      sizeBytes: arrival.size,
    });
    let job = existingJob;
    if (job) {
      await updateIngestionJob(trx, job.id, { objectKey: arrival.key });
    } else {
      job = (
        await recordIngestionJob(trx, {
          userId: parsed.userId,
          datasetId: dataset.id,
          datasetVersionId: version.id,
          sourceType: version.sourceType,
          objectKey: arrival.key,
          idempotencyKey: arrivalIdempotencyKey(arrival),
        })
      ).job;
    }
    return { kind: 'dispatch', dataset, version: uploaded, job, fresh: true };
  });

  if (decision.kind === 'ignored') {
    services.logger.info('arrival ignored', { key: arrival.key, reason: decision.reason });
    return { outcome: 'ignored', reason: decision.reason };
  }
  if (decision.kind === 'rejected') {
    await services.blobs.delete(arrival.key);
    services.logger.warn('arrival rejected', { key: arrival.key, reason: decision.reason });
    return { outcome: 'rejected', datasetVersionId: decision.version.id, reason: decision.reason };
  }

  const { dataset, version, job } = decision;
  if (!awaitsDispatch(job, services.clock.now())) {
    return { outcome: 'duplicate', datasetVersionId: version.id, ingestionJobId: job.id };
  }
  const message = buildIngestionMessage({
    job,
    dataset,
    version,
    bucket: arrival.bucket,
    key: arrival.key,
    size: arrival.size,
    etag: arrival.etag,
    ...(arrival.versionId ? { versionId: arrival.versionId } : {}),
    arrivedAt: services.clock.now(),
  });
  const sent = await sendIngestionMessage(services, message);
  if (!sent.sent) return { outcome: 'duplicate', datasetVersionId: version.id, ingestionJobId: job.id };
  return {
    outcome: 'dispatched',
    datasetId: dataset.id,
    datasetVersionId: version.id,
    ingestionJobId: job.id,
    messageId: sent.messageId,
  };
}
