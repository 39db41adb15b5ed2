import type { Database } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import { findModel, type Model } from './model-repository';

/** One of the caller's trained models with its lineage; another tenant's id is a 404. */
export async function getModel(db: Database, caller: Owner, modelId: string): Promise<Model> {
  const model = await withOwner(db, caller, (trx) => findModel(trx, caller.userId, modelId));
  if (!model) throw new NotFoundError('Model', modelId);
  return model;
}
