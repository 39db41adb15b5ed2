import type { Database } from '../../db/database';
import { withOwner } from '../../db/owner-filter';
import type { TenantScope } from '../../db/tenant';
import { NotFoundError } from '../../kernel/app-error';
import {
  findPipeline,
  listPipelines,
  type Pipeline,
  type PipelineListFilter,
  type PipelinePage,
} from './pipeline-repository';

/** One pipeline the caller can read (own or template); 404 otherwise. */
export async function getPipeline(db: Database, scope: TenantScope, id: string): Promise<Pipeline> {
  const pipeline = await withOwner(db, scope, (trx) => findPipeline(trx, scope, id));
  if (!pipeline) throw new NotFoundError('Pipeline', id);
  return pipeline;
}

/** A page of the caller's pipelines, or of the shipped templates (`template: true`). */
export async function findPipelines(
  db: Database,
  scope: TenantScope,
  filter: PipelineListFilter,
): Promise<PipelinePage> {
  return withOwner(db, scope, (trx) => listPipelines(trx, scope, filter));
}
