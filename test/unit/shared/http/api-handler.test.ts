import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DatabaseError, SqlState } from '../../../../shared/db/database-error';
import { ConflictError, TooManyRequestsError, UnauthorizedError } from '../../../../shared/kernel/app-error';
import { createApiHandler, type Authenticate } from '../../../../shared/http/api-handler';
import { problemSchema } from '../../../../shared/http/problem';
import { queryParam } from '../../../../shared/http/query-params';
import { defineRoute, type Caller, type RouteSpec } from '../../../../shared/http/route';
import type { Services } from '../../../../shared/ports/services';
import { apiEvent, httpTestServices, lambdaContext, type EventInput } from '../../support/http-test-services';
import { TEST_EVENTS } from '../../../support/repo-paths';

const seen: {
  body?: unknown;
  query?: unknown;
  params?: unknown;
  caller?: Caller;
  rawBody?: string;
  origin?: string;
}[] = [];

const routes: RouteSpec[] = [
  defineRoute({
    method: 'POST',
    path: '/items',
    group: 'test',
    operationId: 'createItem',
    summary: 'Create an item',
    tags: ['items'],
    auth: 'none',
    request: { body: z.object({ name: z.string().min(1), size: z.number().int().optional() }) },
    responses: { 201: { description: 'Created' } },
    async handle(request) {
      seen.push({ body: request.body });
      return { status: 201, body: { id: 'item-1', name: request.body.name, big: 2n ** 64n, small: 7n } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/items',
    group: 'test',
    operationId: 'listItems',
    summary: 'List items',
    tags: ['items'],
    auth: 'none',
    request: {
      query: z.object({
        limit: queryParam.int({ min: 1, max: 100 }).default(20),
        archived: queryParam.boolean().optional(),
        tags: queryParam.list(z.string()).optional(),
      }),
    },
    responses: { 200: { description: 'Items' } },
    async handle(request) {
      seen.push({ query: request.query, origin: request.origin });
      return { status: 200, body: { items: [] } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/items/{itemId}',
    group: 'test',
    operationId: 'getItem',
    summary: 'Get an item',
    tags: ['items'],
    auth: 'user',
    request: { params: z.object({ itemId: z.uuid() }) },
    responses: { 200: { description: 'The item' } },
    async handle(request) {
      seen.push({ params: request.params, caller: request.caller });
      return { status: 200, body: { id: request.params.itemId } };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/items/{itemId}',
    group: 'test',
    operationId: 'deleteItem',
    summary: 'Delete an item',
    tags: ['items'],
    auth: 'admin',
    request: { params: z.object({ itemId: z.uuid() }) },
    responses: { 204: { description: 'Deleted' } },
    async handle() {
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/hooks',
    group: 'test',
    operationId: 'receiveHook',
    summary: 'Signed webhook',
    tags: ['hooks'],
    auth: 'none',
    rawBody: true,
    responses: { 200: { description: 'Accepted' } },
    async handle(request) {
      seen.push({ rawBody: request.rawBody });
      return { status: 200, body: { received: true } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/boom/{kind}',
    group: 'test',
    operationId: 'boom',
    summary: 'Fails on purpose',
    tags: ['errors'],
    auth: 'none',
    responses: { 200: { description: 'Never' } },
    async handle(request) {
      const kind = (request.params as { kind: string }).kind;
      if (kind === 'unique')
        throw new DatabaseError('duplicate key value violates "items_name_key"', SqlState.uniqueViolation);
      if (kind === 'slow')
        throw new TooManyRequestsError('ITEMS.RATE_LIMITED', 'Slow down.', { retryAfterSeconds: 7 });
      if (kind === 'in-progress') {
        throw new ConflictError('IDEMPOTENCY.IN_PROGRESS', 'Still running.', {
          field: 'headers.idempotency-key',
          details: { retryAfterSeconds: 1 },
        });
      }
      throw new Error('secret SQL text: SELECT * FROM users WHERE password = $1');
    },
  }),
];

/** An operation that keeps its own Idempotency-Key and says when it answers a retry. */
routes.push(
  defineRoute({
    method: 'POST',
    path: '/grants',
    group: 'test',
    operationId: 'grant',
    summary: 'Grant (answers retries itself)',
    tags: ['items'],
    auth: 'none',
    idempotency: { mode: 'own' },
    responses: { 201: { description: 'Granted' } },
    async handle(request) {
      return {
        status: 201,
        replayed: request.headers['idempotency-key'] === 'seen',
        body: { id: 'grant-1' },
      };
    },
  }),
);

const user: Caller = { userId: 'u-1', role: 'user', via: 'jwt', scopes: [] };
const admin: Caller = { userId: 'a-1', role: 'admin', via: 'api-key', scopes: [] };

/** Accepts `Bearer user` / `Bearer admin`; rejects `Bearer expired`. */
const authenticate: Authenticate = async (request) => {
  const header = request.headers['authorization'];
  if (header === 'Bearer user') return user;
  if (header === 'Bearer admin') return admin;
  if (header === 'Bearer expired')
    throw new UnauthorizedError('Your session expired.', { code: 'AUTH.TOKEN_EXPIRED' });
  return undefined;
};

function setup(options: { corsOrigins?: string; withAuth?: boolean } = {}) {
  const { services, logger, metrics } = httpTestServices({ corsOrigins: options.corsOrigins });
  let loads = 0;
  const handler = createApiHandler(
    routes,
    () => {
      loads++;
      return services;
    },
    options.withAuth === false ? {} : { authenticate },
  );
  const call = async (input: EventInput) => {
    const result = await handler(apiEvent(input), lambdaContext());
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const json =
      result.body && headers['content-type']?.includes('json')
        ? (JSON.parse(result.body) as Record<string, unknown>)
        : undefined;
    return { status: result.statusCode, headers, body: result.body, json };
  };
  return { call, logger, metrics, loads: () => loads };
}

const json = { 'content-type': 'application/json' };
const itemId = '0b6f3c1e-8a39-4e7f-9d1a-3c5b2f7e9a10';

describe('request bodies', () => {
  it('passes a valid JSON body to the handler and serializes bigints safely', async () => {
    const { call } = setup();
    const res = await call({
      method: 'POST',
      path: '/items',
      headers: json,
      body: '{"name":"iris","size":3}',
    });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({ id: 'item-1', name: 'iris', big: '18446744073709551616', small: 7 });
  });

  it('rejects unknown body fields, naming them', async () => {
    const { call } = setup();
    const res = await call({
      method: 'POST',
      path: '/items',
      headers: json,
      body: '{"name":"iris","role":"admin"}',
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    const problem = problemSchema.parse(res.json);
    expect(problem.field).toBe('body.role');
    expect(problem.errors).toEqual([{ field: 'body.role', message: 'This field is not allowed.' }]);
    expect(problem.type).toBe('urn:pipeweave:problem:request.invalid');
  });

  it('reports every invalid field at once', async () => {
    const { call } = setup();
    const res = await call({ method: 'POST', path: '/items', headers: json, body: '{"name":"","size":1.5}' });
    expect(res.status).toBe(400);
    expect(problemSchema.parse(res.json).errors?.map((e) => e.field)).toEqual(['body.name', 'body.size']);
  });

  it('answers malformed JSON with 400 naming the body', async () => {
    const { call } = setup();
    const res = await call({ method: 'POST', path: '/items', headers: json, body: '{"name": "iris",' });
    expect(res.status).toBe(400);
    const problem = problemSchema.parse(res.json);
    expect(problem.field).toBe('body');
    expect(problem.code).toBe('REQUEST.INVALID_JSON');
  });

  it('answers a body that is not JSON with 415', async () => {
    const { call } = setup();
    const res = await call({
      method: 'POST',
      path: '/items',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=iris',
    });
    expect(res.status).toBe(415);
    expect(problemSchema.parse(res.json).type).toBe('urn:pipeweave:problem:request.unsupported-media-type');
  });

  it('requires a body when the route declares one', async () => {
    const { call } = setup();
    const res = await call({ method: 'POST', path: '/items', headers: json });
    expect(res.status).toBe(400);
    expect(problemSchema.parse(res.json).field).toBe('body');
  });

  it('decodes base64 bodies', async () => {
    const { call } = setup();
    const body = Buffer.from('{"name":"encoded"}').toString('base64');
    const res = await call({ method: 'POST', path: '/items', headers: json, body, isBase64Encoded: true });
    expect(res.status).toBe(201);
    expect(res.json?.['name']).toBe('encoded');
  });

  it('keeps the raw body for rawBody routes without parsing it', async () => {
    const { call } = setup();
    const raw = '{"id":"evt_1",  "type":"x"}';
    const res = await call({
      method: 'POST',
      path: '/hooks',
      headers: { 'content-type': 'application/json' },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.rawBody).toBe(raw);
  });
});

describe('query and path parameters', () => {
  it('coerces numbers, booleans and comma lists', async () => {
    const { call } = setup();
    const res = await call({
      method: 'GET',
      path: '/items',
      query: { limit: '5', archived: 'false', tags: 'a,b' },
    });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.query).toEqual({ limit: 5, archived: false, tags: ['a', 'b'] });
    await call({ method: 'GET', path: '/items' });
    expect(seen.at(-1)?.query).toEqual({ limit: 20 });
  });

  it('names invalid and unknown query parameters', async () => {
    const { call } = setup();
    const res = await call({
      method: 'GET',
      path: '/items',
      query: { limit: '500', archived: 'yes', sort: 'name' },
    });
    expect(res.status).toBe(400);
    expect(
      problemSchema
        .parse(res.json)
        .errors?.map((e) => e.field)
        .sort(),
    ).toEqual(['query.archived', 'query.limit', 'query.sort']);
  });

  it('validates path parameters', async () => {
    const { call } = setup();
    const res = await call({
      method: 'GET',
      path: '/items/not-a-uuid',
      routeKey: 'GET /items/{itemId}',
      pathParameters: { itemId: 'not-a-uuid' },
      headers: { authorization: 'Bearer user' },
    });
    expect(res.status).toBe(400);
    expect(problemSchema.parse(res.json).field).toBe('params.itemId');
  });

  it('gives the handler the origin the client used', async () => {
    const { call } = setup();
    await call({ method: 'GET', path: '/items' });
    expect(seen.at(-1)?.origin).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
  });
});

describe('routing', () => {
  it('dispatches $default events by method and path, with decoded path parameters', async () => {
    const { call } = setup();
    const res = await call({
      method: 'GET',
      path: `/items/${itemId}`,
      routeKey: '$default',
      headers: { authorization: 'Bearer user' },
    });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.params).toEqual({ itemId });
  });

  it('answers unknown paths with 404 and wrong methods with 405 and Allow', async () => {
    const { call } = setup();
    const missing = await call({ method: 'GET', path: '/nothing', routeKey: '$default' });
    expect(missing.status).toBe(404);
    expect(problemSchema.parse(missing.json).code).toBe('ROUTE.NOT_FOUND');
    const wrong = await call({
      method: 'PUT',
      path: '/items',
      routeKey: '$default',
      headers: json,
      body: '{}',
    });
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, HEAD, POST, OPTIONS');
  });

  it('answers 204 without a body or content type', async () => {
    const { call } = setup();
    const res = await call({
      method: 'DELETE',
      path: `/items/${itemId}`,
      routeKey: 'DELETE /items/{itemId}',
      headers: { authorization: 'Bearer admin' },
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(res.headers['content-type']).toBeUndefined();
  });
});

describe('authentication', () => {
  const get = { method: 'GET', path: `/items/${itemId}`, routeKey: 'GET /items/{itemId}' };

  it('lets anyone call auth none routes, even with no authenticator', async () => {
    const { call } = setup({ withAuth: false });
    expect((await call({ method: 'GET', path: '/items' })).status).toBe(200);
  });

  it('refuses user routes when no authenticator is configured', async () => {
    const { call } = setup({ withAuth: false });
    const res = await call({ ...get, headers: { authorization: 'Bearer user' } });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers 401 with WWW-Authenticate when there is no caller', async () => {
    const { call } = setup();
    const res = await call(get);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(problemSchema.parse(res.json).type).toBe('urn:pipeweave:problem:auth.unauthorized');
  });

  it('passes the authenticator’s own 401 through', async () => {
    const { call } = setup();
    const res = await call({ ...get, headers: { authorization: 'Bearer expired' } });
    expect(res.status).toBe(401);
    expect(problemSchema.parse(res.json).code).toBe('AUTH.TOKEN_EXPIRED');
  });

  it('gives the caller to user routes', async () => {
    const { call } = setup();
    const res = await call({ ...get, headers: { authorization: 'Bearer user' } });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.caller).toEqual(user);
  });

  it('answers 403 to a non-admin on admin routes and lets admins through', async () => {
    const { call } = setup();
    const del = { method: 'DELETE', path: `/items/${itemId}`, routeKey: 'DELETE /items/{itemId}' };
    expect((await call({ ...del, headers: { authorization: 'Bearer user' } })).status).toBe(403);
    expect((await call({ ...del, headers: { authorization: 'Bearer admin' } })).status).toBe(204);
    expect((await call(del)).status).toBe(401);
  });
});

describe('CORS', () => {
  it('answers a preflight for a known path with the allowed methods and origin', async () => {
    const { call } = setup({ corsOrigins: 'https://app.example.com' });
    const res = await call({
      method: 'OPTIONS',
      path: '/items',
      routeKey: '$default',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, OPTIONS');
    expect(res.headers['allow']).toBe('GET, HEAD, POST, OPTIONS');
    expect(res.headers['access-control-allow-headers']).toContain('authorization');
    expect(res.body).toBeUndefined();
  });

  it('does not grant other origins', async () => {
    const { call } = setup({ corsOrigins: 'https://app.example.com' });
    const res = await call({
      method: 'GET',
      path: '/items',
      headers: { origin: 'https://evil.example.net' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('adds CORS headers to errors too, so browsers can read problems', async () => {
    const { call } = setup({ corsOrigins: '*' });
    const res = await call({
      method: 'GET',
      path: '/boom/x',
      headers: { origin: 'https://app.example.com' },
    });
    expect(res.status).toBe(500);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
  });
});

describe('response headers', () => {
  it('sets security headers on success and on errors, all lower-case', async () => {
    const { call } = setup();
    for (const res of [
      await call({ method: 'GET', path: '/items' }),
      await call({ method: 'GET', path: '/nope', routeKey: '$default' }),
    ]) {
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(Object.keys(res.headers).every((name) => name === name.toLowerCase())).toBe(true);
      expect(Object.values(res.headers).every((value) => value !== '' && value !== 'undefined')).toBe(true);
    }
  });

  it('reuses a sane x-request-id and replaces an unsafe one', async () => {
    const { call } = setup();
    const kept = await call({ method: 'GET', path: '/items', headers: { 'x-request-id': 'client-abc.123' } });
    expect(kept.headers['x-request-id']).toBe('client-abc.123');
    for (const bad of ['a'.repeat(129), 'two words', 'x\ninjected', '']) {
      const res = await call({ method: 'GET', path: '/items', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).toMatch(/^apigw-/);
    }
  });
});

describe('errors', () => {
  it('hides an unexpected error from the client, logs it, and quotes the request id', async () => {
    const { call, logger } = setup();
    const res = await call({ method: 'GET', path: '/boom/x', headers: { 'x-request-id': 'trace-me-1' } });
    expect(res.status).toBe(500);
    expect(res.body).not.toMatch(/secret|SELECT|password|at .*\.ts/);
    expect(res.body).toContain('trace-me-1');
    expect(problemSchema.parse(res.json).requestId).toBe('trace-me-1');
    expect(logger.text()).toContain('secret SQL text');
    expect(logger.records.find((r) => r['message'] === 'request failed')?.['requestId']).toBe('trace-me-1');
  });

  it('maps a unique violation to 409', async () => {
    const { call } = setup();
    const res = await call({ method: 'GET', path: '/boom/unique' });
    expect(res.status).toBe(409);
    expect(res.body).not.toContain('items_name_key');
  });

  it('sets Retry-After on a 409 for a request still in progress', async () => {
    const { call } = setup();
    const res = await call({ method: 'GET', path: '/boom/in-progress' });
    expect(res.status).toBe(409);
    expect(res.headers['retry-after']).toBe('1');
  });

  it('marks a replay answered by the operation itself with the first status and idempotent-replayed', async () => {
    const { call } = setup();
    const first = await call({ method: 'POST', path: '/grants', headers: { 'idempotency-key': 'new' } });
    const replay = await call({ method: 'POST', path: '/grants', headers: { 'idempotency-key': 'seen' } });
    expect([first.status, replay.status]).toEqual([201, 201]);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json).toEqual(first.json);
  });

  it('sets Retry-After on 429', async () => {
    const { call } = setup();
    const res = await call({ method: 'GET', path: '/boom/slow' });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
  });
});

describe('logging, metrics and services', () => {
  it('logs one access line per request without bodies or credentials', async () => {
    const { call, logger } = setup();
    await call({
      method: 'POST',
      path: '/items',
      headers: { ...json, authorization: 'Bearer user', 'x-request-id': 'log-1' },
      body: '{"name":"top-secret-name"}',
    });
    const line = logger.records.find((r) => r['message'] === 'http request');
    expect(line).toMatchObject({ method: 'POST', route: 'POST /items', status: 201, requestId: 'log-1' });
    expect(typeof line?.['latencyMs']).toBe('number');
    expect(logger.text()).not.toContain('top-secret-name');
    expect(logger.text()).not.toContain('Bearer');
  });

  it('counts requests and server errors per route', async () => {
    const { call, metrics } = setup();
    await call({ method: 'GET', path: '/items' });
    await call({ method: 'GET', path: '/boom/x' });
    const count = (name: string) => metrics.recorded.filter((m) => m.name === name).length;
    expect(count('HttpRequests')).toBe(2);
    expect(count('HttpServerErrors')).toBe(1);
    expect(metrics.recorded.find((m) => m.name === 'HttpServerErrors')?.dimensions).toEqual({
      route: 'GET /boom/{kind}',
    });
  });

  it('creates the services once per container', async () => {
    const { call, loads } = setup();
    await Promise.all([call({ method: 'GET', path: '/items' }), call({ method: 'GET', path: '/items' })]);
    await call({ method: 'GET', path: '/items' });
    expect(loads()).toBe(1);
  });

  it('answers 500 when the services cannot start, and tries again next time', async () => {
    const { services } = httpTestServices();
    let attempts = 0;
    const handler = createApiHandler(routes, (): Services => {
      attempts++;
      if (attempts === 1) throw new Error('PW_DATABASE_URL=postgres://user:pw@host is unreachable');
      return services;
    });
    const first = await handler(apiEvent({ method: 'GET', path: '/items' }), lambdaContext());
    expect(first.statusCode).toBe(500);
    expect(first.body).not.toContain('postgres://');
    const second = await handler(apiEvent({ method: 'GET', path: '/items' }), lambdaContext());
    expect(second.statusCode).toBe(200);
  });
});

describe('a recorded API Gateway event', () => {
  it('is served end to end: routing, auth header, body and the gateway request id', async () => {
    const { services } = httpTestServices();
    const recorded = JSON.parse(
      readFileSync(path.join(TEST_EVENTS, 'apigw-v2-http-request.json'), 'utf8'),
    ) as APIGatewayProxyEventV2;
    let received: unknown;
    const handler = createApiHandler(
      [
        defineRoute({
          method: 'POST',
          path: '/datasets',
          group: 'test',
          operationId: 'createDataset',
          summary: 'Create a dataset',
          tags: ['datasets'],
          auth: 'user',
          request: {
            body: z.object({
              name: z.string(),
              modality: z.enum(['tabular', 'text']),
              fileName: z.string(),
              sizeBytes: z.number().int(),
            }),
          },
          responses: { 201: { description: 'Created' } },
          async handle(request) {
            received = {
              body: request.body,
              caller: request.caller?.userId,
              idempotencyKey: request.headers['idempotency-key'],
            };
            return { status: 201, body: { ok: true } };
          },
        }),
      ],
      () => services,
      {
        authenticate: async (request) =>
          request.headers['authorization']?.startsWith('Bearer ') ? user : undefined,
      },
    );
    const result = await handler(recorded, lambdaContext());
    expect(result.statusCode).toBe(201);
    expect(result.headers?.['x-request-id']).toBe('JKJaXmPLvHcESHA=');
    expect(received).toEqual({
      body: { name: 'sales 2026', modality: 'tabular', fileName: 'sales.csv', sizeBytes: 1048576 },
      caller: 'u-1',
      idempotencyKey: '3f0e1d2c-4b5a-4968-8776-5a4b3c2d1e0f',
    });
  });
});
