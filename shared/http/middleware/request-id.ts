import { randomUUID } from 'node:crypto';
import { maybeStateOf, stateOf, type HttpMiddleware, type HttpRequest } from './http-state';

/** Ids a client may choose: short, printable, no spaces or separators that could forge log lines. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$/;

/**
 * Picks the request id (the caller's `x-request-id` when sane, else API Gateway's) and echoes
 * it in the response so clients can quote it.
 */
export function requestId(): HttpMiddleware {
  const echo = (request: HttpRequest) => {
    const state = maybeStateOf(request.event);
    const response = request.response;
    if (!state?.requestId || !response) return;
    response.headers = { ...response.headers, 'x-request-id': state.requestId };
  };
  return {
    before: (request) => {
      const state = stateOf(request.event);
      const offered = request.event.headers?.['x-request-id'];
      state.requestId =
        offered && SANE_REQUEST_ID.test(offered)
          ? offered
          : request.event.requestContext?.requestId || request.context?.awsRequestId || randomUUID();
    },
    after: echo,
    onError: echo,
  };
}
