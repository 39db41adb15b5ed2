import { sql } from 'kysely';
import type { Database, DatabaseTransaction } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import type { ResourceReadType } from '../../db/schema';
import type { Logger } from '../../observability/logger';

/**
 * Records that the caller read a resource of theirs, so a tutorial step that asks them to read it
 * (a profile, a leaderboard, an experiment, a job's results) completes when they have, not when
 * the resource merely exists. Called by the read routes after the read succeeded, in the caller's
 * tenant scope: one row per user and resource, the first and last read and how many.
 */
export async function recordRead(
  db: Database,
  owner: Owner,
  resourceType: ResourceReadType,
  resourceId: string,
): Promise<void> {
  await withOwner(db, owner, (trx) => upsertRead(trx, owner, resourceType, resourceId));
}

/**
 * Runs a read's bookkeeping after the read succeeded: a failure to record it is logged, never
 * turned into a failed read (the caller already has the answer they asked for).
 */
export async function noteRead(logger: Pick<Logger, 'warn'>, record: () => Promise<void>): Promise<void> {
  try {
    await record();
  } catch (error) {
    logger.warn('a read was answered but could not be recorded', { error });
  }
}

/** `recordRead` of a version's profile, the version named as the route names it. */
export async function recordProfileRead(
  db: Database,
  owner: Owner,
  datasetId: string,
  versionNumber: number,
): Promise<void> {
  await withOwner(db, owner, async (trx) => {
    const version = await trx
      .selectFrom('dataset_versions')
      .select('id')
      .where('dataset_id', '=', datasetId)
      .where('version_number', '=', versionNumber)
      .where('user_id', '=', owner.userId)
      .executeTakeFirst();
    if (version) await upsertRead(trx, owner, 'profile', version.id);
  });
}

async function upsertRead(
  trx: DatabaseTransaction,
  owner: Owner,
  resourceType: ResourceReadType,
  resourceId: string,
): Promise<void> {
  await trx
    .insertInto('user_resource_reads')
    .values({ user_id: owner.userId, resource_type: resourceType, resource_id: resourceId })
    .onConflict((oc) =>
      oc.columns(['user_id', 'resource_type', 'resource_id']).doUpdateSet({
        last_read_at: sql<Date>`now()`,
        read_count: sql<number>`user_resource_reads.read_count + 1`,
      }),
    )
    .execute();
}
