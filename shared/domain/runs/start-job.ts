import { budgetSecondsForNode, runtimeForNode } from '../nodes/node-runtime';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../../kernel/idempotency-key';
import type { CreditsPort } from '../billing/credits/credits.port';
import { insufficientCredits } from '../billing/credits/ledger-credits';
import { isDatabaseError, SqlState } from '../../db/database-error';
import type { DatabaseTransaction } from '../../db/database';
import type { Modality } from '../../db/schema';
import { withOwner, type Owner } from '../../db/owner-filter';
import {
  AppError,
  ConflictError,
  DependencyUnavailableError,
  NotFoundError,
  ValidationError,
} from '../../kernel/app-error';
import type { Services } from '../../ports/services';
import { nodeTypeRowSchema, toNodeCatalog } from '../pipelines/node-type';
import { toPipelineGraph } from '../pipelines/pipeline-definition';
import { indexPipelineGraph } from '../pipelines/plan-stages';
import { findOwnedDatasets } from '../pipelines/pipeline-repository';
import { sourceDatasetIds, validatePipeline } from '../pipelines/validate-pipeline';
import { estimateJobCost } from './estimate-job-cost';
import { toSnapshotNodeType, type Job, type PipelineSnapshot } from './job-records';
import { findJob, findJobByIdempotencyKey, insertJobWithNodes, setExecutionId } from './job-repository';
import { findSnapshot, insertSnapshot } from './pipeline-snapshot-repository';

/**
 * Starting a job: `POST /jobs` (a pipeline on a dataset version) and `POST /jobs/{id}/retry` (the
 * same snapshot again). Validation, the snapshot, the cost estimate, the credit reservation, the
 * job and its nodes are one transaction, and the execution is started inside it, as its last step,
 * with its id stored in the same transaction: no committed job is ever without its execution.
 * - The execution cannot be started: the transaction rolls back, nothing is left behind (no job,
 *   no reservation) and the client gets a 503 to retry.
 * - The transaction fails after the start (connection lost, commit refused): the execution is
 *   stopped, best effort. Should the stop not land (or the process die first), the execution's
 *   first task, `plan`, finds no job: it is retried for about a minute, then fails the execution
 *   in planning, changing nothing.
 * - The execution is named after the job id, and one name started twice with one input is one
 *   execution, so retrying a start whose answer was lost is safe.
 */
export const RUN_PIPELINE_MACHINE = 'run-pipeline';

export interface StartJobDeps {
  services: Pick<Services, 'db' | 'clock' | 'logger' | 'ids' | 'orchestrator'>;
  credits: CreditsPort;
  /** Attempts to start the execution before giving up (transient orchestrator errors only); default 3. */
  startAttempts?: number;
}

export interface StartJobRequest {
  caller: Owner;
  pipelineId: string;
  datasetVersionId: string;
  priority: number;
  /** The request's Idempotency-Key, as `idempotencyKeyOf` read it. */
  idempotencyKey?: string | undefined;
}

export interface StartedJob {
  job: Job;
  /** False when the Idempotency-Key named a job created earlier (the answer is that job). */
  created: boolean;
}

export async function startJob(deps: StartJobDeps, request: StartJobRequest): Promise<StartedJob> {
  const key = request.idempotencyKey ?? null;
  const sameRequest = (job: Job) =>
    job.pipelineId === request.pipelineId &&
    job.datasetVersionId === request.datasetVersionId &&
    job.priority === request.priority;

  return createOncePerKey(
    deps,
    request.caller,
    key,
    (existing) => replay(existing, sameRequest),
    async (trx, jobId) => {
      const { pipeline, version } = await loadPipelineAndVersion(trx, request);
      const catalog = toNodeCatalog(
        (await trx.selectFrom('node_types').selectAll().execute()).map((row) => nodeTypeRowSchema.parse(row)),
      );
      // The caller's datasets the sources name (another tenant's id fails validation as unknown).
      const datasets = await findOwnedDatasets(trx, request.caller.userId, [
        version.datasetId,
        ...sourceDatasetIds(pipeline.definition),
      ]);
      const validation = validatePipeline(pipeline.definition, {
        catalog,
        dataset: { id: version.datasetId, modality: version.modality },
        datasets,
      });
      if (!validation.valid) {
        throw new ValidationError(`Pipeline ${request.pipelineId} is not valid: fix it before running it.`, {
          code: 'PIPELINE.INVALID',
          issues: validation.issues.map((issue) => ({
            field: `pipeline.definition.${issue.field}`,
            message: issue.message,
          })),
        });
      }
      const nodeTypes = Object.fromEntries(
        Object.entries(validation.nodeTypes).map(([k, t]) => [k, toSnapshotNodeType(t)]),
      );
      const snapshot = await insertSnapshot(trx, {
        userId: request.caller.userId,
        pipelineId: pipeline.id,
        pipelineVersion: pipeline.version,
        name: pipeline.name,
        definition: validation.definition,
        nodeTypes,
      });
      return createJobFromSnapshot(deps, trx, {
        jobId,
        userId: request.caller.userId,
        snapshot,
        datasetVersionId: version.id,
        datasetRows: version.rowCount ?? 0,
        priority: request.priority,
        idempotencyKey: key,
      });
    },
  );
}

export interface RetryJobRequest {
  caller: Owner;
  jobId: string;
  priority?: number | undefined;
  /** The request's Idempotency-Key, as `idempotencyKeyOf` read it. */
  idempotencyKey?: string | undefined;
}

/** A new job from the snapshot of a finished one (the pipeline may have changed or been deleted since). */
export async function retryJob(deps: StartJobDeps, request: RetryJobRequest): Promise<StartedJob> {
  const given = request.idempotencyKey ?? null;
  // Keys are per operation: the same key on another job's retry or on POST /jobs is a different request.
  const key = given ? `retry:${request.jobId}:${given}`.slice(0, MAX_IDEMPOTENCY_KEY_LENGTH) : null;
  return createOncePerKey(
    deps,
    request.caller,
    key,
    (existing) => ({ job: existing, created: false }),
    async (trx, jobId) => {
      const original = await findJob(trx, request.jobId, { ownerId: request.caller.userId });
      if (!original) throw new NotFoundError('Job', request.jobId);
      if (original.status === 'queued' || original.status === 'running') {
        throw new ConflictError(
          'JOB.STILL_RUNNING',
          `Job ${request.jobId} is still ${original.status}; cancel it or wait for it to end.`,
        );
      }
      const snapshot = await findSnapshot(trx, original.snapshotId);
      if (!snapshot) throw new NotFoundError('Pipeline snapshot', original.snapshotId);
      const rows = original.datasetVersionId ? await versionRows(trx, original.datasetVersionId) : undefined;
      if (original.datasetVersionId && rows === undefined) {
        throw new ConflictError(
          'JOB.DATASET_VERSION_GONE',
          `The dataset version job ${request.jobId} ran on no longer exists.`,
        );
      }
      return createJobFromSnapshot(deps, trx, {
        jobId,
        userId: request.caller.userId,
        snapshot,
        datasetVersionId: original.datasetVersionId,
        datasetRows: rows ?? 0,
        priority: request.priority ?? original.priority,
        idempotencyKey: key,
        pipelineId: original.pipelineId,
      });
    },
  );
}

/**
 * Creates a job (with a new id) once per Idempotency-Key and starts its execution in the same
 * transaction. A job the key already created, found before creating or created by a concurrent
 * request with the same key, is answered through `replay` instead: the unique key makes the
 * second insert wait for the first transaction and fail once it commits, before this request
 * starts anything. Any failure after the start stops this request's execution (`abandonRun`).
 */
export async function createOncePerKey(
  deps: StartJobDeps,
  caller: Owner,
  key: string | null,
  replay: (existing: Job) => StartedJob,
  create: (trx: DatabaseTransaction, jobId: string) => Promise<Job>,
): Promise<StartedJob> {
  const findExisting = async (): Promise<Job | undefined> =>
    key
      ? withOwner(deps.services.db, caller, (trx) => findJobByIdempotencyKey(trx, caller.userId, key))
      : undefined;
  const earlier = await findExisting();
  if (earlier) return replay(earlier);
  const jobId = deps.services.ids.uuid();
  const run: { executionId?: string } = {};
  try {
    const job = await withOwner(deps.services.db, caller, async (trx) => {
      const job = await create(trx, jobId);
      const { executionId } = await startRun(deps, job);
      run.executionId = executionId;
      await setExecutionId(trx, job.id, executionId);
      return (await findJob(trx, job.id)) ?? { ...job, executionId };
    });
    return { job, created: true };
  } catch (error) {
    if (run.executionId !== undefined) {
      const committed = await abandonRun(deps, caller, jobId, run.executionId, error);
      if (committed) return { job: committed, created: true };
    }
    if (
      key &&
      isDatabaseError(error, SqlState.uniqueViolation) &&
      error.constraint === 'jobs_user_idempotency_key_key'
    ) {
      const existing = await findExisting();
      if (existing) return replay(existing);
    }
    throw error;
  }
}

/**
 * The creating transaction failed after the job's execution was started. When the failure hit
 * the commit itself its outcome is unknown: a job that is visible now did commit, and keeps its
 * run. Otherwise (or when the database cannot even say) the execution is stopped, so no run is
 * left without a job; if the stop fails too, the run fails in planning on its own.
 */
async function abandonRun(
  deps: StartJobDeps,
  caller: Owner,
  jobId: string,
  executionId: string,
  failure: unknown,
): Promise<Job | undefined> {
  const { db, logger, orchestrator } = deps.services;
  const committed = await withOwner(db, caller, (trx) =>
    findJob(trx, jobId, { ownerId: caller.userId }),
  ).catch(() => undefined);
  if (committed) {
    logger.warn('the creating transaction reported a failure but committed; the job keeps its run', {
      jobId,
      executionId,
      error: failure,
    });
    return committed;
  }
  try {
    await orchestrator.stopExecution(executionId, {
      error: JOB_NOT_CREATED_ERROR,
      cause: `Job ${jobId} was not created (its transaction did not commit); this run has nothing to do.`,
    });
    logger.warn('stopped the run of a job that was not created', { jobId, executionId, error: failure });
  } catch (stopError) {
    logger.error('could not stop the run of a job that was not created; it will fail in planning', {
      jobId,
      executionId,
      error: stopError,
      cause: failure,
    });
  }
  return undefined;
}

/** The stop reason of an execution whose job was never committed. */
export const JOB_NOT_CREATED_ERROR = 'PipeWeave.JobNotCreated';

function replay(existing: Job, sameRequest: (job: Job) => boolean): StartedJob {
  if (!sameRequest(existing)) {
    throw new ConflictError(
      'IDEMPOTENCY.KEY_REUSED',
      `This Idempotency-Key was used for job ${existing.id} with a different request; use a new key for a new job.`,
      { field: 'headers.idempotency-key', details: { jobId: existing.id } },
    );
  }
  return { job: existing, created: false };
}

interface PipelineRow {
  id: string;
  name: string;
  version: number;
  definition: unknown;
}

interface VersionRow {
  id: string;
  datasetId: string;
  modality: Modality;
  rowCount: number | null;
}

async function loadPipelineAndVersion(
  trx: DatabaseTransaction,
  request: StartJobRequest,
): Promise<{ pipeline: PipelineRow; version: VersionRow }> {
  const pipeline = await trx
    .selectFrom('pipelines')
    .select(['id', 'name', 'version', 'definition', 'status'])
    .where('id', '=', request.pipelineId)
    .where('user_id', '=', request.caller.userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!pipeline) throw new NotFoundError('Pipeline', request.pipelineId, { field: 'body.pipelineId' });
  if (pipeline.status === 'archived') {
    throw new ConflictError(
      'PIPELINE.ARCHIVED',
      `Pipeline ${request.pipelineId} is archived; restore or clone it to run it.`,
      {
        field: 'body.pipelineId',
      },
    );
  }
  const version = await trx
    .selectFrom('dataset_versions as v')
    .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
    .select(['v.id', 'v.dataset_id', 'v.status', 'v.processed_object_key', 'v.row_count', 'd.modality'])
    .where('v.id', '=', request.datasetVersionId)
    .where('v.user_id', '=', request.caller.userId)
    .where('d.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!version)
    throw new NotFoundError('Dataset version', request.datasetVersionId, { field: 'body.datasetVersionId' });
  if (version.status !== 'validated' || !version.processed_object_key) {
    throw new ConflictError(
      'DATASET_VERSION.NOT_READY',
      `Dataset version ${request.datasetVersionId} is ${version.status}; a job needs a validated version.`,
      { field: 'body.datasetVersionId' },
    );
  }
  return {
    pipeline: {
      id: pipeline.id,
      name: pipeline.name,
      version: pipeline.version,
      definition: pipeline.definition,
    },
    version: {
      id: version.id,
      datasetId: version.dataset_id,
      modality: version.modality,
      rowCount: version.row_count,
    },
  };
}

async function versionRows(trx: DatabaseTransaction, datasetVersionId: string): Promise<number | undefined> {
  const row = await trx
    .selectFrom('dataset_versions')
    .select('row_count')
    .where('id', '=', datasetVersionId)
    .executeTakeFirst();
  return row ? (row.row_count ?? 0) : undefined;
}

/** Estimate, reserve, create the job and its pending nodes: inside the caller's transaction. */
export async function createJobFromSnapshot(
  deps: StartJobDeps,
  trx: DatabaseTransaction,
  input: {
    jobId: string;
    userId: string;
    snapshot: PipelineSnapshot;
    datasetVersionId: string | null;
    datasetRows: number;
    priority: number;
    idempotencyKey: string | null;
    pipelineId?: string | null;
  },
): Promise<Job> {
  const { snapshot } = input;
  const stageOf = new Map<string, number>();
  indexPipelineGraph(toPipelineGraph(snapshot.definition)).stages.forEach((ids, stage) =>
    ids.forEach((id) => stageOf.set(id, stage)),
  );
  const nodes = snapshot.definition.nodes.map((node) => {
    const type = snapshot.nodeTypes[node.type];
    if (!type)
      throw new ValidationError(`The snapshot has no catalog entry for "${node.type}".`, {
        code: 'PIPELINE.INVALID',
      });
    return { node, type };
  });
  const placed = nodes.map(({ node, type }) => ({
    node,
    type,
    runtime: runtimeForNode(node.type, type.runtime, node.params),
  }));
  const estimate = estimateJobCost(
    placed.map(({ node, type, runtime }) => ({
      nodeId: node.id,
      runtime,
      duration: type.costModel,
      inputPortCount: type.inputPorts.length,
      budgetSeconds: budgetSecondsForNode(node.type, node.params),
    })),
    input.datasetRows,
  );
  const affordable = await deps.credits.estimate(trx, input.userId, estimate.credits);
  if (!affordable.sufficient) throw insufficientCredits(estimate.credits, affordable.available ?? 0);
  const job = await insertJobWithNodes(trx, {
    id: input.jobId,
    userId: input.userId,
    snapshotId: snapshot.id,
    pipelineId: input.pipelineId !== undefined ? input.pipelineId : snapshot.pipelineId,
    datasetVersionId: input.datasetVersionId,
    priority: input.priority,
    idempotencyKey: input.idempotencyKey,
    estimatedCredits: estimate.credits,
    nodes: placed.map(({ node, runtime }) => ({
      nodeId: node.id,
      nodeType: node.type,
      stage: stageOf.get(node.id) ?? 0,
      runtime,
    })),
  });
  await deps.credits.reserve(trx, {
    jobId: job.id,
    userId: input.userId,
    credits: estimate.credits,
    idempotencyKey: `job-reserve:${job.id}`,
  });
  return job;
}

/**
 * Starts the job's execution (name = job id, so a retried start is the same execution), retrying
 * transient orchestrator errors. Throws a 503 when it cannot; the caller decides what becomes of
 * the job (inside the creating transaction: nothing was created).
 */
async function startRun(deps: StartJobDeps, job: Job): Promise<{ executionId: string }> {
  const attempts = Math.max(1, deps.startAttempts ?? 3);
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await deps.services.orchestrator.startExecution({
        machine: RUN_PIPELINE_MACHINE,
        name: job.id,
        input: {
          jobId: job.id,
          userId: job.userId,
          snapshotId: job.snapshotId,
          datasetVersionId: job.datasetVersionId,
        },
      });
    } catch (error) {
      lastError = error;
      const retryable = error instanceof DependencyUnavailableError || !(error instanceof AppError);
      if (!retryable || attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
  }
  deps.services.logger.error('could not start the run of a job', { jobId: job.id, error: lastError });
  throw new DependencyUnavailableError(
    'orchestrator',
    'The run could not be started, so no job was created and no credits were reserved. Try again; with the same Idempotency-Key a retry cannot start two runs.',
    { cause: lastError, exposeDetail: true, details: { retryAfterSeconds: 5 } },
  );
}
