import { randomUUID } from 'node:crypto';
import { auditOrigin, recordAudit, type AuditEntry, type AuditOrigin } from './audit/record-audit';
import type { RequestContext } from '../../kernel/request-context';
import { isDatabaseError, SqlState } from '../../db/database-error';
import type { DatabaseTransaction } from '../../db/database';
import { withSystemScope } from '../../db/tenant';
import { ConflictError, UnauthorizedError } from '../../kernel/app-error';
import type { Services } from '../../ports/services';
import { issueAccessToken } from './access-tokens';
import { ACCOUNT_RESTORE_DAYS } from './account-retention';
import { assertStrongPassword, burnPasswordCheck, hashPassword, verifyPassword } from './passwords';
import { findRefreshToken, insertRefreshToken, revokeFamily } from './refresh-tokens';
import { forgetSessionsOf } from './session-check';
import { signingKeyFor } from './signing-key';
import { normalizeEmail } from './email';
import { toUserView, type UserRow, type UserView } from './user-view';

/** Where an anonymous request (register, sign-in, refresh) came from: a request context without a caller. */
type RequestContextOrigin = Pick<RequestContext, 'sourceIp' | 'userAgent' | 'requestId'>;

export interface SessionTokens {
  user: UserView;
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

/** Failed sign-ins tolerated before the account is locked for a while. */
export const FREE_LOGIN_FAILURES = 4;
const FIRST_LOCK_SECONDS = 30;
const MAX_LOCK_SECONDS = 3600;

/**
 * How long the account stays locked after `failures` consecutive failures: nothing for the first
 * few (typos), then 30 s, doubling with each further failure, at most an hour.
 */
export function lockSecondsAfter(failures: number): number {
  if (failures <= FREE_LOGIN_FAILURES) return 0;
  return Math.min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_LOGIN_FAILURES - 1), MAX_LOCK_SECONDS);
}

/** One answer for every failed sign-in, so it never tells which emails have accounts. */
function invalidCredentials(): UnauthorizedError {
  return new UnauthorizedError('The email or password is not correct.', { code: 'AUTH.INVALID_CREDENTIALS' });
}

export async function registerUser(
  services: Services,
  context: RequestContextOrigin,
  input: { email: string; password: string; fullName?: string | undefined },
): Promise<SessionTokens> {
  const origin = auditOrigin(context);
  const email = normalizeEmail(input.email);
  assertStrongPassword(input.password, email);
  const passwordHash = await hashPassword(input.password);
  const now = services.clock.now();
  const taken = () =>
    new ConflictError('AUTH.EMAIL_TAKEN', 'An account with this email already exists: sign in instead.', {
      field: 'body.email',
    });
  try {
    return await withSystemScope(services.db, 'auth.register', async (trx) => {
      const existing = await trx
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirst();
      if (existing) throw taken();
      const user = await trx
        .insertInto('users')
        .values({
          email,
          password_hash: passwordHash,
          full_name: input.fullName ?? '',
          password_changed_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await grantSignupCredits(trx, user.id, services.config.billing.signupCredits);
      await recordAudit(trx, {
        actorId: user.id,
        action: 'auth.register',
        resourceType: 'user',
        resourceId: user.id,
        changes: { email },
        ...origin,
      });
      return startSession(services, trx, user, origin, now);
    });
  } catch (error) {
    // Two registrations of one email at once: the unique index decides.
    if (isDatabaseError(error, SqlState.uniqueViolation)) throw taken();
    throw error;
  }
}

type SignInOutcome = { ok: true; tokens: SessionTokens } | { ok: false };

/**
 * Email + password → a new session. Failures are counted per account and lock it for a growing
 * while; a locked account answers exactly like a wrong password (and its lock is not extended).
 * The outcome is decided inside the transaction but thrown after it, so the failure count and the
 * audit row are kept.
 */
export async function login(
  services: Services,
  context: RequestContextOrigin,
  input: { email: string; password: string },
): Promise<SessionTokens> {
  const origin = auditOrigin(context);
  return signIn(services, input, origin, 'login');
}

/** Email + password of an account deleted less than 30 days ago → restored, and signed in. */
export async function restoreAccount(
  services: Services,
  context: RequestContextOrigin,
  input: { email: string; password: string },
): Promise<SessionTokens> {
  const origin = auditOrigin(context);
  return signIn(services, input, origin, 'restore');
}

async function signIn(
  services: Services,
  input: { email: string; password: string },
  origin: AuditOrigin,
  mode: 'login' | 'restore',
): Promise<SessionTokens> {
  const email = normalizeEmail(input.email);
  const now = services.clock.now();
  const outcome = await withSystemScope(services.db, `auth.${mode}`, async (trx): Promise<SignInOutcome> => {
    const user = await trx
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email)
      .forUpdate()
      .executeTakeFirst();
    const eligible =
      user !== undefined &&
      user.is_active &&
      (mode === 'login'
        ? user.deleted_at === null
        : user.deleted_at !== null &&
          now.getTime() - user.deleted_at.getTime() < ACCOUNT_RESTORE_DAYS * 24 * 3600 * 1000);
    const fail = async (action: string, entry: Partial<AuditEntry> = {}): Promise<SignInOutcome> => {
      await recordAudit(trx, {
        actorId: user?.id ?? null,
        action,
        resourceType: 'user',
        resourceId: user?.id,
        ...entry,
        ...origin,
      });
      return { ok: false };
    };

    if (!user || !eligible) {
      await burnPasswordCheck(input.password);
      return fail(`auth.${mode}_failed`, user ? {} : { changes: { email } });
    }
    if (user.locked_until && user.locked_until > now) {
      await burnPasswordCheck(input.password);
      return fail(`auth.${mode}_locked`, { changes: { lockedUntil: user.locked_until.toISOString() } });
    }
    if (!(await verifyPassword(user.password_hash, input.password))) {
      const failures = user.failed_login_count + 1;
      const lockSeconds = lockSecondsAfter(failures);
      const lockedUntil = lockSeconds > 0 ? new Date(now.getTime() + lockSeconds * 1000) : null;
      await trx
        .updateTable('users')
        .set({ failed_login_count: failures, locked_until: lockedUntil })
        .where('id', '=', user.id)
        .execute();
      return fail(`auth.${mode}_failed`, {
        changes: {
          failedLoginCount: failures,
          ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}),
        },
      });
    }

    const updated = await trx
      .updateTable('users')
      .set({
        failed_login_count: 0,
        locked_until: null,
        last_login_at: now,
        ...(mode === 'restore' ? { deleted_at: null } : {}),
      })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actorId: user.id,
      action: mode === 'login' ? 'auth.login' : 'account.restore',
      resourceType: 'user',
      resourceId: user.id,
      ...origin,
    });
    return { ok: true, tokens: await startSession(services, trx, updated, origin, now) };
  });
  if (!outcome.ok) throw invalidCredentials();
  return outcome.tokens;
}

/** A new refresh-token family and an access token for it. */
export async function startSession(
  services: Services,
  trx: DatabaseTransaction,
  user: UserRow,
  origin: AuditOrigin,
  now: Date,
): Promise<SessionTokens> {
  const refresh = await insertRefreshToken(trx, {
    userId: user.id,
    familyId: randomUUID(),
    now,
    ttlSeconds: services.config.auth.refreshTokenTtlSeconds,
    origin,
  });
  return tokensFor(services, user, refresh.token, refresh.familyId, refresh.expiresAt, now);
}

async function tokensFor(
  services: Services,
  user: UserRow,
  refreshToken: string,
  familyId: string,
  refreshExpiresAt: Date,
  now: Date,
): Promise<SessionTokens> {
  const key = await signingKeyFor(services.config, services.secrets);
  const access = await issueAccessToken(
    services.config.auth,
    key,
    { userId: user.id, role: user.role, sessionId: familyId },
    now,
  );
  return {
    user: toUserView(user),
    accessToken: access.token,
    tokenType: 'Bearer',
    expiresIn: access.expiresIn,
    refreshToken,
    refreshTokenExpiresAt: refreshExpiresAt.toISOString(),
  };
}

type RefreshOutcome = { ok: true; tokens: SessionTokens } | { ok: false; reused: boolean };

/**
 * Trades a refresh token for a new pair. The presented token is used up; presenting it again
 * revokes every token of its sign-in (the family), so a stolen copy stops working for both.
 */
export async function refreshSession(
  services: Services,
  context: RequestContextOrigin,
  input: { refreshToken: string },
): Promise<SessionTokens> {
  const origin = auditOrigin(context);
  const now = services.clock.now();
  let endedFor: string | undefined;
  const outcome = await withSystemScope(services.db, 'auth.refresh', async (trx): Promise<RefreshOutcome> => {
    const current = await findRefreshToken(trx, input.refreshToken);
    if (!current) return { ok: false, reused: false };
    if (current.revoked_at) {
      if (current.revoked_reason === 'rotated') {
        await revokeFamily(trx, current.family_id, 'reuse_detected', now);
        endedFor = current.user_id;
        await recordAudit(trx, {
          actorId: current.user_id,
          action: 'auth.refresh_reuse_detected',
          resourceType: 'session',
          resourceId: current.family_id,
          ...origin,
        });
        return { ok: false, reused: true };
      }
      return { ok: false, reused: false };
    }
    if (current.expires_at <= now) return { ok: false, reused: false };
    const user = await trx
      .selectFrom('users')
      .selectAll()
      .where('id', '=', current.user_id)
      .executeTakeFirst();
    if (!user || !user.is_active || user.deleted_at) {
      await revokeFamily(trx, current.family_id, 'admin', now);
      return { ok: false, reused: false };
    }
    const next = await insertRefreshToken(trx, {
      userId: user.id,
      familyId: current.family_id,
      now,
      ttlSeconds: services.config.auth.refreshTokenTtlSeconds,
      origin,
    });
    await trx
      .updateTable('refresh_tokens')
      .set({ revoked_at: now, revoked_reason: 'rotated', replaced_by_id: next.id })
      .where('id', '=', current.id)
      .execute();
    return {
      ok: true,
      tokens: await tokensFor(services, user, next.token, next.familyId, next.expiresAt, now),
    };
  });
  if (endedFor) forgetSessionsOf(endedFor);
  if (!outcome.ok) {
    throw outcome.reused
      ? new UnauthorizedError(
          'This refresh token was already used: every session it belonged to is signed out.',
          {
            code: 'AUTH.REFRESH_TOKEN_REUSED',
          },
        )
      : new UnauthorizedError('The refresh token is not valid: sign in again.', {
          code: 'AUTH.REFRESH_TOKEN_INVALID',
        });
  }
  return outcome.tokens;
}

/** Ends the sign-in the refresh token belongs to. Unknown or spent tokens are ignored (no oracle). */
export async function logout(
  services: Services,
  context: RequestContextOrigin,
  input: { refreshToken: string },
): Promise<void> {
  const origin = auditOrigin(context);
  const now = services.clock.now();
  const signedOut = await withSystemScope(services.db, 'auth.logout', async (trx) => {
    const current = await findRefreshToken(trx, input.refreshToken);
    if (!current || current.revoked_at) return undefined;
    await revokeFamily(trx, current.family_id, 'logout', now);
    await recordAudit(trx, {
      actorId: current.user_id,
      action: 'auth.logout',
      resourceType: 'session',
      resourceId: current.family_id,
      ...origin,
    });
    return current.user_id;
  });
  // The session's access tokens stop on their next request.
  if (signedOut) forgetSessionsOf(signedOut);
}

/**
 * A new account's welcome credits: one `grant` in its ledger, written with the account (key
 * `signup-grant:<user id>`), so a first run works before any purchase. 0 grants nothing.
 */
async function grantSignupCredits(trx: DatabaseTransaction, userId: string, credits: number): Promise<void> {
  if (credits <= 0) return;
  await trx
    .insertInto('credit_transactions')
    .values({
      user_id: userId,
      type: 'grant',
      amount: credits,
      description: 'Welcome credits',
      idempotency_key: `signup-grant:${userId}`,
      metadata: { reason: 'signup' },
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}
