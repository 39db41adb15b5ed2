import { maybeStateOf, routeLabel, type HttpMiddleware, type HttpRequest } from './http-state';

/**
 * One structured line per request: method, route, status, latency, request id. Never bodies,
 * query strings or headers (they carry tokens and personal data).
 */
export function accessLog(): HttpMiddleware {
  const write = (request: HttpRequest) => {
    const state = maybeStateOf(request.event);
    const logger = state?.services?.logger;
    if (!state || !logger) return;
    const status = request.response?.statusCode ?? 500;
    const entry = {
      method: request.event.requestContext?.http?.method,
      route: routeLabel(state),
      path: request.event.rawPath,
      status,
      latencyMs: Math.round((performance.now() - state.startedAt) * 10) / 10,
      requestId: state.requestId,
      ...(state.caller ? { userId: state.caller.userId } : {}),
    };
    if (status >= 500) logger.warn('http request', entry);
    else logger.info('http request', entry);
  };
  return { after: write, onError: write };
}
