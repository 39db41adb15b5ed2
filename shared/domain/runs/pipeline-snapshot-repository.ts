import type { DatabaseTransaction } from '../../db/database';
import { jsonb } from '../../db/schema';
import type { PipelineDefinition } from '../pipelines/pipeline-definition';
import { toSnapshot, type PipelineSnapshot, type SnapshotNodeType } from './job-records';

/**
 * Immutable copies of pipeline definitions taken when a job starts (a trigger refuses updates);
 * they outlive the pipeline. Functions take a transaction opened by `withTenant`.
 */
export async function insertSnapshot(
  trx: DatabaseTransaction,
  snapshot: {
    userId: string;
    pipelineId: string | null;
    pipelineVersion: number;
    name: string;
    definition: PipelineDefinition;
    nodeTypes: Record<string, SnapshotNodeType>;
  },
): Promise<PipelineSnapshot> {
  const row = await trx
    .insertInto('pipeline_snapshots')
    .values({
      user_id: snapshot.userId,
      pipeline_id: snapshot.pipelineId,
      pipeline_version: snapshot.pipelineVersion,
      name: snapshot.name,
      definition: jsonb(snapshot.definition),
      node_types: jsonb(snapshot.nodeTypes),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSnapshot(row);
}

export async function findSnapshot(
  trx: DatabaseTransaction,
  snapshotId: string,
): Promise<PipelineSnapshot | undefined> {
  const row = await trx
    .selectFrom('pipeline_snapshots')
    .selectAll()
    .where('id', '=', snapshotId)
    .executeTakeFirst();
  return row ? toSnapshot(row) : undefined;
}
