import { NotFoundError } from '../../kernel/app-error';
import { MethodNotAllowedError } from '../http-errors';
import type { RouteTable } from '../route-table';
import { stateOf, type HttpMiddleware } from './http-state';

/**
 * Finds the operation: by `routeKey` when API Gateway gives one of ours, otherwise (`$default`,
 * or a catch-all route) by method and path. OPTIONS on a known path is a CORS preflight.
 */
export function routeResolver(table: RouteTable): HttpMiddleware {
  return {
    before: (request) => {
      const state = stateOf(request.event);
      const method = (request.event.requestContext?.http?.method ?? '').toUpperCase();
      const rawPath = request.event.rawPath ?? '/';

      if (method === 'OPTIONS') {
        const methods = table.methodsFor(rawPath);
        if (methods.length === 0) throw routeNotFound(rawPath);
        state.preflight = methods;
        return;
      }

      const byKey = table.byKey(request.event.routeKey);
      if (byKey) {
        state.route = byKey;
        state.params = table.paramsFor(byKey, rawPath) ?? definedValues(request.event.pathParameters);
        return;
      }

      const found = table.lookup(method, rawPath);
      if (found.kind === 'found') {
        state.route = found.route;
        state.params = found.params;
      } else if (found.kind === 'method-not-allowed') {
        throw new MethodNotAllowedError(method, found.allow);
      } else {
        throw routeNotFound(rawPath);
      }
    },
  };
}

function routeNotFound(path: string): NotFoundError {
  return new NotFoundError('Route', path, { code: 'ROUTE.NOT_FOUND' });
}

function definedValues(record: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) if (v !== undefined) out[k] = v;
  return out;
}
