import type { Selectable } from 'kysely';
import type {
  ArrivalSource,
  DatasetsTable,
  DatasetVersionFormat,
  DatasetVersionStatus,
  DatasetVersionsTable,
  IngestionJobStatus,
  IngestionJobsTable,
  JsonValue,
  Modality,
  TaskType,
} from '../../db/schema';

/**
 * Domain shapes of datasets, versions and ingestion jobs, built from database rows. Everything
 * outside the repositories sees these (camelCase, Dates, parsed JSON), never raw rows.
 */

export interface Dataset {
  id: string;
  userId: string;
  name: string;
  description: string | null;
  modality: Modality;
  problemType: TaskType | null;
  targetColumn: string | null;
  tags: string[];
  sourceType: ArrivalSource;
  refreshSourceUrl: string | null;
  refreshSchedule: string | null;
  nextRefreshAt: Date | null;
  lastRefreshedAt: Date | null;
  lastRefreshError: string | null;
  currentVersionId: string | null;
  metadata: JsonValue;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface DatasetVersion {
  id: string;
  datasetId: string;
  userId: string;
  versionNumber: number;
  versionLabel: string | null;
  sourceType: ArrivalSource;
  originalFilename: string;
  originalFormat: DatasetVersionFormat;
  contentType: string | null;
  originalSizeBytes: number | null;
  sha256: string | null;
  duplicateOfVersionId: string | null;
  rawObjectKey: string | null;
  processedObjectKey: string | null;
  processedSizeBytes: number | null;
  rowCount: number | null;
  columnCount: number | null;
  columnsMetadata: JsonValue | null;
  modalityMetadata: JsonValue;
  /** Parse options the user gave for a delimited file (see csv-parse-options.ts); null: detect all. */
  csvOptions: JsonValue | null;
  status: DatasetVersionStatus;
  validationErrors: JsonValue | null;
  uploadExpiresAt: Date | null;
  validatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface IngestionJob {
  id: string;
  userId: string;
  datasetId: string | null;
  datasetVersionId: string | null;
  sourceType: ArrivalSource;
  objectKey: string;
  queue: string | null;
  messageId: string | null;
  /** When the dispatch was claimed; with no messageId, a claim older than the lease is abandoned. */
  dispatchClaimedAt: Date | null;
  idempotencyKey: string | null;
  status: IngestionJobStatus;
  progressPercent: number;
  stage: string | null;
  attempts: number;
  errorMessage: string | null;
  errorDetails: JsonValue | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One problem found while validating an upload, phrased so a person can fix the file: where
 * (row and column when known), why, and a sample of the offending value.
 */
export interface VersionValidationIssue {
  /** Stable machine code, e.g. `CSV.RAGGED_ROW`, `FILE.EMPTY`, `LIMIT.FILE_SIZE`. */
  code: string;
  message: string;
  /** 1-based row in the file (header = row 1) when the problem is on a row. */
  row?: number;
  column?: string;
  sample?: string;
}

type DatasetRow = Selectable<DatasetsTable>;
type VersionRow = Selectable<DatasetVersionsTable>;
type IngestionJobRow = Selectable<IngestionJobsTable>;

function date(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

function optionalDate(value: Date | string | null): Date | null {
  return value === null ? null : date(value);
}

export function toDataset(row: DatasetRow): Dataset {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    description: row.description,
    modality: row.modality,
    problemType: row.problem_type,
    targetColumn: row.target_column,
    tags: row.tags,
    sourceType: row.source_type,
    refreshSourceUrl: row.refresh_source_url,
    refreshSchedule: row.refresh_schedule,
    nextRefreshAt: optionalDate(row.next_refresh_at),
    lastRefreshedAt: optionalDate(row.last_refreshed_at),
    lastRefreshError: row.last_refresh_error,
    currentVersionId: row.current_version_id,
    metadata: row.metadata,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    deletedAt: optionalDate(row.deleted_at),
  };
}

export function toDatasetVersion(row: VersionRow): DatasetVersion {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    userId: row.user_id,
    versionNumber: row.version_number,
    versionLabel: row.version_label,
    sourceType: row.source_type,
    originalFilename: row.original_filename,
    originalFormat: row.original_format,
    contentType: row.content_type,
    originalSizeBytes: row.original_size_bytes,
    sha256: row.sha256,
    duplicateOfVersionId: row.duplicate_of_version_id,
    rawObjectKey: row.raw_object_key,
    processedObjectKey: row.processed_object_key,
    processedSizeBytes: row.processed_size_bytes,
    rowCount: row.row_count,
    columnCount: row.column_count,
    columnsMetadata: row.columns_metadata,
    modalityMetadata: row.modality_metadata,
    csvOptions: row.csv_options ?? null,
    status: row.status,
    validationErrors: row.validation_errors,
    uploadExpiresAt: optionalDate(row.upload_expires_at),
    validatedAt: optionalDate(row.validated_at),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

export function toIngestionJob(row: IngestionJobRow): IngestionJob {
  return {
    id: row.id,
    userId: row.user_id,
    datasetId: row.dataset_id,
    datasetVersionId: row.dataset_version_id,
    sourceType: row.source_type,
    objectKey: row.object_key,
    queue: row.queue,
    messageId: row.message_id,
    dispatchClaimedAt: optionalDate(row.dispatch_claimed_at),
    idempotencyKey: row.idempotency_key,
    status: row.status,
    progressPercent: row.progress_percent,
    stage: row.stage,
    attempts: row.attempts,
    errorMessage: row.error_message,
    errorDetails: row.error_details,
    startedAt: optionalDate(row.started_at),
    completedAt: optionalDate(row.completed_at),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}
