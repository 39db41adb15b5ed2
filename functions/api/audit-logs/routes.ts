import { z } from 'zod';
import { auditLogViewSchema, listAuditLogs } from '../../../shared/audit/list-audit-logs';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { queryParam } from '../../../shared/http/query-params';
import { callerOf } from '../../../shared/identity/caller';

export const auditLogRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/audit-logs',
    group: 'audit-logs',
    operationId: 'listAuditLogs',
    summary: 'The audit trail: your actions (everyone’s for administrators)',
    description:
      'Newest first, `limit` per page; pass `nextCursor` back as `cursor` for the next page. `action` matches exactly, or as a prefix when it ends with `.` or `*` (`auth.`).',
    tags: ['audit'],
    auth: 'user',
    request: {
      query: z.object({
        action: z.string().min(1).max(100).optional(),
        resourceType: z.string().min(1).max(100).optional(),
        resourceId: z.string().min(1).max(200).optional(),
        actorId: z.uuid().optional().meta({ description: 'Administrators only: entries of this user' }),
        since: z.iso.datetime({ offset: true }).optional(),
        until: z.iso.datetime({ offset: true }).optional(),
        cursor: z.string().max(500).optional(),
        limit: queryParam.int({ min: 1, max: 200 }).optional(),
      }),
    },
    responses: {
      200: {
        description: 'One page',
        schema: z.object({ items: z.array(auditLogViewSchema), nextCursor: z.string().nullable() }),
      },
    },
    async handle(request, services) {
      const q = request.query;
      const prefix = q.action && /[.*]$/.test(q.action) ? q.action.replace(/\*$/, '') : undefined;
      const page = await listAuditLogs(services, callerOf(request).caller, {
        actorId: q.actorId,
        action: prefix ? undefined : q.action,
        actionPrefix: prefix,
        resourceType: q.resourceType,
        resourceId: q.resourceId,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        cursor: q.cursor,
        limit: q.limit ?? 50,
      });
      return { status: 200, body: page };
    },
  }),
];
