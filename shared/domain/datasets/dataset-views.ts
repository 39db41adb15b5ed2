import * as z from 'zod';
import {
  ARRIVAL_SOURCES,
  DATASET_VERSION_FORMATS,
  DATASET_VERSION_STATUSES,
  INGESTION_JOB_STATUSES,
  MODALITIES,
  TASK_TYPES,
} from '../../db/schema';
import type { Dataset, DatasetVersion, IngestionJob } from './dataset-records';
import type { DatasetListItem } from './dataset-repository';

/**
 * What the API answers about datasets and versions: the JSON shapes (documented in the OpenAPI
 * document through these schemas) and the mapping from domain records.
 */

const json = z.unknown();

export const datasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    modality: z.enum(MODALITIES),
    problemType: z.enum(TASK_TYPES).nullable(),
    targetColumn: z.string().nullable(),
    tags: z.array(z.string()),
    sourceType: z.enum(ARRIVAL_SOURCES),
    refresh: z
      .object({
        sourceUrl: z.string(),
        schedule: z.string().nullable(),
        nextRefreshAt: z.string().nullable(),
        lastRefreshedAt: z.string().nullable(),
        lastRefreshError: z.string().nullable(),
      })
      .nullable(),
    currentVersionId: z.string().nullable(),
    latestVersion: z
      .object({ versionNumber: z.number().int(), status: z.enum(DATASET_VERSION_STATUSES) })
      .nullable()
      .optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Dataset' });

export const ingestionProgressSchema = z
  .object({
    jobId: z.string(),
    status: z.enum(INGESTION_JOB_STATUSES),
    percent: z.number().int().min(0).max(100),
    stage: z.string().nullable(),
    attempts: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: 'IngestionProgress' });

export const datasetVersionSchema = z
  .object({
    id: z.string(),
    datasetId: z.string(),
    version: z.number().int(),
    label: z.string().nullable(),
    status: z.enum(DATASET_VERSION_STATUSES),
    sourceType: z.enum(ARRIVAL_SOURCES),
    fileName: z.string(),
    format: z.enum(DATASET_VERSION_FORMATS),
    contentType: z.string().nullable(),
    sizeBytes: z.number().nullable(),
    sha256: z.string().nullable(),
    duplicateOfVersionId: z.string().nullable(),
    rowCount: z.number().nullable(),
    columnCount: z.number().nullable(),
    columns: json.nullable(),
    modalityMetadata: json,
    csvOptions: json
      .nullable()
      .describe(
        'Parse options given for a CSV or TSV file (at upload or with a re-ingest); the options used, detected or given, are in modalityMetadata.csv.',
      ),
    validationErrors: json.nullable(),
    ingestion: ingestionProgressSchema.nullable(),
    uploadExpiresAt: z.string().nullable(),
    validatedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'DatasetVersion' });

export type DatasetView = z.infer<typeof datasetSchema>;
export type DatasetVersionView = z.infer<typeof datasetVersionSchema>;

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export function datasetView(dataset: Dataset | DatasetListItem): DatasetView {
  return {
    id: dataset.id,
    name: dataset.name,
    description: dataset.description,
    modality: dataset.modality,
    problemType: dataset.problemType,
    targetColumn: dataset.targetColumn,
    tags: dataset.tags,
    sourceType: dataset.sourceType,
    refresh: dataset.refreshSourceUrl
      ? {
          sourceUrl: dataset.refreshSourceUrl,
          schedule: dataset.refreshSchedule,
          nextRefreshAt: iso(dataset.nextRefreshAt),
          lastRefreshedAt: iso(dataset.lastRefreshedAt),
          lastRefreshError: dataset.lastRefreshError,
        }
      : null,
    currentVersionId: dataset.currentVersionId,
    ...('latestVersion' in dataset ? { latestVersion: dataset.latestVersion } : {}),
    createdAt: dataset.createdAt.toISOString(),
    updatedAt: dataset.updatedAt.toISOString(),
  };
}

export function datasetVersionView(
  version: DatasetVersion,
  job: IngestionJob | undefined,
): DatasetVersionView {
  return {
    id: version.id,
    datasetId: version.datasetId,
    version: version.versionNumber,
    label: version.versionLabel,
    status: version.status,
    sourceType: version.sourceType,
    fileName: version.originalFilename,
    format: version.originalFormat,
    contentType: version.contentType,
    sizeBytes: version.originalSizeBytes,
    sha256: version.sha256,
    duplicateOfVersionId: version.duplicateOfVersionId,
    rowCount: version.rowCount,
    columnCount: version.columnCount,
    columns: version.columnsMetadata,
    modalityMetadata: version.modalityMetadata,
    csvOptions: version.csvOptions,
    validationErrors: version.validationErrors,
    ingestion: job
      ? {
          jobId: job.id,
          status: job.status,
          percent: job.progressPercent,
          stage: job.stage,
          attempts: job.attempts,
          error: job.errorMessage,
        }
      : null,
    uploadExpiresAt: iso(version.uploadExpiresAt),
    validatedAt: iso(version.validatedAt),
    createdAt: version.createdAt.toISOString(),
    updatedAt: version.updatedAt.toISOString(),
  };
}
