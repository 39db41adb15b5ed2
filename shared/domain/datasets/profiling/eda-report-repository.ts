import type { Selectable } from 'kysely';
import type { DatabaseTransaction } from '../../../db/database';
import { jsonb, type EdaReportsTable, type JsonValue } from '../../../db/schema';
import type { BlobStore } from '../../../ports/blob-store.port';
import { objectKeys } from '../../../storage/object-keys';
import { dataApiJsonBytes, ROW_JSON_BUDGET_BYTES } from '../../../kernel/bounded-json';
import {
  profileReportSchema,
  SUMMARY_LIMIT_BYTES,
  summarizeProfile,
  type ProfileReport,
  type ProfileSummary,
} from './profile-report';

/**
 * EDA reports: the summary always in Postgres; the full report in Postgres when small, else in the
 * object store at `objectKeys.edaReport` (the table's CHECKs allow either).
 * Functions taking a transaction run inside `withTenant`.
 *
 * "Small" is what the Data API can hand back: it returns no row over 64 KB, so a report stored in
 * Postgres above that could be written but never read in AWS. The report's JSON (measured as the
 * Data API returns it, escapes included) stays under POSTGRES_REPORT_LIMIT_BYTES and the summary
 * under SUMMARY_LIMIT_BYTES, so the row stays within ROW_JSON_BUDGET_BYTES.
 */
export const POSTGRES_REPORT_LIMIT_BYTES = ROW_JSON_BUDGET_BYTES - SUMMARY_LIMIT_BYTES;

export interface ReportPlacement {
  summary: ProfileSummary;
  sizeBytes: number;
  location: 'postgres' | 's3';
  report: ProfileReport;
  bucket?: string;
  key?: string;
}

export interface VersionRef {
  userId: string;
  datasetId: string;
  datasetVersionId: string;
  versionNumber: number;
}

/** Decides where the report goes and, for a large one, writes it to the object store (outside any transaction). */
export async function placeProfileReport(
  blobs: BlobStore,
  ref: VersionRef,
  report: ProfileReport,
): Promise<ReportPlacement> {
  const body = JSON.stringify(report);
  const sizeBytes = Buffer.byteLength(body);
  const summary = summarizeProfile(report);
  if (dataApiJsonBytes(report) <= POSTGRES_REPORT_LIMIT_BYTES)
    return { summary, sizeBytes, location: 'postgres', report };
  const key = objectKeys.edaReport(ref.userId, ref.datasetId, ref.versionNumber);
  await blobs.put(key, body, { contentType: 'application/json' });
  return { summary, sizeBytes, location: 's3', report, bucket: blobs.bucket, key };
}

/** Replaces the version's report (a retried message writes it again). */
export async function saveEdaReport(
  trx: DatabaseTransaction,
  ref: VersionRef,
  placement: ReportPlacement,
  generationTimeSeconds: number,
): Promise<void> {
  await trx.deleteFrom('eda_reports').where('dataset_version_id', '=', ref.datasetVersionId).execute();
  await trx
    .insertInto('eda_reports')
    .values({
      user_id: ref.userId,
      dataset_id: ref.datasetId,
      dataset_version_id: ref.datasetVersionId,
      status: 'completed',
      summary: jsonb(placement.summary),
      report_size_bytes: placement.sizeBytes,
      storage_location: placement.location,
      full_report: placement.location === 'postgres' ? jsonb(placement.report) : null,
      s3_bucket: placement.bucket ?? null,
      s3_key: placement.key ?? null,
      report_version: placement.report.reportVersion,
      generation_time_seconds: generationTimeSeconds,
    })
    .execute();
}

export type EdaReportRow = Selectable<EdaReportsTable>;

export async function findEdaReport(
  trx: DatabaseTransaction,
  datasetVersionId: string,
): Promise<EdaReportRow | undefined> {
  return trx
    .selectFrom('eda_reports')
    .selectAll()
    .where('dataset_version_id', '=', datasetVersionId)
    .where('status', '=', 'completed')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** A duplicate upload shares the canonical version's report (same body, or the same object). */
export async function copyEdaReport(
  trx: DatabaseTransaction,
  from: EdaReportRow,
  to: Omit<VersionRef, 'versionNumber'>,
): Promise<void> {
  await trx.deleteFrom('eda_reports').where('dataset_version_id', '=', to.datasetVersionId).execute();
  await trx
    .insertInto('eda_reports')
    .values({
      user_id: to.userId,
      dataset_id: to.datasetId,
      dataset_version_id: to.datasetVersionId,
      status: 'completed',
      summary: jsonb(from.summary),
      report_size_bytes: from.report_size_bytes,
      storage_location: from.storage_location,
      full_report: from.full_report === null ? null : jsonb(from.full_report),
      s3_bucket: from.s3_bucket,
      s3_key: from.s3_key,
      report_version: from.report_version,
      generation_time_seconds: 0,
    })
    .execute();
}

/** The full report, wherever it is kept, parsed. */
export async function loadFullReport(blobs: BlobStore, row: EdaReportRow): Promise<ProfileReport> {
  let value: JsonValue | unknown = row.full_report;
  if (row.storage_location === 's3' && row.s3_key) {
    value = JSON.parse(Buffer.from(await blobs.getBytes(row.s3_key)).toString('utf8')) as unknown;
  }
  return profileReportSchema.parse(value);
}
