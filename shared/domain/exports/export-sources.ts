import * as z from 'zod';
import type { DatabaseTransaction } from '../../db/database';
import type { DatasetVersionStatus, JobNodeStatus } from '../../db/schema';
import type { Owner } from '../../db/owner-filter';
import { asRecord } from '../../kernel/as-record';

/**
 * What downloads and exports read of the things they serve: a dataset version (its original file
 * and its Parquet) and the outputs of a job's node. Every query is the owner's own rows: another
 * tenant's ids find nothing (a 404 to the caller).
 */

export interface VersionFiles {
  datasetVersionId: string;
  datasetId: string;
  datasetName: string;
  versionNumber: number;
  status: DatasetVersionStatus;
  originalFilename: string;
  rawObjectKey: string | null;
  sha256: string | null;
  processedObjectKey: string | null;
  rowCount: number | null;
}

function versionFilesQuery(trx: DatabaseTransaction, owner: Owner) {
  return trx
    .selectFrom('dataset_versions as v')
    .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
    .select([
      'v.id',
      'v.dataset_id',
      'd.name',
      'v.version_number',
      'v.status',
      'v.original_filename',
      'v.raw_object_key',
      'v.sha256',
      'v.processed_object_key',
      'v.row_count',
    ])
    .where('v.user_id', '=', owner.userId)
    .where('d.deleted_at', 'is', null);
}

type VersionFilesRow = Awaited<ReturnType<ReturnType<typeof versionFilesQuery>['executeTakeFirstOrThrow']>>;

function toVersionFiles(row: VersionFilesRow): VersionFiles {
  return {
    datasetVersionId: row.id,
    datasetId: row.dataset_id,
    datasetName: row.name,
    versionNumber: Number(row.version_number),
    status: row.status,
    originalFilename: row.original_filename,
    rawObjectKey: row.raw_object_key,
    sha256: row.sha256,
    processedObjectKey: row.processed_object_key,
    rowCount: row.row_count === null ? null : Number(row.row_count),
  };
}

/** Version `versionNumber` of the owner's dataset (not deleted). */
export async function findVersionFiles(
  trx: DatabaseTransaction,
  owner: Owner,
  ids: { datasetId: string; versionNumber: number },
): Promise<VersionFiles | undefined> {
  const row = await versionFilesQuery(trx, owner)
    .where('v.dataset_id', '=', ids.datasetId)
    .where('v.version_number', '=', ids.versionNumber)
    .executeTakeFirst();
  return row ? toVersionFiles(row) : undefined;
}

/** The owner's dataset version by id (its dataset not deleted). */
export async function findVersionFilesById(
  trx: DatabaseTransaction,
  owner: Owner,
  datasetVersionId: string,
): Promise<VersionFiles | undefined> {
  const row = await versionFilesQuery(trx, owner).where('v.id', '=', datasetVersionId).executeTakeFirst();
  return row ? toVersionFiles(row) : undefined;
}

/** One output port of a node, as the node recorded it (`NodePortOutput`). */
export const nodePortOutputSchema = z.object({
  key: z.string().min(1),
  format: z.string(),
  rows: z.number().optional(),
  bytes: z.number().optional(),
  fileName: z.string().optional(),
});
export type RecordedPortOutput = z.infer<typeof nodePortOutputSchema>;

export interface JobNodeOutputs {
  jobId: string;
  nodeId: string;
  nodeType: string;
  status: JobNodeStatus;
  /** The ports whose output is a file, by port name (what the node recorded on success). */
  outputs: Record<string, RecordedPortOutput>;
}

/** A node of the owner's job with the outputs it recorded; undefined when the job or node is not theirs. */
export async function findJobNodeOutputs(
  trx: DatabaseTransaction,
  owner: Owner,
  ids: { jobId: string; nodeId: string },
): Promise<JobNodeOutputs | undefined> {
  const row = await trx
    .selectFrom('job_nodes as n')
    .innerJoin('jobs as j', 'j.id', 'n.job_id')
    .select(['n.job_id', 'n.node_id', 'n.node_type', 'n.status', 'n.output'])
    .where('j.user_id', '=', owner.userId)
    .where('n.job_id', '=', ids.jobId)
    .where('n.node_id', '=', ids.nodeId)
    .executeTakeFirst();
  if (!row) return undefined;
  const outputs: Record<string, RecordedPortOutput> = {};
  for (const [port, value] of Object.entries(asRecord(asRecord(row.output)?.['outputs']) ?? {})) {
    const parsed = nodePortOutputSchema.safeParse(value);
    if (parsed.success) outputs[port] = parsed.data;
  }
  return { jobId: row.job_id, nodeId: row.node_id, nodeType: row.node_type, status: row.status, outputs };
}
