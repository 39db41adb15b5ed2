import * as z from 'zod';
import type { DatabaseTransaction } from '../../db/database';
import { POSITION, newestFirst, positionOf, toPage } from '../../db/page-cursor';
import { DATASET_VERSION_STATUSES, jsonb, type DatasetVersionStatus } from '../../db/schema';

/**
 * SQL for job results (seed 003), in the owner's tenant scope (`withOwner`), filtering by owner as
 * well. A node's result is one row per job and node, written again when the node is retried; the
 * dataset version its output was registered as is attached once.
 */

export interface JobResult {
  id: string;
  jobId: string;
  nodeId: string | null;
  /** The object key of the output table. */
  outputKey: string | null;
  rowCount: number | null;
  metrics: Record<string, unknown>;
  /** The dataset version the output was registered as (its ingestion status with it). */
  outputDataset: {
    datasetId: string | null;
    datasetVersionId: string;
    versionNumber: number | null;
    status: DatasetVersionStatus | null;
  } | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface JobResultWrite {
  ownerId: string;
  jobId: string;
  nodeId: string;
  outputKey: string;
  rowCount: number;
  metrics: Record<string, unknown>;
}

/** Writes the node's result (replacing what an earlier attempt wrote); the version already attached, if any. */
export async function upsertJobResult(
  trx: DatabaseTransaction,
  result: JobResultWrite,
): Promise<{ id: string; outputDatasetVersionId: string | null }> {
  const written = {
    output_object_key: result.outputKey,
    row_count: result.rowCount,
    metrics: jsonb(result.metrics),
  };
  const row = await trx
    .insertInto('results')
    .values({ user_id: result.ownerId, job_id: result.jobId, node_id: result.nodeId, ...written })
    .onConflict((conflict) => conflict.columns(['job_id', 'node_id']).doUpdateSet(written))
    .returning(['id', 'output_dataset_version_id'])
    .executeTakeFirstOrThrow();
  return { id: row.id, outputDatasetVersionId: row.output_dataset_version_id };
}

/** Records the dataset version a result's output was registered as. */
export async function attachOutputVersion(
  trx: DatabaseTransaction,
  ownerId: string,
  resultId: string,
  version: { datasetId: string; id: string },
): Promise<void> {
  await trx
    .updateTable('results')
    .set({ output_dataset_id: version.datasetId, output_dataset_version_id: version.id })
    .where('id', '=', resultId)
    .where('user_id', '=', ownerId)
    .execute();
}

const count = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const resultRowSchema = z
  .object({
    id: z.string(),
    job_id: z.string(),
    node_id: z.string().nullable(),
    output_object_key: z.string().nullable(),
    row_count: count.nullable(),
    metrics: z.record(z.string(), z.unknown()),
    output_dataset_id: z.string().nullable(),
    output_dataset_version_id: z.string().nullable(),
    version_dataset_id: z.string().nullable(),
    version_number: z.number().int().nullable(),
    version_status: z.enum(DATASET_VERSION_STATUSES).nullable(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .transform((row): JobResult => ({
    id: row.id,
    jobId: row.job_id,
    nodeId: row.node_id,
    outputKey: row.output_object_key,
    rowCount: row.row_count,
    metrics: row.metrics,
    outputDataset: row.output_dataset_version_id
      ? {
          datasetId: row.output_dataset_id ?? row.version_dataset_id,
          datasetVersionId: row.output_dataset_version_id,
          versionNumber: row.version_number,
          status: row.version_status,
        }
      : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));

/** A job's results newest first, keyset-paged on (created_at, id). */
export async function listJobResults(
  trx: DatabaseTransaction,
  filter: { ownerId: string; jobId: string; cursor?: string | undefined; limit: number },
): Promise<{ items: JobResult[]; nextCursor: string | null }> {
  const query = trx
    .selectFrom('results as r')
    .leftJoin('dataset_versions as v', (join) =>
      join.onRef('v.id', '=', 'r.output_dataset_version_id').onRef('v.user_id', '=', 'r.user_id'),
    )
    .select([
      'r.id',
      'r.job_id',
      'r.node_id',
      'r.output_object_key',
      'r.row_count',
      'r.metrics',
      'r.output_dataset_id',
      'r.output_dataset_version_id',
      'v.dataset_id as version_dataset_id',
      'v.version_number',
      'v.status as version_status',
      'r.created_at',
      'r.updated_at',
      positionOf('r.created_at').as(POSITION),
    ])
    .where('r.user_id', '=', filter.ownerId)
    .where('r.job_id', '=', filter.jobId);
  const rows = await newestFirst(query, filter.cursor, filter.limit + 1, {
    createdAt: 'r.created_at',
    id: 'r.id',
  }).execute();
  return toPage(rows, filter.limit, (row) => resultRowSchema.parse(row));
}
