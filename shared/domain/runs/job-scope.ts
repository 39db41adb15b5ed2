import type { Database, DatabaseTransaction } from '../../db/database';
import { withSystemScope, withTenant } from '../../db/tenant';

/**
 * The run's control plane (state machine tasks, node hosts) is handed a job id and no caller. It
 * looks up the owner once across tenants, then does all its work as that owner, so row-level
 * security still holds for every row it reads or writes.
 */
export async function findJobOwner(db: Database, jobId: string): Promise<string | undefined> {
  const row = await withSystemScope(db, 'schedule.pipeline-run.owner', (trx) =>
    trx.selectFrom('jobs').select('user_id').where('id', '=', jobId).executeTakeFirst(),
  );
  return row?.user_id;
}

/** Runs `work` as the job's owner; `undefined` when the job no longer exists. */
export async function asJobOwner<T>(
  db: Database,
  jobId: string,
  work: (trx: DatabaseTransaction, userId: string) => Promise<T>,
): Promise<T | undefined> {
  const userId = await findJobOwner(db, jobId);
  if (!userId) return undefined;
  return withTenant(db, { userId, role: 'user' }, (trx) => work(trx, userId));
}
