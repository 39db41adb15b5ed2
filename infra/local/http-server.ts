import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ApiGatewayHandler } from '../../shared/http/api-handler';
import { stringifyJson } from '../../shared/http/json';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from '../../shared/http/problem';
import { allowHeader, routeKey, type RouteSpec } from '../../shared/http/route';
import { createRouteTable } from '../../shared/http/route-table';
import { securityHeaderValues } from '../../shared/http/middleware/security-headers';
import type { Logger } from '../../shared/observability/logger';

/**
 * The local stand-in for API Gateway (HTTP API, payload format 2.0): matches requests against
 * the same route specs CDK deploys, builds the same events, calls the same handlers and writes
 * their results back, including API Gateway's own answers (404, 413, 502) where it gives them.
 */
export interface HttpServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  routes: readonly RouteSpec[];
  /** The handler of a group; called once per group (the result is kept, like a warm container). */
  getHandler: (group: string) => ApiGatewayHandler | Promise<ApiGatewayHandler>;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** API Gateway rejects larger request payloads (10 MB). */
  maxBodyBytes?: number;
  /** Origins answered on preflights for paths without routes (API Gateway's own CORS); `*` only when given. */
  corsOrigins?: string[];
  /** API Gateway's integration timeout: the handler's remaining time starts here. */
  timeoutMs?: number;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes every socket. */
  close(options?: { graceMs?: number }): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const ACCOUNT_ID = '000000000000';
const API_ID = 'local';

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const table = createRouteTable(options.routes);
  const corsOrigins = options.corsOrigins ?? [];
  const { logger } = options;
  // The gateway's own answers carry the security headers the handlers' answers do.
  const gatewayHeaders = await securityHeaderValues();
  /** Its own origin (known once listening) is always allowed, like the configured ones. */
  let ownOrigin = '';

  // One handler per group, like one warm Lambda container per function; a failed load is retried.
  const handlers = new Map<string, Promise<ApiGatewayHandler>>();
  const handlerFor = (group: string) => {
    let pending = handlers.get(group);
    if (!pending) {
      pending = Promise.resolve().then(() => options.getHandler(group));
      pending.catch(() => handlers.delete(group));
      handlers.set(group, pending);
    }
    return pending;
  };

  let closing = false;
  const inFlight = new Set<Promise<void>>();

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const work = handle(req, res).catch((error: unknown) => {
      logger.error('local http server failed to answer', { error });
      if (!res.headersSent)
        writeProblem(res, 500, 'Internal error', 'The local server failed.', req, randomUUID());
      else res.destroy();
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const server = createServer(onRequest);
  // `Expect: 100-continue`: a body declared too large is refused before the client sends it (the
  // 413 is the answer instead of 100 Continue); any other request is told to go on.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaredTooLarge(req, maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    if (closing) res.setHeader('connection', 'close');
    const target = splitTarget(req.url ?? '/');
    // HEAD is served wherever GET is: the handler answers the GET, Node leaves out the body.
    const requested = (req.method ?? 'GET').toUpperCase();
    const method = requested === 'HEAD' ? 'GET' : requested;

    if (declaredTooLarge(req, maxBodyBytes)) return tooLarge(req, res, requestId, maxBodyBytes);

    let spec: RouteSpec | undefined;
    let pathParameters: Record<string, string> = {};
    if (method === 'OPTIONS') {
      const methods = table.methodsFor(target.rawPath);
      const first = methods[0] && table.lookup(methods[0], target.rawPath);
      if (!first || first.kind !== 'found') return preflightWithoutRoute(req, res, requestId);
      spec = first.route;
      pathParameters = first.params;
    } else {
      const found = table.lookup(method, target.rawPath);
      if (found.kind === 'not-found') {
        return writeProblem(
          res,
          404,
          'Not found',
          `No route matches ${requested} ${target.rawPath}.`,
          req,
          requestId,
          {
            code: 'ROUTE.NOT_FOUND',
            headers: corsHeadersFor(req),
          },
        );
      }
      if (found.kind === 'method-not-allowed') {
        return writeProblem(
          res,
          405,
          'Method not allowed',
          `${requested} is not allowed here; use ${found.allow.join(', ')}.`,
          req,
          requestId,
          {
            code: 'REQUEST.METHOD_NOT_ALLOWED',
            headers: { allow: allowHeader(found.allow), ...corsHeadersFor(req) },
          },
        );
      }
      spec = found.route;
      pathParameters = found.params;
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') return tooLarge(req, res, requestId, maxBodyBytes);

    const key = method === 'OPTIONS' ? `OPTIONS ${spec.path}` : routeKey(spec);
    const event = buildEvent(req, target, key, pathParameters, body, requestId);
    const context = lambdaContext(spec.group, timeoutMs);

    let result: APIGatewayProxyStructuredResultV2 | string;
    try {
      const handler = await handlerFor(spec.group);
      result = await handler(event, context);
    } catch (error) {
      // API Gateway answers a failed invocation with 502; say which request so logs can be found.
      logger.error('handler failed', { error, group: spec.group, routeKey: key, requestId });
      return writeProblem(
        res,
        502,
        'Bad gateway',
        `The ${spec.group} function failed; request id ${requestId}.`,
        req,
        requestId,
        {
          code: 'GATEWAY.INTEGRATION_FAILED',
        },
      );
    }
    try {
      writeResult(res, result);
    } catch (error) {
      logger.error('handler returned an invalid response', {
        error,
        group: spec.group,
        routeKey: key,
        requestId,
      });
      if (!res.headersSent) {
        writeProblem(
          res,
          502,
          'Bad gateway',
          `The ${spec.group} function returned an invalid response.`,
          req,
          requestId,
          {
            code: 'GATEWAY.INVALID_RESPONSE',
          },
        );
      }
    }
  }

  function preflightWithoutRoute(req: IncomingMessage, res: ServerResponse, requestId: string) {
    // Like API Gateway with CORS configured: the preflight succeeds, the real request then gets 404.
    res.writeHead(204, {
      ...gatewayHeaders,
      ...corsHeadersFor(req),
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      'access-control-allow-headers':
        req.headers['access-control-request-headers'] ?? 'content-type, authorization',
      'access-control-max-age': '600',
      'apigw-requestid': requestId,
    });
    res.end();
  }

  function corsHeadersFor(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (corsOrigins.includes('*')) return { 'access-control-allow-origin': '*' };
    if (origin && (corsOrigins.includes(origin) || origin === ownOrigin))
      return { 'access-control-allow-origin': origin, vary: 'Origin' };
    return {};
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse, requestId: string, limit: number) {
    // Answered at once. A client waiting for 100 Continue never sends the body, so the connection
    // closes; any other client is still sending, and closing now would break its pipe before it
    // reads the answer: the rest of the body is read and dropped (up to DISCARD_LIMIT_BYTES).
    if (expectsContinue(req)) res.setHeader('connection', 'close');
    else discardBody(req);
    writeProblem(res, 413, 'Too large', `The request body exceeds ${limit} bytes.`, req, requestId, {
      code: 'REQUEST.TOO_LARGE',
      headers: corsHeadersFor(req),
    });
  }

  function writeProblem(
    ...args: Parameters<typeof writeProblemWith> extends [unknown, ...infer Rest] ? Rest : never
  ) {
    writeProblemWith(gatewayHeaders, ...args);
  }

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  ownOrigin = url;
  logger.info('local API listening', { url });

  return {
    url,
    port: address.port,
    async close({ graceMs = 10_000 } = {}) {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), deadline]);
      // Keep-alive sockets between requests (and any request past the grace period) end here.
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}

interface Target {
  rawPath: string;
  rawQueryString: string;
}

function splitTarget(url: string): Target {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  return {
    rawPath: rawPath.startsWith('/') ? rawPath : `/${rawPath}`,
    rawQueryString: q === -1 ? '' : url.slice(q + 1),
  };
}

/** How much of a refused body is read and dropped so its client sees the 413; past that the socket is cut. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > limit;
}

function expectsContinue(req: IncomingMessage): boolean {
  return (req.headers['expect'] ?? '').toLowerCase() === '100-continue';
}

/** Reads and drops the rest of a refused body, so its sender finishes and reads the answer. */
function discardBody(req: IncomingMessage, alreadyRead = 0): void {
  let read = alreadyRead;
  req.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read > DISCARD_LIMIT_BYTES) req.socket.destroy();
  });
  req.resume();
}

/** The body, or 'too-large' as soon as it passes `limit` (the rest is then dropped, see `discardBody`). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', reject);
      discardBody(req, size);
      resolve('too-large');
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

/** Content types API Gateway passes as text; everything else arrives base64-encoded. */
function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/javascript' ||
    type === 'application/graphql'
  );
}

export function buildEvent(
  req: IncomingMessage,
  target: Target,
  key: string,
  pathParameters: Record<string, string>,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (name === 'cookie' || !values) continue; // API Gateway moves cookies to `cookies`
    headers[name] = values.join(',');
  }
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  // What API Gateway adds in front of the integration.
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  const cookies = (req.headersDistinct['cookie'] ?? [])
    .flatMap((line) => line.split(';'))
    .map((c) => c.trim())
    .filter(Boolean);

  const query = parseQuery(target.rawQueryString);
  const domainName = (headers['host'] ?? 'localhost').replace(/:\d+$/, '');
  const now = new Date();
  const isText = isTextContentType(headers['content-type']);
  const method = (req.method ?? 'GET').toUpperCase();

  return {
    version: '2.0',
    routeKey: key,
    rawPath: target.rawPath,
    rawQueryString: target.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: target.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: key,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

/** Repeated keys are comma-joined, values URL-decoded (`+` is a space), as API Gateway does. */
function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `21/Nov/2026:21:55:00 +0000`, API Gateway's `requestContext.time`. */
function formatRequestTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

function lambdaContext(group: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const functionName = `pipeweave-api-${group}`;
  const callbackStyle = () => {
    throw new Error('Callback-style completion is not supported: return a promise from the handler.');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callbackStyle,
    fail: callbackStyle,
    succeed: callbackStyle,
  };
}

/**
 * Writes a handler result as API Gateway does: a structured result as given (base64 bodies
 * decoded, cookies as Set-Cookie); anything else is a 200 JSON body.
 */
function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string): void {
  if (
    typeof result === 'string' ||
    result === null ||
    typeof result !== 'object' ||
    result.statusCode === undefined
  ) {
    const body = typeof result === 'string' ? result : stringifyJson(result);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const status = result.statusCode;
  if (!Number.isInteger(status) || status < 100 || status > 599)
    throw new Error(`Invalid status code ${status}`);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? undefined
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(status, headers);
  res.end(body);
}

function writeProblemWith(
  securityHeaders: Record<string, string>,
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  req: IncomingMessage,
  requestId: string,
  extra: { code?: string; headers?: Record<string, string> } = {},
): void {
  const code = extra.code ?? 'GATEWAY.ERROR';
  const problem: Problem = {
    type: problemType(code),
    title,
    status,
    detail,
    instance: splitTarget(req.url ?? '/').rawPath,
    code,
    requestId,
  };
  res.writeHead(status, {
    ...securityHeaders,
    ...extra.headers,
    'cache-control': 'no-store',
    'content-type': PROBLEM_CONTENT_TYPE,
    'x-request-id': requestId,
    'apigw-requestid': requestId,
  });
  res.end(stringifyJson(problem));
}
