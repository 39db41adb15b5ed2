import type { Caller } from '../kernel/request-context';
import type { Database, DatabaseTransaction } from './database';
import { withTenant, type TenantScope } from './tenant';

/**
 * The tenancy policy of user routes: they act on the caller's own resources only, admins
 * included. Admin powers over other users' rows live under `/admin/...` (admin scope there).
 *
 * So a user route's transaction always runs with role `user` — row-level security then admits
 * only the caller's rows (and rows every tenant may read, such as shipped pipeline templates) —
 * and its repository queries still filter by owner themselves, so each check backs the other up.
 * Another user's id answers 404 through a user route whatever the caller's role, the same as
 * `GET /datasets/{id}` does.
 */
export type Owner = Pick<Caller, 'userId'>;

/** The tenant scope a user route runs in: the caller's id, never the admin bypass. */
export function ownerScope(caller: Owner): TenantScope {
  return { userId: caller.userId, role: 'user' };
}

/** `withTenant` for user routes: the caller's own rows only, even for admins. */
export function withOwner<T>(
  db: Database,
  caller: Owner,
  work: (trx: DatabaseTransaction) => Promise<T>,
): Promise<T> {
  return withTenant(db, ownerScope(caller), work);
}
