import type { DatabaseTransaction } from '../../db/database';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import type { BlobStore } from '../../ports/blob-store.port';
import { objectKeys } from '../../storage/object-keys';
import type { Dataset, DatasetVersion } from './dataset-records';
import { findDataset, findDatasetByName, insertDataset, readUserUsage } from './dataset-repository';
import { insertUploadingVersion } from './dataset-version-repository';
import { acceptsFormat, fileKindOf } from './file-formats';
import {
  checkDatasetAllowed,
  checkFileAllowed,
  limitError,
  tierLimits,
  type TierLimitOverrides,
} from './tier-limits';

/**
 * A pipeline's output table registered as a dataset version. It takes the path of a scheduled
 * refresh: the version is reserved (status uploading, its size counted against the owner's tier),
 * then the table is copied to the version's raw key, whose arrival ingests it as an upload is
 * ingested (validation, Parquet conversion, profile, schema).
 */

/** Which of the owner's datasets: an existing one by id, or one by name (created when missing). */
export type OutputDatasetTarget = { datasetId: string } | { name: string };

export interface OutputVersionRequest {
  userId: string;
  target: OutputDatasetTarget;
  /** The version's file name; its extension says the format (a Parquet table). */
  fileName: string;
  sizeBytes: number;
  /** The tiers' limits as configured (defaults otherwise). */
  limits?: TierLimitOverrides | undefined;
  /** How long the version waits for its object before the daily sweep fails it. */
  expiresAt: Date;
}

/**
 * Reserves the next version of the target dataset, inside the owner's transaction (same lock
 * order as an upload: the owner's row, then the dataset's). A dataset named that the owner does
 * not have is created, tabular, counted against the tier's datasets. Throws NotFoundError for a
 * dataset id that is not the owner's, ConflictError for a dataset whose modality does not take
 * tables, and the tier's limit errors.
 */
export async function reserveOutputVersion(
  trx: DatabaseTransaction,
  request: OutputVersionRequest,
): Promise<DatasetVersion> {
  const kind = fileKindOf(request.fileName);
  if (!kind) throw new Error(`"${request.fileName}" is not a file type datasets take.`);
  const usage = await readUserUsage(trx, request.userId, { forUpdate: true });
  if (!usage) throw new NotFoundError('User', request.userId);
  const limits = tierLimits(usage.tier, request.limits);
  const dataset = await lockedDataset(trx, request, () => {
    const breach = checkDatasetAllowed(usage, limits);
    if (breach) throw limitError(breach);
  });
  if (!acceptsFormat(dataset.modality, kind))
    throw new ConflictError(
      'DATASET.MODALITY_MISMATCH',
      `Dataset "${dataset.name}" holds ${dataset.modality} data; a table cannot be a version of it: name a tabular dataset.`,
      { field: 'outputDataset' },
    );
  const breach = checkFileAllowed(usage, limits, request.sizeBytes);
  if (breach) throw limitError(breach);
  return insertUploadingVersion(trx, {
    userId: request.userId,
    datasetId: dataset.id,
    originalFilename: request.fileName,
    originalFormat: kind.format,
    contentType: kind.contentType,
    sizeBytes: request.sizeBytes,
    sourceType: 'pipeline',
    uploadExpiresAt: request.expiresAt,
    rawKey: (n) => objectKeys.raw(request.userId, dataset.id, n, request.fileName),
  });
}

/** The target dataset, its row locked for numbering; created when a name is not the owner's yet. */
async function lockedDataset(
  trx: DatabaseTransaction,
  request: OutputVersionRequest,
  checkMayCreate: () => void,
): Promise<Dataset> {
  const { userId, target } = request;
  if ('datasetId' in target) {
    const found = await findDataset(trx, { userId, datasetId: target.datasetId }, { forUpdate: true });
    if (!found) throw new NotFoundError('Dataset', target.datasetId, { field: 'outputDataset.datasetId' });
    return found;
  }
  const named = await findDatasetByName(trx, { userId, name: target.name });
  const locked = named && (await findDataset(trx, { userId, datasetId: named.id }, { forUpdate: true }));
  if (locked) return locked;
  checkMayCreate();
  // A SEG-Y output (a denoised line) makes a seismic dataset; every other output a table.
  const modality = fileKindOf(request.fileName)?.modality === 'seismic' ? 'seismic' : 'tabular';
  return insertDataset(trx, { userId, name: target.name, modality, sourceType: 'pipeline' });
}

/**
 * Copies the output to the version's raw key; its arrival starts ingestion. A failed copy leaves
 * the version waiting (a retry copies again; the daily sweep fails it once it expires).
 */
export async function deliverOutputVersion(
  blobs: Pick<BlobStore, 'copy'>,
  version: Pick<DatasetVersion, 'id' | 'rawObjectKey'>,
  sourceKey: string,
): Promise<void> {
  if (!version.rawObjectKey) throw new Error(`Dataset version ${version.id} has no raw object key.`);
  await blobs.copy(sourceKey, version.rawObjectKey);
}
