import * as z from 'zod';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../kernel/idempotency-key';
import { strictSchema } from './middleware/validation';
import { PROBLEM_CONTENT_TYPE, problemSchema } from './problem';
import type { AuthRequirement, RouteSpec } from './route';
import { createRouteTable } from './route-table';

/**
 * OpenAPI 3.1 generated from the route specs: the zod schemas that validate requests are the
 * schemas documented. Parameters come from the `params`/`query` object schemas, bodies from
 * `body`, responses from `responses`; every error response points at the shared `Problem`.
 *
 * Request schemas are documented as validated: top-level objects strict (unknown fields are
 * rejected), query and params on their input (string) side.
 *
 * Security: `bearerAuth` (an access token: `Authorization: Bearer <JWT>`) or `apiKey` (the
 * `x-api-key` header) on routes with `auth: 'user' | 'admin'`; `security: []` on public ones.
 */
export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  serverUrl?: string;
}

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
  security: Record<string, string[]>[];
  'x-auth': AuthRequirement;
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const STANDARD_ERRORS: Record<number, string> = {
  400: 'The request is not valid (the problem names each offending field)',
  401: 'Missing or invalid credentials',
  403: 'Authenticated, but not allowed',
  415: 'The body is not JSON',
  500: 'Unexpected error (the problem carries the request id)',
};

export function buildOpenApiDocument(routes: readonly RouteSpec[], options: OpenApiOptions): OpenApiDocument {
  createRouteTable(routes); // rejects duplicate routes and operationIds before documenting them
  const schemas = new SchemaCollector();
  schemas.add(problemSchema, 'output');

  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const route of routes) {
    route.tags.forEach((t) => tags.add(t));
    const path = route.path.replace(/\{([^}+]+)\+\}/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operationFor(route, schemas);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Access token from POST /auth/login: Authorization: Bearer <token>',
        },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'An API key: x-api-key: <key>',
        },
      },
    },
  };
}

function operationFor(route: RouteSpec, schemas: SchemaCollector): OpenApiOperation {
  const parameters = [
    ...pathParameters(route, schemas),
    ...queryParameters(route, schemas),
    ...headerParameters(route),
  ];
  const hasBody = !!route.request?.body || !!route.rawBody;
  const responses: OpenApiOperation['responses'] = {};

  for (const [status, spec] of Object.entries(route.responses)) {
    // A declared schema is the body; an error without one is a Problem; a bare content type is text.
    const isError = Number(status) >= 400;
    const contentType =
      spec.contentType ??
      (spec.schema ? 'application/json' : isError ? PROBLEM_CONTENT_TYPE : 'application/json');
    const schema = spec.schema
      ? schemas.add(spec.schema, 'output')
      : isError
        ? PROBLEM_REF
        : spec.contentType
          ? { type: 'string' }
          : undefined;
    responses[status] = {
      description: spec.description,
      ...(schema && Number(status) !== 204 ? { content: { [contentType]: { schema } } } : {}),
    };
  }
  const implied: number[] = [500];
  if (parameters.length > 0 || hasBody) implied.push(400);
  if (route.request?.body && !route.rawBody) implied.push(415);
  if (route.auth !== 'none') implied.push(401);
  if (route.auth === 'admin') implied.push(403);
  for (const status of implied.sort()) {
    responses[String(status)] ??= {
      description: STANDARD_ERRORS[status] ?? 'Error',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
    };
  }

  const description = [route.description, route.auth === 'admin' ? 'Requires an administrator.' : undefined]
    .filter(Boolean)
    .join('\n\n');
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(description ? { description } : {}),
    tags: route.tags,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(hasBody ? { requestBody: requestBodyFor(route, schemas) } : {}),
    responses,
    security: route.auth === 'none' ? [] : [{ bearerAuth: [] }, { apiKey: [] }],
    'x-auth': route.auth,
  };
}

function requestBodyFor(
  route: RouteSpec,
  schemas: SchemaCollector,
): NonNullable<OpenApiOperation['requestBody']> {
  const body = route.request?.body;
  const schema = body ? schemas.add(strictSchema(body), 'input') : {};
  return {
    required: body ? !body.safeParse(undefined).success : true,
    content: { 'application/json': { schema } },
  };
}

function pathParameters(route: RouteSpec, schemas: SchemaCollector): OpenApiParameter[] {
  const names = [...route.path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1] ?? '');
  const declared = route.request?.params
    ? objectProperties(schemas.inline(strictSchema(route.request.params), 'input'))
    : undefined;
  return names.map((name) => {
    const property = declared?.properties[name] ?? { type: 'string' };
    return parameter(name, 'path', true, property);
  });
}

function queryParameters(route: RouteSpec, schemas: SchemaCollector): OpenApiParameter[] {
  if (!route.request?.query) return [];
  const { properties, required } = objectProperties(
    schemas.inline(strictSchema(route.request.query), 'input'),
  );
  return Object.entries(properties).map(([name, property]) =>
    parameter(name, 'query', required.includes(name), property),
  );
}

function headerParameters(route: RouteSpec): OpenApiParameter[] {
  const idempotency = route.idempotency;
  if (!idempotency) return [];
  const replay =
    idempotency.description ??
    (idempotency.mode === 'stored'
      ? 'A retry with the same key and the same request within 24 hours answers the first response (same status and body, header `idempotent-replayed: true`) without doing it again.'
      : 'A retry with the same key and the same request answers what the first one created (same status, header `idempotent-replayed: true`).');
  return [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: idempotency.required ?? false,
      description: `Makes retries safe: 1–${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, scoped to you and this operation. ${replay} The same key with a different request is a 409 (IDEMPOTENCY.KEY_REUSED)${idempotency.mode === 'stored' ? '; while the first request still runs, a 409 (IDEMPOTENCY.IN_PROGRESS) with Retry-After' : ''}.`,
      schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
    },
  ];
}

function parameter(
  name: string,
  location: 'path' | 'query',
  required: boolean,
  property: JsonSchema,
): OpenApiParameter {
  const { description, ...schema } = property;
  return {
    name,
    in: location,
    required,
    ...(typeof description === 'string' ? { description } : {}),
    schema,
  };
}

function objectProperties(schema: JsonSchema): {
  properties: Record<string, JsonSchema>;
  required: string[];
} {
  const properties = isRecord(schema['properties'])
    ? (schema['properties'] as Record<string, JsonSchema>)
    : {};
  const required = Array.isArray(schema['required'])
    ? schema['required'].filter((r) => typeof r === 'string')
    : [];
  return { properties, required };
}

/**
 * Converts zod schemas to JSON Schema 2020-12 (the dialect of OpenAPI 3.1) and moves named
 * definitions (`.meta({ id })`) into `components.schemas`. The same id seen for request and
 * response may differ (defaults make fields optional on input): the input one gets `Input`.
 */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};
  private readonly owners = new Map<string, string>();

  add(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    return this.inline(schema, io);
  }

  inline(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const generated = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      override: (ctx) => {
        const type = ctx.zodSchema._zod.def.type;
        if (type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
        if (type === 'bigint') Object.assign(ctx.jsonSchema, { type: 'integer', format: 'int64' });
      },
    }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = generated;
    const renames = new Map<string, string>();
    if (isRecord($defs)) {
      for (const [id, definition] of Object.entries($defs)) {
        renames.set(id, this.register(id, definition as JsonSchema, io));
      }
    }
    const rewritten = rewriteRefs(root, renames) as JsonSchema;
    for (const [id, name] of renames) {
      if (this.components[name] === PENDING)
        this.components[name] = rewriteRefs(($defs as JsonSchema)[id], renames) as JsonSchema;
    }
    return rewritten;
  }

  private register(id: string, definition: JsonSchema, io: 'input' | 'output'): string {
    const key = JSON.stringify(definition);
    const existing = this.owners.get(id);
    if (existing === undefined) {
      this.owners.set(id, key);
      this.components[id] = PENDING;
      return id;
    }
    if (existing === key) return id;
    const alternative = io === 'input' ? `${id}Input` : `${id}Output`;
    if (!this.owners.has(alternative)) {
      this.owners.set(alternative, key);
      this.components[alternative] = PENDING;
    }
    return alternative;
  }
}

const PENDING: JsonSchema = Object.freeze({});

function rewriteRefs(value: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, renames));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
      const id = decodeURIComponent(v.slice('#/$defs/'.length));
      out[key] = `#/components/schemas/${renames.get(id) ?? id}`;
    } else {
      out[key] = rewriteRefs(v, renames);
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
