import type { TenantScope } from '../db/tenant';
import type { ApiRequest } from '../http/route';

/** Who asks for a pipeline change, and from where (for the audit trail). */
export interface PipelineActor {
  scope: TenantScope;
  origin: Pick<ApiRequest, 'caller' | 'sourceIp' | 'userAgent' | 'requestId'>;
}
