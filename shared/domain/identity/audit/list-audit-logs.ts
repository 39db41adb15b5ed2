import * as z from 'zod';
import type { JsonValue } from '../../../db/schema';
import { withOwner } from '../../../db/owner-filter';
import { withTenant } from '../../../db/tenant';
import type { Caller } from '../../../kernel/request-context';
import type { Services } from '../../../ports/services';
import { POSITION, positionOf, toPage, newestFirst } from '../../../db/page-cursor';
import { escapeLike } from '../../../db/escape-like';

export const auditLogViewSchema = z
  .object({
    id: z.uuid(),
    actorId: z.uuid().nullable(),
    action: z.string(),
    resourceType: z.string().nullable(),
    resourceId: z.string().nullable(),
    changes: z.unknown().nullable(),
    ipAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    requestId: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'AuditLog' });
export type AuditLogView = z.infer<typeof auditLogViewSchema>;

export interface AuditLogFilter {
  /** `GET /admin/audit-logs` only: whose entries (`GET /audit-logs` always shows the caller's own). */
  actorId?: string | undefined;
  action?: string | undefined;
  /** `auth.` matches every action starting with it. */
  actionPrefix?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
}

/**
 * Newest first. `GET /audit-logs` (a user route) shows the entries the caller is the actor of,
 * admins included; `GET /admin/audit-logs` shows everyone's and may filter by actor. The
 * row-level policy enforces the same split.
 */
export async function listAuditLogs(
  services: Pick<Services, 'db'>,
  caller: Caller,
  filter: AuditLogFilter,
  reach: 'own' | 'all-tenants' = 'own',
): Promise<{ items: AuditLogView[]; nextCursor: string | null }> {
  const run = <T>(work: Parameters<typeof withOwner<T>>[2]) =>
    reach === 'own'
      ? withOwner(services.db, caller, work)
      : withTenant(services.db, { userId: caller.userId, role: 'admin' }, work);
  return run(async (trx) => {
    let query = trx.selectFrom('audit_logs').selectAll().select(positionOf('created_at').as(POSITION));
    if (reach === 'own') query = query.where('user_id', '=', caller.userId);
    else if (filter.actorId) query = query.where('user_id', '=', filter.actorId);
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.actionPrefix) query = query.where('action', 'like', `${escapeLike(filter.actionPrefix)}%`);
    if (filter.resourceType) query = query.where('resource_type', '=', filter.resourceType);
    if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
    if (filter.since) query = query.where('created_at', '>=', filter.since);
    if (filter.until) query = query.where('created_at', '<', filter.until);
    const rows = await newestFirst(query, filter.cursor, filter.limit + 1).execute();
    return toPage(rows, filter.limit, (row) => ({
      id: row.id,
      actorId: row.user_id,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      changes: (row.changes ?? null) as JsonValue,
      ipAddress: row.ip_address,
      userAgent: row.user_agent,
      requestId: row.request_id,
      createdAt: row.created_at.toISOString(),
    }));
  });
}
