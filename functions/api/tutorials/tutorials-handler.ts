import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { tutorialRoutes } from './routes';

/** The `tutorials` function: guided walk-throughs and the caller's progress through them. */
export function makeTutorialsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(tutorialRoutes, getServices, { authenticate: authenticateRequest });
}
