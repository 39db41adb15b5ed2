import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import type { Services } from '../../../shared/services';
import { apiRoutes } from '../routes';

/** The `webhooks` function: events pushed by third parties (Stripe), authenticated by signature. */
export function makeWebhooksHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(
    apiRoutes.filter((route) => route.group === 'webhooks'),
    getServices,
  );
}
