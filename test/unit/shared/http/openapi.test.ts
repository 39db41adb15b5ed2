import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020';
import { z } from 'zod';
import { apiGroups, apiRoutes } from '../../../../functions/api/routes';
import { buildOpenApiDocument, type OpenApiDocument } from '../../../../shared/http/openapi';
import { queryParam } from '../../../../shared/http/query-params';
import { defineRoute, type RouteSpec } from '../../../../shared/http/route';

const dataset = z
  .object({
    id: z.uuid(),
    name: z.string().min(1).max(200).describe('Unique per owner'),
    createdAt: z.date(),
    rows: z.bigint(),
  })
  .meta({ id: 'SampleDataset' });

const sampleRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/samples',
    group: 'samples',
    operationId: 'listSampleItems',
    summary: 'List datasets',
    tags: ['samples'],
    auth: 'user',
    request: {
      query: z.object({
        limit: queryParam.int({ min: 1, max: 100 }).default(20).describe('Page size'),
        cursor: z.string().optional(),
      }),
    },
    responses: {
      200: {
        description: 'A page',
        schema: z.object({ items: z.array(dataset), nextCursor: z.string().optional() }),
      },
    },
    handle: async () => ({ status: 200 }),
  }),
  defineRoute({
    method: 'POST',
    path: '/samples/{sampleId}/versions',
    group: 'samples',
    operationId: 'createSampleVersion',
    summary: 'Add a version',
    tags: ['samples'],
    auth: 'admin',
    request: {
      params: z.object({ sampleId: z.uuid() }),
      body: z.object({
        fileName: z.string(),
        sizeBytes: z.number().int().positive(),
        label: z.string().default(''),
      }),
    },
    responses: { 201: { description: 'Created', schema: dataset }, 409: { description: 'Duplicate upload' } },
    handle: async () => ({ status: 201 }),
  }),
];

function build(routes: readonly RouteSpec[] = [...apiRoutes, ...sampleRoutes]): OpenApiDocument {
  return buildOpenApiDocument(routes, {
    title: 'PipeWeave',
    version: '9.9.9',
    serverUrl: 'https://api.example.com',
  });
}

/** Every `$ref` in the document must point at something that exists. */
function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      doc,
    );
}

describe('buildOpenApiDocument', () => {
  it('has the OpenAPI 3.1 top-level structure', () => {
    const doc = build();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'PipeWeave', version: '9.9.9' });
    expect(doc.servers).toEqual([{ url: 'https://api.example.com' }]);
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/'))).toBe(true);
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    });
    const routeTags = [...new Set([...apiRoutes, ...sampleRoutes].flatMap((route) => route.tags))].sort();
    expect(doc.tags.map((t) => t.name)).toEqual(routeTags);
    expect(routeTags).toContain('system');
  });

  it('documents every route once, with unique operationIds', () => {
    const routes = [...apiRoutes, ...sampleRoutes];
    const doc = build(routes);
    for (const route of routes) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op?.operationId).toBe(route.operationId);
      expect(op?.tags).toEqual(route.tags);
    }
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(ids).toHaveLength(routes.length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents the system routes of the real API', () => {
    const doc = build(apiRoutes);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/openapi.json', '/docs']));
    expect(doc.paths['/health']?.['get']?.responses['503']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/HealthReport',
    });
    expect(doc.paths['/docs']?.['get']?.responses['200']?.content).toHaveProperty('text/html');
    expect(Object.keys(apiGroups)).toEqual(expect.arrayContaining(apiRoutes.map((r) => r.group)));
  });

  it('turns params and query schemas into parameters', () => {
    const doc = build();
    const list = doc.paths['/samples']?.['get'];
    expect(list?.parameters).toEqual([
      {
        name: 'limit',
        in: 'query',
        required: false,
        description: 'Page size',
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      },
      { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    const create = doc.paths['/samples/{sampleId}/versions']?.['post'];
    expect(create?.parameters).toEqual([
      {
        name: 'sampleId',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ type: 'string', format: 'uuid' }),
      },
    ]);
  });

  it('documents request bodies from the input side and rejects unknown fields', () => {
    const body = build().paths['/samples/{sampleId}/versions']?.['post']?.requestBody;
    expect(body?.required).toBe(true);
    const schema = body?.content['application/json']?.schema;
    expect(schema).toMatchObject({
      type: 'object',
      required: ['fileName', 'sizeBytes'],
      additionalProperties: false,
    });
  });

  it('points every error response at the Problem schema and applies security per auth', () => {
    const doc = build();
    expect(doc.components.schemas['Problem']).toMatchObject({
      type: 'object',
      required: expect.arrayContaining([
        'type',
        'title',
        'status',
        'detail',
        'instance',
        'code',
        'requestId',
      ]),
    });
    const create = doc.paths['/samples/{sampleId}/versions']?.['post'];
    for (const status of ['400', '401', '403', '409', '415', '500']) {
      expect(create?.responses[status]?.content?.['application/problem+json']?.schema, status).toEqual({
        $ref: '#/components/schemas/Problem',
      });
    }
    expect(create?.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    expect(doc.paths['/health']?.['get']?.security).toEqual([]);
    expect(doc.paths['/health']?.['get']?.responses['401']).toBeUndefined();
  });

  it('moves named schemas into components, dates and bigints included', () => {
    const doc = build();
    expect(doc.components.schemas['SampleDataset']).toMatchObject({
      properties: {
        createdAt: { type: 'string', format: 'date-time' },
        rows: { type: 'integer', format: 'int64' },
      },
    });
    for (const ref of collectRefs(doc)) {
      expect(resolvePointer(doc, ref), ref).toBeDefined();
    }
    expect(JSON.stringify(doc)).not.toContain('$defs');
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
  });

  it('produces JSON Schema 2020-12 that a validator compiles, and that validates real payloads', () => {
    const doc = build();
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'urn:pipeweave:openapi', components: doc.components }, 'urn:pipeweave:openapi');
    const schemaAt = (pointer: string) =>
      ajv.compile({ $ref: `urn:pipeweave:openapi#/components/schemas/${pointer}` });
    for (const name of Object.keys(doc.components.schemas)) expect(() => schemaAt(name), name).not.toThrow();

    const problem = schemaAt('Problem');
    expect(
      problem({
        type: 'urn:pipeweave:problem:x',
        title: 'X',
        status: 400,
        detail: 'd',
        instance: '/',
        code: 'X',
        requestId: 'r',
      }),
    ).toBe(true);
    expect(problem({ title: 'missing type' })).toBe(false);
    const report = schemaAt('HealthReport');
    expect(
      report({
        status: 'ok',
        version: '1',
        runtime: 'local',
        uptimeSeconds: 3,
        components: { db: { status: 'up', latencyMs: 2 } },
      }),
    ).toBe(true);
    expect(report({ status: 'fine' })).toBe(false);
  });

  it('refuses duplicate operationIds', () => {
    const duplicate = { ...sampleRoutes[0], path: '/other' } as RouteSpec;
    expect(() => build([...sampleRoutes, duplicate])).toThrow(/listSampleItems/);
  });
});
