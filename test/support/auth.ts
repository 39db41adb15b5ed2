import { randomUUID } from 'node:crypto';
import { withSystemScope } from '../../shared/db/tenant';
import type { UserRole, UserTier } from '../../shared/db/schema';
import { issueAccessToken } from '../../shared/domain/identity/access-tokens';
import { hashPassword } from '../../shared/domain/identity/passwords';
import { signingKeyFor } from '../../shared/domain/identity/signing-key';
import type { Services } from '../../shared/ports/services';

/**
 * Sign-in helpers for tests.
 *
 * Over HTTP, against a running local platform (`startLocalPlatform({ dataDir, port: 0 })`):
 *   const alice = await registerUser(platform.url);
 *   await fetch(`${platform.url}/datasets`, { headers: alice.authHeader });
 *
 * In process, with a `Services` (the platform's `services`, or any with a database and config):
 *   const admin = await createSession(services, { role: 'admin' });
 *   await handler(event({ headers: admin.authHeader }), context);
 */

export interface RegisteredUser {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  authHeader: { authorization: string };
}

export interface RegisterOverrides {
  email?: string;
  password?: string;
  fullName?: string;
}

let counter = 0;

export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${counter}-${randomUUID().slice(0, 8)}@example.test`;
}

export const TEST_PASSWORD = 'correct horse battery 42';

/** Registers a user through `POST /auth/register` and returns their tokens. */
export async function registerUser(
  baseUrl: string,
  overrides: RegisterOverrides = {},
): Promise<RegisteredUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? TEST_PASSWORD;
  const res = await fetch(new URL('/auth/register', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, fullName: overrides.fullName ?? 'Test User' }),
  });
  const body = (await res.json()) as {
    user?: { id: string; email: string };
    accessToken?: string;
    refreshToken?: string;
  };
  if (res.status !== 201 || !body.user || !body.accessToken || !body.refreshToken) {
    throw new Error(`register ${email} answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return {
    userId: body.user.id,
    email: body.user.email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    authHeader: { authorization: `Bearer ${body.accessToken}` },
  };
}

export interface TestSession {
  userId: string;
  email: string;
  accessToken: string;
  authHeader: { authorization: string };
}

export interface SessionOverrides {
  role?: UserRole;
  tier?: UserTier;
  email?: string;
  password?: string;
  /** Credits granted with the account, as registration grants its welcome credits (default 1,000). */
  credits?: number;
}

/**
 * Creates a user row directly and signs an access token with the services' key, as login
 * would. For in-process tests that do not need the sign-in flow itself.
 */
export async function createSession(
  services: Services,
  overrides: SessionOverrides = {},
): Promise<TestSession> {
  const email = overrides.email ?? uniqueEmail(overrides.role ?? 'user');
  const passwordHash = await hashPassword(overrides.password ?? TEST_PASSWORD);
  const user = await withSystemScope(services.db, 'admin.test-session', (trx) =>
    trx
      .insertInto('users')
      .values({
        email,
        password_hash: passwordHash,
        full_name: 'Test User',
        role: overrides.role ?? 'user',
        tier: overrides.tier ?? 'free',
      })
      .returning(['id', 'email', 'role'])
      .executeTakeFirstOrThrow(),
  );
  const credits = overrides.credits ?? 1_000;
  if (credits > 0) {
    await withSystemScope(services.db, 'admin.test-session', (trx) =>
      trx
        .insertInto('credit_transactions')
        .values({
          user_id: user.id,
          type: 'grant',
          amount: credits,
          description: 'Test credits',
          idempotency_key: `signup-grant:${user.id}`,
        })
        .execute(),
    );
  }
  const key = await signingKeyFor(services.config);
  const { token } = await issueAccessToken(
    services.config.auth,
    key,
    { userId: user.id, role: user.role, sessionId: randomUUID() },
    services.clock.now(),
  );
  return {
    userId: user.id,
    email: user.email,
    accessToken: token,
    authHeader: { authorization: `Bearer ${token}` },
  };
}
