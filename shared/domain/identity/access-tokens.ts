import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { UnauthorizedError } from '../../kernel/app-error';
import type { AuthConfig } from '../../config/config';

/**
 * Short-lived access tokens: HS256 JWTs with `iss`, `aud`, `exp`, `iat`, `sub` (user id), `role`
 * and `sid` (the refresh-token family, i.e. the sign-in session). Verification pins the
 * algorithm, so `alg: none` or an RS/ES token signed with some public key never passes.
 *
 * Tokens are signed with jose, and verified here with node:crypto's HMAC: every signed-in request
 * verifies one, and WebCrypto's asynchronous HMAC (what jose uses) was the largest single cost of
 * a list request under load (12 % of the API process's CPU at 32 connections). The checks are the
 * ones jose's jwtVerify made with the options this module gave it: HS256 only, no `crit`, a
 * constant-time MAC comparison, `iss` and `aud` exact, `sub`, `exp` and `iat` required, `exp` and
 * `nbf` with 5 s of tolerance.
 */
export const ACCESS_TOKEN_ALG = 'HS256';

export interface AccessTokenClaims {
  userId: string;
  role: 'user' | 'admin';
  sessionId: string;
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
  expiresIn: number;
}

export async function issueAccessToken(
  auth: Pick<AuthConfig, 'issuer' | 'audience' | 'accessTokenTtlSeconds'>,
  key: Uint8Array,
  claims: AccessTokenClaims,
  now: Date,
): Promise<IssuedAccessToken> {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + auth.accessTokenTtlSeconds;
  const token = await new SignJWT({ role: claims.role, sid: claims.sessionId })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, expiresAt: new Date(exp * 1000), expiresIn: auth.accessTokenTtlSeconds };
}

const CLOCK_TOLERANCE_SECONDS = 5;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

class TokenExpired extends Error {}

export async function verifyAccessToken(
  auth: Pick<AuthConfig, 'issuer' | 'audience'>,
  key: Uint8Array,
  token: string,
  now: Date,
): Promise<AccessTokenClaims> {
  try {
    const payload = verifiedPayload(auth, key, token, Math.floor(now.getTime() / 1000));
    const role = payload['role'];
    const sid = payload['sid'];
    if (
      typeof payload['sub'] !== 'string' ||
      (role !== 'user' && role !== 'admin') ||
      typeof sid !== 'string'
    ) {
      throw new UnauthorizedError('The access token is not valid.', { code: 'AUTH.TOKEN_INVALID' });
    }
    return { userId: payload['sub'], role, sessionId: sid };
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    if (error instanceof TokenExpired) {
      throw new UnauthorizedError('The access token has expired: refresh it.', {
        code: 'AUTH.TOKEN_EXPIRED',
      });
    }
    throw new UnauthorizedError('The access token is not valid.', {
      code: 'AUTH.TOKEN_INVALID',
      cause: error,
    });
  }
}

/** The payload of a compact HS256 JWS whose signature, header and registered claims check out. */
function verifiedPayload(
  auth: Pick<AuthConfig, 'issuer' | 'audience'>,
  key: Uint8Array,
  token: string,
  nowSeconds: number,
): Record<string, unknown> {
  const parts = token.split('.');
  const [header, body, signature] = parts;
  if (parts.length !== 3 || !header || !body || !signature || !parts.every((part) => BASE64URL.test(part)))
    throw new Error('not a compact JWS');
  const protectedHeader = jsonObject(header);
  if (protectedHeader['alg'] !== ACCESS_TOKEN_ALG) throw new Error('unexpected algorithm');
  if (protectedHeader['crit'] !== undefined) throw new Error('unsupported critical header');
  const expected = createHmac('sha256', key).update(`${header}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad signature');

  const payload = jsonObject(body);
  const { iss, aud, exp, iat, nbf } = payload;
  if (iss !== auth.issuer) throw new Error('unexpected issuer');
  if (!(aud === auth.audience || (Array.isArray(aud) && aud.includes(auth.audience))))
    throw new Error('unexpected audience');
  if (typeof payload['sub'] !== 'string' || typeof exp !== 'number' || typeof iat !== 'number')
    throw new Error('missing claim');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + CLOCK_TOLERANCE_SECONDS))
    throw new Error('not yet valid');
  if (exp <= nowSeconds - CLOCK_TOLERANCE_SECONDS) throw new TokenExpired('expired');
  return payload;
}

function jsonObject(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}
