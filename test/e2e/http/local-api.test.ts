import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };
import { apiHandlerFactories, apiRoutes } from '../../../functions/api/routes';
import { problemSchema } from '../../../shared/http/problem';
import type { RouteSpec } from '../../../shared/http/route';
import { startHttpServer, type RunningHttpServer } from '../../../infra/local/http-server';
import { httpTestServices, RecordingLogger, switchableCheck } from '../../unit/support/http-test-services';

/** The system routes served as `npm start` serves them: real handlers behind the local gateway. */
describe('local API server with the system routes', () => {
  const database = switchableCheck('database');
  const objects = switchableCheck('objects');
  const { services } = httpTestServices({ health: [database.check, objects.check] });
  const logger = new RecordingLogger();
  let server: RunningHttpServer;

  beforeAll(async () => {
    server = await startHttpServer({
      port: 0,
      routes: apiRoutes,
      logger,
      getHandler: async (group) => {
        const load = apiHandlerFactories[group];
        if (!load) throw new Error(`no factory for ${group}`);
        return (await load())(() => services);
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('reports healthy dependencies with 200', async () => {
    database.set('up');
    objects.set('up');
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ok',
      version: packageJson.version,
      runtime: 'local',
      components: {
        database: { status: 'up', detail: 'database ok' },
        objects: { status: 'up', detail: 'objects ok' },
      },
    });
    expect(typeof body['uptimeSeconds']).toBe('number');
  });

  it('answers 503 naming the component that is down, as a report rather than a problem', async () => {
    database.set('up');
    objects.set('down');
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({
      status: 'degraded',
      components: { database: { status: 'up' }, objects: { status: 'down', detail: 'objects unreachable' } },
    });
  });

  it('marks a check that throws or hangs as down without leaking its error', async () => {
    database.set('throw');
    objects.set('hang');
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    const body = JSON.parse(text) as { components: Record<string, { status: string; detail: string }> };
    expect(body.components['database']).toMatchObject({ status: 'down', detail: 'check failed' });
    expect(body.components['objects']).toMatchObject({
      status: 'down',
      detail: expect.stringMatching(/no answer within/),
    });
    database.set('up');
    objects.set('up');
  });

  it('serves the OpenAPI document with its own origin as the server', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: server.url }]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/openapi.json', '/docs']));
  });

  it('serves the docs page as self-contained HTML with its own CSP', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'sha256-/);
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!example)/);
  });

  it('answers an unknown path with a 404 problem', async () => {
    const res = await fetch(`${server.url}/nowhere?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = problemSchema.parse(await res.json());
    expect(problem).toMatchObject({ code: 'ROUTE.NOT_FOUND', instance: '/nowhere' });
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await fetch(`${server.url}/health`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(problemSchema.parse(await res.json()).status).toBe(405);
  });

  it('refuses a body over 10 MiB with 413', async () => {
    const res = await fetch(`${server.url}/health`, {
      method: 'POST',
      body: new Uint8Array(10 * 1024 * 1024 + 1),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(413);
    expect(problemSchema.parse(await res.json()).code).toBe('REQUEST.TOO_LARGE');
  });

  it('answers CORS preflights, for known and unknown paths', async () => {
    const headers = { origin: 'https://app.example.com', 'access-control-request-method': 'GET' };
    const known = await fetch(`${server.url}/health`, { method: 'OPTIONS', headers });
    expect(known.status).toBe(204);
    expect(known.headers.get('access-control-allow-origin')).toBe('*');
    expect(known.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(known.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const unknown = await fetch(`${server.url}/not-a-route`, { method: 'OPTIONS', headers });
    expect(unknown.status).toBe(204);
    // The gateway itself allows its own origin only, unless origins are configured.
    expect(unknown.headers.get('access-control-allow-origin')).toBeNull();
    const own = await fetch(`${server.url}/not-a-route`, {
      method: 'OPTIONS',
      headers: { ...headers, origin: server.url },
    });
    expect(own.headers.get('access-control-allow-origin')).toBe(server.url);
  });
});

/** What API Gateway hands a Lambda, checked field by field through a handler that echoes it. */
describe('local API server events and gateway behaviour', () => {
  const logger = new RecordingLogger();
  const echoRoutes: RouteSpec[] = [
    {
      method: 'POST',
      path: '/echo/{name}',
      group: 'echo',
      operationId: 'echo',
      summary: 'Echo the event',
      tags: ['test'],
      auth: 'none',
      responses: {},
      handle: async () => ({ status: 200 }),
    },
    {
      method: 'GET',
      path: '/files/{key+}',
      group: 'echo',
      operationId: 'file',
      summary: 'Binary or failing responses',
      tags: ['test'],
      auth: 'none',
      responses: {},
      handle: async () => ({ status: 200 }),
    },
  ];
  let release: () => void = () => {};
  const seen: { event: APIGatewayProxyEventV2; context: Context }[] = [];
  const echo = async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    seen.push({ event, context });
    const key = event.pathParameters?.['key'];
    if (key === 'crash') throw new Error('handler blew up');
    if (key === 'bad') return { statusCode: 99 };
    if (key === 'slow') await new Promise<void>((resolve) => (release = resolve));
    if (key === 'image.png') {
      return {
        statusCode: 200,
        headers: { 'content-type': 'image/png' },
        cookies: ['a=1; Path=/', 'b=2; Path=/'],
        body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString('base64'),
        isBase64Encoded: true,
      };
    }
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  };
  let server: RunningHttpServer;

  beforeAll(async () => {
    server = await startHttpServer({
      port: 0,
      routes: echoRoutes,
      logger,
      getHandler: () => echo,
      maxBodyBytes: 64 * 1024,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('builds a payload v2.0 event like API Gateway', async () => {
    const res = await rawRequest(server.url, {
      method: 'POST',
      path: '/echo/caf%C3%A9%20au%20lait?tag=a&tag=b&q=hello+world&empty=',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Custom', 'one'],
        ['X-Custom', 'two'],
        ['Cookie', 'session=abc; theme=dark'],
        ['User-Agent', 'e2e-agent'],
      ],
      body: '{"hello":"world"}',
    });
    expect(res.status).toBe(200);
    const { event, context } = seen.at(-1) ?? expect.fail('no event');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /echo/{name}',
      rawPath: '/echo/caf%C3%A9%20au%20lait',
      rawQueryString: 'tag=a&tag=b&q=hello+world&empty=',
      cookies: ['session=abc', 'theme=dark'],
      queryStringParameters: { tag: 'a,b', q: 'hello world', empty: '' },
      pathParameters: { name: 'café au lait' },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.any(String),
        apiId: expect.any(String),
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: {
          method: 'POST',
          path: '/echo/caf%C3%A9%20au%20lait',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'e2e-agent',
        },
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        routeKey: 'POST /echo/{name}',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
    });
    expect(event.headers['x-custom']).toBe('one,two');
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers['cookie']).toBeUndefined();
    expect(event.headers['x-forwarded-proto']).toBe('http');
    expect(Object.keys(event.headers).every((h) => h === h.toLowerCase())).toBe(true);
    expect(context.functionName).toBe('pipeweave-api-echo');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(20_000);
  });

  it('base64-encodes binary request bodies and decodes binary responses', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await fetch(`${server.url}/echo/bin`, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const { event } = seen.at(-1) ?? expect.fail('no event');
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(Buffer.from(bytes));

    const res = await fetch(`${server.url}/files/image.png`);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]));
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('refuses a chunked body that grows past the limit with 413', async () => {
    const big = 'x'.repeat(70 * 1024);
    const res = await rawRequest(server.url, {
      method: 'POST',
      path: '/echo/big',
      headers: [['Transfer-Encoding', 'chunked']],
      body: big,
    });
    expect(res.status).toBe(413);
  });

  it('answers a crashing handler with 502 and logs it', async () => {
    const res = await fetch(`${server.url}/files/crash`);
    expect(res.status).toBe(502);
    const problem = problemSchema.parse(await res.json());
    expect(problem.detail).not.toContain('blew up');
    expect(logger.text()).toContain('handler blew up');
    const invalid = await fetch(`${server.url}/files/bad`);
    expect(invalid.status).toBe(502);
  });

  it('lets an in-flight request finish when closing, then refuses connections', async () => {
    const local = await startHttpServer({ port: 0, routes: echoRoutes, logger, getHandler: () => echo });
    const before = seen.length;
    const pending = fetch(`${local.url}/files/slow`);
    const deadline = Date.now() + 5_000;
    while (seen.length === before && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(seen.length).toBe(before + 1);
    const closed = local.close();
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    await closed;
    await expect(fetch(`${local.url}/files/x`)).rejects.toThrow();
  });
});

/** node:http, so repeated headers, raw paths and chunked bodies are sent exactly as written. */
function rawRequest(
  base: string,
  options: { method: string; path: string; headers?: [string, string][]; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: options.method, path: options.path },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const [name, value] of options.headers ?? []) req.appendHeader(name, value);
    if (options.body) req.write(options.body);
    req.end();
  });
}
