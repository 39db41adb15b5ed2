import { auditEntry, diffChanges, recordAudit } from '../identity/audit/record-audit';
import type { Database, DatabaseTransaction } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import type { SignedInContext } from '../../kernel/request-context';
import type { Logger } from '../../observability/logger';
import type { BlobStore } from '../../ports/blob-store.port';
import { objectKeys } from '../../storage/object-keys';
import {
  deleteAlias,
  deleteModelRow,
  findAliasTarget,
  findModel,
  findModelVersion,
  nameExists,
  updateModelDetails,
  upsertAlias,
  type Model,
  type ModelDetails,
} from './model-repository';
import {
  predictRows,
  type PredictRowsDeps,
  type PredictRowsInput,
  type RowPredictions,
} from './predict-rows';

/**
 * The model registry: a registered name holds versions 1, 2, 3, … (numbered by the database);
 * aliases point at one version of a name and move between its versions. Setting, moving and
 * removing an alias, editing a model's description and tags and deleting a version are audited.
 */

/** What an alias may be called: `production`, `staging`, `champion-2`, … */
export const MODEL_ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

export interface ModelAliasTarget {
  name: string;
  alias: string;
  modelId: string;
  version: number;
  updatedAt: Date;
}

const aliasNotFound = (name: string, alias: string) =>
  new NotFoundError('Model alias', `${alias} of ${name}`, { code: 'MODEL_ALIAS.NOT_FOUND' });

/** A 404 naming what is missing: the name, or that version of it. */
async function versionNotFound(
  trx: DatabaseTransaction,
  ownerId: string,
  name: string,
  version: number,
): Promise<NotFoundError> {
  if (!(await nameExists(trx, ownerId, name)))
    return new NotFoundError('Model name', name, { code: 'MODEL_NAME.NOT_FOUND' });
  return new NotFoundError('Model version', `${name} v${version}`, {
    code: 'MODEL_VERSION.NOT_FOUND',
    field: 'body.version',
  });
}

/** Points `alias` of the caller's name at `version` (creating the alias, or moving it). */
export async function setModelAlias(
  db: Database,
  context: SignedInContext,
  input: { name: string; alias: string; version: number },
): Promise<ModelAliasTarget> {
  const ownerId = context.caller.userId;
  return withOwner(db, context.caller, async (trx) => {
    const model = await findModelVersion(trx, ownerId, input.name, input.version);
    if (!model) throw await versionNotFound(trx, ownerId, input.name, input.version);
    const previous = await findAliasTarget(trx, ownerId, input.name, input.alias);
    const { updatedAt } = await upsertAlias(trx, {
      ownerId,
      name: input.name,
      alias: input.alias,
      modelId: model.id,
    });
    await recordAudit(
      trx,
      auditEntry(
        context,
        'model.alias.set',
        { type: 'model', id: model.id },
        {
          name: input.name,
          alias: input.alias,
          version: { from: previous?.version ?? null, to: model.version },
          modelId: { from: previous?.modelId ?? null, to: model.id },
        },
      ),
    );
    return { name: input.name, alias: input.alias, modelId: model.id, version: model.version, updatedAt };
  });
}

/** Removes `alias` of the caller's name; the versions stay. */
export async function removeModelAlias(
  db: Database,
  context: SignedInContext,
  input: { name: string; alias: string },
): Promise<void> {
  const ownerId = context.caller.userId;
  await withOwner(db, context.caller, async (trx) => {
    const removed = await deleteAlias(trx, ownerId, input.name, input.alias);
    if (!removed) throw aliasNotFound(input.name, input.alias);
    await recordAudit(
      trx,
      auditEntry(
        context,
        'model.alias.delete',
        { type: 'model', id: removed.modelId },
        { name: input.name, alias: input.alias, version: removed.version },
      ),
    );
  });
}

/** The id of the version `alias` of the caller's name points at; a 404 when there is no such alias. */
export async function resolveModelAlias(
  db: Database,
  caller: Owner,
  name: string,
  alias: string,
): Promise<string> {
  const target = await withOwner(db, caller, (trx) => findAliasTarget(trx, caller.userId, name, alias));
  if (!target) throw aliasNotFound(name, alias);
  return target.modelId;
}

/** `predictRows` with the version an alias points at when the request arrives; the answer names that version. */
export async function predictRowsByAlias(
  deps: PredictRowsDeps,
  caller: Owner,
  input: Omit<PredictRowsInput, 'modelId'> & { name: string; alias: string },
): Promise<RowPredictions> {
  const { name, alias, ...rest } = input;
  const modelId = await resolveModelAlias(deps.db, caller, name, alias);
  return predictRows(deps, caller, { ...rest, modelId });
}

/** `predictRows` with version `version` of the caller's name. */
export async function predictRowsByVersion(
  deps: PredictRowsDeps,
  caller: Owner,
  input: Omit<PredictRowsInput, 'modelId'> & { name: string; version: number },
): Promise<RowPredictions> {
  const { name, version, ...rest } = input;
  const modelId = await withOwner(deps.db, caller, async (trx) => {
    const found = await findModelVersion(trx, caller.userId, name, version);
    if (!found) {
      const missing = await versionNotFound(trx, caller.userId, name, version);
      throw missing.code === 'MODEL_VERSION.NOT_FOUND'
        ? new NotFoundError('Model version', `${name} v${version}`, { code: 'MODEL_VERSION.NOT_FOUND' })
        : missing;
    }
    return found.id;
  });
  return predictRows(deps, caller, { ...rest, modelId });
}

/** Edits a model's description and tags (nothing else of a version changes). */
export async function updateModel(
  db: Database,
  context: SignedInContext,
  modelId: string,
  changes: ModelDetails,
): Promise<Model> {
  const ownerId = context.caller.userId;
  return withOwner(db, context.caller, async (trx) => {
    const current = await findModel(trx, ownerId, modelId);
    if (!current) throw new NotFoundError('Model', modelId);
    const diff = diffChanges({ description: current.description, tags: current.tags }, changes);
    if (Object.keys(diff).length === 0) return current;
    if (!(await updateModelDetails(trx, ownerId, modelId, changes)))
      throw new NotFoundError('Model', modelId);
    await recordAudit(trx, auditEntry(context, 'model.update', { type: 'model', id: modelId }, diff));
    const updated = await findModel(trx, ownerId, modelId);
    if (!updated) throw new NotFoundError('Model', modelId);
    return updated;
  });
}

export interface DeleteModelDeps {
  db: Database;
  blobs: BlobStore;
  logger: Logger;
}

/**
 * Deletes a version: its row (aliases pointing at it go too, and the audit entry names them),
 * then its stored objects: the JSON artifact and the ONNX export made on a download, both under
 * the model's folder. Its number is not handed out again while a higher version of the name
 * exists.
 */
export async function deleteModel(
  deps: DeleteModelDeps,
  context: SignedInContext,
  modelId: string,
): Promise<void> {
  const ownerId = context.caller.userId;
  const model = await withOwner(deps.db, context.caller, async (trx) => {
    const current = await findModel(trx, ownerId, modelId);
    if (!current) throw new NotFoundError('Model', modelId);
    if (!(await deleteModelRow(trx, ownerId, modelId))) throw new NotFoundError('Model', modelId);
    await recordAudit(
      trx,
      auditEntry(
        context,
        'model.delete',
        { type: 'model', id: modelId },
        { name: current.name, version: current.version, aliases: current.aliases.map((a) => a.alias) },
      ),
    );
    return current;
  });
  // The objects go once the row is gone; a failure leaves them for the account purge, not a row without bytes.
  const folder = `models/${ownerId}/${modelId}/`;
  try {
    if (model.artifactKey.startsWith(folder)) await deps.blobs.deletePrefix(folder);
    else
      await Promise.all([
        deps.blobs.delete(model.artifactKey),
        deps.blobs.delete(objectKeys.modelOnnx(ownerId, modelId)),
      ]);
  } catch (error) {
    deps.logger.error('model objects were not deleted', {
      modelId,
      artifactKey: model.artifactKey,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
