import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/kernel/app-error';
import { sessionVerdict, type SessionState } from '../../../../../shared/domain/identity/session-check';
import type { AccessTokenClaims } from '../../../../../shared/domain/identity/access-tokens';

const adminClaims: AccessTokenClaims = { userId: 'u1', role: 'admin', sessionId: 's1' };
const live = { role: 'admin' as const, isActive: true, deleted: false };

describe('sessionVerdict', () => {
  it.each<[string, SessionState, { status: number; code: string; reason?: string } | undefined]>([
    ['a live session with the same role stands', { account: live }, undefined],
    ['a purged account', {}, { status: 401, code: 'AUTH.SESSION_REVOKED', reason: 'account_deleted' }],
    [
      'a deleted account',
      { account: { ...live, deleted: true } },
      { status: 401, code: 'AUTH.SESSION_REVOKED', reason: 'account_deleted' },
    ],
    [
      'a deactivated account',
      { account: { ...live, isActive: false } },
      { status: 403, code: 'AUTH.ACCOUNT_INACTIVE' },
    ],
    [
      'a signed-out session',
      { account: live, endedBecause: 'logout' },
      { status: 401, code: 'AUTH.SESSION_REVOKED', reason: 'logout' },
    ],
    [
      'a password change',
      { account: live, endedBecause: 'password_changed' },
      { status: 401, code: 'AUTH.SESSION_REVOKED', reason: 'password_changed' },
    ],
    [
      'an administrator ending the sessions',
      { account: live, endedBecause: 'admin' },
      { status: 401, code: 'AUTH.SESSION_REVOKED', reason: 'admin' },
    ],
    [
      'a reused refresh token',
      { account: live, endedBecause: 'reuse_detected' },
      { status: 401, code: 'AUTH.SESSION_REVOKED', reason: 'reuse_detected' },
    ],
    ['a demotion', { account: { ...live, role: 'user' } }, { status: 403, code: 'AUTH.ROLE_CHANGED' }],
    [
      'deactivation wins over an ended session',
      { account: { ...live, isActive: false }, endedBecause: 'admin' },
      { status: 403, code: 'AUTH.ACCOUNT_INACTIVE' },
    ],
  ])('%s', (_name, state, expected) => {
    const verdict = sessionVerdict(adminClaims, state);
    if (!expected) {
      expect(verdict).toBeUndefined();
      return;
    }
    expect(verdict).toBeInstanceOf(AppError);
    expect(verdict?.status).toBe(expected.status);
    expect(verdict?.code).toBe(expected.code);
    if (expected.reason) expect(verdict?.details).toEqual({ reason: expected.reason });
  });

  it('a promotion also needs a new token', () => {
    const verdict = sessionVerdict({ ...adminClaims, role: 'user' }, { account: live });
    expect(verdict?.code).toBe('AUTH.ROLE_CHANGED');
  });
});
