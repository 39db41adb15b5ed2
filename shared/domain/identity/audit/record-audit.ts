import { isIP } from 'node:net';
import type { DatabaseTransaction } from '../../../db/database';
import { jsonb } from '../../../db/schema';
import type { RequestContext } from '../../../kernel/request-context';

/**
 * The audit trail: who did what to which resource, from where. Call `recordAudit` inside the same
 * transaction as the change it describes, so the trail never records a change that rolled back
 * (nor misses one that committed). Rows are append-only (the application role may not update or
 * delete them).
 *
 *   await withTenant(services.db, scope, async (trx) => {
 *     const dataset = await insertDataset(trx, …);
 *     await recordAudit(trx, auditEntry(request, 'dataset.create', { type: 'dataset', id: dataset.id }, { name }));
 *   });
 *
 * Actions are `<resource>.<verb>` (`dataset.create`, `pipeline.update`, `api_key.revoke`,
 * `auth.login`, `admin.credits.grant`).
 */
export interface AuditEntry {
  /** The user who acted; null for the platform itself (or an unknown sign-in attempt). */
  actorId: string | null;
  action: string;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  /** What changed (`{ name: { from, to } }`) or the relevant input; secrets are removed. */
  changes?: Record<string, unknown> | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

export interface AuditResource {
  type: string;
  id: string;
}

const SECRET_KEYS = /pass(word)?|secret|token|api_?key|authorization|credential/i;
const MAX_USER_AGENT = 512;

export async function recordAudit(trx: DatabaseTransaction, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_logs')
    .values({
      user_id: entry.actorId,
      action: entry.action,
      resource_type: entry.resourceType ?? null,
      resource_id: entry.resourceId ?? null,
      changes: entry.changes === undefined ? null : jsonb(redactSecrets(entry.changes)),
      ip_address: entry.ip && isIP(entry.ip) ? entry.ip : null,
      user_agent: entry.userAgent ? entry.userAgent.slice(0, MAX_USER_AGENT) : null,
      request_id: entry.requestId ?? null,
    })
    .execute();
}

/** Builds an entry from the request: actor from the caller, ip, user agent and request id. */
export function auditEntry(
  request: RequestContext,
  action: string,
  resource?: AuditResource,
  changes?: Record<string, unknown>,
): AuditEntry {
  return {
    actorId: request.caller?.userId ?? null,
    action,
    ...(resource ? { resourceType: resource.type, resourceId: resource.id } : {}),
    ...(changes ? { changes } : {}),
    ...auditOrigin(request),
  };
}

/** Where a request came from, as the audit trail (and a refresh token's row) records it. */
export type AuditOrigin = Pick<AuditEntry, 'ip' | 'userAgent' | 'requestId'>;

/** ip, user agent and request id of a request (for entries whose actor is not the caller). */
export function auditOrigin(
  request: Pick<RequestContext, 'sourceIp' | 'userAgent' | 'requestId'>,
): AuditOrigin {
  return { ip: request.sourceIp, userAgent: request.userAgent, requestId: request.requestId };
}

/**
 * `{ field: { from, to } }` for the fields that differ between two versions of a resource:
 * what an update entry's `changes` should hold.
 */
export function diffChanges<T extends Record<string, unknown>>(
  before: T,
  after: Partial<T>,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const previous = before[key];
    if (JSON.stringify(previous) !== JSON.stringify(value)) out[key] = { from: previous ?? null, to: value };
  }
  return out;
}

function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_KEYS.test(k) ? '[redacted]' : redactSecrets(v),
      ]),
    );
  }
  return value;
}
