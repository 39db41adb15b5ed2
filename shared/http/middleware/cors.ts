import httpCors from '@middy/http-cors';
import { allowHeader, type HttpMethod } from '../route';
import { maybeStateOf, type HttpMiddleware, type HttpRequest } from './http-state';

/** Request headers browsers may send cross-origin. */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'idempotency-key',
  'x-api-key',
  'x-request-id',
];
/** Response headers browser scripts may read. */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'location', 'allow', 'www-authenticate'];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The answer to a CORS preflight for a path serving `methods`; origin headers are added by `cors()`. */
export function preflightHeaders(methods: HttpMethod[]): Record<string, string> {
  return {
    Allow: allowHeader(methods),
    'Access-Control-Allow-Methods': allowHeader(methods),
    'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(', '),
    'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
  };
}

/**
 * CORS with the origins from `config.http.corsOrigins` (read at cold start, so the middy
 * middleware is built on the first request, once the services exist). Preflights are answered
 * by the dispatcher with `preflightHeaders`, so they still pass through the rest of the stack.
 */
export function cors(): HttpMiddleware {
  let inner: ReturnType<typeof httpCors> | undefined;
  const innerFor = (request: HttpRequest) => {
    const origins = maybeStateOf(request.event)?.services?.config.http.corsOrigins;
    if (!origins) return undefined;
    inner ??= httpCors({ origins, exposeHeaders: CORS_EXPOSED_HEADERS.join(', ') });
    return inner;
  };
  return {
    after: async (request) => {
      await innerFor(request)?.after?.(request);
    },
    onError: async (request) => {
      if (!request.response) return;
      await innerFor(request)?.onError?.(request);
    },
  };
}
