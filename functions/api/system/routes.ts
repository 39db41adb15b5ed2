import * as z from 'zod';
import { DOCS_CONTENT_SECURITY_POLICY, docsPageHtml } from '../../../shared/http/docs-page';
import { buildOpenApiDocument, type OpenApiDocument } from '../../../shared/http/openapi';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { checkHealth } from './check-health';

export const API_TITLE = 'PipeWeave';

const componentHealth = z.object({
  status: z.enum(['up', 'down']),
  detail: z.string().optional(),
  latencyMs: z.number(),
});

export const healthReportSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    runtime: z.enum(['aws', 'local']),
    uptimeSeconds: z.number().int(),
    components: z.record(z.string(), componentHealth),
  })
  .meta({ id: 'HealthReport', description: 'Each dependency checked now, in parallel' });

export interface SystemRouteOptions {
  /** Every API route, read when the document is requested (the list includes these routes). */
  listRoutes: () => readonly RouteSpec[];
  version: string;
  /** Per-check limit for `GET /health`. */
  healthTimeoutMs?: number;
}

/** `GET /health`, `GET /openapi.json` and `GET /docs`: public, served by the `system` function. */
export function createSystemRoutes(options: SystemRouteOptions): RouteSpec[] {
  let document: OpenApiDocument | undefined;

  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      group: 'system',
      operationId: 'getHealth',
      summary: 'Report the health of the API and its dependencies',
      description: '200 when every dependency is up, 503 (same body) when any is down.',
      tags: ['system'],
      auth: 'none',
      responses: {
        200: { description: 'Everything is up', schema: healthReportSchema },
        503: { description: 'At least one dependency is down', schema: healthReportSchema },
      },
      async handle(_request, services) {
        const summary = await checkHealth(services.health, {
          timeoutMs: options.healthTimeoutMs ?? 3_000,
          logger: services.logger,
        });
        return {
          status: summary.status === 'ok' ? 200 : 503,
          headers: { 'cache-control': 'no-store' },
          body: {
            status: summary.status,
            version: options.version,
            runtime: services.config.runtime,
            uptimeSeconds: Math.floor(process.uptime()),
            components: summary.components,
          },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      group: 'system',
      operationId: 'getOpenApiDocument',
      summary: 'The OpenAPI 3.1 description of this API',
      tags: ['system'],
      auth: 'none',
      responses: {
        200: {
          description: 'OpenAPI 3.1 document',
          schema: z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document' }),
        },
      },
      async handle(request, services) {
        document ??= buildOpenApiDocument(options.listRoutes(), {
          title: API_TITLE,
          version: options.version,
        });
        // The configured public URL wins: request headers only fill in when none is set.
        const serverUrl = services.config.http.publicUrl ?? request.origin;
        return {
          status: 200,
          headers: { 'cache-control': 'no-cache' },
          body: serverUrl ? { ...document, servers: [{ url: serverUrl }] } : document,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/docs',
      group: 'system',
      operationId: 'getApiDocs',
      summary: 'Human-readable API reference',
      tags: ['system'],
      auth: 'none',
      responses: { 200: { description: 'HTML page rendering /openapi.json', contentType: 'text/html' } },
      async handle() {
        return {
          status: 200,
          contentType: 'text/html; charset=utf-8',
          headers: { 'content-security-policy': DOCS_CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' },
          body: docsPageHtml(API_TITLE),
        };
      },
    }),
  ];
}
