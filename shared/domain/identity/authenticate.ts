import { ForbiddenError, UnauthorizedError } from '../../kernel/app-error';
import type { Caller, RequestContext } from '../../kernel/request-context';
import { withSystemScope } from '../../db/tenant';
import type { Services } from '../../ports/services';
import { verifyAccessToken } from './access-tokens';
import { apiKeyPrefixOf, expandScopes, scopeForMethod } from './api-key-secret';
import { assertSessionStands } from './session-check';
import { signingKeyFor } from './signing-key';
import { sameHash, sha256Hex } from './token-hash';

/** What an authenticator sees: headers and connection facts, before the body is read. */
export type AuthenticationRequest = Omit<RequestContext, 'caller'> & {
  headers: Record<string, string>;
  /** `GET /datasets/{datasetId}` */
  routeKey: string;
};

/** Returns the caller for valid credentials, undefined for none; throws UnauthorizedError for bad ones. */
export type Authenticate = (
  request: AuthenticationRequest,
  services: Services,
) => Promise<Caller | undefined>;

/**
 * Who is calling: `Authorization: Bearer <access token>` (a person, via the web app or the CLI)
 * or `x-api-key: pw_…` (a program). No credentials → undefined (the route decides whether that
 * is fine); credentials that do not check out → 401. Sending both is refused rather than
 * guessing which one was meant.
 *
 * Both stop working on the next request once revoked: an access token's signature is checked,
 * then its account and sign-in are read (`assertSessionStands`, cached for a couple of seconds
 * per warm function); an API key is looked up with its account on every call. Either way an
 * ended session or a revoked key is a 401 saying why, a deactivated account a 403.
 */
export const authenticateRequest: Authenticate = async (request, services) => {
  const authorization = request.headers['authorization'];
  const apiKey = request.headers['x-api-key'];
  if (authorization !== undefined && apiKey !== undefined) {
    throw new UnauthorizedError('Send either a bearer token or an API key, not both.', {
      code: 'AUTH.AMBIGUOUS_CREDENTIALS',
    });
  }
  if (authorization !== undefined) return bearerCaller(authorization, services);
  if (apiKey !== undefined) return apiKeyCaller(apiKey, request, services);
  return undefined;
};

async function bearerCaller(authorization: string, services: Services): Promise<Caller> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) {
    throw new UnauthorizedError('The Authorization header must be "Bearer <access token>".', {
      code: 'AUTH.TOKEN_INVALID',
    });
  }
  const key = await signingKeyFor(services.config, services.secrets);
  const claims = await verifyAccessToken(services.config.auth, key, match[1], services.clock.now());
  await assertSessionStands(services.db, claims);
  return { userId: claims.userId, role: claims.role, via: 'jwt', scopes: ['read', 'write', 'admin'] };
}

/** `last_used_at` is written at most once a minute per key, not on every request. */
const LAST_USED_RESOLUTION_SECONDS = 60;

async function apiKeyCaller(
  apiKey: string,
  request: AuthenticationRequest,
  services: Services,
): Promise<Caller> {
  const invalid = () => new UnauthorizedError('The API key is not valid.', { code: 'AUTH.API_KEY_INVALID' });
  const prefix = apiKeyPrefixOf(apiKey.trim());
  if (!prefix) throw invalid();
  const now = services.clock.now();

  const found = await withSystemScope(services.db, 'auth.api-key', async (trx) => {
    const row = await trx
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .select([
        'api_keys.id',
        'api_keys.user_id',
        'api_keys.key_hash',
        'api_keys.scopes',
        'api_keys.expires_at',
        'api_keys.revoked_at',
        'api_keys.last_used_at',
        'users.role',
        'users.is_active',
        'users.deleted_at',
      ])
      .where('api_keys.prefix', '=', prefix)
      .executeTakeFirst();
    if (!row || !sameHash(row.key_hash, sha256Hex(apiKey.trim()))) return undefined;
    // The caller holds the real key: telling why it stopped working reveals nothing new.
    if (row.revoked_at || row.deleted_at || (row.expires_at && row.expires_at <= now) || !row.is_active) {
      return row;
    }
    if (
      !row.last_used_at ||
      now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_SECONDS * 1000
    ) {
      // Conditional, so a burst of parallel requests writes once.
      await trx
        .updateTable('api_keys')
        .set({ last_used_at: now })
        .where('id', '=', row.id)
        .where((eb) =>
          eb.or([
            eb('last_used_at', 'is', null),
            eb('last_used_at', '<', new Date(now.getTime() - LAST_USED_RESOLUTION_SECONDS * 1000)),
          ]),
        )
        .execute();
    }
    return row;
  });
  if (!found) throw invalid();
  if (found.deleted_at) {
    throw new UnauthorizedError('The account of this API key was deleted.', {
      code: 'AUTH.API_KEY_REVOKED',
      details: { reason: 'account_deleted' },
    });
  }
  if (found.revoked_at) {
    throw new UnauthorizedError('This API key was revoked: create a new one.', {
      code: 'AUTH.API_KEY_REVOKED',
      details: { reason: 'revoked' },
    });
  }
  if (found.expires_at && found.expires_at <= now) {
    throw new UnauthorizedError('This API key has expired: create a new one.', {
      code: 'AUTH.API_KEY_EXPIRED',
    });
  }
  if (!found.is_active) {
    throw new ForbiddenError('This account is deactivated: contact an administrator.', {
      code: 'AUTH.ACCOUNT_INACTIVE',
    });
  }

  const scopes = expandScopes(found.scopes);
  const method = request.routeKey.split(' ')[0] ?? 'GET';
  const needed = scopeForMethod(method);
  if (!scopes.includes(needed)) {
    throw new ForbiddenError(`This API key lacks the "${needed}" scope needed for ${method} requests.`, {
      code: 'AUTH.INSUFFICIENT_SCOPE',
      details: { requiredScope: needed, scopes },
    });
  }
  // An admin's key acts as an admin only when it carries the admin scope.
  const role = found.role === 'admin' && scopes.includes('admin') ? 'admin' : 'user';
  return { userId: found.user_id, role, via: 'api-key', scopes };
}
