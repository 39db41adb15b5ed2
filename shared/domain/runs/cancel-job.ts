import { withOwner, type Owner } from '../../db/owner-filter';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import type { Services } from '../../ports/services';
import { settleJob, type RunDeps } from './job-control';
import type { Job, JobNode } from './job-records';
import { findJob, listJobNodes } from './job-repository';

/**
 * `POST /jobs/{id}/cancel`: stop the execution (a stopped execution runs no more states, so it
 * never reaches Settle), then settle the job as cancelled here: unfinished nodes skipped, the
 * nodes that already succeeded charged, the rest refunded. A node still running notices the
 * cancel on its next heartbeat and stops. Cancelling a cancelled job answers the same job.
 */
export interface CancelJobDeps extends RunDeps {
  services: RunDeps['services'] & Pick<Services, 'orchestrator'>;
}

export async function cancelJob(
  deps: CancelJobDeps,
  caller: Owner,
  jobId: string,
): Promise<{ job: Job; nodes: JobNode[] }> {
  const job = await withOwner(deps.services.db, caller, (trx) =>
    findJob(trx, jobId, { ownerId: caller.userId }),
  );
  if (!job) throw new NotFoundError('Job', jobId);
  if (job.status === 'completed' || job.status === 'failed') {
    throw new ConflictError(
      'JOB.ALREADY_FINISHED',
      `Job ${jobId} already ${job.status}; there is nothing to cancel.`,
    );
  }
  if (job.status !== 'cancelled') {
    if (job.executionId) {
      try {
        await deps.services.orchestrator.stopExecution(job.executionId, {
          error: 'PipeWeave.Cancelled',
          cause: 'Cancelled by its owner.',
        });
      } catch (error) {
        // Already gone is fine: settling below is what matters.
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    await settleJob(deps, jobId, { kind: 'cancelled' });
  }
  return withOwner(deps.services.db, caller, async (trx) => {
    const current = await findJob(trx, jobId, { ownerId: caller.userId });
    if (!current) throw new NotFoundError('Job', jobId);
    return { job: current, nodes: await listJobNodes(trx, jobId) };
  });
}
