import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../../db/database';
import type { JsonbExpression, JsonValue } from '../../../db/schema';
import { withSystemScope, withTenant } from '../../../db/tenant';
import type { Services } from '../../../ports/services';
import { refreshScheduleName } from './refresh-source';

/**
 * Per-dataset refresh schedules follow the database, never the other way round. A dataset's
 * Scheduler schedule should exist exactly while it has a refresh source and is not deleted; the
 * expression the Scheduler was last told is kept in `metadata.refreshScheduleSynced`, so a
 * dataset whose settings and schedule differ (a PATCH whose Scheduler call failed, a delete, a
 * dataset from before schedules were synced) is found by one query. Reconciling is idempotent:
 * PATCH and DELETE try at once, and the refresh sweep (daily in AWS, every 15 minutes locally)
 * repairs whatever they could not do.
 */
export type ScheduleSyncServices = Pick<Services, 'db' | 'scheduler' | 'logger'>;

const SYNCED_KEY = 'refreshScheduleSynced';

/** What the Scheduler should hold for a dataset row: its schedule, or nothing. */
const desiredSql = sql<
  string | null
>`case when deleted_at is null and refresh_source_url is not null then refresh_schedule end`;

export type ScheduleSyncOutcome = 'upserted' | 'deleted';

/**
 * Makes one dataset's schedule match its row. The row stays locked across the Scheduler call, so
 * two reconciles of one dataset (two PATCHes, a PATCH and the sweep) apply in the order of the
 * changes they read, and the last one to run has seen the latest.
 */
export async function reconcileRefreshSchedule(
  services: ScheduleSyncServices,
  ids: { userId: string; datasetId: string },
): Promise<ScheduleSyncOutcome> {
  const name = refreshScheduleName(ids.datasetId);
  return withTenant(services.db, { userId: ids.userId, role: 'user' }, async (trx) => {
    const row = await trx
      .selectFrom('datasets')
      .select(['id', desiredSql.as('desired')])
      .where('id', '=', ids.datasetId)
      .where('user_id', '=', ids.userId)
      .forUpdate()
      .executeTakeFirst();
    const desired = row?.desired ?? null;
    if (desired) {
      await services.scheduler.upsertSchedule({
        name,
        expression: desired,
        payload: { kind: 'dataset-refresh', datasetId: ids.datasetId, userId: ids.userId },
      });
    } else {
      await services.scheduler.deleteSchedule(name);
    }
    if (row) await markSynced(trx, ids.datasetId, desired);
    return desired ? 'upserted' : 'deleted';
  });
}

/** Reconciles at once where a change was just committed; a failure is left to the sweep. */
export async function tryReconcileRefreshSchedule(
  services: ScheduleSyncServices,
  ids: { userId: string; datasetId: string },
): Promise<void> {
  try {
    await reconcileRefreshSchedule(services, ids);
  } catch (error) {
    services.logger.warn('refresh schedule not synced; the refresh sweep retries', {
      datasetId: ids.datasetId,
      error,
    });
  }
}

/** The sweep: every dataset whose schedule may differ from its settings, each on its own. */
export async function reconcileRefreshSchedules(
  services: ScheduleSyncServices,
  options: { limit?: number } = {},
): Promise<{ datasetId: string; outcome: ScheduleSyncOutcome | 'failed' }[]> {
  const pending = await withSystemScope(services.db, 'schedule.refresh-datasets', (trx) =>
    trx
      .selectFrom('datasets')
      .select(['id', 'user_id'])
      .where(sql<boolean>`(${desiredSql}) is distinct from (metadata ->> ${SYNCED_KEY})`)
      .orderBy('id')
      .limit(options.limit ?? 500)
      .execute(),
  );
  const results: { datasetId: string; outcome: ScheduleSyncOutcome | 'failed' }[] = [];
  for (const { id, user_id: userId } of pending) {
    try {
      results.push({
        datasetId: id,
        outcome: await reconcileRefreshSchedule(services, { userId, datasetId: id }),
      });
    } catch (error) {
      services.logger.error('refresh schedule not synced', { datasetId: id, error });
      results.push({ datasetId: id, outcome: 'failed' });
    }
  }
  return results;
}

async function markSynced(
  trx: DatabaseTransaction,
  datasetId: string,
  expression: string | null,
): Promise<void> {
  await trx
    .updateTable('datasets')
    .set({
      metadata:
        sql<JsonValue>`metadata || ${JSON.stringify({ [SYNCED_KEY]: expression })}::jsonb` as JsonbExpression,
    })
    .where('id', '=', datasetId)
    .execute();
}
