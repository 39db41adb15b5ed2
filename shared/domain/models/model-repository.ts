import { sql } from 'kysely';
import * as z from 'zod';
import type { DatabaseTransaction } from '../../db/database';
import { POSITION, newestFirst, positionOf, toPage } from '../../db/page-cursor';
import { jsonb, MODEL_STAGES, TASK_TYPES, textArray, type TaskType } from '../../db/schema';
import { ROW_JSON_BUDGET_BYTES, dataApiJsonBytes } from '../../kernel/bounded-json';

/**
 * SQL for trained models, in the owner's tenant scope (`withOwner`/`withTenant`), filtering by
 * owner as well. A model row is written once by the training node that stored its artifact; its
 * version is assigned per owner and name by the database (one past the name's highest), and its
 * name and version never change. Aliases (`model_aliases`) point at one version of a name.
 */

/** An alias of the model's name that points at this model, and when it was last set. */
export interface ModelAlias {
  alias: string;
  updatedAt: Date;
}

export interface ModelLineage {
  jobId: string | null;
  nodeId: string | null;
  pipelineId: string | null;
  experimentRunId: string | null;
  /** The experiment of that run. */
  experimentId: string | null;
  datasetVersionId: string | null;
  /** Of the dataset version, when it is still there. */
  datasetId: string | null;
  datasetVersionNumber: number | null;
  datasetVersionSha256: string | null;
  seed: number | null;
}

export interface Model {
  id: string;
  ownerId: string;
  name: string;
  version: number;
  algorithm: string;
  problemType: TaskType | null;
  frameworkVersion: string | null;
  stage: (typeof MODEL_STAGES)[number];
  artifactKey: string;
  artifactSizeBytes: number | null;
  artifactSha256: string | null;
  metrics: Record<string, unknown>;
  hyperparameters: Record<string, unknown>;
  featureSchema: Record<string, unknown> | null;
  description: string | null;
  tags: string[];
  /** The aliases pointing at this version, by alias. */
  aliases: ModelAlias[];
  lineage: ModelLineage;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewModel {
  /** Chosen by the caller (the artifact is stored under it before the row is written). */
  id: string;
  ownerId: string;
  name: string;
  algorithm: string;
  problemType: TaskType;
  frameworkVersion: string;
  artifactKey: string;
  artifactSizeBytes: number;
  artifactSha256: string;
  metrics: Record<string, unknown>;
  hyperparameters: Record<string, unknown>;
  featureSchema: Record<string, unknown>;
  jobId?: string | null | undefined;
  nodeId?: string | null | undefined;
  pipelineId?: string | null | undefined;
  experimentRunId?: string | null | undefined;
  datasetVersionId?: string | null | undefined;
  seed?: number | null | undefined;
}

const count = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const modelRowSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string(),
    version: z.number().int(),
    algorithm: z.string(),
    problem_type: z.enum(TASK_TYPES).nullable(),
    framework_version: z.string().nullable(),
    stage: z.enum(MODEL_STAGES),
    artifact_key: z.string(),
    artifact_size_bytes: count.nullable(),
    artifact_sha256: z.string().nullable(),
    metrics: z.record(z.string(), z.unknown()),
    hyperparameters: z.record(z.string(), z.unknown()),
    feature_schema: z.record(z.string(), z.unknown()).nullable(),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    aliases: z.array(z.object({ alias: z.string(), updatedAt: z.string().transform((at) => new Date(at)) })),
    job_id: z.string().nullable(),
    node_id: z.string().nullable(),
    pipeline_id: z.string().nullable(),
    experiment_run_id: z.string().nullable(),
    experiment_id: z.string().nullable(),
    dataset_version_id: z.string().nullable(),
    dataset_id: z.string().nullable(),
    dataset_version_number: z.number().int().nullable(),
    dataset_version_sha256: z.string().nullable(),
    seed: z.number().int().nullable(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .transform((row): Model => ({
    id: row.id,
    ownerId: row.user_id,
    name: row.name,
    version: row.version,
    algorithm: row.algorithm,
    problemType: row.problem_type,
    frameworkVersion: row.framework_version,
    stage: row.stage,
    artifactKey: row.artifact_key,
    artifactSizeBytes: row.artifact_size_bytes,
    artifactSha256: row.artifact_sha256,
    metrics: row.metrics,
    hyperparameters: row.hyperparameters,
    featureSchema: row.feature_schema,
    description: row.description,
    tags: row.tags,
    aliases: row.aliases,
    lineage: {
      jobId: row.job_id,
      nodeId: row.node_id,
      pipelineId: row.pipeline_id,
      experimentRunId: row.experiment_run_id,
      experimentId: row.experiment_id,
      datasetVersionId: row.dataset_version_id,
      datasetId: row.dataset_id,
      datasetVersionNumber: row.dataset_version_number,
      datasetVersionSha256: row.dataset_version_sha256,
      seed: row.seed,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));

/** Metrics, hyperparameters and feature schema of one model together stay under this. */
export const MODEL_JSON_BUDGET_BYTES = ROW_JSON_BUDGET_BYTES;

/**
 * Writes the model under its id; a second write of the same id by the same job and node (a retried
 * node) writes nothing. Returns whether the row is new; the caller reads it back with `findModel`.
 * A model id that is already another model's is an error (ids are chosen by the caller).
 */
export async function insertModel(trx: DatabaseTransaction, model: NewModel): Promise<{ created: boolean }> {
  const json =
    dataApiJsonBytes(model.metrics) +
    dataApiJsonBytes(model.hyperparameters) +
    dataApiJsonBytes(model.featureSchema);
  if (json > MODEL_JSON_BUDGET_BYTES) {
    throw new RangeError(
      `A model's metrics, hyperparameters and feature schema take ${json} bytes; at most ${MODEL_JSON_BUDGET_BYTES} fit a row.`,
    );
  }
  const inserted = await trx
    .insertInto('models')
    .values({
      id: model.id,
      user_id: model.ownerId,
      name: model.name,
      algorithm: model.algorithm,
      problem_type: model.problemType,
      framework_version: model.frameworkVersion,
      artifact_key: model.artifactKey,
      artifact_size_bytes: model.artifactSizeBytes,
      artifact_sha256: model.artifactSha256,
      metrics: jsonb(model.metrics),
      hyperparameters: jsonb(model.hyperparameters),
      feature_schema: jsonb(model.featureSchema),
      job_id: model.jobId ?? null,
      node_id: model.nodeId ?? null,
      pipeline_id: model.pipelineId ?? null,
      experiment_run_id: model.experimentRunId ?? null,
      dataset_version_id: model.datasetVersionId ?? null,
      seed: model.seed ?? null,
    })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { created: true };
  const existing = await trx
    .selectFrom('models')
    .select(['job_id', 'node_id', 'artifact_key'])
    .where('id', '=', model.id)
    .where('user_id', '=', model.ownerId)
    .executeTakeFirst();
  const sameWrite =
    existing !== undefined &&
    existing.job_id === (model.jobId ?? null) &&
    existing.node_id === (model.nodeId ?? null) &&
    existing.artifact_key === model.artifactKey;
  if (!sameWrite) throw new Error(`Model id ${model.id} is already taken by another model.`);
  return { created: false };
}

/** One of the owner's models with its lineage (the dataset version's digest joined in), or undefined. */
export function findModel(trx: DatabaseTransaction, ownerId: string, id: string): Promise<Model | undefined> {
  return findOwnedModel(trx, ownerId, 'm.id', id);
}

/** The owner's model whose artifact is stored under `artifactKey` (a training node's `model` output), or undefined. */
export function findModelByArtifactKey(
  trx: DatabaseTransaction,
  ownerId: string,
  artifactKey: string,
): Promise<Model | undefined> {
  return findOwnedModel(trx, ownerId, 'm.artifact_key', artifactKey);
}

async function findOwnedModel(
  trx: DatabaseTransaction,
  ownerId: string,
  column: 'm.id' | 'm.artifact_key',
  value: string,
): Promise<Model | undefined> {
  const row = await modelsQuery(trx)
    .where(column, '=', value)
    .where('m.user_id', '=', ownerId)
    .executeTakeFirst();
  return row ? modelRowSchema.parse(row) : undefined;
}

/** Models joined with their experiment run and dataset version, every column `Model` needs. */
function modelsQuery(trx: DatabaseTransaction) {
  return trx
    .selectFrom('models as m')
    .leftJoin('experiment_runs as r', (join) =>
      join.onRef('r.id', '=', 'm.experiment_run_id').onRef('r.user_id', '=', 'm.user_id'),
    )
    .leftJoin('dataset_versions as v', (join) =>
      join.onRef('v.id', '=', 'm.dataset_version_id').onRef('v.user_id', '=', 'm.user_id'),
    )
    .select([
      'm.id',
      'm.user_id',
      'm.name',
      'm.version',
      'm.algorithm',
      'm.problem_type',
      'm.framework_version',
      'm.stage',
      'm.artifact_key',
      'm.artifact_size_bytes',
      'm.artifact_sha256',
      'm.metrics',
      'm.hyperparameters',
      'm.feature_schema',
      'm.description',
      'm.tags',
      sql<unknown>`coalesce((
        select jsonb_agg(jsonb_build_object('alias', a.alias, 'updatedAt', a.updated_at) order by a.alias)
          from model_aliases a where a.model_id = m.id and a.user_id = m.user_id), '[]'::jsonb)`.as(
        'aliases',
      ),
      'm.job_id',
      'm.node_id',
      'm.pipeline_id',
      'm.experiment_run_id',
      'r.experiment_id',
      'm.dataset_version_id',
      'v.dataset_id',
      'v.version_number as dataset_version_number',
      'v.sha256 as dataset_version_sha256',
      'm.seed',
      'm.created_at',
      'm.updated_at',
    ]);
}

export interface ModelListFilter {
  name?: string | undefined;
  pipelineId?: string | undefined;
  jobId?: string | undefined;
  experimentId?: string | undefined;
  algorithm?: string | undefined;
  /** Only the version this alias of its name points at. */
  alias?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface ModelPage {
  items: Model[];
  nextCursor: string | null;
}

/** The owner's models newest first, keyset-paged on (created_at, id), filtered by any of the given fields. */
export async function listModels(
  trx: DatabaseTransaction,
  ownerId: string,
  filter: ModelListFilter,
): Promise<ModelPage> {
  let query = modelsQuery(trx)
    .select(positionOf('m.created_at').as(POSITION))
    .where('m.user_id', '=', ownerId);
  if (filter.name !== undefined) query = query.where('m.name', '=', filter.name);
  if (filter.pipelineId !== undefined) query = query.where('m.pipeline_id', '=', filter.pipelineId);
  if (filter.jobId !== undefined) query = query.where('m.job_id', '=', filter.jobId);
  if (filter.experimentId !== undefined) query = query.where('r.experiment_id', '=', filter.experimentId);
  if (filter.algorithm !== undefined) query = query.where('m.algorithm', '=', filter.algorithm);
  const alias = filter.alias;
  if (alias !== undefined)
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('model_aliases as a')
          .select('a.alias')
          .whereRef('a.model_id', '=', 'm.id')
          .whereRef('a.user_id', '=', 'm.user_id')
          .where('a.alias', '=', alias),
      ),
    );
  const rows = await newestFirst(query, filter.cursor, filter.limit + 1, {
    createdAt: 'm.created_at',
    id: 'm.id',
  }).execute();
  return toPage(rows, filter.limit, (row) => modelRowSchema.parse(row));
}

/** The owner's version `version` of the name, or undefined. */
export async function findModelVersion(
  trx: DatabaseTransaction,
  ownerId: string,
  name: string,
  version: number,
): Promise<{ id: string; version: number } | undefined> {
  return trx
    .selectFrom('models')
    .select(['id', 'version'])
    .where('user_id', '=', ownerId)
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** Whether the owner has any version of the name. */
export async function nameExists(trx: DatabaseTransaction, ownerId: string, name: string): Promise<boolean> {
  const row = await trx
    .selectFrom('models')
    .select('id')
    .where('user_id', '=', ownerId)
    .where('name', '=', name)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Where an alias of the owner's name points (locked for the change), or undefined. */
export async function findAliasTarget(
  trx: DatabaseTransaction,
  ownerId: string,
  name: string,
  alias: string,
): Promise<{ modelId: string; version: number } | undefined> {
  const row = await trx
    .selectFrom('model_aliases as a')
    .innerJoin('models as m', (join) =>
      join.onRef('m.id', '=', 'a.model_id').onRef('m.user_id', '=', 'a.user_id'),
    )
    .select(['a.model_id', 'm.version'])
    .where('a.user_id', '=', ownerId)
    .where('a.name', '=', name)
    .where('a.alias', '=', alias)
    .forUpdate('a')
    .executeTakeFirst();
  return row ? { modelId: row.model_id, version: row.version } : undefined;
}

/** Points the alias at the model (creating it, or moving it from another version). */
export async function upsertAlias(
  trx: DatabaseTransaction,
  alias: { ownerId: string; name: string; alias: string; modelId: string },
): Promise<{ updatedAt: Date }> {
  const row = await trx
    .insertInto('model_aliases')
    .values({ user_id: alias.ownerId, name: alias.name, alias: alias.alias, model_id: alias.modelId })
    .onConflict((conflict) =>
      conflict.columns(['user_id', 'name', 'alias']).doUpdateSet({
        model_id: (eb) => eb.ref('excluded.model_id'),
        updated_at: sql<Date>`now()`,
      }),
    )
    .returning('updated_at')
    .executeTakeFirstOrThrow();
  return { updatedAt: row.updated_at };
}

/** Removes the alias; returns the version it pointed at, or undefined when there was none. */
export async function deleteAlias(
  trx: DatabaseTransaction,
  ownerId: string,
  name: string,
  alias: string,
): Promise<{ modelId: string; version: number } | undefined> {
  const target = await findAliasTarget(trx, ownerId, name, alias);
  if (!target) return undefined;
  await trx
    .deleteFrom('model_aliases')
    .where('user_id', '=', ownerId)
    .where('name', '=', name)
    .where('alias', '=', alias)
    .execute();
  return target;
}

export interface ModelDetails {
  description?: string | null | undefined;
  tags?: string[] | undefined;
}

/** Changes what the owner may edit of a model (its description and tags); false when there is no such model. */
export async function updateModelDetails(
  trx: DatabaseTransaction,
  ownerId: string,
  id: string,
  changes: ModelDetails,
): Promise<boolean> {
  const result = await trx
    .updateTable('models')
    .set({
      ...(changes.description === undefined ? {} : { description: changes.description }),
      ...(changes.tags === undefined ? {} : { tags: textArray(changes.tags) }),
    })
    .where('id', '=', id)
    .where('user_id', '=', ownerId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes the model's row (its aliases go with it); false when there is no such model. */
export async function deleteModelRow(
  trx: DatabaseTransaction,
  ownerId: string,
  id: string,
): Promise<boolean> {
  const result = await trx
    .deleteFrom('models')
    .where('id', '=', id)
    .where('user_id', '=', ownerId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
