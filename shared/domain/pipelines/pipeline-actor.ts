import type { AuditedRequest } from '../identity/audit/record-audit';
import { ownerScope } from '../../db/owner-filter';
import type { TenantScope } from '../../db/tenant';
import type { ApiRequest } from '../../http/route';
import { callerOf } from '../identity/caller';

/** Who asks for a pipeline change, and from where (for the audit trail). */
export interface PipelineActor {
  scope: TenantScope;
  origin: AuditedRequest;
}

/** The signed-in caller of a pipeline route, acting on their own pipelines (admins included). */
export function pipelineActor(request: ApiRequest): PipelineActor {
  return { scope: ownerScope(callerOf(request).caller), origin: request };
}
