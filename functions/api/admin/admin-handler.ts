import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { adminRoutes } from './routes';

/** The `admin` function: user administration, credit grants and credit packages. */
export function makeAdminHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(adminRoutes, getServices, { authenticate: authenticateRequest });
}
