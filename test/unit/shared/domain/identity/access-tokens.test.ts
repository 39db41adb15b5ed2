import { createHmac } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueAccessToken, verifyAccessToken } from '../../../../../shared/domain/identity/access-tokens';
import { UnauthorizedError } from '../../../../../shared/kernel/app-error';

const auth = { issuer: 'pipeweave', audience: 'pipeweave-api', accessTokenTtlSeconds: 900 };
const key = new TextEncoder().encode('k'.repeat(48));
const claims = {
  userId: '00000000-0000-4000-8000-000000000001',
  role: 'user' as const,
  sessionId: '00000000-0000-4000-8000-000000000002',
};
const now = new Date('2026-11-21T12:00:00Z');

const nowSeconds = Math.floor(now.getTime() / 1000);

/** A compact JWS of `header` and `payload`, signed with the test's key (HMAC-SHA256 unless told). */
function signed(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  hash: 'sha256' | 'sha512' = 'sha256',
): string {
  const encode = (part: Record<string, unknown>) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

/** The claims of a token this module would accept. */
const validPayload = {
  iss: auth.issuer,
  aud: auth.audience,
  sub: claims.userId,
  role: claims.role,
  sid: claims.sessionId,
  iat: nowSeconds,
  exp: nowSeconds + 60,
};

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof UnauthorizedError ? error.code : String(error);
  }
}

describe('access tokens', () => {
  it('round-trips the claims until expiry, then says expired', async () => {
    const { token, expiresIn } = await issueAccessToken(auth, key, claims, now);
    expect(expiresIn).toBe(900);
    expect(await verifyAccessToken(auth, key, token, new Date(now.getTime() + 899_000))).toEqual(claims);
    expect(await codeOf(verifyAccessToken(auth, key, token, new Date(now.getTime() + 901_000 + 5_000)))).toBe(
      'AUTH.TOKEN_EXPIRED',
    );
  });

  it('refuses another issuer, another audience, another key, alg none and HS512', async () => {
    const base = () =>
      new SignJWT({ role: 'user', sid: claims.sessionId })
        .setSubject(claims.userId)
        .setIssuedAt(Math.floor(now.getTime() / 1000))
        .setExpirationTime(Math.floor(now.getTime() / 1000) + 60);
    const cases = {
      issuer: await base()
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('evil')
        .setAudience(auth.audience)
        .sign(key),
      audience: await base()
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(auth.issuer)
        .setAudience('other')
        .sign(key),
      key: await base()
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(auth.issuer)
        .setAudience(auth.audience)
        .sign(new TextEncoder().encode('x'.repeat(48))),
      none: new UnsecuredJWT({ role: 'user', sid: claims.sessionId })
        .setSubject(claims.userId)
        .setIssuer(auth.issuer)
        .setAudience(auth.audience)
        .setIssuedAt(Math.floor(now.getTime() / 1000))
        .setExpirationTime(Math.floor(now.getTime() / 1000) + 60)
        .encode(),
      hs512: await base()
        .setProtectedHeader({ alg: 'HS512' })
        .setIssuer(auth.issuer)
        .setAudience(auth.audience)
        .sign(key),
      role: await new SignJWT({ role: 'root', sid: claims.sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(claims.userId)
        .setIssuer(auth.issuer)
        .setAudience(auth.audience)
        .setIssuedAt(Math.floor(now.getTime() / 1000))
        .setExpirationTime(Math.floor(now.getTime() / 1000) + 60)
        .sign(key),
    };
    for (const [name, token] of Object.entries(cases)) {
      expect(await codeOf(verifyAccessToken(auth, key, token, now)), name).toBe('AUTH.TOKEN_INVALID');
    }
  });

  it('refuses a token whose signature, payload or header was altered after signing', async () => {
    const { token } = await issueAccessToken(auth, key, claims, now);
    const [header = '', payload = '', signature = ''] = token.split('.');
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' }),
    ).toString('base64url');
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const cases = {
      'payload changed': `${header}.${admin}.${signature}`,
      'signature changed': `${header}.${payload}.${flipped}`,
      'a character slipped into the signature': `${header}.${payload}.${signature.slice(0, 5)}!${signature.slice(5)}`,
      'signature missing': `${header}.${payload}.`,
      'four parts': `${token}.${signature}`,
    };
    for (const [name, altered] of Object.entries(cases)) {
      expect(await codeOf(verifyAccessToken(auth, key, altered, now)), name).toBe('AUTH.TOKEN_INVALID');
    }
    expect(await verifyAccessToken(auth, key, token, now)).toEqual(claims);
  });

  it('accepts a correctly signed token it would issue, with the audience alone or in a list', async () => {
    expect(
      await verifyAccessToken(auth, key, signed({ alg: 'HS256', typ: 'JWT' }, validPayload), now),
    ).toEqual(claims);
    const listed = signed({ alg: 'HS256' }, { ...validPayload, aud: ['other', auth.audience] });
    expect(await verifyAccessToken(auth, key, listed, now)).toEqual(claims);
  });

  it('refuses correctly signed tokens that break its rules', async () => {
    const without = (claim: string) =>
      Object.fromEntries(Object.entries(validPayload).filter(([name]) => name !== claim));
    const cases = {
      'a critical header': signed({ alg: 'HS256', crit: ['exp'] }, validPayload),
      'no exp': signed({ alg: 'HS256' }, without('exp')),
      'no iat': signed({ alg: 'HS256' }, without('iat')),
      'no sub': signed({ alg: 'HS256' }, without('sub')),
      'nbf beyond the tolerance': signed({ alg: 'HS256' }, { ...validPayload, nbf: nowSeconds + 6 }),
      'an audience list without ours': signed({ alg: 'HS256' }, { ...validPayload, aud: ['other'] }),
      'HS512, signed with HMAC-SHA512': signed({ alg: 'HS512' }, validPayload, 'sha512'),
      'HS512 in the header, an HMAC-SHA256 signature': signed({ alg: 'HS512' }, validPayload),
    };
    for (const [name, token] of Object.entries(cases)) {
      expect(await codeOf(verifyAccessToken(auth, key, token, now)), name).toBe('AUTH.TOKEN_INVALID');
    }
    const nbfWithinTolerance = signed({ alg: 'HS256' }, { ...validPayload, nbf: nowSeconds + 5 });
    expect(await verifyAccessToken(auth, key, nbfWithinTolerance, now)).toEqual(claims);
  });
});
