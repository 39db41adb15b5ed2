import type { RequestContext } from '../../kernel/request-context';
import type { Selectable } from 'kysely';
import * as z from 'zod';
import { auditEntry, recordAudit } from './audit/record-audit';
import type { ApiKeysTable } from '../../db/schema';
import { textArray } from '../../db/schema';
import { withOwner } from '../../db/owner-filter';
import { ForbiddenError, NotFoundError, ValidationError } from '../../kernel/app-error';
import type { Caller } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import { API_KEY_SCOPES, expandScopes, generateApiKeySecret, type ApiKeyScope } from './api-key-secret';

type AuditRequest = RequestContext & { caller: Caller };

export const apiKeyViewSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The visible start of the key: pw_<prefix>_…' }),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

export const createdApiKeySchema = apiKeyViewSchema
  .extend({
    key: z.string().optional().meta({
      description:
        'The secret: shown once, never again (absent when an Idempotency-Key replays the creation).',
    }),
    note: z.string().optional().meta({ description: 'Set on a replay: why `key` is absent.' }),
  })
  .meta({ id: 'CreatedApiKey' });

function toView(row: Selectable<ApiKeysTable>): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: API_KEY_SCOPES.filter((s) => row.scopes.includes(s)),
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
    lastUsedAt: row.last_used_at ? row.last_used_at.toISOString() : null,
    revokedAt: row.revoked_at ? row.revoked_at.toISOString() : null,
  };
}

/** Creates a key; the secret is returned here only (the database keeps its hash). */
export async function createApiKey(
  services: Services,
  request: AuditRequest,
  input: { name: string; scopes: ApiKeyScope[]; expiresAt?: Date | undefined },
): Promise<ApiKeyView & { key: string }> {
  const caller = request.caller;
  const scopes = [...new Set(input.scopes)];
  if (scopes.includes('admin') && caller.role !== 'admin') {
    throw new ForbiddenError('Only administrators can create keys with the admin scope.', {
      code: 'AUTH.SCOPE_NOT_ALLOWED',
      field: 'body.scopes',
    });
  }
  // A program holding a key may mint keys, but never with more power than its own.
  const allowed = expandScopes(caller.scopes);
  const beyond = scopes.find((s) => !allowed.includes(s));
  if (beyond) {
    throw new ForbiddenError(`This API key cannot create a key with the "${beyond}" scope.`, {
      code: 'AUTH.SCOPE_NOT_ALLOWED',
      field: 'body.scopes',
    });
  }
  const now = services.clock.now();
  if (input.expiresAt && input.expiresAt <= now) {
    throw new ValidationError('expiresAt must be in the future.', { field: 'body.expiresAt' });
  }
  const secret = generateApiKeySecret();
  return withOwner(services.db, caller, async (trx) => {
    const row = await trx
      .insertInto('api_keys')
      .values({
        user_id: caller.userId,
        name: input.name,
        prefix: secret.prefix,
        key_hash: secret.hash,
        scopes: textArray(scopes),
        expires_at: input.expiresAt ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      auditEntry(
        request,
        'api_key.create',
        { type: 'api_key', id: row.id },
        { name: input.name, scopes, prefix: secret.prefix },
      ),
    );
    return { ...toView(row), key: secret.key };
  });
}

export async function listApiKeys(
  services: Services,
  caller: Caller,
  options: { includeRevoked: boolean },
): Promise<ApiKeyView[]> {
  return withOwner(services.db, caller, async (trx) => {
    let query = trx.selectFrom('api_keys').selectAll().where('user_id', '=', caller.userId);
    if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(200).execute();
    return rows.map(toView);
  });
}

export async function getApiKey(services: Services, caller: Caller, keyId: string): Promise<ApiKeyView> {
  return withOwner(services.db, caller, async (trx) => {
    const row = await trx
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', keyId)
      .where('user_id', '=', caller.userId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('API key', keyId);
    return toView(row);
  });
}

/** Revokes a key at once (it is checked on every request). Revoking twice is harmless. */
export async function revokeApiKey(services: Services, request: AuditRequest, keyId: string): Promise<void> {
  const caller = request.caller;
  const now = services.clock.now();
  await withOwner(services.db, caller, async (trx) => {
    const row = await trx
      .selectFrom('api_keys')
      .select(['id', 'revoked_at'])
      .where('id', '=', keyId)
      .where('user_id', '=', caller.userId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('API key', keyId);
    if (row.revoked_at) return;
    await trx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', keyId)
      .where('user_id', '=', caller.userId)
      .execute();
    await recordAudit(trx, auditEntry(request, 'api_key.revoke', { type: 'api_key', id: keyId }));
  });
}
