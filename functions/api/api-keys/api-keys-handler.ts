import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { apiKeyRoutes } from './routes';

/** The `api-keys` function: create, list and revoke API keys. */
export function makeApiKeysHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(apiKeyRoutes, getServices, { authenticate: authenticateRequest });
}
