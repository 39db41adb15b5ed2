import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb } from '../../db/schema';
import type { ArrivalSource, DatasetVersionFormat, DatasetVersionStatus, JsonValue } from '../../db/schema';
import { toDataset, toDatasetVersion, toIngestionJob } from './dataset-records';
import type { Dataset, DatasetVersion, IngestionJob, VersionValidationIssue } from './dataset-records';

/**
 * Dataset versions and the ingestion jobs that fill them. Every function takes an open
 * transaction: callers run them inside `withTenant(db, { userId, role }, trx => …)` so row-level
 * security applies (a worker uses the `userId` of its IngestionMessage).
 *
 * What a modality worker calls, in order (all inside withTenant with the message's userId):
 *
 *   getIngestionTarget(trx, { datasetId, datasetVersionId, ingestionJobId })
 *     → { dataset, version, job } | undefined            (undefined: deleted meanwhile; drop the message)
 *   startIngestionAttempt(trx, { ingestionJobId, datasetVersionId })
 *     → { started: boolean; job }                        (false: job already finished; redelivery, skip)
 *   setIngestionProgress(trx, { ingestionJobId, datasetVersionId, progressPercent, stage?, versionStatus? })
 *   recordContentHash(trx, { datasetVersionId, sha256 })
 *     → { duplicateOfVersionId: string | null }          (the database links a same-content version of the same user)
 *   linkDuplicate(trx, { datasetVersionId, duplicateOfVersionId })
 *   recordValidationErrors(trx, { ingestionJobId, datasetVersionId, errors, message? })
 *     → version failed with validation_errors, job failed
 *   recordIngestionResult(trx, { ingestionJobId, datasetVersionId, processedObjectKey, processedSizeBytes,
 *                               rowCount, columnCount, columnsMetadata, modalityMetadata? })
 *     → version validated, job completed at 100 %, dataset's current version moves to it if it is the newest
 *   failIngestion(trx, { ingestionJobId, datasetVersionId, message, details? })
 *     → for crashes that are not the file's fault (after the last retry): job and version failed
 */

export interface IngestionIds {
  ingestionJobId: string;
  datasetVersionId: string;
}

export interface IngestionTarget {
  dataset: Dataset;
  version: DatasetVersion;
  job: IngestionJob;
}

export async function getIngestionTarget(
  trx: DatabaseTransaction,
  ids: IngestionIds & { datasetId: string },
): Promise<IngestionTarget | undefined> {
  const datasetRow = await trx
    .selectFrom('datasets')
    .selectAll()
    .where('id', '=', ids.datasetId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!datasetRow) return undefined;
  const versionRow = await trx
    .selectFrom('dataset_versions')
    .selectAll()
    .where('id', '=', ids.datasetVersionId)
    .where('dataset_id', '=', ids.datasetId)
    .executeTakeFirst();
  if (!versionRow) return undefined;
  const jobRow = await trx
    .selectFrom('ingestion_jobs')
    .selectAll()
    .where('id', '=', ids.ingestionJobId)
    .where('dataset_version_id', '=', ids.datasetVersionId)
    .executeTakeFirst();
  if (!jobRow) return undefined;
  return {
    dataset: toDataset(datasetRow),
    version: toDatasetVersion(versionRow),
    job: toIngestionJob(jobRow),
  };
}

/** Marks the job processing (one more attempt) and the version validating, unless the job already ended. */
export async function startIngestionAttempt(
  trx: DatabaseTransaction,
  ids: IngestionIds,
): Promise<{ started: boolean; job: IngestionJob | undefined }> {
  const started = await trx
    .updateTable('ingestion_jobs')
    .set((eb) => ({
      status: 'processing',
      attempts: eb('attempts', '+', 1),
      started_at: sql<Date>`coalesce(started_at, now())`,
      stage: 'starting',
      error_message: null,
      error_details: null,
    }))
    .where('id', '=', ids.ingestionJobId)
    .where('dataset_version_id', '=', ids.datasetVersionId)
    .where('status', 'in', ['queued', 'processing'])
    .returningAll()
    .executeTakeFirst();
  if (!started) {
    const existing = await trx
      .selectFrom('ingestion_jobs')
      .selectAll()
      .where('id', '=', ids.ingestionJobId)
      .executeTakeFirst();
    return { started: false, job: existing ? toIngestionJob(existing) : undefined };
  }
  await trx
    .updateTable('dataset_versions')
    .set({ status: 'validating' })
    .where('id', '=', ids.datasetVersionId)
    .where('status', 'in', ['uploaded', 'validating'])
    .execute();
  return { started: true, job: toIngestionJob(started) };
}

export interface IngestionProgress extends IngestionIds {
  /** 0–100; never moves backwards within an attempt is the caller's concern, the column accepts any value in range. */
  progressPercent: number;
  /** Short label of what runs now, e.g. `hashing`, `validating`, `converting`, `profiling`. */
  stage?: string;
  versionStatus?: Extract<DatasetVersionStatus, 'uploaded' | 'validating'>;
}

export async function setIngestionProgress(
  trx: DatabaseTransaction,
  progress: IngestionProgress,
): Promise<void> {
  const percent = Math.max(0, Math.min(100, Math.round(progress.progressPercent)));
  await trx
    .updateTable('ingestion_jobs')
    .set({ progress_percent: percent, ...(progress.stage === undefined ? {} : { stage: progress.stage }) })
    .where('id', '=', progress.ingestionJobId)
    .execute();
  if (progress.versionStatus) {
    await trx
      .updateTable('dataset_versions')
      .set({ status: progress.versionStatus })
      .where('id', '=', progress.datasetVersionId)
      .where('status', 'not in', ['validated', 'failed'])
      .execute();
  }
}

/** Stores the content hash; the database links the version to the user's earlier version with the same bytes. */
export async function recordContentHash(
  trx: DatabaseTransaction,
  input: { datasetVersionId: string; sha256: string },
): Promise<{ duplicateOfVersionId: string | null }> {
  const row = await trx
    .updateTable('dataset_versions')
    .set({ sha256: input.sha256.toLowerCase() })
    .where('id', '=', input.datasetVersionId)
    .returning('duplicate_of_version_id')
    .executeTakeFirst();
  return { duplicateOfVersionId: row?.duplicate_of_version_id ?? null };
}

/** Explicit link to a version with the same content (the database re-points it to the canonical one). */
export async function linkDuplicate(
  trx: DatabaseTransaction,
  input: { datasetVersionId: string; duplicateOfVersionId: string },
): Promise<void> {
  await trx
    .updateTable('dataset_versions')
    .set({ duplicate_of_version_id: input.duplicateOfVersionId })
    .where('id', '=', input.datasetVersionId)
    .execute();
}

export async function recordValidationErrors(
  trx: DatabaseTransaction,
  input: IngestionIds & { errors: VersionValidationIssue[]; message?: string },
): Promise<void> {
  const message = input.message ?? input.errors[0]?.message ?? 'The file did not pass validation.';
  await trx
    .updateTable('dataset_versions')
    .set({ status: 'failed', validation_errors: jsonb(input.errors) })
    .where('id', '=', input.datasetVersionId)
    .execute();
  await trx
    .updateTable('ingestion_jobs')
    .set({
      status: 'failed',
      stage: 'validation',
      error_message: message,
      error_details: jsonb({ validationErrors: input.errors }),
      completed_at: sql<Date>`now()`,
    })
    .where('id', '=', input.ingestionJobId)
    .execute();
}

export interface IngestionResult extends IngestionIds {
  processedObjectKey: string;
  processedSizeBytes: number;
  rowCount: number;
  columnCount: number;
  /** Per column: name, type, nullability… as the worker describes them. */
  columnsMetadata: JsonValue;
  /** Modality-specific facts (e.g. seismic traces, samples, sample rate). */
  modalityMetadata?: Record<string, JsonValue>;
}

export async function recordIngestionResult(
  trx: DatabaseTransaction,
  result: IngestionResult,
): Promise<DatasetVersion> {
  const row = await trx
    .updateTable('dataset_versions')
    .set({
      status: 'validated',
      validated_at: sql<Date>`now()`,
      validation_errors: null,
      processed_object_key: result.processedObjectKey,
      processed_size_bytes: result.processedSizeBytes,
      row_count: result.rowCount,
      column_count: result.columnCount,
      columns_metadata: jsonb(result.columnsMetadata),
      ...(result.modalityMetadata === undefined ? {} : { modality_metadata: jsonb(result.modalityMetadata) }),
    })
    .where('id', '=', result.datasetVersionId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('ingestion_jobs')
    .set({ status: 'completed', progress_percent: 100, stage: 'done', completed_at: sql<Date>`now()` })
    .where('id', '=', result.ingestionJobId)
    .execute();
  // The dataset's current version is its newest validated one.
  await trx
    .updateTable('datasets')
    .set({ current_version_id: row.id })
    .where('id', '=', row.dataset_id)
    .where((eb) =>
      eb.or([
        eb('current_version_id', 'is', null),
        eb(
          'current_version_id',
          'in',
          eb
            .selectFrom('dataset_versions')
            .select('id')
            .where('dataset_id', '=', row.dataset_id)
            .where('version_number', '<', row.version_number),
        ),
      ]),
    )
    .execute();
  return toDatasetVersion(row);
}

export async function failIngestion(
  trx: DatabaseTransaction,
  input: IngestionIds & { message: string; details?: Record<string, JsonValue> },
): Promise<void> {
  await trx
    .updateTable('dataset_versions')
    .set({
      status: 'failed',
      validation_errors: jsonb([{ code: 'INGESTION.FAILED', message: input.message }]),
    })
    .where('id', '=', input.datasetVersionId)
    .where('status', '<>', 'validated')
    .execute();
  await trx
    .updateTable('ingestion_jobs')
    .set({
      status: 'failed',
      error_message: input.message,
      error_details: jsonb(input.details ?? {}),
      completed_at: sql<Date>`now()`,
    })
    .where('id', '=', input.ingestionJobId)
    .execute();
}

// ——— Versions as the API and the arrival path see them ———

export interface NewUploadVersion {
  userId: string;
  datasetId: string;
  originalFilename: string;
  originalFormat: DatasetVersionFormat;
  contentType: string;
  /** Declared size: counted against storage from now on (a reservation), corrected on arrival. */
  sizeBytes: number;
  sourceType: ArrivalSource;
  uploadExpiresAt: Date;
  versionLabel?: string | null;
  /** Builds the raw key once the version number is known. */
  rawKey: (versionNumber: number) => string;
}

/**
 * Next version of a dataset, status uploading. The caller holds the dataset row lock
 * (`findDataset(…, { forUpdate: true })`), so numbers are handed out one at a time.
 */
export async function insertUploadingVersion(
  trx: DatabaseTransaction,
  input: NewUploadVersion,
): Promise<DatasetVersion> {
  const { next } = await trx
    .selectFrom('dataset_versions')
    .select(sql<number>`coalesce(max(version_number), 0) + 1`.as('next'))
    .where('dataset_id', '=', input.datasetId)
    .executeTakeFirstOrThrow();
  const versionNumber = Number(next);
  const row = await trx
    .insertInto('dataset_versions')
    .values({
      dataset_id: input.datasetId,
      user_id: input.userId,
      version_number: versionNumber,
      version_label: input.versionLabel ?? null,
      source_type: input.sourceType,
      original_filename: input.originalFilename,
      original_format: input.originalFormat,
      content_type: input.contentType,
      original_size_bytes: input.sizeBytes > 0 ? input.sizeBytes : null,
      raw_object_key: input.rawKey(versionNumber),
      status: 'uploading',
      upload_expires_at: input.uploadExpiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toDatasetVersion(row);
}

export async function findVersionByNumber(
  trx: DatabaseTransaction,
  ids: { userId: string; datasetId: string; versionNumber: number },
  options: { forUpdate?: boolean } = {},
): Promise<DatasetVersion | undefined> {
  let query = trx
    .selectFrom('dataset_versions as v')
    .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
    .selectAll('v')
    .where('v.dataset_id', '=', ids.datasetId)
    .where('v.user_id', '=', ids.userId)
    .where('v.version_number', '=', ids.versionNumber)
    .where('d.deleted_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate('v');
  const row = await query.executeTakeFirst();
  return row ? toDatasetVersion(row) : undefined;
}

/** Newest first; `beforeNumber` continues a page. Returns up to `limit + 1` rows. */
export async function listVersions(
  trx: DatabaseTransaction,
  input: { userId: string; datasetId: string; limit: number; beforeNumber?: number },
): Promise<DatasetVersion[]> {
  let query = trx
    .selectFrom('dataset_versions')
    .selectAll()
    .where('dataset_id', '=', input.datasetId)
    .where('user_id', '=', input.userId);
  if (input.beforeNumber !== undefined) query = query.where('version_number', '<', input.beforeNumber);
  const rows = await query
    .orderBy('version_number', 'desc')
    .limit(input.limit + 1)
    .execute();
  return rows.map(toDatasetVersion);
}

/** The newest ingestion job of each version (progress, stage, error). */
export async function latestJobsByVersion(
  trx: DatabaseTransaction,
  versionIds: readonly string[],
): Promise<Map<string, IngestionJob>> {
  if (versionIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('ingestion_jobs')
    .selectAll()
    .where('dataset_version_id', 'in', [...versionIds])
    .orderBy('created_at', 'desc')
    .execute();
  const jobs = new Map<string, IngestionJob>();
  for (const row of rows) {
    if (row.dataset_version_id && !jobs.has(row.dataset_version_id)) {
      jobs.set(row.dataset_version_id, toIngestionJob(row));
    }
  }
  return jobs;
}

/** The object arrived and passed the arrival checks: real size recorded, waiting for its worker. */
export async function markVersionUploaded(
  trx: DatabaseTransaction,
  input: { datasetVersionId: string; sizeBytes: number },
): Promise<DatasetVersion> {
  const row = await trx
    .updateTable('dataset_versions')
    .set({ status: 'uploaded', original_size_bytes: input.sizeBytes > 0 ? input.sizeBytes : null })
    .where('id', '=', input.datasetVersionId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toDatasetVersion(row);
}

/** Refused on arrival (limits, wrong file): failed with the reasons, storage reservation released. */
export async function rejectVersion(
  trx: DatabaseTransaction,
  input: { datasetVersionId: string; errors: VersionValidationIssue[] },
): Promise<void> {
  await trx
    .updateTable('dataset_versions')
    .set({ status: 'failed', validation_errors: jsonb(input.errors), original_size_bytes: null })
    .where('id', '=', input.datasetVersionId)
    .execute();
}

export async function findVersionById(
  trx: DatabaseTransaction,
  datasetVersionId: string,
): Promise<DatasetVersion | undefined> {
  const row = await trx
    .selectFrom('dataset_versions')
    .selectAll()
    .where('id', '=', datasetVersionId)
    .executeTakeFirst();
  return row ? toDatasetVersion(row) : undefined;
}
