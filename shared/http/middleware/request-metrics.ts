import { maybeStateOf, routeLabel, type HttpMiddleware, type HttpRequest } from './http-state';

/** Counts requests and server errors per route, records latency, and flushes once per invocation. */
export function requestMetrics(): HttpMiddleware {
  const record = (request: HttpRequest) => {
    const state = maybeStateOf(request.event);
    const metrics = state?.services?.metrics;
    if (!state || !metrics) return;
    const status = request.response?.statusCode ?? 500;
    const dimensions = { route: routeLabel(state) };
    try {
      metrics.add('HttpRequests', 1, 'Count', dimensions);
      if (status >= 500) metrics.add('HttpServerErrors', 1, 'Count', dimensions);
      metrics.add('HttpLatency', performance.now() - state.startedAt, 'Milliseconds', dimensions);
      metrics.flush();
    } catch (error) {
      // Losing a data point must not turn a good response into a failed invocation.
      state.services?.logger.warn('metrics flush failed', { error, requestId: state.requestId });
    }
  };
  return { after: record, onError: record };
}
