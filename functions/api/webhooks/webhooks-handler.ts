import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import type { Services } from '../../../shared/ports/services';
import { createWebhookRoutes } from './routes';

/**
 * The `webhooks` function: events pushed by third parties (Stripe), authenticated by their
 * signature, so no user authenticator. Built from its own routes rather than the whole API list,
 * which keeps other groups' code out of this function's bundle.
 */
export function makeWebhooksHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(createWebhookRoutes(), getServices);
}
