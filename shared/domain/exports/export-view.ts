import * as z from 'zod';
import { EXPORT_STATUSES } from '../../db/schema';
import type { ExportRecord } from './export-records';
import { EXPORT_FORMATS } from './export-table';

/** An export as the API shows it: what it exports, how far it got, what it wrote and where to download it. */
const exportFileSchema = z.object({
  relativePath: z
    .string()
    .meta({ description: 'Path of the file inside the export (`data/train-00000-of-00001.parquet`)' }),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  rows: z.number().int().nullable(),
  contentType: z.string(),
  downloadUrl: z.string().meta({ description: 'The API route that answers a presigned link to this file' }),
});

export const exportViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(EXPORT_STATUSES),
    progress: z.number().int().meta({ description: '0–100' }),
    format: z.enum(EXPORT_FORMATS),
    source: z.union([
      z.object({ datasetVersionId: z.string() }),
      z.object({ jobId: z.string(), nodeId: z.string(), port: z.string() }),
    ]),
    options: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The options, with their defaults applied' }),
    path: z
      .string()
      .nullable()
      .meta({ description: 'Where the files are stored (`exports/{user}/{export}/`), once completed' }),
    sizeBytes: z.number().int().nullable().meta({ description: 'All files together, once completed' }),
    rowCount: z.number().int().nullable(),
    files: z.array(exportFileSchema),
    metadata: z.record(z.string(), z.unknown()).meta({
      description: 'What a reader needs besides the files: columns and types, splits, label classes',
    }),
    downloadUrl: z.string().nullable().meta({
      description: 'The API route that answers a presigned link (add `?file=` for one of several files)',
    }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    credits: z.object({
      reserved: z.number().int().meta({ description: 'Held when the export was created' }),
      charged: z.number().int().nullable().meta({ description: 'What left the balance, once it ended' }),
    }),
    attempts: z.number().int(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
  })
  .meta({ id: 'Export' });

export type ExportView = z.infer<typeof exportViewSchema>;

/** `origin` (`https://api…`) makes the download links absolute; without it they are paths. */
export function toExportView(record: ExportRecord, origin = ''): ExportView {
  const route = `${origin}/exports/${record.id}/download`;
  const completed = record.status === 'completed';
  return {
    id: record.id,
    status: record.status,
    progress: record.progress,
    format: record.format,
    source:
      record.source.kind === 'datasetVersion'
        ? { datasetVersionId: record.source.datasetVersionId }
        : { jobId: record.source.jobId, nodeId: record.source.nodeId, port: record.source.port },
    options: { ...record.options },
    path: completed ? record.objectKey : null,
    sizeBytes: completed ? record.sizeBytes : null,
    rowCount: record.rowCount,
    files: record.files.map((file) => ({
      relativePath: file.relativePath,
      sizeBytes: file.bytes,
      sha256: file.sha256,
      rows: file.rows ?? null,
      contentType: file.contentType,
      downloadUrl: `${route}?file=${encodeURIComponent(file.relativePath)}`,
    })),
    metadata: record.metadata,
    downloadUrl: completed ? route : null,
    error: record.errorCode ? { code: record.errorCode, message: record.errorMessage ?? '' } : null,
    credits: { reserved: record.creditsReserved, charged: record.creditsCharged },
    attempts: record.attempts,
    createdAt: record.createdAt.toISOString(),
    startedAt: record.startedAt?.toISOString() ?? null,
    completedAt: record.completedAt?.toISOString() ?? null,
  };
}
