import type { CreditsPort } from '../../../shared/domain/billing/credits/credits.port';
import {
  executionStatusChangeSchema,
  RECONCILED_EXECUTION_STATUSES,
  sweepRequestSchema,
} from '../../../shared/domain/runs/execution-status-event';
import { jobCredits } from '../../../shared/domain/runs/job-credits';
import {
  reconcileExecutionEvent,
  sweepJobs,
  type ExecutionEventResult,
  type SweepReport,
} from '../../../shared/domain/runs/sweep-jobs';
import type { Services } from '../../../shared/ports/services';

/**
 * The job sweeper. Three triggers (schedules-stack.ts; the local platform wires the same):
 * a run-pipeline execution's status-change event reconciles that one job; the frequent rule
 * (`{ sweep: 'if-running' }`, also any other scheduled event) sweeps only when executions run;
 * the daily rule (`{ sweep: 'all' }`) sweeps every unfinished job.
 */
export interface SweepJobsOptions {
  credits?: CreditsPort;
  staleAfterMs?: number;
}

/** What the sweeper uses of the services. */
export type SweepJobsServices = Pick<Services, 'db' | 'clock' | 'logger' | 'ids' | 'orchestrator'>;

const reconciled = new Set<string>(RECONCILED_EXECUTION_STATUSES);

export function makeSweepJobsHandler(
  getServices: () => SweepJobsServices | Promise<SweepJobsServices>,
  options: SweepJobsOptions = {},
) {
  const credits = options.credits ?? jobCredits();
  return async (event?: unknown): Promise<SweepReport | ExecutionEventResult | { outcome: 'ignored' }> => {
    const services = await getServices();
    const deps = {
      services,
      credits,
      ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
    };
    const statusChange = executionStatusChangeSchema.safeParse(event);
    if (statusChange.success) {
      const { executionArn, name, status } = statusChange.data.detail;
      // The rule already filters on status; a RUNNING event has nothing to reconcile.
      if (!reconciled.has(status)) return { outcome: 'ignored' };
      return reconcileExecutionEvent(deps, { executionId: executionArn, name, status });
    }
    const request = sweepRequestSchema.safeParse(event);
    return sweepJobs({ ...deps, mode: request.success ? request.data.sweep : 'if-running' });
  };
}
