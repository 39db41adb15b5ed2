import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { withSystemScope } from '../../../shared/db/tenant';
import { purgeDeletedUsers } from '../../../shared/domain/identity/purge-deleted-users';
import { signingKeyFor } from '../../../shared/domain/identity/signing-key';
import { objectKeys } from '../../../shared/storage/object-keys';
import {
  createSession,
  registerUser,
  TEST_PASSWORD,
  uniqueEmail,
  type RegisteredUser,
} from '../../support/auth';

/** Accounts, sessions, API keys, admin and the audit trail, driven over HTTP as a client would. */

let platform: LocalPlatform;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-identity-'));
  // No welcome credits: balances and ledgers here start empty, and purged accounts have no ledger.
  platform = await startLocalPlatform({ dataDir, port: 0, env: { PW_SIGNUP_CREDITS: '0' } });
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

interface Problem {
  type: string;
  status: number;
  code: string;
  detail: string;
  field?: string;
  errors?: { field: string; message: string }[];
  details?: Record<string, unknown>;
}

async function call(
  method: string,
  route: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${platform.url}${route}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

const asProblem = (body: unknown) => body as Problem;
const problemFields = (body: unknown) => (asProblem(body).errors ?? []).map((i) => i.field);

function userRow(id: string) {
  return withSystemScope(platform.services.db, 'admin.test-inspect', (trx) =>
    trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
  );
}

describe('registration and sign-in', () => {
  it('registers with a lower-cased email and the new session works at once', async () => {
    const email = `Mixed.Case-${Date.now()}@Example.TEST`;
    const user = await registerUser(platform.url, { email });
    expect(user.email).toBe(email.toLowerCase());
    const me = await call('GET', '/me', { headers: user.authHeader });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: user.userId,
      email: email.toLowerCase(),
      role: 'user',
      creditBalance: 0,
    });
    expect(JSON.stringify(me.body)).not.toContain('argon2');

    const stored = await userRow(user.userId);
    expect(stored?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('names the rule a weak password breaks', async () => {
    const short = await call('POST', '/auth/register', {
      body: { email: uniqueEmail(), password: 'short1!' },
    });
    expect(short.status).toBe(400);
    expect(asProblem(short.body)).toMatchObject({
      code: 'AUTH.WEAK_PASSWORD',
      field: 'body.password',
      details: { rule: 'min_length' },
    });
    expect(asProblem(short.body).detail).toContain('12 characters');

    const lettersOnly = await call('POST', '/auth/register', {
      body: { email: uniqueEmail(), password: 'onlylettershere' },
    });
    expect(asProblem(lettersOnly.body).details).toMatchObject({ rule: 'character_variety' });
  });

  it('answers 409 for an email that already has an account, whatever its case', async () => {
    const user = await registerUser(platform.url);
    const again = await call('POST', '/auth/register', {
      body: { email: user.email.toUpperCase(), password: TEST_PASSWORD },
    });
    expect(again.status).toBe(409);
    expect(asProblem(again.body)).toMatchObject({ code: 'AUTH.EMAIL_TAKEN', field: 'body.email' });
  });

  it('logs in, and a wrong password looks exactly like an unknown email', async () => {
    const user = await registerUser(platform.url);
    const ok = await call('POST', '/auth/login', {
      body: { email: user.email.toUpperCase(), password: user.password },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ tokenType: 'Bearer', user: { id: user.userId } });

    const wrong = await call('POST', '/auth/login', {
      body: { email: user.email, password: 'not the password 1' },
    });
    const unknown = await call('POST', '/auth/login', {
      body: { email: uniqueEmail('nobody'), password: 'not the password 1' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: unknown) => ({ ...asProblem(b), instance: undefined, requestId: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
  });
});

describe('mass assignment', () => {
  it('refuses role on registration, credit_balance on PATCH /me and user_id on API keys, naming the field', async () => {
    const register = await call('POST', '/auth/register', {
      body: { email: uniqueEmail(), password: TEST_PASSWORD, role: 'admin' },
    });
    expect(register.status).toBe(400);
    expect(register.headers.get('content-type')).toContain('application/problem+json');
    expect(problemFields(register.body)).toContain('body.role');

    const user = await registerUser(platform.url);
    const patch = await call('PATCH', '/me', {
      headers: user.authHeader,
      body: { fullName: 'Rich', credit_balance: 1_000_000 },
    });
    expect(patch.status).toBe(400);
    expect(problemFields(patch.body)).toContain('body.credit_balance');
    const key = await call('POST', '/api-keys', {
      headers: user.authHeader,
      body: { name: 'k', scopes: ['read'], user_id: '00000000-0000-4000-8000-000000000001' },
    });
    expect(key.status).toBe(400);
    expect(problemFields(key.body)).toContain('body.user_id');

    for (const field of ['role', 'tier', 'dataset_count']) {
      const res = await call('PATCH', '/me', { headers: user.authHeader, body: { [field]: 'x' } });
      expect(problemFields(res.body)).toContain(`body.${field}`);
    }
    const stored = await userRow(user.userId);
    expect(stored).toMatchObject({ role: 'user', tier: 'free', credit_balance: 0, full_name: 'Test User' });
  });
});

describe('access tokens', () => {
  let user: RegisteredUser;
  let key: Uint8Array;
  beforeAll(async () => {
    user = await registerUser(platform.url);
    key = await signingKeyFor(platform.services.config);
  });

  const meWith = (token: string) => call('GET', '/me', { headers: { authorization: `Bearer ${token}` } });
  const claims = () => ({ role: 'user', sid: '00000000-0000-4000-8000-000000000009' });
  const auth = () => platform.services.config.auth;

  it('accepts a well-signed token (control)', async () => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.userId)
      .setIssuer(auth().issuer)
      .setAudience(auth().audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    expect((await meWith(token)).status).toBe(200);
  });

  it('refuses alg none, a wrong key, a wrong audience and an expired token with 401', async () => {
    const unsigned = new UnsecuredJWT(claims())
      .setSubject(user.userId)
      .setIssuer(auth().issuer)
      .setAudience(auth().audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    const wrongKey = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.userId)
      .setIssuer(auth().issuer)
      .setAudience(auth().audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another key that is long enough to sign tokens'));
    const wrongAudience = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.userId)
      .setIssuer(auth().issuer)
      .setAudience('someone-else')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.userId)
      .setIssuer(auth().issuer)
      .setAudience(auth().audience)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 1800)
      .sign(key);

    for (const token of [unsigned, wrongKey, wrongAudience, expired]) {
      const res = await meWith(token);
      expect(res.status).toBe(401);
      expect(asProblem(res.body).code).toMatch(/^AUTH\.TOKEN_/);
    }
    expect(asProblem((await meWith(expired)).body).code).toBe('AUTH.TOKEN_EXPIRED');
  });

  it('rotates refresh tokens and revokes the whole family when a used one comes back', async () => {
    const first = await call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(first.status).toBe(200);
    const second = first.body as { refreshToken: string; accessToken: string };
    expect(second.refreshToken).not.toBe(user.refreshToken);
    expect((await meWith(second.accessToken)).status).toBe(200);

    const reuse = await call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(asProblem(reuse.body).code).toBe('AUTH.REFRESH_TOKEN_REUSED');

    // The legitimate holder's newer token died with the family.
    const next = await call('POST', '/auth/refresh', { body: { refreshToken: second.refreshToken } });
    expect(next.status).toBe(401);
    expect(asProblem(next.body).code).toBe('AUTH.REFRESH_TOKEN_INVALID');
  });

  it('logout ends the session: its refresh token no longer works', async () => {
    const login = await call('POST', '/auth/login', { body: { email: user.email, password: user.password } });
    const session = login.body as { refreshToken: string };
    expect(
      (await call('POST', '/auth/logout', { body: { refreshToken: session.refreshToken } })).status,
    ).toBe(204);
    expect(
      (await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status,
    ).toBe(401);
  });
});

describe('lockout', () => {
  it('locks after repeated failures, refuses even the right password while locked, and resets on success', async () => {
    const user = await registerUser(platform.url);
    for (let i = 0; i < 5; i += 1) {
      const res = await call('POST', '/auth/login', {
        body: { email: user.email, password: `wrong password ${i}` },
      });
      expect(res.status).toBe(401);
    }
    const locked = await userRow(user.userId);
    expect(locked?.failed_login_count).toBe(5);
    expect(locked?.locked_until?.getTime()).toBeGreaterThan(Date.now());

    const whileLocked = await call('POST', '/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(whileLocked.status).toBe(401);
    expect(asProblem(whileLocked.body).code).toBe('AUTH.INVALID_CREDENTIALS');

    // The lock runs out (moved into the past rather than waiting 30 s).
    await withSystemScope(platform.services.db, 'admin.test-inspect', (trx) =>
      trx
        .updateTable('users')
        .set({ locked_until: new Date(Date.now() - 1000) })
        .where('id', '=', user.userId)
        .execute(),
    );
    const after = await call('POST', '/auth/login', { body: { email: user.email, password: user.password } });
    expect(after.status).toBe(200);
    const reset = await userRow(user.userId);
    expect(reset).toMatchObject({ failed_login_count: 0, locked_until: null });
  });
});

describe('API keys', () => {
  it('shows the secret once, enforces scopes, records last use and stops working when revoked', async () => {
    const user = await registerUser(platform.url);
    const created = await call('POST', '/api-keys', {
      headers: user.authHeader,
      body: { name: 'ci', scopes: ['read'] },
    });
    expect(created.status).toBe(201);
    const readKey = created.body as { id: string; key: string; prefix: string };
    expect(readKey.key).toMatch(new RegExp(`^pw_${readKey.prefix}_`));

    const listed = await call('GET', '/api-keys', { headers: user.authHeader });
    expect(JSON.stringify(listed.body)).not.toContain(readKey.key);
    expect((listed.body as { items: { id: string }[] }).items.map((k) => k.id)).toContain(readKey.id);
    const stored = await withSystemScope(platform.services.db, 'admin.test-inspect', (trx) =>
      trx.selectFrom('api_keys').selectAll().where('id', '=', readKey.id).executeTakeFirstOrThrow(),
    );
    expect(stored.key_hash).not.toContain(readKey.key.slice(16));
    expect(stored.last_used_at).toBeNull();

    const read = await call('GET', '/me', { headers: { 'x-api-key': readKey.key } });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: user.userId });
    const write = await call('PATCH', '/me', {
      headers: { 'x-api-key': readKey.key },
      body: { fullName: 'Bot' },
    });
    expect(write.status).toBe(403);
    expect(asProblem(write.body).code).toBe('AUTH.INSUFFICIENT_SCOPE');

    const used = await withSystemScope(platform.services.db, 'admin.test-inspect', (trx) =>
      trx
        .selectFrom('api_keys')
        .select('last_used_at')
        .where('id', '=', readKey.id)
        .executeTakeFirstOrThrow(),
    );
    expect(used.last_used_at).toBeInstanceOf(Date);
    // A second call within the minute does not write again.
    await call('GET', '/me', { headers: { 'x-api-key': readKey.key } });
    const usedAgain = await withSystemScope(platform.services.db, 'admin.test-inspect', (trx) =>
      trx
        .selectFrom('api_keys')
        .select('last_used_at')
        .where('id', '=', readKey.id)
        .executeTakeFirstOrThrow(),
    );
    expect(usedAgain.last_used_at?.getTime()).toBe(used.last_used_at?.getTime());

    const writeKey = (
      await call('POST', '/api-keys', { headers: user.authHeader, body: { name: 'w', scopes: ['write'] } })
    ).body as { key: string };
    expect(
      (await call('PATCH', '/me', { headers: { 'x-api-key': writeKey.key }, body: { fullName: 'Bot' } }))
        .status,
    ).toBe(200);

    const adminScope = await call('POST', '/api-keys', {
      headers: user.authHeader,
      body: { name: 'a', scopes: ['admin'] },
    });
    expect(adminScope.status).toBe(403);

    expect((await call('DELETE', `/api-keys/${readKey.id}`, { headers: user.authHeader })).status).toBe(204);
    const revoked = await call('GET', '/me', { headers: { 'x-api-key': readKey.key } });
    expect(revoked.status).toBe(401);
    // Change one character of the secret (to a different one: the secret may already end in "A").
    const last = writeKey.key.slice(-1) === 'A' ? 'B' : 'A';
    const tampered = await call('GET', '/me', {
      headers: { 'x-api-key': `${writeKey.key.slice(0, -1)}${last}` },
    });
    expect(tampered.status).toBe(401);
  });

  it('an admin key without the admin scope acts as a user', async () => {
    const admin = await createSession(platform.services, { role: 'admin' });
    const userKey = (
      await call('POST', '/api-keys', { headers: admin.authHeader, body: { name: 'w', scopes: ['write'] } })
    ).body as { key: string };
    const adminKey = (
      await call('POST', '/api-keys', { headers: admin.authHeader, body: { name: 'a', scopes: ['admin'] } })
    ).body as { key: string };
    expect((await call('GET', '/admin/users', { headers: { 'x-api-key': userKey.key } })).status).toBe(403);
    expect((await call('GET', '/admin/users', { headers: { 'x-api-key': adminKey.key } })).status).toBe(200);
  });
});

describe('admin', () => {
  it('grants credits once per Idempotency-Key and keeps admin routes from users', async () => {
    const admin = await createSession(platform.services, { role: 'admin' });
    const user = await registerUser(platform.url);
    expect((await call('GET', '/admin/users', { headers: user.authHeader })).status).toBe(403);
    const denied = await call('POST', `/admin/users/${user.userId}/credits`, {
      headers: { ...user.authHeader, 'idempotency-key': 'self-grant' },
      body: { amount: 100, reason: 'please' },
    });
    expect(denied.status).toBe(403);

    const grant = (key: string, amount = 250) =>
      call('POST', `/admin/users/${user.userId}/credits`, {
        headers: { ...admin.authHeader, 'idempotency-key': key },
        body: { amount, reason: 'welcome bonus' },
      });
    const first = await grant('grant-1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ userId: user.userId, amount: 250, balanceAfter: 250 });
    const replay = await grant('grant-1');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toMatchObject({
      transactionId: (first.body as { transactionId: string }).transactionId,
    });
    expect((await grant('grant-1', 999)).status).toBe(409);
    expect((await grant('grant-2')).status).toBe(201);
    const missing = await call('POST', `/admin/users/${user.userId}/credits`, {
      headers: admin.authHeader,
      body: { amount: 1, reason: 'x' },
    });
    expect(asProblem(missing.body).field).toBe('headers.idempotency-key');

    const me = await call('GET', '/me', { headers: user.authHeader });
    expect(me.body).toMatchObject({ creditBalance: 500 });
    const ledger = await withSystemScope(platform.services.db, 'admin.test-inspect', (trx) =>
      trx.selectFrom('credit_transactions').selectAll().where('user_id', '=', user.userId).execute(),
    );
    expect(ledger.map((r) => [r.type, r.created_by])).toEqual([
      ['grant', admin.userId],
      ['grant', admin.userId],
    ]);

    const listed = await call('GET', `/admin/users?email=${encodeURIComponent(user.email)}`, {
      headers: admin.authHeader,
    });
    expect((listed.body as { items: { id: string }[] }).items.map((u) => u.id)).toEqual([user.userId]);
  });

  it('manages credit packages', async () => {
    const admin = await createSession(platform.services, { role: 'admin' });
    const key = `pack-${Date.now()}`;
    const created = await call('POST', '/admin/credit-packages', {
      headers: admin.authHeader,
      body: { key, name: 'Starter', credits: 1000, priceCents: 900 },
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const updated = await call('PATCH', `/admin/credit-packages/${id}`, {
      headers: admin.authHeader,
      body: { priceCents: 800 },
    });
    expect(updated.body).toMatchObject({ priceCents: 800, isActive: true });
    expect((await call('DELETE', `/admin/credit-packages/${id}`, { headers: admin.authHeader })).status).toBe(
      204,
    );
    const all = await call('GET', '/admin/credit-packages', { headers: admin.authHeader });
    expect(
      (all.body as { items: { id: string; isActive: boolean }[] }).items.find((p) => p.id === id)?.isActive,
    ).toBe(false);
    const duplicate = await call('POST', '/admin/credit-packages', {
      headers: admin.authHeader,
      body: { key, name: 'Again', credits: 1, priceCents: 1 },
    });
    expect(duplicate.status).toBe(409);
  });
});

describe('audit trail', () => {
  it('records sign-in, password change and key events with ip and user agent; users see only their own', async () => {
    const user = await registerUser(platform.url);
    const other = await registerUser(platform.url);
    await call('POST', '/auth/login', {
      body: { email: user.email, password: user.password },
      headers: { 'user-agent': 'audit-test-agent/1.0' },
    });
    const key = (
      await call('POST', '/api-keys', { headers: user.authHeader, body: { name: 'k', scopes: ['read'] } })
    ).body as {
      id: string;
    };
    await call('DELETE', `/api-keys/${key.id}`, { headers: user.authHeader });
    const changed = await call('POST', '/me/password', {
      headers: user.authHeader,
      body: { currentPassword: user.password, newPassword: 'a brand new passphrase 7' },
    });
    expect(changed.status).toBe(200);
    // Every earlier session was signed out.
    expect((await call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } })).status).toBe(
      401,
    );

    // The old access token stopped with its session: the new session reads the trail.
    expect((await call('GET', '/audit-logs?limit=50', { headers: user.authHeader })).status).toBe(401);
    const newToken = (changed.body as { accessToken: string }).accessToken;
    const logs = await call('GET', '/audit-logs?limit=50', {
      headers: { authorization: `Bearer ${newToken}` },
    });
    expect(logs.status).toBe(200);
    const items = (
      logs.body as {
        items: {
          action: string;
          actorId: string;
          resourceId: string;
          userAgent: string;
          ipAddress: string;
        }[];
      }
    ).items;
    expect(items.map((i) => i.action)).toEqual([
      'auth.password_change',
      'api_key.revoke',
      'api_key.create',
      'auth.login',
      'auth.register',
    ]);
    expect(items.every((i) => i.actorId === user.userId)).toBe(true);
    expect(items.find((i) => i.action === 'auth.login')).toMatchObject({
      userAgent: 'audit-test-agent/1.0',
      ipAddress: '127.0.0.1',
    });
    expect(items.find((i) => i.action === 'api_key.revoke')?.resourceId).toBe(key.id);

    const othersView = await call('GET', '/audit-logs', { headers: other.authHeader });
    expect(
      (othersView.body as { items: { actorId: string }[] }).items.every((i) => i.actorId === other.userId),
    ).toBe(true);
    // Choosing whose trail to read is an admin operation (GET /admin/audit-logs), not a filter here.
    expect(
      (await call('GET', `/audit-logs?actorId=${user.userId}`, { headers: other.authHeader })).body,
    ).toMatchObject({ status: 400, field: 'query.actorId' });

    const filtered = await call('GET', '/audit-logs?action=api_key.', {
      headers: { authorization: `Bearer ${newToken}` },
    });
    expect((filtered.body as { items: { action: string }[] }).items.map((i) => i.action)).toEqual([
      'api_key.revoke',
      'api_key.create',
    ]);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: unknown } = await call(
        'GET',
        `/audit-logs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { headers: { authorization: `Bearer ${newToken}` } },
      );
      const body = page.body as { items: { id: string }[]; nextCursor: string | null };
      pages.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(items.map((i) => (i as unknown as { id: string }).id));

    const admin = await createSession(platform.services, { role: 'admin' });
    const adminView = await call('GET', `/admin/audit-logs?actorId=${user.userId}&action=auth.login`, {
      headers: admin.authHeader,
    });
    expect((adminView.body as { items: { actorId: string }[] }).items).toHaveLength(1);
    // The user route shows an admin their own trail only: admin powers live under /admin.
    const adminOwnView = await call('GET', '/audit-logs?action=auth.login', { headers: admin.authHeader });
    expect(adminOwnView.status).toBe(200);
    expect((adminOwnView.body as { items: { actorId: string }[] }).items).toEqual([]);
    expect(
      (await call('GET', '/admin/audit-logs', { headers: other.authHeader })).status,
      'a normal user may not read everyone’s trail',
    ).toBe(403);
  });
});

describe('account deletion', () => {
  it('soft-deletes, restores within 30 days, and the purge frees objects and rows afterwards', async () => {
    const user = await registerUser(platform.url);
    const key = (
      await call('POST', '/api-keys', { headers: user.authHeader, body: { name: 'k', scopes: ['read'] } })
    ).body as {
      key: string;
    };
    const deleted = await call('DELETE', '/me', {
      headers: user.authHeader,
      body: { password: user.password },
    });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ restorableUntil: expect.any(String) });
    expect(
      (await call('POST', '/auth/login', { body: { email: user.email, password: user.password } })).status,
    ).toBe(401);
    expect((await call('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } })).status).toBe(
      401,
    );
    expect((await call('GET', '/me', { headers: { 'x-api-key': key.key } })).status).toBe(401);

    const restored = await call('POST', '/auth/restore', {
      body: { email: user.email, password: user.password },
    });
    expect(restored.status).toBe(200);
    const session = restored.body as { accessToken: string };
    expect(
      (await call('GET', '/me', { headers: { authorization: `Bearer ${session.accessToken}` } })).status,
    ).toBe(200);

    // Deleted again, 31 days ago: the purge removes it.
    await call('DELETE', '/me', {
      headers: { authorization: `Bearer ${session.accessToken}` },
      body: { password: user.password },
    });
    const longAgo = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    await withSystemScope(platform.services.db, 'admin.test-inspect', (trx) =>
      trx.updateTable('users').set({ deleted_at: longAgo }).where('id', '=', user.userId).execute(),
    );
    expect(
      (await call('POST', '/auth/restore', { body: { email: user.email, password: user.password } })).status,
    ).toBe(401);

    const keep = await registerUser(platform.url);
    const objectKey = objectKeys.raw(user.userId, '11111111-1111-4111-8111-111111111111', 1, 'data.csv');
    const keptKey = objectKeys.raw(keep.userId, '11111111-1111-4111-8111-111111111111', 1, 'data.csv');
    await platform.services.blobs.put(objectKey, Buffer.from('a,b\n1,2\n'), { contentType: 'text/csv' });
    await platform.services.blobs.put(keptKey, Buffer.from('a,b\n1,2\n'), { contentType: 'text/csv' });

    const report = await purgeDeletedUsers(platform.services);
    expect(report.purgedUserIds).toContain(user.userId);
    expect(report.purgedUserIds).not.toContain(keep.userId);
    expect(await platform.services.blobs.head(objectKey)).toBeUndefined();
    expect(await platform.services.blobs.head(keptKey)).toBeDefined();
    expect(await userRow(user.userId)).toBeUndefined();
    expect(await userRow(keep.userId)).toBeDefined();
  });
});
