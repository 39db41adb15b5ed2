import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb } from '../../db/schema';
import type { JobNodeStatus, JobStatus, NodeRuntime } from '../../db/schema';
import { POSITION, positionOf, newestFirst } from '../../db/page-cursor';
import { toJob, toJobNode, type Job, type JobNode } from './job-records';

/**
 * SQL for jobs and their nodes. Every function takes a transaction opened by `withTenant` (or
 * `withSystemScope` for the sweeper's listing), so row-level security applies underneath the
 * explicit filters. Status changes are guarded by the statuses they may start from: a late
 * record after a cancel, or a second settle, changes nothing.
 */

export interface NewJob {
  id: string;
  userId: string;
  snapshotId: string;
  pipelineId: string | null;
  datasetVersionId: string | null;
  priority: number;
  idempotencyKey: string | null;
  estimatedCredits: number;
  nodes: { nodeId: string; nodeType: string; stage: number; runtime: NodeRuntime }[];
}

export async function insertJobWithNodes(trx: DatabaseTransaction, job: NewJob): Promise<Job> {
  const row = await trx
    .insertInto('jobs')
    .values({
      id: job.id,
      user_id: job.userId,
      snapshot_id: job.snapshotId,
      pipeline_id: job.pipelineId,
      dataset_version_id: job.datasetVersionId,
      priority: job.priority,
      idempotency_key: job.idempotencyKey,
      estimated_credits: job.estimatedCredits,
      status: 'queued',
      current_step: 'queued',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (job.nodes.length > 0) {
    await trx
      .insertInto('job_nodes')
      .values(
        job.nodes.map((node) => ({
          job_id: job.id,
          user_id: job.userId,
          node_id: node.nodeId,
          node_type: node.nodeType,
          stage: node.stage,
          runtime: node.runtime,
        })),
      )
      .execute();
  }
  return toJob(row);
}

export async function findJob(
  trx: DatabaseTransaction,
  jobId: string,
  options: { forUpdate?: boolean; ownerId?: string } = {},
): Promise<Job | undefined> {
  let query = trx.selectFrom('jobs').selectAll().where('id', '=', jobId);
  if (options.ownerId !== undefined) query = query.where('user_id', '=', options.ownerId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toJob(row) : undefined;
}

export async function findJobByIdempotencyKey(
  trx: DatabaseTransaction,
  userId: string,
  key: string,
): Promise<Job | undefined> {
  const row = await trx
    .selectFrom('jobs')
    .selectAll()
    .where('user_id', '=', userId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  return row ? toJob(row) : undefined;
}

/**
 * The job's nodes in stage order. `forUpdate` locks them (always in this order, so two lockers
 * never deadlock) and waits for a transaction that is changing one of them to commit.
 */
export async function listJobNodes(
  trx: DatabaseTransaction,
  jobId: string,
  options: { forUpdate?: boolean } = {},
): Promise<JobNode[]> {
  let query = trx
    .selectFrom('job_nodes')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('stage')
    .orderBy('node_id');
  if (options.forUpdate) query = query.forUpdate();
  const rows = await query.execute();
  return rows.map(toJobNode);
}

/**
 * What the stage check needs, and nothing more: the job's status and whether a node failed. Never
 * the job's results or the nodes' outputs (large rows are slow, and the Data API refuses rows over
 * 64 KB).
 */
export async function findJobHaltState(
  trx: DatabaseTransaction,
  jobId: string,
): Promise<{ status: JobStatus; hasFailedNode: boolean } | undefined> {
  const row = await trx
    .selectFrom('jobs')
    .select((eb) => [
      'status',
      eb
        .exists(
          eb
            .selectFrom('job_nodes')
            .select('job_nodes.node_id')
            .where('job_nodes.job_id', '=', jobId)
            .where('job_nodes.status', '=', 'failed'),
        )
        .as('has_failed_node'),
    ])
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row ? { status: row.status, hasFailedNode: Boolean(row.has_failed_node) } : undefined;
}

export interface JobListFilters {
  userId?: string;
  statuses?: readonly JobStatus[];
  pipelineId?: string;
  datasetVersionId?: string;
  /** Newest first: a cursor of a previous page (`toPage`); invalid ones are a 400. */
  cursor?: string;
  limit: number;
}

/** Newest first; each job with its page position (for `toPage`). */
export async function listJobs(
  trx: DatabaseTransaction,
  filters: JobListFilters,
): Promise<{ id: string; [POSITION]: string; job: Job }[]> {
  let query = trx.selectFrom('jobs').selectAll().select(positionOf('created_at').as(POSITION));
  if (filters.userId) query = query.where('user_id', '=', filters.userId);
  if (filters.statuses && filters.statuses.length > 0)
    query = query.where('status', 'in', [...filters.statuses]);
  if (filters.pipelineId) query = query.where('pipeline_id', '=', filters.pipelineId);
  if (filters.datasetVersionId) query = query.where('dataset_version_id', '=', filters.datasetVersionId);
  const rows = await newestFirst(query, filters.cursor, filters.limit).execute();
  return rows.map(({ [POSITION]: position, ...row }) => ({
    id: row.id,
    [POSITION]: position,
    job: toJob(row),
  }));
}

export async function setExecutionId(
  trx: DatabaseTransaction,
  jobId: string,
  executionId: string,
): Promise<void> {
  await trx.updateTable('jobs').set({ execution_id: executionId }).where('id', '=', jobId).execute();
}

/** queued → running when the execution plans its stages. Returns false when the job already ended. */
export async function markJobRunning(trx: DatabaseTransaction, jobId: string, now: Date): Promise<boolean> {
  const result = await trx
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      started_at: eb.fn.coalesce('started_at', sql<Date>`${now}::timestamptz`),
      heartbeat_at: now,
      current_step: 'planning stages',
    }))
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A node starts (or starts again after a transient failure). Returns false when it must not run. */
export async function markNodeRunning(
  trx: DatabaseTransaction,
  jobId: string,
  nodeId: string,
  attempt: number,
  now: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable('job_nodes')
    .set((eb) => ({
      status: 'running',
      attempt,
      started_at: eb.fn.coalesce('started_at', sql<Date>`${now}::timestamptz`),
    }))
    .where('job_id', '=', jobId)
    .where('node_id', '=', nodeId)
    .where('status', 'in', ['pending', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function completeNode(
  trx: DatabaseTransaction,
  jobId: string,
  nodeId: string,
  change: {
    status: Extract<JobNodeStatus, 'success' | 'failed'>;
    output: unknown;
    error: string | null;
    now: Date;
  },
): Promise<boolean> {
  const result = await trx
    .updateTable('job_nodes')
    .set((eb) => ({
      status: change.status,
      output: jsonb(change.output),
      error: change.error,
      started_at: eb.fn.coalesce('started_at', sql<Date>`${change.now}::timestamptz`),
      completed_at: change.now,
    }))
    .where('job_id', '=', jobId)
    .where('node_id', '=', nodeId)
    .where('status', 'in', ['pending', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Nodes that will not run: marked skipped (only those not finished yet). */
export async function skipNodes(
  trx: DatabaseTransaction,
  jobId: string,
  nodeIds: readonly string[] | 'unfinished',
  now: Date,
): Promise<number> {
  let query = trx
    .updateTable('job_nodes')
    .set({ status: 'skipped', completed_at: now })
    .where('job_id', '=', jobId)
    .where('status', 'in', ['pending', 'running']);
  if (nodeIds !== 'unfinished') {
    if (nodeIds.length === 0) return 0;
    query = query.where('node_id', 'in', [...nodeIds]);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Heartbeat and progress of a running job: progress counts finished nodes (plus the running
 * node's own fraction), never goes backwards and stays below 100 until the job is settled.
 * Returns the job's status, so a node host learns about a cancel on its next beat.
 */
export async function touchJob(
  trx: DatabaseTransaction,
  jobId: string,
  change: { now: Date; currentStep?: string; nodeFraction?: number },
): Promise<JobStatus | undefined> {
  const fraction = Math.min(Math.max(change.nodeFraction ?? 0, 0), 1);
  const row = await trx
    .updateTable('jobs')
    .set((eb) => ({
      heartbeat_at: change.now,
      ...(change.currentStep !== undefined ? { current_step: change.currentStep.slice(0, 500) } : {}),
      progress: sql<number>`greatest(${eb.ref('progress')}, least(99, floor(100.0 * (
        (select count(*) from job_nodes n where n.job_id = ${jobId}::uuid and n.status in ('success', 'failed', 'skipped')) + ${fraction}::float8
      ) / greatest(1, (select count(*) from job_nodes n where n.job_id = ${jobId}::uuid)))::int))`,
    }))
    .where('id', '=', jobId)
    .where('status', '=', 'running')
    .returning('status')
    .executeTakeFirst();
  if (row) return row.status;
  const current = await trx.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirst();
  return current?.status;
}

/** The first failure explains the job; later ones keep it. */
export async function recordJobError(
  trx: DatabaseTransaction,
  jobId: string,
  message: string,
  traceback: string | null,
): Promise<void> {
  await trx
    .updateTable('jobs')
    .set({ error_message: message.slice(0, 10_000), error_traceback: traceback })
    .where('id', '=', jobId)
    .where('error_message', 'is', null)
    .execute();
}

export async function finishJob(
  trx: DatabaseTransaction,
  jobId: string,
  change: {
    status: Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;
    now: Date;
    chargedCredits: number;
    results: unknown;
    errorMessage?: string;
    errorTraceback?: string | null;
  },
): Promise<Job | undefined> {
  const row = await trx
    .updateTable('jobs')
    .set((eb) => ({
      status: change.status,
      completed_at: change.now,
      started_at: eb.fn.coalesce('started_at', sql<Date>`${change.now}::timestamptz`),
      current_step: change.status,
      charged_credits: change.chargedCredits,
      results: jsonb(change.results),
      ...(change.status === 'completed' ? { progress: 100 } : {}),
      ...(change.errorMessage !== undefined
        ? {
            error_message: eb.fn.coalesce(
              'error_message',
              sql<string>`${change.errorMessage.slice(0, 10_000)}::text`,
            ),
            error_traceback: eb.fn.coalesce(
              'error_traceback',
              sql<string | null>`${change.errorTraceback ?? null}::text`,
            ),
          }
        : {}),
    }))
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
  return row ? toJob(row) : undefined;
}

/** Jobs the sweeper looks at: not finished, oldest activity first. */
export async function listUnfinishedJobs(trx: DatabaseTransaction, limit: number): Promise<Job[]> {
  const rows = await trx
    .selectFrom('jobs')
    .selectAll()
    .where('status', 'in', ['queued', 'running'])
    .orderBy(sql`coalesce(heartbeat_at, created_at)`)
    .limit(limit)
    .execute();
  return rows.map(toJob);
}
