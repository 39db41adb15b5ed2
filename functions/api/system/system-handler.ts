import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import type { Services } from '../../../shared/ports/services';
import { apiRoutes } from '../routes';

/** The `system` function: health, the OpenAPI document and the docs page. */
export function makeSystemHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(
    apiRoutes.filter((route) => route.group === 'system'),
    getServices,
  );
}
