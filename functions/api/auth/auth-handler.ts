import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { authRoutes } from './routes';

/** The `auth` function: registration, sign-in, sessions and the caller's own account (/me). */
export function makeAuthHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(authRoutes, getServices, { authenticate: authenticateRequest });
}
