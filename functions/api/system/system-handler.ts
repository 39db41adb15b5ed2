import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import type { RouteSpec } from '../../../shared/http/route';
import type { Services } from '../../../shared/ports/services';

/**
 * The `system` function: health, the OpenAPI document and the docs page. Its routes describe the
 * whole API, so they are handed in by functions/api/routes.ts rather than imported from it.
 */
export function makeSystemHandler(routes: RouteSpec[]) {
  return (getServices: () => Services | Promise<Services>): ApiGatewayHandler =>
    createApiHandler(routes, getServices);
}
