import type { RequestContext } from '../../kernel/request-context';
import type { Selectable } from 'kysely';
import * as z from 'zod';
import { auditEntry, diffChanges, recordAudit } from './audit/record-audit';
import { isDatabaseError, SqlState } from '../../db/database-error';
import type { CreditPackagesTable } from '../../db/schema';
import { CREDIT_PACKAGE_TIER_RESTRICTIONS } from '../../db/schema';
import { withTenant } from '../../db/tenant';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import type { Caller } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import { POSITION, positionOf, toPage, newestFirst } from '../../db/page-cursor';
import { toUserView, type UserView } from './user-view';
import { escapeLike } from '../../db/escape-like';
import { revokeAllForUser } from './refresh-tokens';
import { forgetSessionsOf } from './session-check';

/**
 * Administration: every operation runs in the admin's tenant scope with `role: 'admin'` (the
 * row-level policies let admins see all rows) and writes an `admin.*` audit entry.
 */
type AdminRequest = RequestContext & { caller: Caller };

function adminScope(caller: Caller) {
  return { userId: caller.userId, role: 'admin' as const };
}

export async function listUsers(
  services: Services,
  caller: Caller,
  filter: {
    email?: string | undefined;
    role?: 'user' | 'admin' | undefined;
    includeDeleted: boolean;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<{ items: UserView[]; nextCursor: string | null }> {
  return withTenant(services.db, adminScope(caller), async (trx) => {
    let query = trx.selectFrom('users').selectAll().select(positionOf('created_at').as(POSITION));
    if (filter.email) query = query.where('email', 'like', `%${escapeLike(filter.email.toLowerCase())}%`);
    if (filter.role) query = query.where('role', '=', filter.role);
    if (!filter.includeDeleted) query = query.where('deleted_at', 'is', null);
    const rows = await newestFirst(query, filter.cursor, filter.limit + 1).execute();
    return toPage(rows, filter.limit, toUserView);
  });
}

export async function getUserAsAdmin(services: Services, caller: Caller, userId: string): Promise<UserView> {
  return withTenant(services.db, adminScope(caller), async (trx) => {
    const row = await trx.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    if (!row) throw new NotFoundError('User', userId);
    return toUserView(row);
  });
}

export const adminUserPatchSchema = z
  .strictObject({
    role: z.enum(['user', 'admin']).optional(),
    isActive: z.boolean().optional(),
  })
  .refine((patch) => patch.role !== undefined || patch.isActive !== undefined, {
    message: 'Send "role", "isActive" or both.',
  });
export type AdminUserPatch = z.infer<typeof adminUserPatchSchema>;

function refuseSelfChange(request: AdminRequest, userId: string, what: string): void {
  if (request.caller.userId === userId) {
    throw new ConflictError(
      'ADMIN.SELF_CHANGE',
      `Administrators cannot ${what} their own account: ask another administrator.`,
      { field: 'params.userId' },
    );
  }
}

/**
 * Changes a user's role or deactivates (reactivates) the account. Takes effect on the user's next
 * request: a token issued for the old role answers 403 `AUTH.ROLE_CHANGED` (a refresh gives one
 * for the new role), a deactivated account 403 `AUTH.ACCOUNT_INACTIVE` and its sign-ins end.
 */
export async function updateUserAsAdmin(
  services: Services,
  request: AdminRequest,
  userId: string,
  patch: AdminUserPatch,
): Promise<UserView> {
  refuseSelfChange(request, userId, 'change the role or the activation of');
  const now = services.clock.now();
  const view = await withTenant(services.db, adminScope(request.caller), async (trx) => {
    const before = await trx
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw new NotFoundError('User', userId);
    const columns = {
      ...(patch.role !== undefined && patch.role !== before.role ? { role: patch.role } : {}),
      ...(patch.isActive !== undefined && patch.isActive !== before.is_active
        ? { is_active: patch.isActive }
        : {}),
    };
    if (Object.keys(columns).length === 0) return toUserView(before);
    const after = await trx
      .updateTable('users')
      .set(columns)
      .where('id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
    // A deactivated account signs in again once reactivated: its refresh tokens end now.
    if (columns.is_active === false) await revokeAllForUser(trx, userId, 'admin', now);
    await recordAudit(
      trx,
      auditEntry(
        request,
        'admin.user.update',
        { type: 'user', id: userId },
        diffChanges(
          { role: before.role, isActive: before.is_active },
          { role: after.role, isActive: after.is_active },
        ),
      ),
    );
    return toUserView(after);
  });
  forgetSessionsOf(userId);
  return view;
}

/** Signs a user out everywhere: every sign-in ends and its access tokens stop on their next request. */
export async function endUserSessions(
  services: Services,
  request: AdminRequest,
  userId: string,
): Promise<void> {
  const now = services.clock.now();
  await withTenant(services.db, adminScope(request.caller), async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select('id')
      .where('id', '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!user) throw new NotFoundError('User', userId);
    await revokeAllForUser(trx, userId, 'admin', now);
    await recordAudit(trx, auditEntry(request, 'admin.user.sessions_end', { type: 'user', id: userId }));
  });
  forgetSessionsOf(userId);
}

export const creditGrantSchema = z
  .object({
    transactionId: z.uuid(),
    userId: z.uuid(),
    amount: z.number().int(),
    balanceAfter: z.number().int(),
    idempotencyKey: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'CreditGrant' });
export type CreditGrant = z.infer<typeof creditGrantSchema>;

/**
 * Gives a user credits: one `grant` row in the ledger (the trigger updates the balance). The
 * client's Idempotency-Key makes a retry return the first grant instead of granting twice; the
 * same key with a different user or amount is a conflict.
 */
export async function grantCredits(
  services: Services,
  request: AdminRequest,
  input: { userId: string; amount: number; reason: string; idempotencyKey: string },
): Promise<{ grant: CreditGrant; replayed: boolean }> {
  // Scoped to the granting admin, like every Idempotency-Key: another admin's key never collides.
  const ledgerKey = `admin-grant:${request.caller.userId}:${input.idempotencyKey}`;
  return withTenant(services.db, adminScope(request.caller), async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'deleted_at'])
      .where('id', '=', input.userId)
      .executeTakeFirst();
    if (!user || user.deleted_at) throw new NotFoundError('User', input.userId);
    const inserted = await trx
      .insertInto('credit_transactions')
      .values({
        user_id: input.userId,
        type: 'grant',
        amount: input.amount,
        description: input.reason,
        idempotency_key: ledgerKey,
        created_by: request.caller.userId,
        metadata: { reason: input.reason },
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    const row =
      inserted ??
      (await trx
        .selectFrom('credit_transactions')
        .selectAll()
        .where('idempotency_key', '=', ledgerKey)
        .executeTakeFirstOrThrow());
    if (!inserted && (row.user_id !== input.userId || row.amount !== input.amount || row.type !== 'grant')) {
      throw new ConflictError(
        'IDEMPOTENCY.KEY_REUSED',
        'This Idempotency-Key was used for a different grant: use a new key for a new grant.',
        { field: 'headers.idempotency-key' },
      );
    }
    if (inserted) {
      await recordAudit(
        trx,
        auditEntry(
          request,
          'admin.credits.grant',
          { type: 'user', id: input.userId },
          {
            amount: input.amount,
            reason: input.reason,
            transactionId: row.id,
          },
        ),
      );
    }
    return {
      replayed: !inserted,
      grant: {
        transactionId: row.id,
        userId: row.user_id,
        amount: row.amount,
        balanceAfter: row.balance_after,
        idempotencyKey: input.idempotencyKey,
        createdAt: row.created_at.toISOString(),
      },
    };
  });
}

export const creditPackageViewSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    credits: z.number().int(),
    priceCents: z.number().int(),
    currency: z.string(),
    stripePriceId: z.string().nullable(),
    isActive: z.boolean(),
    tierRestriction: z.enum(CREDIT_PACKAGE_TIER_RESTRICTIONS),
    sortOrder: z.number().int(),
  })
  .meta({ id: 'AdminCreditPackage' });
export type CreditPackageView = z.infer<typeof creditPackageViewSchema>;

export const creditPackageInputSchema = z.object({
  key: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,63}$/, 'use 2-64 lower-case letters, digits, "_" or "-"'),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  credits: z.number().int().positive().max(1_000_000_000),
  priceCents: z.number().int().min(0).max(100_000_000),
  currency: z
    .string()
    .regex(/^[a-z]{3}$/, 'use a lower-case ISO 4217 code')
    .optional(),
  stripePriceId: z.string().min(1).max(255).nullable().optional(),
  isActive: z.boolean().optional(),
  tierRestriction: z.enum(CREDIT_PACKAGE_TIER_RESTRICTIONS).optional(),
  sortOrder: z.number().int().min(0).max(10_000).optional(),
});
export type CreditPackageInput = z.infer<typeof creditPackageInputSchema>;
export const creditPackagePatchSchema = creditPackageInputSchema.omit({ key: true }).partial();
export type CreditPackagePatch = z.infer<typeof creditPackagePatchSchema>;

function toPackageView(row: Selectable<CreditPackagesTable>): CreditPackageView {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    credits: row.credits,
    priceCents: row.price_cents,
    currency: row.currency,
    stripePriceId: row.stripe_price_id,
    isActive: row.is_active,
    tierRestriction: row.tier_restriction,
    sortOrder: row.sort_order,
  };
}

function packageColumns(input: CreditPackagePatch) {
  return {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.credits !== undefined ? { credits: input.credits } : {}),
    ...(input.priceCents !== undefined ? { price_cents: input.priceCents } : {}),
    ...(input.currency !== undefined ? { currency: input.currency } : {}),
    ...(input.stripePriceId !== undefined ? { stripe_price_id: input.stripePriceId } : {}),
    ...(input.isActive !== undefined ? { is_active: input.isActive } : {}),
    ...(input.tierRestriction !== undefined ? { tier_restriction: input.tierRestriction } : {}),
    ...(input.sortOrder !== undefined ? { sort_order: input.sortOrder } : {}),
  };
}

function packageConflict(error: unknown): never {
  if (isDatabaseError(error, SqlState.uniqueViolation)) {
    const field = error.constraint?.includes('stripe_price') ? 'body.stripePriceId' : 'body.key';
    throw new ConflictError(
      'CREDIT_PACKAGE.DUPLICATE',
      'Another credit package already uses this key or Stripe price.',
      { field },
    );
  }
  throw error;
}

export async function listCreditPackages(services: Services, caller: Caller): Promise<CreditPackageView[]> {
  return withTenant(services.db, adminScope(caller), async (trx) => {
    const rows = await trx
      .selectFrom('credit_packages')
      .selectAll()
      .orderBy('sort_order')
      .orderBy('key')
      .execute();
    return rows.map(toPackageView);
  });
}

export async function createCreditPackage(
  services: Services,
  request: AdminRequest,
  input: CreditPackageInput,
): Promise<CreditPackageView> {
  try {
    return await withTenant(services.db, adminScope(request.caller), async (trx) => {
      const row = await trx
        .insertInto('credit_packages')
        .values({
          key: input.key,
          name: input.name,
          credits: input.credits,
          price_cents: input.priceCents,
          ...packageColumns(input),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(
        trx,
        auditEntry(
          request,
          'admin.credit_package.create',
          { type: 'credit_package', id: row.id },
          { ...input },
        ),
      );
      return toPackageView(row);
    });
  } catch (error) {
    return packageConflict(error);
  }
}

export async function updateCreditPackage(
  services: Services,
  request: AdminRequest,
  packageId: string,
  patch: CreditPackagePatch,
): Promise<CreditPackageView> {
  try {
    return await withTenant(services.db, adminScope(request.caller), async (trx) => {
      const before = await trx
        .selectFrom('credit_packages')
        .selectAll()
        .where('id', '=', packageId)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw new NotFoundError('Credit package', packageId);
      const columns = packageColumns(patch);
      if (Object.keys(columns).length === 0) return toPackageView(before);
      const after = await trx
        .updateTable('credit_packages')
        .set(columns)
        .where('id', '=', packageId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(
        trx,
        auditEntry(
          request,
          'admin.credit_package.update',
          { type: 'credit_package', id: packageId },
          diffChanges(toPackageView(before), toPackageView(after)),
        ),
      );
      return toPackageView(after);
    });
  } catch (error) {
    return packageConflict(error);
  }
}

/** Packages are retired, not deleted: past purchases in the ledger refer to them. */
export async function retireCreditPackage(
  services: Services,
  request: AdminRequest,
  packageId: string,
): Promise<void> {
  await withTenant(services.db, adminScope(request.caller), async (trx) => {
    const row = await trx
      .selectFrom('credit_packages')
      .select(['id', 'is_active'])
      .where('id', '=', packageId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Credit package', packageId);
    if (!row.is_active) return;
    await trx.updateTable('credit_packages').set({ is_active: false }).where('id', '=', packageId).execute();
    await recordAudit(
      trx,
      auditEntry(request, 'admin.credit_package.retire', { type: 'credit_package', id: packageId }),
    );
  });
}
