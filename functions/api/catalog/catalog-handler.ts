import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { catalogRoutes } from './routes';

/** The `catalog` function: node types and ML task templates (reference data). */
export function makeCatalogHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(catalogRoutes, getServices, { authenticate: authenticateRequest });
}
