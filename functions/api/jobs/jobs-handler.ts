import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { jobRoutes } from './routes';

/** The `jobs` function: start, list, read, cancel and retry pipeline runs. */
export function makeJobsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(jobRoutes, getServices, { authenticate: authenticateRequest });
}
