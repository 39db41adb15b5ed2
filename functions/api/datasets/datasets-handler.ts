import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { datasetRoutes } from './routes';

/** The `datasets` function: datasets, versions and their uploads. */
export function makeDatasetsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(datasetRoutes, getServices, { authenticate: authenticateRequest });
}
