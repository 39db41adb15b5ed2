import { ownerScope } from '../../db/owner-filter';
import type { TenantScope } from '../../db/tenant';
import { signedIn, type RequestContext } from '../../kernel/request-context';

/** Who asks for a pipeline change, and from where (for the audit trail). */
export interface PipelineActor {
  scope: TenantScope;
  origin: RequestContext;
}

/** The signed-in caller of a pipeline route, acting on their own pipelines (admins included). */
export function pipelineActor(request: RequestContext): PipelineActor {
  return { scope: ownerScope(signedIn(request).caller), origin: request };
}
