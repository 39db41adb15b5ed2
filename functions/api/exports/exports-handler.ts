import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { exportRoutes } from './routes';

/** The `exports` function: downloads of datasets, job outputs and exports; create, list and delete exports. */
export function makeExportsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(exportRoutes, getServices, { authenticate: authenticateRequest });
}
