import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { modelRoutes } from './routes';

/** The `models` function: read trained models. */
export function makeModelsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(modelRoutes, getServices, { authenticate: authenticateRequest });
}
