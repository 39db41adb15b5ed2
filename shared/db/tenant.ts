import { sql } from 'kysely';
import type { Caller } from '../kernel/request-context';
import type { Database, DatabaseTransaction } from './database';

/**
 * Every query on tenant-owned tables runs through `withTenant`: one transaction in which the
 * caller is set with `set_config(..., true)` (transaction-local, so a pooled connection or a Data
 * API transaction never carries it over). Row-level security policies read these settings, so a
 * repository bug that forgets a `where user_id = …` still cannot reach another tenant's rows.
 *
 * The transaction also switches to the `pipeweave_app` role (`set_config('role', …, true)`, the
 * function form of `SET LOCAL ROLE`; the role is created by migration 0007): it owns no table, so
 * the policies hold even when the connection logs in as the owner or a superuser (local
 * PostgreSQL, Aurora's master user). Role and settings go in one statement: one Data API round
 * trip per transaction instead of two.
 */
/** The part of the acting caller a transaction's tenant settings need. */
export type TenantScope = Pick<Caller, 'userId' | 'role'>;

export const TENANT_SETTING = 'pipeweave.user_id';
export const ROLE_SETTING = 'pipeweave.role';
export const SYSTEM_REASON_SETTING = 'pipeweave.system_reason';
export const APP_ROLE = 'pipeweave_app';

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
  await sql`select set_config('role', ${APP_ROLE}, true), set_config(${TENANT_SETTING}, ${scope.userId}, true), set_config(${ROLE_SETTING}, ${scope.role}, true)`.execute(
    trx,
  );
}

/**
 * Why a piece of code needs to see rows of every tenant. Allowed only where no tenant exists yet
 * or the work spans tenants by nature:
 * - `auth.*`: registration, login, refresh and API-key checks look a user up by email, token
 *   hash or key prefix before anyone is signed in;
 * - `ingest.*`: an S3 event names an object key, and the dataset owner is resolved from it;
 * - `schedule.*`: sweepers (stale jobs, refreshes, the purge of deleted accounts);
 * - `webhook.*`: a payment provider's event names a customer, not a caller.
 * Anything a signed-in user asks for uses `withTenant` with their id instead (admins included:
 * `role: 'admin'`). The reason is set on the transaction (`pipeweave.system_reason`) and logged
 * by callers that change data, so every cross-tenant access is explainable.
 */
export type SystemScopeReason = `${'auth' | 'ingest' | 'schedule' | 'webhook' | 'admin'}.${string}`;

/**
 * Runs `work` in a transaction that sees every tenant's rows (the admin bypass of the policies),
 * still as `pipeweave_app`, so grants (e.g. the append-only audit trail) keep applying.
 */
export async function withSystemScope<T>(
  db: Database,
  reason: SystemScopeReason,
  work: (trx: DatabaseTransaction) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await applySystemScope(trx, reason);
    return work(trx);
  });
}

/** System scope on an already open transaction (see `withSystemScope` for when it is allowed). */
export async function applySystemScope(trx: DatabaseTransaction, reason: SystemScopeReason): Promise<void> {
  await sql`select set_config('role', ${APP_ROLE}, true), set_config(${TENANT_SETTING}, '', true), set_config(${ROLE_SETTING}, 'admin', true), set_config(${SYSTEM_REASON_SETTING}, ${reason}, true)`.execute(
    trx,
  );
}
