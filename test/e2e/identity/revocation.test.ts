import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { withSystemScope } from '../../../shared/db/tenant';
import { createSession, registerUser, type RegisteredUser, type TestSession } from '../../support/auth';
import { until } from '../../support/until';

/**
 * Revocation takes effect on the next request: a token (or API key) used after its session or
 * account was ended, or after its role changed, is refused with a code that says why.
 */
let platform: LocalPlatform;
let dataDir: string;
let admin: TestSession;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-revocation-'));
  platform = await startLocalPlatform({ dataDir, port: 0, env: { PW_SIGNUP_CREDITS: '0' } });
  admin = await createSession(platform.services, { role: 'admin' });
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(
  method: string,
  route: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(`${platform.url}${route}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signIn(user: RegisteredUser): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await call('POST', '/auth/login', {}, { email: user.email, password: user.password });
  expect(res.status).toBe(200);
  return res.body as { accessToken: string; refreshToken: string };
}

async function refresh(refreshToken: string): Promise<Answer> {
  return call('POST', '/auth/refresh', {}, { refreshToken });
}

async function setRoleInDatabase(userId: string, role: 'user' | 'admin'): Promise<void> {
  await withSystemScope(platform.services.db, 'admin.test-setup', (trx) =>
    trx.updateTable('users').set({ role }).where('id', '=', userId).execute(),
  );
}

/** A registered user made administrator, with a token issued for that role. */
async function registeredAdmin(): Promise<{
  user: RegisteredUser;
  accessToken: string;
  refreshToken: string;
}> {
  const user = await registerUser(platform.url);
  await setRoleInDatabase(user.userId, 'admin');
  const session = await signIn(user);
  expect((await call('GET', '/admin/users', bearer(session.accessToken))).status).toBe(200);
  return { accessToken: session.accessToken, refreshToken: session.refreshToken, user };
}

describe('access tokens after revocation', () => {
  it('a token used after logout answers 401 AUTH.SESSION_REVOKED (logout); other sessions keep working', async () => {
    const user = await registerUser(platform.url);
    const other = await signIn(user);
    expect((await call('GET', '/me', user.authHeader)).status).toBe(200);

    expect((await call('POST', '/auth/logout', {}, { refreshToken: user.refreshToken })).status).toBe(204);

    const after = await call('GET', '/me', user.authHeader);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'AUTH.SESSION_REVOKED', details: { reason: 'logout' } });
    expect((await call('GET', '/datasets', user.authHeader)).status).toBe(401);
    expect((await call('GET', '/me', bearer(other.accessToken))).status).toBe(200);
  });

  it('a password change stops every other session’s token (401, password_changed); the new one works', async () => {
    const user = await registerUser(platform.url);
    const laptop = await signIn(user);
    const changed = await call('POST', '/me/password', user.authHeader, {
      currentPassword: user.password,
      newPassword: 'another horse battery 43',
    });
    expect(changed.status).toBe(200);
    const fresh = changed.body as { accessToken: string };

    for (const token of [laptop.accessToken, user.accessToken]) {
      const answer = await call('GET', '/me', bearer(token));
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({
        code: 'AUTH.SESSION_REVOKED',
        details: { reason: 'password_changed' },
      });
    }
    expect((await call('GET', '/me', bearer(fresh.accessToken))).status).toBe(200);
  });

  it('a demoted administrator’s token answers 403 AUTH.ROLE_CHANGED on admin routes and grants; a refresh gives a user token', async () => {
    const demoted = await registeredAdmin();
    const target = await registerUser(platform.url);

    const patched = await call('PATCH', `/admin/users/${demoted.user.userId}`, admin.authHeader, {
      role: 'user',
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ role: 'user', isActive: true });

    const list = await call('GET', '/admin/users', bearer(demoted.accessToken));
    expect(list.status).toBe(403);
    expect(list.body).toMatchObject({
      code: 'AUTH.ROLE_CHANGED',
      details: { tokenRole: 'admin', currentRole: 'user' },
    });
    const grant = await fetch(`${platform.url}/admin/users/${target.userId}/credits`, {
      method: 'POST',
      headers: {
        ...bearer(demoted.accessToken),
        'content-type': 'application/json',
        'idempotency-key': `demoted-${target.userId}`,
      },
      body: JSON.stringify({ amount: 1, reason: 'after demotion' }),
    });
    expect(grant.status).toBe(403);
    expect(((await grant.json()) as { code: string }).code).toBe('AUTH.ROLE_CHANGED');
    const balance = await call('GET', '/me', target.authHeader);
    expect(balance.body).toMatchObject({ creditBalance: 0 });

    const renewed = await refresh(demoted.refreshToken);
    expect(renewed.status).toBe(200);
    const userToken = (renewed.body as { accessToken: string }).accessToken;
    expect((await call('GET', '/me', bearer(userToken))).status).toBe(200);
    expect((await call('GET', '/admin/users', bearer(userToken))).status).toBe(403);
  });

  it('a demotion written straight to the database stops the admin token within the check’s cache time', async () => {
    const demoted = await registeredAdmin();
    await setRoleInDatabase(demoted.user.userId, 'user');
    const refused = await until(
      'the demoted token to be refused',
      async () => {
        const answer = await call('GET', '/admin/users', bearer(demoted.accessToken));
        return answer.status === 200 ? undefined : answer;
      },
      10_000,
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'AUTH.ROLE_CHANGED' });
  });

  it('a deactivated account’s token and API key answer 403 AUTH.ACCOUNT_INACTIVE; its refresh token is spent', async () => {
    const user = await registerUser(platform.url);
    const key = await call('POST', '/api-keys', user.authHeader, { name: 'ci', scopes: ['write'] });
    expect(key.status).toBe(201);
    const apiKey = { 'x-api-key': (key.body as { key: string }).key };

    const patched = await call('PATCH', `/admin/users/${user.userId}`, admin.authHeader, { isActive: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ isActive: false });

    const created = await call('POST', '/datasets', user.authHeader, { name: 'after', modality: 'tabular' });
    expect(created.status).toBe(403);
    expect(created.body).toMatchObject({ code: 'AUTH.ACCOUNT_INACTIVE' });
    const byKey = await call('POST', '/datasets', apiKey, { name: 'after', modality: 'tabular' });
    expect(byKey.status).toBe(403);
    expect(byKey.body).toMatchObject({ code: 'AUTH.ACCOUNT_INACTIVE' });
    expect((await refresh(user.refreshToken)).status).toBe(401);

    expect(
      (await call('PATCH', `/admin/users/${user.userId}`, admin.authHeader, { isActive: true })).status,
    ).toBe(200);
    // Reactivated: the account signs in again; the old sign-in stays ended.
    const old = await call('GET', '/me', user.authHeader);
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ code: 'AUTH.SESSION_REVOKED', details: { reason: 'admin' } });
    const again = await signIn(user);
    expect((await call('GET', '/me', bearer(again.accessToken))).status).toBe(200);
  });

  it('an administrator signing a user out everywhere stops the token (401, admin)', async () => {
    const user = await registerUser(platform.url);
    const ended = await call('DELETE', `/admin/users/${user.userId}/sessions`, admin.authHeader);
    expect(ended.status).toBe(204);
    const after = await call('GET', '/me', user.authHeader);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'AUTH.SESSION_REVOKED', details: { reason: 'admin' } });
  });

  it('a deleted account’s token answers 401 account_deleted and its API key 401 AUTH.API_KEY_REVOKED', async () => {
    const user = await registerUser(platform.url);
    const key = await call('POST', '/api-keys', user.authHeader, { name: 'ci', scopes: ['read'] });
    const apiKey = { 'x-api-key': (key.body as { key: string }).key };
    const other = await signIn(user);

    expect((await call('DELETE', '/me', user.authHeader, { password: user.password })).status).toBe(200);

    const after = await call('GET', '/me', bearer(other.accessToken));
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'AUTH.SESSION_REVOKED' });
    const byKey = await call('GET', '/me', apiKey);
    expect(byKey.status).toBe(401);
    expect(byKey.body).toMatchObject({ code: 'AUTH.API_KEY_REVOKED' });
  });

  it('administrators cannot demote or deactivate themselves (409)', async () => {
    const own = await call('PATCH', `/admin/users/${admin.userId}`, admin.authHeader, { role: 'user' });
    expect(own.status).toBe(409);
    expect(own.body).toMatchObject({ code: 'ADMIN.SELF_CHANGE' });
  });
});

describe('API keys after revocation', () => {
  it('a revoked key answers 401 AUTH.API_KEY_REVOKED on its next request', async () => {
    const user = await registerUser(platform.url);
    const key = await call('POST', '/api-keys', user.authHeader, { name: 'ci', scopes: ['read'] });
    const created = key.body as { id: string; key: string };
    expect((await call('GET', '/me', { 'x-api-key': created.key })).status).toBe(200);
    expect((await call('DELETE', `/api-keys/${created.id}`, user.authHeader)).status).toBe(204);
    const after = await call('GET', '/me', { 'x-api-key': created.key });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'AUTH.API_KEY_REVOKED' });
  });
});
