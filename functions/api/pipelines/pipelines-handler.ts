import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/identity/authenticate';
import type { Services } from '../../../shared/services';
import { pipelineRoutes } from './routes';

/** The `pipelines` function: pipeline definitions, their validation, templates and clones. */
export function makePipelinesHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(pipelineRoutes, getServices, { authenticate: authenticateRequest });
}
