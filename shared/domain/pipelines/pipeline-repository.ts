import * as z from 'zod';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb, PIPELINE_STATUSES } from '../../db/schema';
import type { JsonObject, Modality, PipelineStatus } from '../../db/schema';
import type { TenantScope } from '../../db/tenant';
import { PIPELINE_ISSUE_CODES, type PipelineIssue } from './validate-pipeline';
import { escapeLike } from '../../db/escape-like';
import { POSITION, positionOf, toPage, newestFirst } from '../../db/page-cursor';

/**
 * SQL for pipelines. Every function takes a transaction opened by `withOwner` (row-level
 * security admits the caller's own rows and shipped templates for reading) and also filters by
 * owner itself, so the two checks back each other up. Admins get no more here: user routes act on
 * the caller's own pipelines only. Soft-deleted rows are invisible here: they wait for the purge.
 */

export interface Pipeline {
  id: string;
  /** Null for shipped templates. */
  ownerId: string | null;
  datasetId: string | null;
  mlTaskId: string | null;
  name: string;
  description: string | null;
  /** As written by its owner (structure checked on write); `validatePipeline` gives the runnable form. */
  definition: JsonObject;
  status: PipelineStatus;
  /** Revision of the definition, moved on by the database when the definition changes. */
  version: number;
  isTemplate: boolean;
  templateKey: string | null;
  validationErrors: PipelineIssue[] | null;
  validatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const issueSchema = z.object({
  field: z.string(),
  code: z.enum(PIPELINE_ISSUE_CODES),
  message: z.string(),
  nodeId: z.string().optional(),
});

const pipelineRowSchema = z
  .object({
    id: z.string(),
    user_id: z.string().nullable(),
    dataset_id: z.string().nullable(),
    ml_task_id: z.string().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    definition: z.record(z.string(), z.unknown()),
    status: z.enum(PIPELINE_STATUSES),
    version: z.number().int(),
    is_template: z.boolean(),
    template_key: z.string().nullable(),
    validation_errors: z.array(issueSchema).nullable(),
    validated_at: z.date().nullable(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .transform((row): Pipeline => ({
    id: row.id,
    ownerId: row.user_id,
    datasetId: row.dataset_id,
    mlTaskId: row.ml_task_id,
    name: row.name,
    description: row.description,
    definition: row.definition as JsonObject,
    status: row.status,
    version: row.version,
    isTemplate: row.is_template,
    templateKey: row.template_key,
    validationErrors: row.validation_errors,
    validatedAt: row.validated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const COLUMNS = [
  'id',
  'user_id',
  'dataset_id',
  'ml_task_id',
  'name',
  'description',
  'definition',
  'status',
  'version',
  'is_template',
  'template_key',
  'validation_errors',
  'validated_at',
  'created_at',
  'updated_at',
] as const;

function toPipeline(row: unknown): Pipeline {
  return pipelineRowSchema.parse(row);
}

/** Rows the scope may read: its own and shipped templates (which have no owner). */
function readable(scope: TenantScope) {
  return (trx: DatabaseTransaction) =>
    trx
      .selectFrom('pipelines')
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('user_id', '=', scope.userId), eb('is_template', '=', true)]));
}

export interface NewPipeline {
  ownerId: string;
  name: string;
  description?: string | null;
  datasetId?: string | null;
  mlTaskId?: string | null;
  definition: unknown;
}

export async function insertPipeline(trx: DatabaseTransaction, pipeline: NewPipeline): Promise<Pipeline> {
  const row = await trx
    .insertInto('pipelines')
    .values({
      user_id: pipeline.ownerId,
      name: pipeline.name,
      description: pipeline.description ?? null,
      dataset_id: pipeline.datasetId ?? null,
      ml_task_id: pipeline.mlTaskId ?? null,
      definition: jsonb(pipeline.definition),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toPipeline(row);
}

/**
 * A live pipeline the scope may read, locked for the rest of the transaction when it is one the
 * scope may change. Templates come back unlocked: `FOR UPDATE` is subject to the update policy,
 * which no template passes for a user, so locking first would hide them.
 */
export async function findPipelineForChange(
  trx: DatabaseTransaction,
  scope: TenantScope,
  id: string,
): Promise<Pipeline | undefined> {
  const pipeline = await findPipeline(trx, scope, id);
  if (!pipeline || pipeline.isTemplate) return pipeline;
  return findPipeline(trx, scope, id, { forUpdate: true });
}

/** A live pipeline the scope may read (templates included), or undefined. */
export async function findPipeline(
  trx: DatabaseTransaction,
  scope: TenantScope,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Pipeline | undefined> {
  let query = readable(scope)(trx).select(COLUMNS).where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toPipeline(row) : undefined;
}

export interface PipelineListFilter {
  /** true: only shipped templates; false (default): only the scope's own pipelines. */
  template?: boolean;
  status?: readonly PipelineStatus[];
  datasetId?: string;
  mlTaskId?: string;
  /** Case-insensitive substring of the name. */
  search?: string;
  limit: number;
  cursor?: string;
}

export interface PipelinePage {
  items: Pipeline[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Newest first, keyset-paginated on (created_at, id) so pages stay stable while rows are added. */
export async function listPipelines(
  trx: DatabaseTransaction,
  scope: TenantScope,
  filter: PipelineListFilter,
): Promise<PipelinePage> {
  let query = readable(scope)(trx)
    .select([...COLUMNS, positionOf('created_at').as(POSITION)])
    .where('is_template', '=', filter.template ?? false);
  if (filter.status && filter.status.length > 0) query = query.where('status', 'in', [...filter.status]);
  if (filter.datasetId) query = query.where('dataset_id', '=', filter.datasetId);
  if (filter.mlTaskId) query = query.where('ml_task_id', '=', filter.mlTaskId);
  if (filter.search) {
    query = query.where('name', 'ilike', `%${escapeLike(filter.search)}%`);
  }
  const rows = await newestFirst(query, filter.cursor, filter.limit + 1).execute();
  const { items, nextCursor } = toPage(rows, filter.limit, toPipeline);
  return { items, ...(nextCursor ? { nextCursor } : {}) };
}

export interface PipelineChanges {
  name?: string;
  description?: string | null;
  datasetId?: string | null;
  mlTaskId?: string | null;
  definition?: unknown;
  status?: PipelineStatus;
  validationErrors?: PipelineIssue[] | null;
  validatedAt?: Date | null;
}

/** Applies changes to a live pipeline the scope may write; undefined when there is none. */
export async function updatePipeline(
  trx: DatabaseTransaction,
  scope: TenantScope,
  id: string,
  changes: PipelineChanges,
): Promise<Pipeline | undefined> {
  const row = await trx
    .updateTable('pipelines')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.datasetId !== undefined ? { dataset_id: changes.datasetId } : {}),
      ...(changes.mlTaskId !== undefined ? { ml_task_id: changes.mlTaskId } : {}),
      ...(changes.definition !== undefined ? { definition: jsonb(changes.definition) } : {}),
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.validationErrors !== undefined
        ? { validation_errors: changes.validationErrors === null ? null : jsonb(changes.validationErrors) }
        : {}),
      ...(changes.validatedAt !== undefined ? { validated_at: changes.validatedAt } : {}),
    })
    .where('id', '=', id)
    .where('user_id', '=', scope.userId)
    .where('deleted_at', 'is', null)
    .where('is_template', '=', false)
    .returning(COLUMNS)
    .executeTakeFirst();
  return row ? toPipeline(row) : undefined;
}

/**
 * Soft delete. Jobs keep their immutable snapshots (separate rows) and stay readable; the purge
 * later removes the row, which clears `jobs.pipeline_id` and `pipeline_snapshots.pipeline_id`.
 */
export async function softDeletePipeline(
  trx: DatabaseTransaction,
  scope: TenantScope,
  id: string,
  at: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable('pipelines')
    .set({ deleted_at: at })
    .where('id', '=', id)
    .where('user_id', '=', scope.userId)
    .where('deleted_at', 'is', null)
    .where('is_template', '=', false)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The live datasets of `ownerId` among `ids`, by (lower-case) id, with their modality. */
export async function findOwnedDatasets(
  trx: DatabaseTransaction,
  ownerId: string,
  ids: readonly string[],
): Promise<Map<string, { modality: Modality }>> {
  // Definitions are user input: only uuid-shaped ids can name a dataset (others would be a SQL error).
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))].filter((id) => UUID.test(id));
  if (unique.length === 0) return new Map();
  const rows = await trx
    .selectFrom('datasets')
    .select(['id', 'modality'])
    .where('user_id', '=', ownerId)
    .where('deleted_at', 'is', null)
    .where('id', 'in', unique)
    .execute();
  return new Map(rows.map((row) => [row.id.toLowerCase(), { modality: row.modality }]));
}

/** Whether an ML task with this id exists (active or not: an old pipeline may keep a retired task). */
export async function mlTaskExists(trx: DatabaseTransaction, id: string): Promise<boolean> {
  const row = await trx.selectFrom('ml_tasks').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}
