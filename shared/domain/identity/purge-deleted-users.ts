import { sql } from 'kysely';
import { recordAudit } from './audit/record-audit';
import { withSystemScope } from '../../db/tenant';
import type { Services } from '../../ports/services';
import { objectKeys } from '../../storage/object-keys';
import { ACCOUNT_RESTORE_DAYS } from './account-retention';

export interface PurgeReport {
  purgedUserIds: string[];
  deletedObjects: number;
  /** Accounts kept as anonymised rows because the credit ledger refers to them. */
  anonymisedUserIds: string[];
}

/**
 * Deletes accounts soft-deleted more than 30 days ago: first their objects (every prefix the
 * user owns in the bucket), then their rows. The `users` row goes with everything that cascades
 * from it; when the credit ledger (append-only, kept for accounting) refers to the user, the row
 * is anonymised instead and all other data removed. A failure leaves the account for the next run,
 * which starts again from the objects (deleting them twice is harmless).
 */
export async function purgeDeletedUsers(
  services: Services,
  options: { batchSize?: number } = {},
): Promise<PurgeReport> {
  const now = services.clock.now();
  const cutoff = new Date(now.getTime() - ACCOUNT_RESTORE_DAYS * 24 * 3600 * 1000);
  const due = await withSystemScope(services.db, 'schedule.purge-deleted', (trx) =>
    trx
      .selectFrom('users')
      .select('id')
      .where('deleted_at', 'is not', null)
      .where('deleted_at', '<', cutoff)
      .where('email', 'not like', 'purged+%')
      .orderBy('deleted_at')
      .limit(options.batchSize ?? 100)
      .execute(),
  );

  const report: PurgeReport = { purgedUserIds: [], deletedObjects: 0, anonymisedUserIds: [] };
  for (const { id } of due) {
    try {
      for (const prefix of objectKeys.userPrefixes(id))
        report.deletedObjects += await services.blobs.deletePrefix(prefix);
      const outcome = await purgeRows(services, id, cutoff);
      if (outcome === 'deleted') report.purgedUserIds.push(id);
      if (outcome === 'anonymised') report.anonymisedUserIds.push(id);
    } catch (error) {
      services.logger.error('purging a deleted account failed; the next run retries it', {
        userId: id,
        error,
      });
    }
  }
  return report;
}

async function purgeRows(
  services: Services,
  userId: string,
  cutoff: Date,
): Promise<'deleted' | 'anonymised' | 'skipped'> {
  return withSystemScope(services.db, 'schedule.purge-deleted', async (trx) => {
    // Re-checked under a lock: the account may have been restored since the batch was read.
    const user = await trx
      .selectFrom('users')
      .select(['id', 'deleted_at'])
      .where('id', '=', userId)
      .forUpdate()
      .executeTakeFirst();
    if (!user?.deleted_at || user.deleted_at >= cutoff) return 'skipped';
    await recordAudit(trx, {
      actorId: null,
      action: 'account.purge',
      resourceType: 'user',
      resourceId: userId,
    });

    const ledger = await trx
      .selectFrom('credit_transactions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    if (ledger.n === 0) {
      await trx.deleteFrom('users').where('id', '=', userId).execute();
      return 'deleted';
    }

    // Ledger rows (and the jobs and snapshots they point at) stay; everything else goes.
    for (const table of [
      'datasets',
      'models',
      'experiments',
      'api_keys',
      'refresh_tokens',
      'user_tutorial_progress',
    ] as const) {
      await trx.deleteFrom(table).where('user_id', '=', userId).execute();
    }
    await trx.deleteFrom('pipelines').where('user_id', '=', userId).execute();
    await trx
      .deleteFrom('jobs')
      .where('user_id', '=', userId)
      .where(
        'id',
        'not in',
        trx.selectFrom('credit_transactions').select('job_id').where('job_id', 'is not', null),
      )
      .execute();
    await trx
      .updateTable('users')
      .set({
        email: `purged+${userId}@deleted.invalid`,
        password_hash: '!',
        full_name: '',
        is_active: false,
        email_verified: false,
      })
      .where('id', '=', userId)
      .execute();
    return 'anonymised';
  });
}
