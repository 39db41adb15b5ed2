import type { CreditsPort } from '../../shared/credits/credits.port';
import { jobCredits } from '../../shared/pipelines/runs/job-credits';
import { sweepJobs, type SweepReport } from '../../shared/pipelines/runs/sweep-jobs';
import type { Services } from '../../shared/services';

/** The job sweeper (EventBridge rule every 5 minutes; the local scheduler every minute). */
export interface SweepJobsOptions {
  credits?: CreditsPort;
  staleAfterMs?: number;
}

export function makeSweepJobsHandler(
  getServices: () => Services | Promise<Services>,
  options: SweepJobsOptions = {},
) {
  const credits = options.credits ?? jobCredits();
  return async (_event?: unknown): Promise<SweepReport> => {
    const services = await getServices();
    return sweepJobs({
      services,
      credits,
      ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
    });
  };
}
