import { ForbiddenError, UnauthorizedError } from '../../kernel/app-error';
import type { Authenticate, AuthenticationRequest } from '../../domain/identity/authenticate';
import { headersOf, stateOf, type HttpMiddleware } from './http-state';

export type { Authenticate, AuthenticationRequest };

/**
 * Routes with `auth: 'user' | 'admin'` need a caller. No authenticator configured means nobody
 * can call them (401), never that everyone can.
 */
export function authentication(authenticate: Authenticate | undefined): HttpMiddleware {
  return {
    before: async (request) => {
      const state = stateOf(request.event);
      const route = state.route;
      if (!route || route.auth === 'none') return;
      const services = state.services;
      const caller =
        authenticate && services
          ? await authenticate(
              {
                headers: headersOf(request.event),
                requestId: state.requestId,
                sourceIp: request.event.requestContext?.http?.sourceIp ?? '',
                userAgent: request.event.requestContext?.http?.userAgent ?? '',
                routeKey: `${route.method} ${route.path}`,
              },
              services,
            )
          : undefined;
      if (!caller) throw new UnauthorizedError('Sign in, or send an API key, to use this operation.');
      if (route.auth === 'admin' && caller.role !== 'admin') {
        throw new ForbiddenError('This operation is reserved for administrators.');
      }
      state.caller = caller;
    },
  };
}
