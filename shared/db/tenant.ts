import { sql } from 'kysely';
import type { Database, DatabaseTransaction } from './database';

/**
 * Every query on tenant-owned tables runs through `withTenant`: one transaction in which the
 * caller is set with `set_config(..., true)` (transaction-local, so a pooled connection or a Data
 * API transaction never carries it over). Row-level security policies read these settings, so a
 * repository bug that forgets a `where user_id = …` still cannot reach another tenant's rows.
 */
export interface TenantScope {
  userId: string;
  role: 'user' | 'admin';
}

export const TENANT_SETTING = 'pipeweave.user_id';
export const ROLE_SETTING = 'pipeweave.role';

export async function withTenant<T>(
  db: Database,
  scope: TenantScope,
  work: (trx: DatabaseTransaction) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await applyTenantScope(trx, scope);
    return work(trx);
  });
}

/** Sets the tenant on an already open transaction. */
export async function applyTenantScope(trx: DatabaseTransaction, scope: TenantScope): Promise<void> {
  await sql`select set_config(${TENANT_SETTING}, ${scope.userId}, true), set_config(${ROLE_SETTING}, ${scope.role}, true)`.execute(
    trx,
  );
}
