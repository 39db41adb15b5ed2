import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { experimentRoutes } from './routes';

/** The `experiments` function: create, list and read experiments, compare their runs. */
export function makeExperimentsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(experimentRoutes, getServices, { authenticate: authenticateRequest });
}
