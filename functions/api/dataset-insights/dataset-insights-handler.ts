import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { datasetInsightRoutes } from './routes';

/** The `dataset-insights` function: profiles, previews and schemas of dataset versions. */
export function makeDatasetInsightsHandler(
  getServices: () => Services | Promise<Services>,
): ApiGatewayHandler {
  return createApiHandler(datasetInsightRoutes, getServices, { authenticate: authenticateRequest });
}
