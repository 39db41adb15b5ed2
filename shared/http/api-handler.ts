import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import type { Services } from '../ports/services';
import { stringifyJson } from './json';
import { accessLog } from './middleware/access-log';
import { authentication, type Authenticate } from './middleware/authentication';
import { cors, preflightHeaders } from './middleware/cors';
import { headersOf, requestScope, stateOf, type HttpEvent, type HttpResult } from './middleware/http-state';
import { jsonBody } from './middleware/json-body';
import { problemErrors } from './middleware/problem-errors';
import { requestId } from './middleware/request-id';
import { requestMetrics } from './middleware/request-metrics';
import { responseHeaders } from './middleware/response-headers';
import { routeResolver } from './middleware/route-resolver';
import { securityHeaders } from './middleware/security-headers';
import { servicesLoader } from './middleware/services';
import { validation } from './middleware/validation';
import { requestOrigin } from './request-origin';
import { idempotencyKeyOf } from '../kernel/idempotency-key';
import { REPLAYED_HEADER, withStoredResponse } from './idempotency/stored-responses';
import { routeKey, type ApiRequest, type ApiResponse, type RouteSpec } from './route';
import { createRouteTable } from './route-table';

export type { Authenticate, AuthenticationRequest } from './middleware/authentication';

/** An API Gateway HTTP API (payload v2.0) Lambda handler. */
export type ApiGatewayHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Builds a group's handler from a services factory: what each `functions/api/{group}` exports. */
export type ApiHandlerFactory = (getServices: () => Services | Promise<Services>) => ApiGatewayHandler;

export interface ApiHandlerOptions {
  authenticate?: Authenticate;
}

/**
 * The handler stack every API Lambda shares. Order matters: middy runs `before` in this order
 * and `after`/`onError` in reverse, so the error middleware (last) sees errors first and the
 * header tidy-up (first) runs last.
 */
export function createApiHandler(
  routes: RouteSpec[],
  getServices: () => Services | Promise<Services>,
  options: ApiHandlerOptions = {},
): ApiGatewayHandler {
  const table = createRouteTable(routes);
  return middy<HttpEvent, HttpResult>()
    .use(responseHeaders())
    .use(requestScope())
    .use(httpHeaderNormalizer())
    .use(requestId())
    .use(servicesLoader(getServices))
    .use(accessLog())
    .use(requestMetrics())
    .use(cors())
    .use(securityHeaders())
    .use(routeResolver(table))
    .use(authentication(options.authenticate))
    .use(jsonBody())
    .use(validation())
    .use(problemErrors())
    .handler(dispatch);
}

async function dispatch(event: HttpEvent): Promise<HttpResult> {
  const state = stateOf(event);
  if (state.preflight) return { statusCode: 204, headers: preflightHeaders(state.preflight) };

  const { route, services, input } = state;
  if (!route || !services || !input)
    throw new Error('Request reached the handler without route, services or input.');
  const request: ApiRequest = {
    params: input.params,
    query: input.query,
    body: input.body,
    headers: headersOf(event),
    requestId: state.requestId,
    sourceIp: event.requestContext?.http?.sourceIp ?? '',
    userAgent: event.requestContext?.http?.userAgent ?? '',
    caller: state.caller,
    rawBody: state.rawBody,
    method: route.method,
    path: event.rawPath,
    origin: requestOrigin(event, { trustForwarded: services.config.runtime === 'local' }),
  };
  const handle = () => route.handle(request, services);
  const idempotency = route.idempotency;
  const key = idempotency ? idempotencyKeyOf(request.headers) : undefined;
  if (idempotency?.mode === 'stored' && key !== undefined && request.caller) {
    const response = await withStoredResponse(
      services,
      {
        userId: request.caller.userId,
        operation: routeKey(route),
        key,
        request: { params: input.params, body: input.body ?? null },
      },
      handle,
      idempotency.storedBody ? { storedBody: idempotency.storedBody } : {},
    );
    return toHttpResult(response);
  }
  return toHttpResult(await handle());
}

const NO_BODY_STATUSES = new Set([204, 205, 304]);

/** `ApiResponse` → API Gateway result: serialized body, content type, base64 for bytes. */
export function toHttpResult(response: ApiResponse): HttpResult {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  if (response.replayed) headers[REPLAYED_HEADER] = 'true';
  const { status, body } = response;

  if (NO_BODY_STATUSES.has(status) || body === undefined || body === null) {
    delete headers['content-type'];
    return { statusCode: status, headers };
  }
  if (body instanceof Uint8Array) {
    headers['content-type'] = response.contentType ?? headers['content-type'] ?? 'application/octet-stream';
    return { statusCode: status, headers, body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
  }
  if (typeof body === 'string') {
    headers['content-type'] =
      response.contentType ??
      headers['content-type'] ??
      (/^\s*<(!doctype html|html)/i.test(body) ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8');
    return { statusCode: status, headers, body };
  }
  headers['content-type'] =
    response.contentType ?? headers['content-type'] ?? 'application/json; charset=utf-8';
  return { statusCode: status, headers, body: stringifyJson(body) };
}
