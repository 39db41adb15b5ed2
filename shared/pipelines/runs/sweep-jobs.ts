import { withSystemScope } from '../../db/tenant';
import { NotFoundError } from '../../errors/app-error';
import type { Services } from '../../services';
import { settleJob, type RunDeps } from './job-control';
import type { Job } from './job-records';
import { listUnfinishedJobs } from './job-repository';
import { launchExecution, type StartJobDeps } from './start-job';

/**
 * Zombie-free jobs. For every queued or running job, the sweeper asks the orchestrator about its
 * execution and settles the job (failed, nothing charged) when the execution ended without
 * settling it (stopped or timed out behind our back, or gone), or when the job has sent no
 * heartbeat for too long (its execution is stopped first). A queued job whose execution was never
 * started (a crash right after the commit) gets it started now.
 */
export interface SweepJobsDeps extends RunDeps, StartJobDeps {
  services: RunDeps['services'] & StartJobDeps['services'] & Pick<Services, 'orchestrator'>;
  /** No heartbeat for this long while running: the job is considered lost. */
  staleAfterMs?: number;
  /** A queued job without an execution for this long gets its execution started. */
  unstartedAfterMs?: number;
  batchSize?: number;
}

export interface SweepReport {
  checked: number;
  settled: { jobId: string; reason: string }[];
  started: string[];
}

export const DEFAULT_STALE_AFTER_MS = 15 * 60_000;
const DEFAULT_UNSTARTED_AFTER_MS = 2 * 60_000;

export async function sweepJobs(deps: SweepJobsDeps): Promise<SweepReport> {
  const now = deps.services.clock.now();
  const jobs = await withSystemScope(deps.services.db, 'schedule.sweep-jobs', (trx) =>
    listUnfinishedJobs(trx, deps.batchSize ?? 200),
  );
  const report: SweepReport = { checked: jobs.length, settled: [], started: [] };
  for (const job of jobs) {
    try {
      await sweepOne(deps, job, now, report);
    } catch (error) {
      // One job's trouble must not stop the sweep of the others.
      deps.services.logger.error('sweeping a job failed', { jobId: job.id, error });
    }
  }
  if (report.settled.length > 0 || report.started.length > 0)
    deps.services.logger.info('jobs swept', { ...report });
  return report;
}

async function sweepOne(deps: SweepJobsDeps, job: Job, now: Date, report: SweepReport): Promise<void> {
  const fail = async (reason: string) => {
    const result = await settleJob(deps, job.id, { kind: 'platform-failure', message: reason });
    if (result.settled) report.settled.push({ jobId: job.id, reason });
  };

  if (!job.executionId) {
    if (now.getTime() - job.createdAt.getTime() < (deps.unstartedAfterMs ?? DEFAULT_UNSTARTED_AFTER_MS))
      return;
    try {
      await launchExecution({ ...deps, startAttempts: 1 }, job);
      report.started.push(job.id);
    } catch {
      // launchExecution already failed and settled the job.
      report.settled.push({ jobId: job.id, reason: 'The run could not be started.' });
    }
    return;
  }

  const execution = await deps.services.orchestrator.describeExecution(job.executionId);
  if (!execution) {
    await fail('The run was lost: its execution no longer exists. Nothing was charged; retry the job.');
    return;
  }
  if (execution.status !== 'RUNNING') {
    const how =
      execution.status === 'ABORTED'
        ? 'was stopped'
        : execution.status === 'TIMED_OUT'
          ? 'timed out'
          : `ended (${execution.status})`;
    await fail(`The run ${how} before the job was settled. Nothing was charged; retry the job.`);
    return;
  }
  const lastSign = job.heartbeatAt ?? job.startedAt ?? job.createdAt;
  const staleAfter = deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  if (now.getTime() - lastSign.getTime() > staleAfter) {
    try {
      await deps.services.orchestrator.stopExecution(job.executionId, {
        error: 'PipeWeave.HeartbeatLost',
        cause: `No heartbeat since ${lastSign.toISOString()}.`,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    await fail(
      `The run stopped reporting progress (no heartbeat for ${Math.round(staleAfter / 60_000)} minutes). Nothing was charged; retry the job.`,
    );
  }
}
