import type { CreditsPort } from '../billing/credits/credits.port';
import type { JobStatus } from '../../db/schema';
import { DependencyUnavailableError } from '../../kernel/app-error';
import type { Services } from '../../ports/services';
import { toPipelineGraph } from '../pipelines/pipeline-definition';
import { indexPipelineGraph } from '../pipelines/plan-stages';
import { clip } from '../../kernel/bounded-json';
import { asRecord } from '../../kernel/as-record';
import { runUsage } from './estimate-job-cost';
import { asJobOwner } from './job-scope';
import { isTerminal, type JobNode } from './job-records';
import {
  completeNode,
  findJob,
  findJobHaltState,
  finishJob,
  listJobNodes,
  markJobRunning,
  recordJobError,
  skipNodes,
  touchJob,
} from './job-repository';
import { findSnapshot } from './pipeline-snapshot-repository';
import { describeStatesError, explainNodeError, type DescribedError, type StatesError } from './run-errors';

/**
 * The control plane of a run: what the state machine's PlanStages, CheckStage, RecordNode* and
 * Settle tasks do (statemachines/README.md has the contracts). Every action is idempotent: Step
 * Functions may deliver a task twice, and a cancel may race a record.
 */
export interface RunDeps {
  services: Pick<Services, 'db' | 'clock' | 'logger'>;
  credits: CreditsPort;
}

export interface PlannedNode {
  nodeId: string;
  nodeType: string;
  runtime: 'lambda' | 'fargate';
}

/**
 * No job has this id, as far as this transaction can see. The execution is started inside the
 * transaction that creates its job, so `plan` may run before that commit: the error is transient
 * (the machine retries it, as `PipeWeave.TransientError`, for about a minute). A job that never
 * appears (the creation rolled back and stopping its execution failed) fails the run in planning
 * with this message, and nothing is changed.
 */
export class UnknownJobError extends DependencyUnavailableError {
  constructor(readonly jobId: string) {
    super(
      'database',
      `Unknown job ${jobId}: no job with this id exists (yet). Its creating transaction has not committed; if it never does, this run has nothing to do.`,
      { details: { jobId } },
    );
  }
}

/**
 * `plan`: the job is running; its stages are the pending nodes by stage, with their runtime. A job
 * that already ended (cancelled before its run planned) has no stages. Throws `UnknownJobError`
 * while the job is not visible.
 */
export async function planJob(deps: RunDeps, jobId: string): Promise<{ stages: PlannedNode[][] }> {
  const stages = await asJobOwner(deps.services.db, jobId, async (trx) => {
    if (!(await markJobRunning(trx, jobId, deps.services.clock.now()))) return [];
    const nodes = await listJobNodes(trx, jobId);
    const byStage = new Map<number, PlannedNode[]>();
    for (const node of nodes) {
      if (node.status !== 'pending' && node.status !== 'running') continue;
      byStage.set(node.stage, [
        ...(byStage.get(node.stage) ?? []),
        { nodeId: node.nodeId, nodeType: node.nodeType, runtime: node.runtime },
      ]);
    }
    return [...byStage.entries()].sort(([a], [b]) => a - b).map(([, list]) => list);
  });
  if (stages === undefined) throw new UnknownJobError(jobId);
  return { stages };
}

/** `check`: keep going unless the job ended (cancelled) or a node failed. */
export async function checkJob(deps: RunDeps, jobId: string): Promise<{ continue: boolean }> {
  const go = await asJobOwner(deps.services.db, jobId, async (trx) => {
    const state = await findJobHaltState(trx, jobId);
    return state?.status === 'running' && !state.hasFailedNode;
  });
  return { continue: go ?? false };
}

export type RecordRequest =
  | { jobId: string; nodeId: string; status: 'success'; output: unknown }
  | { jobId: string; nodeId: string; status: 'failed'; error: StatesError };

/** `record`: a node's result. A failure also skips the node's descendants and explains the job's failure. */
export async function recordNodeResult(
  deps: RunDeps,
  request: RecordRequest,
): Promise<{ recorded: boolean }> {
  const now = deps.services.clock.now();
  const recorded = await asJobOwner(deps.services.db, request.jobId, async (trx) => {
    const job = await findJob(trx, request.jobId);
    if (!job) return false;
    if (request.status === 'success') {
      const changed = await completeNode(trx, request.jobId, request.nodeId, {
        status: 'success',
        output: request.output,
        error: null,
        now,
      });
      await touchJob(trx, request.jobId, { now, currentStep: `finished ${request.nodeId}` });
      return changed;
    }
    const described = describeBounded(request.error);
    const message = clip(explainNodeError(described), MAX_ERROR_MESSAGE_CHARS);
    const changed = await completeNode(trx, request.jobId, request.nodeId, {
      status: 'failed',
      output: { failure: { type: described.type, traceback: described.traceback } },
      error: message,
      now,
    });
    if (!changed) return false;
    const snapshot = await findSnapshot(trx, job.snapshotId);
    const nodeType = snapshot?.definition.nodes.find((n) => n.id === request.nodeId)?.type ?? 'unknown';
    if (snapshot) {
      const graph = indexPipelineGraph(toPipelineGraph(snapshot.definition));
      await skipNodes(trx, request.jobId, graph.descendantsOf(request.nodeId), now);
    }
    await recordJobError(
      trx,
      request.jobId,
      `Node "${request.nodeId}" (${nodeType}) failed: ${message}`,
      described.traceback.length > 0 ? described.traceback.join('\n') : null,
    );
    await touchJob(trx, request.jobId, { now, currentStep: `${request.nodeId} failed` });
    return true;
  });
  return { recorded: recorded ?? false };
}

const MAX_ERROR_MESSAGE_CHARS = 4_000;
const MAX_TRACEBACK_LINES = 40;

/** An error as stored in job_nodes and jobs rows, which the Data API returns at most 64 KB of. */
function describeBounded(error: StatesError): DescribedError {
  const described = describeStatesError(error);
  return {
    type: clip(described.type, 200),
    message: clip(described.message, MAX_ERROR_MESSAGE_CHARS),
    traceback: described.traceback.slice(0, MAX_TRACEBACK_LINES).map((line) => clip(line, 500)),
  };
}

/** Why a job is being settled. */
export type SettleReason =
  /** The execution reached Settle: `error` is set when the run itself broke. */
  | { kind: 'run-ended'; error: StatesError | null }
  /** The user cancelled (the execution was stopped first). */
  | { kind: 'cancelled' }
  /** The platform lost the run (execution missing, stopped behind our back, silent): nothing is charged. */
  | { kind: 'platform-failure'; message: string };

export interface SettleResult {
  status: JobStatus | 'missing';
  /** False when the job had already been settled (nothing changed). */
  settled: boolean;
}

/**
 * `settle`: the job's final status, unfinished nodes skipped, and its credits: the nodes that
 * succeeded are charged on the rows they read (never more than reserved), the rest goes back.
 * A run lost by the platform is not charged at all. Settling twice changes nothing.
 */
export async function settleJob(deps: RunDeps, jobId: string, reason: SettleReason): Promise<SettleResult> {
  const now = deps.services.clock.now();
  const result = await asJobOwner(deps.services.db, jobId, async (trx, userId): Promise<SettleResult> => {
    // Nodes first, then the job: the order a record takes them (its node, then the job), so the
    // two never deadlock. Locking waits for a record in flight to commit; what settle then reads is
    // what it skips and charges, and a record arriving later finds its node already skipped.
    const nodes = await listJobNodes(trx, jobId, { forUpdate: true });
    const job = await findJob(trx, jobId, { forUpdate: true });
    if (!job) return { status: 'missing', settled: false };
    if (isTerminal(job.status)) return { status: job.status, settled: false };
    const outcome = decideOutcome(reason, nodes);
    await skipNodes(trx, jobId, 'unfinished', now);
    // A run the platform lost or broke is not charged; otherwise the nodes that finished are.
    const usage = runUsage(outcome.platformFailure ? [] : nodes, job.estimatedCredits);
    const used = usage.used;
    const settlement = await deps.credits.settle(trx, { jobId, userId, usedCredits: used });
    const finished = await finishJob(trx, jobId, {
      status: outcome.status,
      now,
      // What left the balance: the ledger's reserve less its refund.
      chargedCredits: settlement.charged,
      results: {
        outputs: outputsOf(nodes),
        credits: {
          reserved: settlement.charged + settlement.refunded,
          used,
          overrun: usage.overrun,
          charged: settlement.charged,
          refunded: settlement.refunded,
          nodes: usage.nodes.map((node) => ({ ...node })),
        },
      },
      ...(outcome.errorMessage !== undefined
        ? { errorMessage: outcome.errorMessage, errorTraceback: outcome.traceback ?? null }
        : {}),
    });
    if (finished) {
      deps.services.logger.info('job settled', {
        jobId,
        status: outcome.status,
        usedCredits: used,
        reason: reason.kind,
      });
    }
    return { status: finished?.status ?? job.status, settled: finished !== undefined };
  });
  return result ?? { status: 'missing', settled: false };
}

interface Outcome {
  status: 'completed' | 'failed' | 'cancelled';
  platformFailure: boolean;
  errorMessage?: string;
  traceback?: string | null;
}

function decideOutcome(reason: SettleReason, nodes: readonly JobNode[]): Outcome {
  if (reason.kind === 'cancelled') return { status: 'cancelled', platformFailure: false };
  if (reason.kind === 'platform-failure')
    return { status: 'failed', platformFailure: true, errorMessage: reason.message };
  if (reason.error) {
    const described = describeBounded(reason.error);
    return {
      status: 'failed',
      platformFailure: true,
      errorMessage: `The run failed (${described.type}): ${described.message}`,
      traceback: described.traceback.length > 0 ? described.traceback.join('\n') : null,
    };
  }
  if (nodes.some((n) => n.status === 'failed')) return { status: 'failed', platformFailure: false };
  const notRun = nodes.filter((n) => n.status !== 'success');
  if (notRun.length > 0) {
    return {
      status: 'failed',
      platformFailure: false,
      errorMessage: `The run ended before ${notRun.map((n) => `"${n.nodeId}"`).join(', ')} ran.`,
    };
  }
  return { status: 'completed', platformFailure: false };
}

function outputsOf(nodes: readonly JobNode[]): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  for (const node of nodes) {
    const out = asRecord(asRecord(node.output)?.['outputs']);
    if (node.status === 'success' && out) outputs[node.nodeId] = out;
  }
  return outputs;
}
