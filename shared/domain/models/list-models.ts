import type { Database } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { listModels, type ModelListFilter, type ModelPage } from './model-repository';

/** The caller's models, newest first, one keyset page at a time. */
export function listCallerModels(db: Database, caller: Owner, filter: ModelListFilter): Promise<ModelPage> {
  return withOwner(db, caller, (trx) => listModels(trx, caller.userId, filter));
}
