import * as z from 'zod';
import {
  auditLogViewSchema,
  listAuditLogs,
  type AuditLogFilter,
} from '../../../shared/domain/identity/audit/list-audit-logs';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { queryParam } from '../../../shared/http/query-params';
import { signedIn } from '../../../shared/kernel/request-context';

const listQuery = z.object({
  action: z.string().min(1).max(100).optional(),
  resourceType: z.string().min(1).max(100).optional(),
  resourceId: z.string().min(1).max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(500).optional(),
  limit: queryParam.int({ min: 1, max: 200 }).optional(),
});
const pageSchema = z.object({ items: z.array(auditLogViewSchema), nextCursor: z.string().nullable() });
const description =
  'Newest first, `limit` per page; pass `nextCursor` back as `cursor` for the next page. `action` matches exactly, or as a prefix when it ends with `.` or `*` (`auth.`).';

function filterOf(q: z.infer<typeof listQuery> & { actorId?: string | undefined }): AuditLogFilter {
  const prefix = q.action && /[.*]$/.test(q.action) ? q.action.replace(/\*$/, '') : undefined;
  return {
    actorId: q.actorId,
    action: prefix ? undefined : q.action,
    actionPrefix: prefix,
    resourceType: q.resourceType,
    resourceId: q.resourceId,
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    cursor: q.cursor,
    limit: q.limit ?? 50,
  };
}

export const auditLogRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/audit-logs',
    group: 'audit-logs',
    operationId: 'listAuditLogs',
    summary: 'Your audit trail: the actions you took',
    description,
    tags: ['audit'],
    auth: 'user',
    request: { query: listQuery },
    responses: { 200: { description: 'One page', schema: pageSchema } },
    async handle(request, services) {
      const page = await listAuditLogs(services, signedIn(request).caller, filterOf(request.query));
      return { status: 200, body: page };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/audit-logs',
    group: 'audit-logs',
    operationId: 'listAllAuditLogs',
    summary: 'The audit trail of every user (administrators)',
    description,
    tags: ['audit', 'admin'],
    auth: 'admin',
    request: {
      query: listQuery.extend({
        actorId: z.uuid().optional().meta({ description: 'Only the entries of this user' }),
      }),
    },
    responses: { 200: { description: 'One page', schema: pageSchema } },
    async handle(request, services) {
      const page = await listAuditLogs(
        services,
        signedIn(request).caller,
        filterOf(request.query),
        'all-tenants',
      );
      return { status: 200, body: page };
    },
  }),
];
