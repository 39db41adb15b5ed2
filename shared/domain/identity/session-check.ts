import { ForbiddenError, UnauthorizedError } from '../../kernel/app-error';
import { withSystemScope } from '../../db/tenant';
import type { Database } from '../../db/database';
import type { RefreshTokenRevokedReason } from '../../db/schema';
import type { AccessTokenClaims } from './access-tokens';

/**
 * Access tokens are signed and short-lived, but a signature cannot be taken back: signing out,
 * a password change, a deleted or deactivated account, a changed role or an administrator ending
 * the sessions must stop the token on its next request, not when it expires. So every request
 * with a bearer token reads the account and the token's sign-in (its refresh-token family) once.
 *
 * The answer is kept for `SESSION_CHECK_CACHE_MS` per warm function, so a burst of requests with
 * one token costs one read; revocations made in this process forget the user's entries at once,
 * other warm functions notice within that time.
 */
export const SESSION_CHECK_CACHE_MS = 2_000;
const MAX_CACHED_SESSIONS = 10_000;

/** What one read of the account and the sign-in says. */
export interface SessionState {
  /** Absent when the account no longer exists (purged). */
  account?: { role: 'user' | 'admin'; isActive: boolean; deleted: boolean };
  /** Why the sign-in was ended; absent while it lasts (a rotation does not end it). */
  endedBecause?: Exclude<RefreshTokenRevokedReason, 'rotated'>;
}

export type SessionRevokedReason = Exclude<RefreshTokenRevokedReason, 'rotated'> | 'account_deleted';

const REVOKED_MESSAGES: Record<SessionRevokedReason, string> = {
  logout: 'This session was signed out: sign in again.',
  password_changed: 'The password was changed since this token was issued: sign in again.',
  reuse_detected: 'This session was ended because one of its refresh tokens was used twice: sign in again.',
  admin: 'An administrator ended this session: sign in again.',
  account_deleted: 'This account was deleted: restore it (POST /auth/restore) or register again.',
};

/**
 * The verdict on a token's claims given the current state: nothing when the token still stands,
 * otherwise the error saying why it does not (401 for an ended session, 403 for an inactive
 * account or a role that changed since the token was issued).
 */
export function sessionVerdict(
  claims: AccessTokenClaims,
  state: SessionState,
): UnauthorizedError | ForbiddenError | undefined {
  const account = state.account;
  if (!account || account.deleted) return revoked('account_deleted');
  if (!account.isActive) {
    return new ForbiddenError('This account is deactivated: contact an administrator.', {
      code: 'AUTH.ACCOUNT_INACTIVE',
    });
  }
  if (state.endedBecause) return revoked(state.endedBecause);
  if (account.role !== claims.role) {
    return new ForbiddenError(
      `Your role changed to "${account.role}" since this token was issued: refresh the session (POST /auth/refresh) for a token with your current role.`,
      { code: 'AUTH.ROLE_CHANGED', details: { tokenRole: claims.role, currentRole: account.role } },
    );
  }
  return undefined;
}

function revoked(reason: SessionRevokedReason): UnauthorizedError {
  return new UnauthorizedError(REVOKED_MESSAGES[reason], {
    code: 'AUTH.SESSION_REVOKED',
    details: { reason },
  });
}

/** The account and the sign-in of `claims`, in one statement. */
export async function readSessionState(db: Database, claims: AccessTokenClaims): Promise<SessionState> {
  return withSystemScope(db, 'auth.session-check', async (trx) => {
    const row = await trx
      .selectFrom('users')
      .select((eb) => [
        'users.role',
        'users.is_active',
        'users.deleted_at',
        eb
          .selectFrom('refresh_tokens')
          .select('refresh_tokens.revoked_reason')
          .whereRef('refresh_tokens.user_id', '=', 'users.id')
          .where('refresh_tokens.family_id', '=', claims.sessionId)
          .where('refresh_tokens.revoked_reason', 'is not', null)
          .where('refresh_tokens.revoked_reason', '<>', 'rotated')
          .limit(1)
          .as('ended_because'),
      ])
      .where('users.id', '=', claims.userId)
      .executeTakeFirst();
    if (!row) return {};
    const ended = row.ended_because;
    return {
      account: { role: row.role, isActive: row.is_active, deleted: row.deleted_at !== null },
      ...(ended && ended !== 'rotated' ? { endedBecause: ended } : {}),
    };
  });
}

interface CachedState {
  state: SessionState;
  /** When the read started (a revocation after it makes the entry stale). */
  readAt: number;
  until: number;
}

/** Session states by `userId:sessionId`, for at most `SESSION_CHECK_CACHE_MS` each. */
const cache = new Map<string, CachedState>();
/** When this process last revoked something of a user's: reads started before then are stale. */
const revokedAt = new Map<string, number>();

/**
 * Throws when the token no longer stands (see `sessionVerdict`); reads the state at most once per
 * `SESSION_CHECK_CACHE_MS` per token and warm function.
 */
export async function assertSessionStands(
  db: Database,
  claims: AccessTokenClaims,
  nowMs: number = Date.now(),
): Promise<void> {
  const key = `${claims.userId}:${claims.sessionId}`;
  let cached = cache.get(key);
  if (!cached || cached.until <= nowMs || cached.readAt <= (revokedAt.get(claims.userId) ?? -1)) {
    const readAt = nowMs;
    cached = { state: await readSessionState(db, claims), readAt, until: readAt + SESSION_CHECK_CACHE_MS };
    if (cache.size >= MAX_CACHED_SESSIONS) cache.clear();
    // A read that overlapped a revocation in this process is used once, not kept.
    if (readAt > (revokedAt.get(claims.userId) ?? -1)) cache.set(key, cached);
  }
  const verdict = sessionVerdict(claims, cached.state);
  if (verdict) throw verdict;
}

/**
 * Forgets what this process knows of the user's sessions, so a revocation made here shows on the
 * very next request. Call it after the revoking transaction has committed.
 */
export function forgetSessionsOf(userId: string, nowMs: number = Date.now()): void {
  const prefix = `${userId}:`;
  for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
  if (revokedAt.size >= MAX_CACHED_SESSIONS) revokedAt.clear();
  revokedAt.set(userId, nowMs);
}
