import type { Services } from '../../ports/services';
import { stateOf, type HttpMiddleware } from './http-state';

/**
 * Resolves the dependency container. The promise is created once per container (cold start) and
 * shared by every invocation; a failed start is forgotten so the next invocation tries again.
 */
export function servicesLoader(getServices: () => Services | Promise<Services>): HttpMiddleware {
  let pending: Promise<Services> | undefined;
  const load = () => {
    pending ??= Promise.resolve()
      .then(getServices)
      .catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    return pending;
  };
  return {
    before: async (request) => {
      stateOf(request.event).services = await load();
    },
  };
}
