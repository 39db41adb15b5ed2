import { errors, jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError } from '../../kernel/app-error';
import type { AuthConfig } from '../../config/config';

/**
 * Short-lived access tokens: HS256 JWTs with `iss`, `aud`, `exp`, `iat`, `sub` (user id), `role`
 * and `sid` (the refresh-token family, i.e. the sign-in session). Verification pins the
 * algorithm, so `alg: none` or an RS/ES token signed with some public key never passes.
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

export async function verifyAccessToken(
  auth: Pick<AuthConfig, 'issuer' | 'audience'>,
  key: Uint8Array,
  token: string,
  now: Date,
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: auth.issuer,
      audience: auth.audience,
      requiredClaims: ['sub', 'exp', 'iat'],
      currentDate: now,
      clockTolerance: 5,
    });
    const role = payload['role'];
    const sid = payload['sid'];
    if (typeof payload.sub !== 'string' || (role !== 'user' && role !== 'admin') || typeof sid !== 'string') {
      throw new UnauthorizedError('The access token is not valid.', { code: 'AUTH.TOKEN_INVALID' });
    }
    return { userId: payload.sub, role, sessionId: sid };
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    if (error instanceof errors.JWTExpired) {
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
