import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb, textArray } from '../../db/schema';
import type { ArrivalSource, DatasetVersionStatus, JsonValue, Modality, TaskType } from '../../db/schema';
import { toDataset } from './dataset-records';
import type { Dataset } from './dataset-records';
import type { Tier } from './tier-limits';
import { escapeLike } from '../../db/escape-like';
import { POSITION, positionOf, newestFirst } from '../../db/page-cursor';

/**
 * SQL for datasets. Functions run inside the caller's `withTenant` scope; the two named
 * `…AcrossTenants` are sweeps that run under `withSystemScope` (refresh, purge).
 */

export interface NewDataset {
  userId: string;
  name: string;
  description?: string | null;
  modality: Modality;
  problemType?: TaskType | null;
  targetColumn?: string | null;
  tags?: string[];
  sourceType?: ArrivalSource;
  metadata?: Record<string, JsonValue>;
}

export async function insertDataset(trx: DatabaseTransaction, input: NewDataset): Promise<Dataset> {
  const row = await trx
    .insertInto('datasets')
    .values({
      user_id: input.userId,
      name: input.name,
      description: input.description ?? null,
      modality: input.modality,
      problem_type: input.problemType ?? null,
      target_column: input.targetColumn ?? null,
      tags: textArray(input.tags ?? []),
      source_type: input.sourceType ?? 'upload',
      ...(input.metadata ? { metadata: jsonb(input.metadata) } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toDataset(row);
}

export async function findDataset(
  trx: DatabaseTransaction,
  ids: { userId: string; datasetId: string },
  options: { forUpdate?: boolean } = {},
): Promise<Dataset | undefined> {
  let query = trx
    .selectFrom('datasets')
    .selectAll()
    .where('id', '=', ids.datasetId)
    .where('user_id', '=', ids.userId)
    .where('deleted_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toDataset(row) : undefined;
}

export async function findDatasetByName(
  trx: DatabaseTransaction,
  ids: { userId: string; name: string },
): Promise<Dataset | undefined> {
  const row = await trx
    .selectFrom('datasets')
    .selectAll()
    .where('user_id', '=', ids.userId)
    .where(sql<string>`lower(name)`, '=', ids.name.toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? toDataset(row) : undefined;
}

export interface DatasetListFilter {
  userId: string;
  modality?: Modality;
  tag?: string;
  /** Status of the dataset's newest version; `empty` = no version yet. */
  status?: DatasetVersionStatus | 'empty';
  /** Case-insensitive substring of the name. */
  search?: string;
  limit: number;
  /** A cursor of a previous page (`toPage`); invalid ones are a 400. */
  cursor?: string;
}

export interface DatasetListItem extends Dataset {
  latestVersion: { versionNumber: number; status: DatasetVersionStatus } | null;
  /** For the next page's cursor (`toPage`). */
  [POSITION]: string;
}

/** Newest first; keyset pagination on (created_at, id). Returns up to `limit + 1` rows so callers know if more exist. */
export async function listDatasets(
  trx: DatabaseTransaction,
  filter: DatasetListFilter,
): Promise<DatasetListItem[]> {
  const latestStatus = sql<DatasetVersionStatus | null>`(select lv.status from dataset_versions lv where lv.dataset_id = d.id order by lv.version_number desc limit 1)`;
  let query = trx
    .selectFrom('datasets as d')
    .selectAll('d')
    .select(positionOf('d.created_at').as(POSITION))
    .select((eb) => [
      eb
        .selectFrom('dataset_versions as lv')
        .select('lv.version_number')
        .whereRef('lv.dataset_id', '=', 'd.id')
        .orderBy('lv.version_number', 'desc')
        .limit(1)
        .as('latest_version_number'),
      eb
        .selectFrom('dataset_versions as lv')
        .select('lv.status')
        .whereRef('lv.dataset_id', '=', 'd.id')
        .orderBy('lv.version_number', 'desc')
        .limit(1)
        .as('latest_version_status'),
    ])
    .where('d.user_id', '=', filter.userId)
    .where('d.deleted_at', 'is', null);
  if (filter.modality) query = query.where('d.modality', '=', filter.modality);
  if (filter.tag) query = query.where(sql<boolean>`d.tags @> ${textArray([filter.tag])}`);
  if (filter.search) query = query.where('d.name', 'ilike', `%${escapeLike(filter.search)}%`);
  if (filter.status === 'empty') {
    query = query.where(latestStatus, 'is', null);
  } else if (filter.status) {
    query = query.where(latestStatus, '=', filter.status);
  }
  const rows = await newestFirst(query, filter.cursor, filter.limit + 1, {
    createdAt: 'd.created_at',
    id: 'd.id',
  }).execute();
  return rows.map((row) => {
    const {
      latest_version_number: versionNumber,
      latest_version_status: status,
      [POSITION]: position,
      ...datasetRow
    } = row;
    return {
      ...toDataset(datasetRow),
      [POSITION]: position,
      latestVersion: versionNumber !== null && status !== null ? { versionNumber, status } : null,
    };
  });
}

export interface DatasetChanges {
  name?: string;
  description?: string | null;
  problemType?: TaskType | null;
  targetColumn?: string | null;
  tags?: string[];
  refresh?: {
    sourceUrl: string | null;
    schedule: string | null;
    rerunPipelines?: boolean;
    nextRefreshAt: Date | null;
  };
}

export async function updateDataset(
  trx: DatabaseTransaction,
  ids: { userId: string; datasetId: string },
  changes: DatasetChanges,
): Promise<Dataset | undefined> {
  const refresh = changes.refresh;
  const row = await trx
    .updateTable('datasets')
    .set({
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.description === undefined ? {} : { description: changes.description }),
      ...(changes.problemType === undefined ? {} : { problem_type: changes.problemType }),
      ...(changes.targetColumn === undefined ? {} : { target_column: changes.targetColumn }),
      ...(changes.tags === undefined ? {} : { tags: textArray(changes.tags) }),
      ...(refresh === undefined
        ? {}
        : {
            refresh_source_url: refresh.sourceUrl,
            refresh_schedule: refresh.schedule,
            next_refresh_at: refresh.nextRefreshAt,
            last_refresh_error: null,
            ...(refresh.rerunPipelines === undefined
              ? {}
              : { refresh_rerun_pipelines: refresh.rerunPipelines }),
          }),
    })
    .where('id', '=', ids.datasetId)
    .where('user_id', '=', ids.userId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? toDataset(row) : undefined;
}

/** Soft delete: the name is free again, counters and storage drop (database triggers); objects go at purge. */
export async function softDeleteDataset(
  trx: DatabaseTransaction,
  ids: { userId: string; datasetId: string },
): Promise<Dataset | undefined> {
  const row = await trx
    .updateTable('datasets')
    .set({ deleted_at: sql<Date>`now()`, next_refresh_at: null })
    .where('id', '=', ids.datasetId)
    .where('user_id', '=', ids.userId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? toDataset(row) : undefined;
}

export interface UserUsage {
  userId: string;
  tier: Tier;
  datasetCount: number;
  storageUsedBytes: number;
  isActive: boolean;
}

/** The caller's tier and counters (maintained by triggers), locked so concurrent requests check in turn. */
export async function readUserUsage(
  trx: DatabaseTransaction,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<UserUsage | undefined> {
  let query = trx
    .selectFrom('users')
    .select(['id', 'tier', 'dataset_count', 'storage_used_bytes', 'is_active'])
    .where('id', '=', userId)
    .where('deleted_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return {
    userId: row.id,
    tier: row.tier,
    datasetCount: row.dataset_count,
    storageUsedBytes: row.storage_used_bytes,
    isActive: row.is_active,
  };
}

/** Datasets whose refresh is due, across all tenants (the refresh sweep's system query). */
export async function listDueRefreshesAcrossTenants(
  trx: DatabaseTransaction,
  now: Date,
  limit: number,
): Promise<Dataset[]> {
  const rows = await trx
    .selectFrom('datasets')
    .selectAll()
    .where('refresh_source_url', 'is not', null)
    .where('deleted_at', 'is', null)
    .where('next_refresh_at', '<=', now)
    .orderBy('next_refresh_at')
    .limit(limit)
    .execute();
  return rows.map(toDataset);
}

export async function recordRefreshOutcome(
  trx: DatabaseTransaction,
  input: { datasetId: string; nextRefreshAt: Date | null; error: string | null; refreshedAt: Date | null },
): Promise<void> {
  await trx
    .updateTable('datasets')
    .set({
      next_refresh_at: input.nextRefreshAt,
      last_refresh_error: input.error,
      ...(input.refreshedAt ? { last_refreshed_at: input.refreshedAt } : {}),
    })
    .where('id', '=', input.datasetId)
    .execute();
}

/** Soft-deleted datasets older than the cutoff, across all tenants (the purge's system query). */
export async function listPurgeableDatasetsAcrossTenants(
  trx: DatabaseTransaction,
  deletedBefore: Date,
  limit: number,
): Promise<{ id: string; userId: string }[]> {
  const rows = await trx
    .selectFrom('datasets')
    .select(['id', 'user_id'])
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '<', deletedBefore)
    .orderBy('deleted_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, userId: row.user_id }));
}

/** Hard delete of a soft-deleted dataset; versions, jobs, reports go with it (cascades). */
export async function deleteSoftDeletedDataset(
  trx: DatabaseTransaction,
  ids: { userId: string; datasetId: string },
): Promise<boolean> {
  const result = await trx
    .deleteFrom('datasets')
    .where('id', '=', ids.datasetId)
    .where('user_id', '=', ids.userId)
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
