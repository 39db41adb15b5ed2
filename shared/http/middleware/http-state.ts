import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Services } from '../../ports/services';
import type { Caller, HttpMethod, RouteSpec } from '../route';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpRequest = Request<HttpEvent, HttpResult>;
export type HttpMiddleware = MiddlewareObj<HttpEvent, HttpResult>;

/** What the middlewares learn about one request, in the order they learn it. */
export interface HttpState {
  startedAt: number;
  requestId: string;
  services: Services | undefined;
  /** The matched operation; undefined for a preflight or before routing. */
  route: RouteSpec | undefined;
  /** Set for a CORS preflight: the methods the path serves. */
  preflight: HttpMethod[] | undefined;
  params: Record<string, string>;
  caller: Caller | undefined;
  body: unknown;
  rawBody: string | undefined;
  input: { params: unknown; query: unknown; body: unknown } | undefined;
}

const states = new WeakMap<HttpEvent, HttpState>();

/**
 * Gives each invocation its own state. The final handler only receives the event, so the state
 * is keyed by an event copy made here: callers may reuse one event object for many calls.
 */
export function requestScope(): HttpMiddleware {
  return {
    before: (request) => {
      request.event = { ...request.event, headers: { ...request.event.headers } };
      states.set(request.event, {
        startedAt: performance.now(),
        requestId: '',
        services: undefined,
        route: undefined,
        preflight: undefined,
        params: {},
        caller: undefined,
        body: undefined,
        rawBody: undefined,
        input: undefined,
      });
    },
  };
}

export function stateOf(event: HttpEvent): HttpState {
  const state = states.get(event);
  if (!state) throw new Error('HTTP state is missing: requestScope() must be the first middleware.');
  return state;
}

/** Like stateOf, for onError paths where a broken scope must not hide the original error. */
export function maybeStateOf(event: HttpEvent | undefined): HttpState | undefined {
  return event ? states.get(event) : undefined;
}

export function routeLabel(state: HttpState | undefined): string {
  if (state?.route) return `${state.route.method} ${state.route.path}`;
  if (state?.preflight) return 'OPTIONS (preflight)';
  return 'unmatched';
}

/** Lower-cased request headers without undefined values. */
export function headersOf(event: HttpEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}
