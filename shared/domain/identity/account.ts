import type { RequestContext } from '../../kernel/request-context';
import { auditEntry, diffChanges, recordAudit } from './audit/record-audit';
import type { DatabaseTransaction } from '../../db/database';
import { isDatabaseError, SqlState } from '../../db/database-error';
import { withOwner } from '../../db/owner-filter';
import { ConflictError, NotFoundError, ValidationError } from '../../kernel/app-error';
import type { Caller } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import { ACCOUNT_RESTORE_DAYS } from './account-retention';
import { normalizeEmail } from './email';
import { assertStrongPassword, hashPassword, verifyPassword } from './passwords';
import { revokeAllForUser } from './refresh-tokens';
import { forgetSessionsOf } from './session-check';
import { startSession, type SessionTokens } from './sessions';
import { toUserView, type UserView } from './user-view';

type AuditRequest = RequestContext;

/** The caller's own row while the account is live (locked for a change with `forUpdate`); 404 once deleted. */
async function ownLiveUser(trx: DatabaseTransaction, userId: string, options: { forUpdate?: boolean } = {}) {
  let query = trx.selectFrom('users').selectAll().where('id', '=', userId).where('deleted_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate();
  const user = await query.executeTakeFirst();
  if (!user) throw new NotFoundError('User', userId);
  return user;
}

/** Operations that end sessions or the account ask for the password again. */
async function assertPasswordMatches(
  passwordHash: string,
  password: string,
  refusal: { message: string; field: string },
): Promise<void> {
  if (!(await verifyPassword(passwordHash, password))) {
    throw new ValidationError(refusal.message, { code: 'AUTH.WRONG_PASSWORD', field: refusal.field });
  }
}

export async function getProfile(services: Services, caller: Caller): Promise<UserView> {
  return withOwner(services.db, caller, async (trx) => {
    return toUserView(await ownLiveUser(trx, caller.userId));
  });
}

export async function updateProfile(
  services: Services,
  request: AuditRequest & { caller: Caller },
  input: { fullName?: string | undefined; email?: string | undefined },
): Promise<UserView> {
  const caller = request.caller;
  try {
    return await withOwner(services.db, caller, async (trx) => {
      const before = await ownLiveUser(trx, caller.userId, { forUpdate: true });
      const email = input.email === undefined ? undefined : normalizeEmail(input.email);
      const patch = {
        ...(input.fullName !== undefined ? { full_name: input.fullName } : {}),
        ...(email !== undefined && email !== before.email ? { email, email_verified: false } : {}),
      };
      if (Object.keys(patch).length === 0) return toUserView(before);
      const after = await trx
        .updateTable('users')
        .set(patch)
        .where('id', '=', caller.userId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(
        trx,
        auditEntry(request, 'user.update', { type: 'user', id: caller.userId }, diffChanges(before, patch)),
      );
      return toUserView(after);
    });
  } catch (error) {
    if (isDatabaseError(error, SqlState.uniqueViolation)) {
      throw new ConflictError('AUTH.EMAIL_TAKEN', 'An account with this email already exists.', {
        field: 'body.email',
      });
    }
    throw error;
  }
}

/**
 * Changes the password after checking the current one, signs out every other session (all
 * refresh tokens are revoked) and starts a new one for this client.
 */
export async function changePassword(
  services: Services,
  request: AuditRequest & { caller: Caller },
  input: { currentPassword: string; newPassword: string },
): Promise<SessionTokens> {
  const caller = request.caller;
  const now = services.clock.now();
  const session = await withOwner(services.db, caller, async (trx) => {
    const user = await ownLiveUser(trx, caller.userId, { forUpdate: true });
    await assertPasswordMatches(user.password_hash, input.currentPassword, {
      message: 'The current password is not correct.',
      field: 'body.currentPassword',
    });
    assertStrongPassword(input.newPassword, user.email, 'body.newPassword');
    if (await verifyPassword(user.password_hash, input.newPassword)) {
      throw new ValidationError('The new password must differ from the current one.', {
        code: 'AUTH.WEAK_PASSWORD',
        field: 'body.newPassword',
        details: { rule: 'unchanged' },
      });
    }
    const updated = await trx
      .updateTable('users')
      .set({ password_hash: await hashPassword(input.newPassword), password_changed_at: now })
      .where('id', '=', caller.userId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await revokeAllForUser(trx, caller.userId, 'password_changed', now);
    await recordAudit(trx, auditEntry(request, 'auth.password_change', { type: 'user', id: caller.userId }));
    return startSession(
      services,
      trx,
      updated,
      { ip: request.sourceIp, userAgent: request.userAgent, requestId: request.requestId },
      now,
    );
  });
  // Every other session's access tokens stop on their next request.
  forgetSessionsOf(caller.userId);
  return session;
}

/**
 * Soft-deletes the account: sign-ins, refresh tokens and API keys stop working at once; data is
 * kept for 30 days (`POST /auth/restore` brings it back), then the purge schedule deletes it.
 */
export async function deleteAccount(
  services: Services,
  request: AuditRequest & { caller: Caller },
  input: { password: string },
): Promise<{ deletedAt: string; restorableUntil: string }> {
  const caller = request.caller;
  const now = services.clock.now();
  const deletion = await withOwner(services.db, caller, async (trx) => {
    const user = await ownLiveUser(trx, caller.userId, { forUpdate: true });
    await assertPasswordMatches(user.password_hash, input.password, {
      message: 'The password is not correct.',
      field: 'body.password',
    });
    await trx.updateTable('users').set({ deleted_at: now }).where('id', '=', caller.userId).execute();
    await revokeAllForUser(trx, caller.userId, 'logout', now);
    await trx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('user_id', '=', caller.userId)
      .where('revoked_at', 'is', null)
      .execute();
    await recordAudit(trx, auditEntry(request, 'account.delete', { type: 'user', id: caller.userId }));
    const restorableUntil = new Date(now.getTime() + ACCOUNT_RESTORE_DAYS * 24 * 3600 * 1000);
    return { deletedAt: now.toISOString(), restorableUntil: restorableUntil.toISOString() };
  });
  forgetSessionsOf(caller.userId);
  return deletion;
}
