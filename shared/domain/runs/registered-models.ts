import type { Database, DatabaseTransaction } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import {
  findAliasTarget,
  findModel,
  findModelByArtifactKey,
  findModelVersion,
  type Model,
} from '../models/model-repository';
import {
  predictorCache,
  predictorOf,
  type PredictorCache,
  type PredictorDeps,
} from '../models/model-predictors';
import type { ModelReference, RegisteredModels } from '../nodes/registered-models.port';

/**
 * The `RegisteredModels` of one node of a job, over the model registry: each lookup is one short
 * transaction in the job owner's tenant scope (another tenant's model is not found, whatever its
 * id), and the artifact is checked against its SHA-256 as online prediction checks it, sharing
 * the warm function's predictor cache.
 */
export function databaseRegisteredModels(
  deps: PredictorDeps & { db: Database },
  owner: Owner,
  cache: PredictorCache = predictorCache,
): RegisteredModels {
  return {
    async describeModel(reference) {
      const model = await withOwner(deps.db, owner, (trx) => findReferenced(trx, owner.userId, reference));
      if (!model) throw new NotFoundError('Model', describe(reference));
      return {
        modelId: model.id,
        name: model.name,
        version: model.version,
        algorithm: model.algorithm,
        problemType: model.problemType,
        artifactKey: model.artifactKey,
        sha256: model.artifactSha256 ?? '',
        hyperparameters: model.hyperparameters,
      };
    },
    async load(reference) {
      const model = await withOwner(deps.db, owner, (trx) => findReferenced(trx, owner.userId, reference));
      if (!model) throw new NotFoundError('Model', describe(reference));
      const predictor = await predictorOf(deps, model, cache);
      return {
        modelId: model.id,
        name: model.name,
        version: model.version,
        sha256: model.artifactSha256 ?? '',
        predictor,
      };
    },
  };
}

async function findReferenced(
  trx: DatabaseTransaction,
  ownerId: string,
  reference: ModelReference,
): Promise<Model | undefined> {
  switch (reference.kind) {
    case 'id':
      return findModel(trx, ownerId, reference.modelId);
    case 'artifact':
      return findModelByArtifactKey(trx, ownerId, reference.artifactKey);
    case 'alias': {
      const target = await findAliasTarget(trx, ownerId, reference.name, reference.alias);
      return target ? findModel(trx, ownerId, target.modelId) : undefined;
    }
    case 'version': {
      const found = await findModelVersion(trx, ownerId, reference.name, reference.version);
      return found ? findModel(trx, ownerId, found.id) : undefined;
    }
  }
}

function describe(reference: ModelReference): string {
  switch (reference.kind) {
    case 'id':
      return reference.modelId;
    case 'artifact':
      return 'of the "model" input';
    case 'alias':
      return `${reference.name}@${reference.alias}`;
    case 'version':
      return `${reference.name} v${reference.version}`;
  }
}
