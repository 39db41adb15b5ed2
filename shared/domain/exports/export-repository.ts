import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import { newestFirst, POSITION, positionOf, toPage } from '../../db/page-cursor';
import { jsonb, type ExportStatus } from '../../db/schema';
import { toExportRecord, type ExportRecord, type ExportSource } from './export-records';
import type { ExportedFile, ExportFormat, ExportOptions } from './export-table';

/**
 * The SQL of exports. Status moves only forward, and every write names the statuses it moves from,
 * so a late worker cannot complete an export that was deleted, failed by the sweep, or claimed by
 * another attempt: it changes nothing and learns so from the answer.
 */

export interface NewExport {
  id: string;
  userId: string;
  source: ExportSource;
  format: ExportFormat;
  options: ExportOptions;
  creditsReserved: number;
}

export async function insertExport(trx: DatabaseTransaction, input: NewExport): Promise<ExportRecord> {
  const source =
    input.source.kind === 'datasetVersion'
      ? { dataset_version_id: input.source.datasetVersionId }
      : { job_id: input.source.jobId, node_id: input.source.nodeId, port: input.source.port };
  const row = await trx
    .insertInto('exports')
    .values({
      id: input.id,
      user_id: input.userId,
      ...source,
      format: input.format,
      options: jsonb(input.options),
      status: 'queued',
      credits_reserved: input.creditsReserved,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toExportRecord(row);
}

export async function findExport(
  trx: DatabaseTransaction,
  owner: Owner,
  exportId: string,
): Promise<ExportRecord | undefined> {
  const row = await trx
    .selectFrom('exports')
    .selectAll()
    .where('id', '=', exportId)
    .where('user_id', '=', owner.userId)
    .executeTakeFirst();
  return row ? toExportRecord(row) : undefined;
}

export interface ExportFilter {
  statuses?: ExportStatus[] | undefined;
  formats?: ExportFormat[] | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** The owner's exports, newest first, one keyset page. */
export async function listExports(
  trx: DatabaseTransaction,
  owner: Owner,
  filter: ExportFilter,
): Promise<{ items: ExportRecord[]; nextCursor: string | null }> {
  let query = trx
    .selectFrom('exports')
    .selectAll()
    .select(positionOf('created_at').as(POSITION))
    .where('user_id', '=', owner.userId);
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (filter.formats?.length) query = query.where('format', 'in', filter.formats);
  const rows = await newestFirst(query, filter.cursor, filter.limit + 1).execute();
  return toPage(rows, filter.limit, toExportRecord);
}

/**
 * Takes the export for one attempt: a queued export, or a running one whose last attempt has been
 * silent for longer than `leaseMs` (it crashed or was stopped). Undefined when it is finished,
 * gone, or another attempt is alive.
 */
export async function claimExport(
  trx: DatabaseTransaction,
  exportId: string,
  now: Date,
  leaseMs: number,
): Promise<ExportRecord | undefined> {
  const expired = new Date(now.getTime() - leaseMs);
  const row = await trx
    .updateTable('exports')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      progress: 0,
      heartbeat_at: now,
      started_at: eb.fn.coalesce('started_at', sql<Date>`${now}::timestamptz`),
      error_code: null,
      error_message: null,
    }))
    .where('id', '=', exportId)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([
          eb('status', '=', 'running'),
          eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', expired)]),
        ]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
  return row ? toExportRecord(row) : undefined;
}

/** Progress of the running attempt, and its heartbeat; false when the export is no longer running. */
export async function recordExportProgress(
  trx: DatabaseTransaction,
  exportId: string,
  progress: number,
  now: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable('exports')
    .set({ progress: Math.max(0, Math.min(99, Math.floor(progress))), heartbeat_at: now })
    .where('id', '=', exportId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface CompletedExport {
  objectKey: string;
  files: ExportedFile[];
  rowCount: number;
  metadata: Record<string, unknown>;
  creditsCharged: number;
  now: Date;
}

/** Marks the running export completed with everything a download needs; false when it is no longer running. */
export async function completeExport(
  trx: DatabaseTransaction,
  exportId: string,
  done: CompletedExport,
): Promise<boolean> {
  const result = await trx
    .updateTable('exports')
    .set({
      status: 'completed',
      progress: 100,
      object_key: done.objectKey,
      file_size_bytes: done.files.reduce((sum, file) => sum + file.bytes, 0),
      files: jsonb(done.files),
      row_count: done.rowCount,
      metadata: jsonb(done.metadata),
      credits_charged: done.creditsCharged,
      heartbeat_at: done.now,
      completed_at: done.now,
    })
    .where('id', '=', exportId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Marks an unfinished export failed with a message for its owner; false when it had already finished. */
export async function failExport(
  trx: DatabaseTransaction,
  exportId: string,
  failure: { code: string; message: string; creditsCharged: number; now: Date },
): Promise<boolean> {
  const result = await trx
    .updateTable('exports')
    .set({
      status: 'failed',
      error_code: failure.code,
      error_message: failure.message,
      credits_charged: failure.creditsCharged,
      completed_at: failure.now,
    })
    .where('id', '=', exportId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Removes the owner's export row and answers what it was; undefined when there is none. */
export async function deleteExportRow(
  trx: DatabaseTransaction,
  owner: Owner,
  exportId: string,
): Promise<ExportRecord | undefined> {
  const row = await trx
    .deleteFrom('exports')
    .where('id', '=', exportId)
    .where('user_id', '=', owner.userId)
    .returningAll()
    .executeTakeFirst();
  return row ? toExportRecord(row) : undefined;
}

/** Exports in `statuses` nothing has touched since `before` (every tenant's: the sweep runs as the system). */
export async function findQuietExports(
  trx: DatabaseTransaction,
  before: Date,
  statuses: readonly Extract<ExportStatus, 'queued' | 'running'>[],
  limit: number,
): Promise<ExportRecord[]> {
  const rows = await trx
    .selectFrom('exports')
    .selectAll()
    .where('status', 'in', [...statuses])
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map(toExportRecord);
}

/** Every unfinished export (ids and owners), for the system to send again. */
export async function listUnfinishedExports(
  trx: DatabaseTransaction,
): Promise<{ exportId: string; userId: string }[]> {
  const rows = await trx
    .selectFrom('exports')
    .select(['id', 'user_id'])
    .where('status', 'in', ['queued', 'running'])
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({ exportId: row.id, userId: row.user_id }));
}
