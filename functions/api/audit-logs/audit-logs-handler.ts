import { createApiHandler, type ApiGatewayHandler } from '../../../shared/http/api-handler';
import { authenticateRequest } from '../../../shared/domain/identity/authenticate';
import type { Services } from '../../../shared/ports/services';
import { auditLogRoutes } from './routes';

/** The `audit-logs` function: reading the audit trail. */
export function makeAuditLogsHandler(getServices: () => Services | Promise<Services>): ApiGatewayHandler {
  return createApiHandler(auditLogRoutes, getServices, { authenticate: authenticateRequest });
}
