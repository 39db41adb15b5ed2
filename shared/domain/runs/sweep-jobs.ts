import { withSystemScope } from '../../db/tenant';
import type { JobStatus } from '../../db/schema';
import { NotFoundError } from '../../kernel/app-error';
import type { ExecutionDescription, ExecutionSummary } from '../../ports/orchestrator.port';
import type { Services } from '../../ports/services';
import { settleJob, type RunDeps, type SettleReason } from './job-control';
import { isTerminal, type Job } from './job-records';
import { findJob, listUnfinishedJobs } from './job-repository';
import { RUN_PIPELINE_MACHINE } from './start-job';

/**
 * Zombie-free jobs, without keeping the database awake. Three triggers share one reconciliation
 * (`reconcileJob`):
 * - an execution of run-pipeline ended (Step Functions' status-change event): that one job is
 *   settled if the run did not settle it (stopped, timed out or failed behind our back);
 * - the frequent sweep (`if-running`): it first asks the orchestrator which executions are
 *   running and stops there when none are, so an idle platform costs no query; otherwise it
 *   looks at every unfinished job (the database is awake anyway): silent ones (no heartbeat for
 *   too long) are stopped and settled, and any the events missed are caught up;
 * - the daily sweep (`all`): every unfinished job whatever runs, for events that were never
 *   delivered (EventBridge delivers best effort).
 * A job's execution is started inside the transaction that creates the job, so every job has
 * one; a job whose execution is gone (or that has none) was lost by the platform and is settled
 * as failed with nothing charged. The sweeper never starts executions.
 */
export interface SweepJobsDeps extends RunDeps {
  services: RunDeps['services'] & Pick<Services, 'orchestrator'>;
  /** `if-running` does nothing, not even a query, when no execution runs. Default `all`. */
  mode?: SweepMode;
  /** No heartbeat for this long while running: the job is considered lost. */
  staleAfterMs?: number;
  batchSize?: number;
}

export type SweepMode = 'if-running' | 'all';

export interface SweepReport {
  /** Executions of run-pipeline running when the sweep began. */
  running: number;
  /** Unfinished jobs looked at (0 when `if-running` found nothing running). */
  checked: number;
  settled: { jobId: string; reason: string }[];
}

export type ReconcileOutcome =
  { kind: 'unchanged' } | { kind: 'settled'; status: JobStatus | 'missing'; reason: string };

export const DEFAULT_STALE_AFTER_MS = 15 * 60_000;
const SCOPE = 'schedule.sweep-jobs';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function sweepJobs(deps: SweepJobsDeps): Promise<SweepReport> {
  const { orchestrator, db, logger } = deps.services;
  const running = await orchestrator.listRunningExecutions(RUN_PIPELINE_MACHINE);
  const report: SweepReport = { running: running.length, checked: 0, settled: [] };
  if ((deps.mode ?? 'all') === 'if-running' && running.length === 0) return report;

  const runningByJob = new Map(running.map((e) => [e.name, e]));
  const jobs = await withSystemScope(db, SCOPE, (trx) => listUnfinishedJobs(trx, deps.batchSize ?? 200));
  report.checked = jobs.length;
  for (const job of jobs) {
    try {
      const listed = runningByJob.get(job.id);
      const execution = listed
        ? asRunning(listed)
        : job.executionId
          ? await orchestrator.describeExecution(job.executionId)
          : undefined;
      const outcome = await reconcileJob(deps, job, execution);
      if (outcome.kind === 'settled') report.settled.push({ jobId: job.id, reason: outcome.reason });
    } catch (error) {
      // One job's trouble must not stop the sweep of the others.
      logger.error('sweeping a job failed', { jobId: job.id, error });
    }
  }
  if (report.settled.length > 0) logger.info('jobs swept', { ...report });
  return report;
}

export interface ExecutionEnded {
  executionId: string;
  /** The execution name: the job id for run-pipeline. */
  name: string;
  status: string;
}

export type ExecutionEventResult =
  | { outcome: 'unknown-job'; executionId: string }
  | { outcome: 'already-settled'; jobId: string; status: JobStatus }
  | { outcome: 'unchanged'; jobId: string }
  | { outcome: 'settled'; jobId: string; status: JobStatus | 'missing'; reason: string };

/** The event-driven path: one execution changed status; reconcile the job it runs. */
export async function reconcileExecutionEvent(
  deps: SweepJobsDeps,
  event: ExecutionEnded,
): Promise<ExecutionEventResult> {
  const { db, logger, orchestrator } = deps.services;
  const job = UUID.test(event.name)
    ? await withSystemScope(db, SCOPE, (trx) => findJob(trx, event.name.toLowerCase()))
    : undefined;
  if (!job) {
    logger.warn('an execution ended that runs no known job', { ...event });
    return { outcome: 'unknown-job', executionId: event.executionId };
  }
  if (isTerminal(job.status)) return { outcome: 'already-settled', jobId: job.id, status: job.status };
  if (job.executionId && job.executionId !== event.executionId) {
    logger.warn('an execution ended that is not the one of its job', {
      ...event,
      jobExecutionId: job.executionId,
    });
    return { outcome: 'unchanged', jobId: job.id };
  }
  // The event may lack the stop reason (error, cause); the execution itself has it.
  const execution = (await orchestrator.describeExecution(event.executionId)) ?? fromEvent(event);
  const outcome = await reconcileJob(deps, job, execution);
  switch (outcome.kind) {
    case 'settled':
      return { outcome: 'settled', jobId: job.id, status: outcome.status, reason: outcome.reason };
    case 'unchanged':
      return { outcome: 'unchanged', jobId: job.id };
  }
}

/**
 * The one reconciliation of a job with what the orchestrator knows of its execution
 * (`undefined`: there is none, or it no longer exists).
 */
export async function reconcileJob(
  deps: SweepJobsDeps,
  job: Job,
  execution: ExecutionDescription | undefined,
): Promise<ReconcileOutcome> {
  if (isTerminal(job.status)) return { kind: 'unchanged' };
  const now = deps.services.clock.now();
  const settle = async (reason: SettleReason, text: string): Promise<ReconcileOutcome> => {
    const result = await settleJob(deps, job.id, reason);
    return result.settled ? { kind: 'settled', status: result.status, reason: text } : { kind: 'unchanged' };
  };
  const fail = (message: string) => settle({ kind: 'platform-failure', message }, message);

  if (!execution) {
    return fail('The run was lost: its execution no longer exists. Nothing was charged; retry the job.');
  }
  if (execution.status !== 'RUNNING') {
    if (execution.status === 'ABORTED' && execution.error === CANCELLED_ERROR) {
      return settle({ kind: 'cancelled' }, 'Cancelled by its owner.');
    }
    return fail(endedMessage(execution, deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS));
  }

  const lastSign = job.heartbeatAt ?? job.startedAt ?? job.createdAt;
  const staleAfter = deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  if (now.getTime() - lastSign.getTime() <= staleAfter) return { kind: 'unchanged' };
  try {
    await deps.services.orchestrator.stopExecution(execution.executionId, {
      error: HEARTBEAT_LOST_ERROR,
      cause: `No heartbeat since ${lastSign.toISOString()}.`,
    });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  return fail(heartbeatLostMessage(staleAfter));
}

/** Stop reasons the platform gives (cancel-job and the sweeper), read back from a stopped execution. */
const CANCELLED_ERROR = 'PipeWeave.Cancelled';
const HEARTBEAT_LOST_ERROR = 'PipeWeave.HeartbeatLost';

function endedMessage(execution: ExecutionDescription, staleAfterMs: number): string {
  // The sweeper's own stop may be reconciled from its event before the sweeper settles: same words.
  if (execution.status === 'ABORTED' && execution.error === HEARTBEAT_LOST_ERROR)
    return heartbeatLostMessage(staleAfterMs);
  const how =
    execution.status === 'ABORTED'
      ? 'was stopped'
      : execution.status === 'TIMED_OUT'
        ? 'timed out'
        : `ended (${execution.status})`;
  return `The run ${how} before the job was settled. Nothing was charged; retry the job.`;
}

function heartbeatLostMessage(staleAfterMs: number): string {
  return `The run stopped reporting progress (no heartbeat for ${Math.round(staleAfterMs / 60_000)} minutes). Nothing was charged; retry the job.`;
}

function asRunning(listed: ExecutionSummary): ExecutionDescription {
  return {
    executionId: listed.executionId,
    name: listed.name,
    status: 'RUNNING',
    startedAt: listed.startedAt,
  };
}

function fromEvent(event: ExecutionEnded): ExecutionDescription {
  const known = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;
  const status = known.find((s) => s === event.status) ?? 'FAILED';
  return { executionId: event.executionId, name: event.name, status, startedAt: new Date(0) };
}
