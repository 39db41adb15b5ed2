import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { pipelineRoutes } from './routes';

/** The `pipelines` function: pipeline definitions, their validation, templates and clones. */
export function makePipelinesHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(pipelineRoutes, getServices, { authenticate: authenticateRequest });
}
