import * as z from 'zod';
import type { ExportStatus, ExportsTable } from '../../db/schema';
import type { Selectable } from 'kysely';
import { asRecord } from '../../kernel/as-record';
import {
  EXPORT_FORMATS,
  exportOptionsSchema,
  type ExportedFile,
  type ExportFormat,
  type ExportOptions,
} from './export-table';

/** An export as the domain sees it: its source, what was asked, how far it got and what it wrote. */
export type ExportSource =
  | { kind: 'datasetVersion'; datasetVersionId: string }
  | { kind: 'jobOutput'; jobId: string; nodeId: string; port: string };

export interface ExportRecord {
  id: string;
  userId: string;
  source: ExportSource;
  format: ExportFormat;
  options: ExportOptions;
  status: ExportStatus;
  progress: number;
  /** The export's prefix once completed (`exports/{user}/{export}/`). */
  objectKey: string | null;
  sizeBytes: number | null;
  rowCount: number | null;
  files: ExportedFile[];
  metadata: Record<string, unknown>;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  heartbeatAt: Date | null;
  creditsReserved: number;
  creditsCharged: number | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  updatedAt: Date;
}

const exportedFileSchema = z.object({
  relativePath: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  rows: z.number().optional(),
  contentType: z.string(),
});

const formatSchema = z.enum(EXPORT_FORMATS);

/** Rows are parsed before they become records: a row the code cannot read fails loudly here. */
export function toExportRecord(row: Selectable<ExportsTable>): ExportRecord {
  const source: ExportSource = row.dataset_version_id
    ? { kind: 'datasetVersion', datasetVersionId: row.dataset_version_id }
    : {
        kind: 'jobOutput',
        jobId: z.string().parse(row.job_id),
        nodeId: z.string().parse(row.node_id),
        port: z.string().parse(row.port),
      };
  const format = formatSchema.parse(row.format);
  return {
    id: row.id,
    userId: row.user_id,
    source,
    format,
    options: exportOptionsSchema(format).parse(row.options),
    status: row.status,
    progress: Number(row.progress),
    objectKey: row.object_key,
    sizeBytes: row.file_size_bytes === null ? null : Number(row.file_size_bytes),
    rowCount: row.row_count === null ? null : Number(row.row_count),
    files: z.array(exportedFileSchema).parse(row.files),
    metadata: asRecord(row.metadata) ?? {},
    errorCode: row.error_code,
    errorMessage: row.error_message,
    attempts: Number(row.attempts),
    heartbeatAt: row.heartbeat_at,
    creditsReserved: Number(row.credits_reserved),
    creditsCharged: row.credits_charged === null ? null : Number(row.credits_charged),
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    updatedAt: row.updated_at,
  };
}
