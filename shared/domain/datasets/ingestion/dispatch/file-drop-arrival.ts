import { findDataset, findDatasetByName, insertDataset, readUserUsage } from '../../dataset-repository';
import type { DatasetVersion } from '../../dataset-records';
import { findVersionById, insertUploadingVersion } from '../../dataset-version-repository';
import { acceptsFormat, fileKindOf, fileStem, SUPPORTED_EXTENSIONS } from '../../file-formats';
import { recordIngestionJob, updateIngestionJob } from '../../ingestion-job-repository';
import { checkDatasetAllowed, checkFileAllowed, tierLimits } from '../../tier-limits';
import type { Modality } from '../../../../db/schema';
import { withTenant } from '../../../../db/tenant';
import { NotFoundError } from '../../../../kernel/app-error';
import { objectKeys, safeFileName } from '../../../../storage/object-keys';
import type { ParsedObjectKey } from '../../../../storage/object-keys';
import { arrivalIdempotencyKey } from './object-arrival';
import type { ArrivalOutcome, DispatchServices, ObjectArrival } from './object-arrival';
import { quarantineArrival } from './quarantine-arrival';
import type { QuarantineReason } from './quarantine-arrival';

type DropKey = Extract<ParsedObjectKey, { kind: 'dropbox' }>;

/** Upload window given to a filed drop: the move to raw/ happens right away. */
const DROP_UPLOAD_WINDOW_MS = 60 * 60 * 1000;

type Decision =
  | { kind: 'quarantine'; reasons: QuarantineReason[] }
  | { kind: 'duplicate'; version: DatasetVersion | undefined }
  | { kind: 'filed'; version: DatasetVersion };

/**
 * A file written under `dropbox/{userId}/…`: it becomes the next version of the user's dataset
 * named by the file's stem (created if there is none, modality from the extension), is moved to
 * that version's `raw/` key, and from there follows the upload path (the copy's ObjectCreated
 * event). Unknown users, unsupported types, names that make no dataset name, datasets of another
 * modality and files over the tier's limits are quarantined with a report instead.
 */
export async function fileDropArrival(
  services: DispatchServices,
  arrival: ObjectArrival,
  parsed: DropKey,
): Promise<ArrivalOutcome> {
  const kind = fileKindOf(parsed.fileName);
  if (!kind) {
    return quarantineArrival(
      services,
      arrival,
      [
        {
          code: 'DROP.UNSUPPORTED_TYPE',
          message: `"${parsed.fileName}" is not a supported file type; supported extensions: ${SUPPORTED_EXTENSIONS.join(', ')}.`,
        },
      ],
      { userId: parsed.userId },
    );
  }
  const name = fileStem(parsed.fileName).trim();
  let rawFileName: string;
  try {
    rawFileName = safeFileName(parsed.fileName);
  } catch {
    rawFileName = '';
  }
  if (name.length === 0 || name.length > 255 || rawFileName === '') {
    return quarantineArrival(
      services,
      arrival,
      [
        {
          code: 'DROP.BAD_NAME',
          message: 'The file name must give a dataset name of 1 to 255 characters before its extension.',
        },
      ],
      { userId: parsed.userId },
    );
  }

  const scope = { userId: parsed.userId, role: 'user' as const };
  const overrides = services.config.datasets?.tierLimits ?? {};
  const decision = await withTenant(services.db, scope, async (trx): Promise<Decision> => {
    // Locking the user row serializes this user's drops: one dataset per name, limits checked in turn.
    const usage = await readUserUsage(trx, parsed.userId, { forUpdate: true });
    if (!usage || !usage.isActive) {
      return {
        kind: 'quarantine',
        reasons: [{ code: 'DROP.UNKNOWN_USER', message: `No active user has the id ${parsed.userId}.` }],
      };
    }
    const { job, created } = await recordIngestionJob(trx, {
      userId: parsed.userId,
      datasetId: null,
      datasetVersionId: null,
      sourceType: 'dropfolder',
      objectKey: arrival.key,
      idempotencyKey: arrivalIdempotencyKey(arrival),
    });
    if (!created) {
      const version = job.datasetVersionId ? await findVersionById(trx, job.datasetVersionId) : undefined;
      return { kind: 'duplicate', version };
    }
    const quarantine = async (reasons: QuarantineReason[]): Promise<Decision> => {
      await updateIngestionJob(trx, job.id, {
        status: 'quarantined',
        errorMessage: reasons.map((r) => r.message).join(' '),
        errorDetails: { reasons: reasons.map((r) => ({ code: r.code, message: r.message })) },
      });
      return { kind: 'quarantine', reasons };
    };

    const limits = tierLimits(usage.tier, overrides);
    const fileBreach = checkFileAllowed(usage, limits, arrival.size);
    if (fileBreach)
      return quarantine([
        {
          code: `LIMIT.${fileBreach.limit === 'fileSize' ? 'FILE_SIZE' : 'STORAGE'}`,
          message: fileBreach.message,
        },
      ]);

    let dataset = await findDatasetByName(trx, { userId: parsed.userId, name });
    if (dataset && !acceptsFormat(dataset.modality, kind)) {
      return quarantine([
        {
          code: 'DROP.MODALITY_MISMATCH',
          message: `Your dataset "${dataset.name}" holds ${dataset.modality} data; a .${kind.extension} file cannot be a version of it. Rename the file to create a new dataset.`,
        },
      ]);
    }
    if (!dataset) {
      const countBreach = checkDatasetAllowed(usage, limits);
      if (countBreach) return quarantine([{ code: 'LIMIT.DATASET_COUNT', message: countBreach.message }]);
      dataset = await insertDataset(trx, {
        userId: parsed.userId,
        name,
        modality: kind.modality as Modality,
        sourceType: 'dropfolder',
        description: `Created from the drop folder file ${parsed.path}`,
      });
    }
    const locked = await findDataset(
      trx,
      { userId: parsed.userId, datasetId: dataset.id },
      { forUpdate: true },
    );
    if (!locked) throw new NotFoundError('Dataset', dataset.id);
    const version = await insertUploadingVersion(trx, {
      userId: parsed.userId,
      datasetId: locked.id,
      originalFilename: rawFileName,
      originalFormat: kind.format,
      contentType: kind.contentType,
      sizeBytes: arrival.size,
      sourceType: 'dropfolder',
      uploadExpiresAt: new Date(services.clock.now().getTime() + DROP_UPLOAD_WINDOW_MS),
      rawKey: (n) => objectKeys.raw(parsed.userId, locked.id, n, rawFileName),
    });
    await trx
      .updateTable('ingestion_jobs')
      .set({ dataset_id: locked.id, dataset_version_id: version.id })
      .where('id', '=', job.id)
      .execute();
    return { kind: 'filed', version };
  });

  if (decision.kind === 'quarantine') {
    return quarantineArrival(services, arrival, decision.reasons, { userId: parsed.userId });
  }
  const version = decision.version;
  if (!version || version.status !== 'uploading' || !version.rawObjectKey) {
    return { outcome: 'duplicate', ...(version ? { datasetVersionId: version.id } : {}) };
  }
  // Move: the copy's own ObjectCreated event (raw/) sends the version on; a retried delivery of
  // this drop event (original still present) repeats the move.
  try {
    await services.blobs.copy(arrival.key, version.rawObjectKey);
  } catch (error) {
    if (error instanceof NotFoundError && decision.kind === 'duplicate') {
      return { outcome: 'duplicate', datasetVersionId: version.id };
    }
    throw error;
  }
  await services.blobs.delete(arrival.key);
  services.logger.info('drop filed', {
    key: arrival.key,
    rawKey: version.rawObjectKey,
    datasetVersionId: version.id,
  });
  return {
    outcome: 'filed',
    datasetId: version.datasetId,
    datasetVersionId: version.id,
    rawKey: version.rawObjectKey,
  };
}
