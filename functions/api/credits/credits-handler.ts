import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { createCreditRoutes } from './routes';

/** The `credits` function: the caller's balance, ledger entries, packages and Stripe Checkout. */
export function makeCreditsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(createCreditRoutes(), getServices, { authenticate: authenticateRequest });
}
