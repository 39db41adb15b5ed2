import type { Database } from '../db/database';
import { withTenant, type TenantScope } from '../db/tenant';
import { NotFoundError } from '../errors/app-error';
import {
  findPipeline,
  listPipelines,
  type Pipeline,
  type PipelineListFilter,
  type PipelinePage,
} from './pipeline-repository';

/** One pipeline the caller can read (own, template, or anyone's for admins); 404 otherwise. */
export async function getPipeline(db: Database, scope: TenantScope, id: string): Promise<Pipeline> {
  const pipeline = await withTenant(db, scope, (trx) => findPipeline(trx, scope, id));
  if (!pipeline) throw new NotFoundError('Pipeline', id);
  return pipeline;
}

/** A page of the caller's pipelines, or of the shipped templates (`template: true`). */
export async function findPipelines(
  db: Database,
  scope: TenantScope,
  filter: PipelineListFilter,
): Promise<PipelinePage> {
  return withTenant(db, scope, (trx) => listPipelines(trx, scope, filter));
}
