import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ZodError } from 'zod';
import type { DatabaseTransaction } from '../../db/database';
import { isDatabaseError, SqlState } from '../../db/database-error';
import { AppError, DependencyUnavailableError, NotFoundError } from '../../kernel/app-error';
import type {
  JobDataset,
  TableRef,
  DatasetSourceRequest,
  NodeImplementation,
  NodeInputs,
  NodeResult,
  ResolvedDatasetVersion,
} from '../nodes/node-definition';
import type { MonitoringRecords } from '../nodes/monitoring-records.port';
import { NodeCancelledError, NodeError, TransientNodeError } from '../nodes/node-errors';
import type { NodeRegistry } from '../nodes/registry';
import type { OpenSqlEngine, SqlEngine, SqlEngineSettings } from '../../ports/sql-engine.port';
import type { ImageCodec } from '../../ports/image-codec.port';
import type { MediaTranscoder } from '../../ports/media-transcoder.port';
import { NODE_SCRATCH_PREFIX, removeLeftoverScratch } from '../../runtime/leftover-scratch';
import type { Services } from '../../ports/services';
import { objectKeys } from '../../storage/object-keys';
import { asRecord } from '../../kernel/as-record';
import { asJobOwner } from './job-scope';
import { databaseJobResults } from './job-result-records';
import { databaseLearningRecords } from './learning-records';
import { databaseRegisteredModels } from './registered-models';
import { isTerminal } from './job-records';
import { findJob, listJobNodes, markNodeRunning, touchJob } from './job-repository';
import { findSnapshot } from './pipeline-snapshot-repository';

/**
 * Runs one node of a job, the same way in every host (node-runner Lambda, Fargate task, local
 * runtime): checks the job still wants it, marks it running, wires its inputs from the outputs
 * its parents recorded, runs the implementation in a scratch directory with DuckDB, beats the
 * job's heartbeat while it works (and stops if the job was cancelled), and returns the node's
 * output (object keys and metrics), which the state machine records.
 *
 * Errors come out named for the state machine: `PipeWeave.NodeError` (the node cannot do it; not
 * retried), `PipeWeave.TransientError` (retried), `PipeWeave.NodeCancelled`.
 */
export interface RunJobNodeDeps {
  /** `config` gives the tiers' limits a registered output is checked against (the defaults without it). */
  services: Pick<Services, 'db' | 'blobs' | 'clock' | 'logger'> & Partial<Pick<Services, 'config'>>;
  registry: NodeRegistry;
  /** Opens the SQL engine a node works in (DuckDB). */
  openEngine: OpenSqlEngine;
  /** The image codec image nodes decode and write with. */
  images?: ImageCodec;
  /** Reads video frames and decodes audio (video nodes). */
  media?: MediaTranscoder;
  /** The monitoring records of a job's nodes (hosts that run monitoring nodes give it). */
  monitoring?: (scope: { userId: string; jobId: string }) => MonitoringRecords;
  /** Every beat updates the job's heartbeat and reads its status (a cancel stops the node). */
  heartbeatIntervalMs?: number;
  /**
   * The workflow's own heartbeat (Fargate: SendTaskHeartbeat), on a timer of its own: a database
   * outage longer than the task's HeartbeatSeconds must not time out a container that is working.
   */
  taskHeartbeat?: { beat: () => Promise<void>; intervalMs?: number };
  /** Aborted when the host stops the node (the local runtime's execution stop, a container's SIGTERM). */
  signal?: AbortSignal;
  /**
   * Aborted shortly before the host's time runs out (Lambda's timeout): the node stops, its
   * scratch directory is removed, and it fails with a NodeError the state machine records.
   */
  deadline?: AbortSignal;
  /**
   * Hosts that run one invocation at a time pass the invocation's start: scratch directories
   * older than that were left by an invocation stopped at its timeout and are removed first.
   */
  leftoverScratchBefore?: Date;
  /** DuckDB limits of this host. */
  engine?: Pick<SqlEngineSettings, 'threads' | 'memoryLimitMb'>;
  tempRoot?: string;
}

export interface RunJobNodeRequest {
  jobId: string;
  nodeId: string;
  attempt: number;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 20_000;
/** Well inside RunFargateNode's HeartbeatSeconds (300). */
export const DEFAULT_TASK_HEARTBEAT_INTERVAL_MS = 60_000;

export async function runJobNode(deps: RunJobNodeDeps, request: RunJobNodeRequest): Promise<NodeResult> {
  try {
    return await runNode(deps, request);
  } catch (error) {
    throw asNodeHostError(error);
  }
}

interface PreparedNode {
  userId: string;
  nodeType: string;
  params: unknown;
  inputs: NodeInputs;
  inputRows: number;
  jobDatasetVersionId: string | null;
  pipelineId: string | null;
  pipelineName: string;
}

async function runNode(deps: RunJobNodeDeps, request: RunJobNodeRequest): Promise<NodeResult> {
  const { services } = deps;
  const { jobId, nodeId } = request;
  const prepared = await asJobOwner(services.db, jobId, (trx, userId) => prepare(deps, trx, userId, request));
  if (!prepared) throw new NodeCancelledError(`Job ${jobId} no longer exists.`);
  const node = deps.registry.get(prepared.nodeType);
  let params: unknown;
  try {
    params = node.params.parse(prepared.params);
  } catch (error) {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      throw new NodeError(
        `Parameter "${issue?.path.join('.') ?? ''}" of node "${nodeId}": ${issue?.message ?? 'invalid'}.`,
        'params',
      );
    }
    throw error;
  }

  const abort = new AbortController();
  const onHostAbort = () => abort.abort();
  deps.signal?.addEventListener('abort', onHostAbort);
  if (deps.signal?.aborted) abort.abort();
  let outOfTime = false;
  const onDeadline = () => {
    outOfTime = true;
    abort.abort();
  };
  deps.deadline?.addEventListener('abort', onDeadline);
  if (deps.deadline?.aborted) onDeadline();
  try {
    const tempRoot = deps.tempRoot ?? tmpdir();
    if (deps.leftoverScratchBefore)
      await removeLeftoverScratch(tempRoot, deps.leftoverScratchBefore, deps.services.logger);
    // Nested so that whatever fails (opening DuckDB, the node, closing the session) the scratch
    // directory is still removed: it is created first and removed last.
    const workDir = await mkdtemp(path.join(tempRoot, NODE_SCRATCH_PREFIX));
    try {
      const tables = await deps.openEngine({
        ...deps.engine,
        tempDirectory: path.join(workDir, 'spill'),
        allowedDirectories: [workDir],
      });
      try {
        return await runInSession(deps, request, prepared, node, params, { workDir, tables, abort });
      } finally {
        tables.close();
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  } catch (error) {
    // Stopped by the deadline, not by a cancel: the node failed, and says why.
    if (outOfTime && error instanceof NodeCancelledError) {
      throw new NodeError(
        `Node "${request.nodeId}" ran out of time on its host and was stopped. Give it less data, or use a node type that runs on Fargate.`,
      );
    }
    throw error;
  } finally {
    deps.signal?.removeEventListener('abort', onHostAbort);
    deps.deadline?.removeEventListener('abort', onDeadline);
  }
}

async function runInSession(
  deps: RunJobNodeDeps,
  request: RunJobNodeRequest,
  prepared: PreparedNode,
  node: NodeImplementation,
  params: unknown,
  scratch: { workDir: string; tables: SqlEngine; abort: AbortController },
): Promise<NodeResult> {
  const { services } = deps;
  const { jobId, nodeId } = request;
  const { workDir, tables, abort } = scratch;
  abort.signal.addEventListener('abort', () => tables.interrupt());

  const beat = async (change: { currentStep?: string; nodeFraction?: number } = {}) => {
    const status = await asJobOwner(services.db, jobId, (trx) =>
      touchJob(trx, jobId, { now: services.clock.now(), ...change }),
    );
    if (!status || isTerminal(status)) abort.abort();
  };
  const timer = setInterval(() => {
    beat().catch((error: unknown) => services.logger.warn('node heartbeat failed', { jobId, nodeId, error }));
  }, deps.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
  timer.unref();
  const { taskHeartbeat } = deps;
  const taskTimer = taskHeartbeat
    ? setInterval(() => {
        taskHeartbeat
          .beat()
          .catch((error: unknown) =>
            services.logger.warn('workflow task heartbeat failed', { jobId, nodeId, error }),
          );
      }, taskHeartbeat.intervalMs ?? DEFAULT_TASK_HEARTBEAT_INTERVAL_MS)
    : undefined;
  taskTimer?.unref();

  const started = Date.now();
  try {
    const result = await node.run(
      {
        jobId,
        userId: prepared.userId,
        nodeId,
        nodeType: prepared.nodeType,
        attempt: request.attempt,
        blobs: services.blobs,
        tables,
        workDir,
        signal: abort.signal,
        logger: services.logger,
        outputKey: (port, extension) =>
          objectKeys.jobNodeOutput(prepared.userId, jobId, nodeId, port, extension),
        resolveDataset: (source) => resolveDataset(deps, jobId, prepared, source),
        jobDataset: () => jobDataset(deps, jobId, prepared),
        learning: learningRecordsFor(deps, jobId, prepared, nodeId),
        models: databaseRegisteredModels(services, { userId: prepared.userId }),
        results: databaseJobResults(
          { ...services, tierLimits: services.config?.datasets?.tierLimits },
          { userId: prepared.userId, jobId, nodeId },
        ),
        progress: (fraction, step) => beat({ currentStep: `${nodeId}: ${step}`, nodeFraction: fraction }),
        ...(deps.images ? { images: deps.images } : {}),
        ...(deps.media ? { media: deps.media } : {}),
        ...(deps.monitoring ? { monitoring: deps.monitoring({ userId: prepared.userId, jobId }) } : {}),
      },
      prepared.inputs,
      params,
    );
    if (abort.signal.aborted) throw new NodeCancelledError();
    const sourceRows =
      prepared.inputs && Object.keys(prepared.inputs).length === 0
        ? Number(result.metrics['rows'] ?? 0)
        : prepared.inputRows;
    return {
      outputs: result.outputs,
      metrics: { ...result.metrics, inputRows: sourceRows, durationMs: Date.now() - started },
    };
  } catch (error) {
    if (abort.signal.aborted) throw new NodeCancelledError();
    throw error;
  } finally {
    clearInterval(timer);
    clearInterval(taskTimer);
  }
}

async function prepare(
  deps: RunJobNodeDeps,
  trx: DatabaseTransaction,
  userId: string,
  request: RunJobNodeRequest,
): Promise<PreparedNode> {
  const { jobId, nodeId } = request;
  const job = await findJob(trx, jobId);
  if (!job || job.status !== 'running')
    throw new NodeCancelledError(`Job ${jobId} is ${job?.status ?? 'gone'}; the node does not run.`);
  const snapshot = await findSnapshot(trx, job.snapshotId);
  const definitionNode = snapshot?.definition.nodes.find((n) => n.id === nodeId);
  if (!snapshot || !definitionNode) throw new NodeError(`Node "${nodeId}" is not part of job ${jobId}.`);
  const nodes = await listJobNodes(trx, jobId);
  const outputsOf = new Map(nodes.map((n) => [n.nodeId, n]));

  const inputs: Record<string, TableRef> = {};
  let inputRows = 0;
  for (const edge of snapshot.definition.edges.filter((e) => e.to.node === nodeId)) {
    const parent = outputsOf.get(edge.from.node);
    const output = parent?.status === 'success' ? portOutput(parent.output, edge.from.port) : undefined;
    if (!output) {
      throw new NodeError(
        `Input "${edge.to.port}" of node "${nodeId}" has no table: node "${edge.from.node}" did not produce "${edge.from.port}".`,
      );
    }
    inputs[edge.to.port] = output;
    inputRows += output.rows ?? 0;
  }
  if (!(await markNodeRunning(trx, jobId, nodeId, request.attempt, deps.services.clock.now()))) {
    throw new NodeCancelledError(`Node "${nodeId}" of job ${jobId} is no longer pending.`);
  }
  await touchJob(trx, jobId, {
    now: deps.services.clock.now(),
    currentStep: `running ${nodeId} (${definitionNode.type})`,
  });
  return {
    userId,
    nodeType: definitionNode.type,
    params: definitionNode.params,
    inputs,
    inputRows,
    jobDatasetVersionId: job.datasetVersionId,
    pipelineId: job.pipelineId,
    pipelineName: snapshot.name,
  };
}

function portOutput(output: unknown, port: string): TableRef | undefined {
  const entry = asRecord(asRecord(asRecord(output)?.['outputs'])?.[port]);
  const key = entry?.['key'];
  const rows = entry?.['rows'];
  const transformsKey = entry?.['transformsKey'];
  if (typeof key !== 'string') return undefined;
  return {
    key,
    ...(typeof rows === 'number' ? { rows } : {}),
    ...(typeof transformsKey === 'string' ? { transformsKey } : {}),
  };
}

/**
 * What a `dataset.source` reads: the job's own dataset version when the source names the job's
 * dataset (or none) and asks for the current version; otherwise the named version, or the
 * dataset's current one, of one of the owner's datasets.
 */
async function resolveDataset(
  deps: RunJobNodeDeps,
  jobId: string,
  prepared: PreparedNode,
  source: DatasetSourceRequest,
): Promise<ResolvedDatasetVersion> {
  const found = await asJobOwner(deps.services.db, jobId, async (trx) => {
    const jobVersion = prepared.jobDatasetVersionId
      ? await trx
          .selectFrom('dataset_versions')
          .select(['id', 'dataset_id'])
          .where('id', '=', prepared.jobDatasetVersionId)
          .executeTakeFirst()
      : undefined;
    const datasetId = source.datasetId ?? jobVersion?.dataset_id;
    if (!datasetId)
      throw new NodeError('The source names no dataset and the job has no dataset version.', 'datasetId');
    let query = trx
      .selectFrom('dataset_versions as v')
      .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
      .select([
        'v.id',
        'v.dataset_id',
        'v.version_number',
        'v.status',
        'v.processed_object_key',
        'v.row_count',
      ])
      .where('v.dataset_id', '=', datasetId)
      .where('d.deleted_at', 'is', null);
    if (typeof source.version === 'number') query = query.where('v.version_number', '=', source.version);
    else if (jobVersion && jobVersion.dataset_id === datasetId)
      query = query.where('v.id', '=', jobVersion.id);
    else query = query.whereRef('v.id', '=', 'd.current_version_id');
    return query.executeTakeFirst();
  });
  if (!found)
    throw new NodeError(
      `The dataset version this source reads was not found (dataset ${source.datasetId ?? 'of the job'}).`,
      'datasetId',
    );
  if (found.status !== 'validated' || !found.processed_object_key) {
    throw new NodeError(
      `Version ${found.version_number} of the dataset is ${found.status}, not validated.`,
      'version',
    );
  }
  return {
    datasetId: found.dataset_id,
    datasetVersionId: found.id,
    versionNumber: found.version_number,
    processedObjectKey: found.processed_object_key,
    rowCount: found.row_count,
  };
}

function learningRecordsFor(deps: RunJobNodeDeps, jobId: string, prepared: PreparedNode, nodeId: string) {
  return databaseLearningRecords(deps.services.db, {
    userId: prepared.userId,
    jobId,
    pipelineId: prepared.pipelineId,
    pipelineName: prepared.pipelineName,
    nodeId,
    datasetVersionId: prepared.jobDatasetVersionId,
    clock: deps.services.clock,
  });
}

/** The dataset version the job was started with, with its dataset's target and problem type. */
async function jobDataset(
  deps: RunJobNodeDeps,
  jobId: string,
  prepared: PreparedNode,
): Promise<JobDataset | null> {
  const versionId = prepared.jobDatasetVersionId;
  if (!versionId) return null;
  const found = await asJobOwner(deps.services.db, jobId, (trx) =>
    trx
      .selectFrom('dataset_versions as v')
      .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
      .select(['v.id', 'v.dataset_id', 'v.version_number', 'v.sha256', 'd.target_column', 'd.problem_type'])
      .where('v.id', '=', versionId)
      .executeTakeFirst(),
  );
  if (!found) return null;
  return {
    datasetId: found.dataset_id,
    datasetVersionId: found.id,
    versionNumber: found.version_number,
    sha256: found.sha256,
    targetColumn: found.target_column,
    problemType: found.problem_type,
  };
}

/** Node failures keep their names; dependencies that may come back become transient; anything else is the node's error. */
function asNodeHostError(error: unknown): Error {
  if (
    error instanceof NodeError ||
    error instanceof NodeCancelledError ||
    error instanceof TransientNodeError
  )
    return error;
  if (error instanceof DependencyUnavailableError)
    return new TransientNodeError(error.message, { cause: error });
  if (
    isDatabaseError(error) &&
    (error.is(SqlState.serializationFailure) || error.is(SqlState.deadlockDetected))
  ) {
    return new TransientNodeError('The database asked to retry.', { cause: error });
  }
  if (error instanceof NotFoundError) return new NodeError(error.message);
  if (error instanceof AppError) return new NodeError(error.message, error.field);
  const message = error instanceof Error ? error.message : String(error);
  // DuckDB reports data problems ("Conversion Error: Could not convert string 'x' to INT32") in its message.
  const node = new NodeError(message);
  if (error instanceof Error && error.stack)
    node.stack = `${node.name}: ${message}\n${error.stack.split('\n').slice(1).join('\n')}`;
  return node;
}
