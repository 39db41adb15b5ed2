import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { analysisRoutes } from './routes';

/** The `analyses` function: analyses, monitoring, anomalies, alert rules and alerts. */
export function makeAnalysesHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(analysisRoutes, getServices, { authenticate: authenticateRequest });
}
