import * as z from 'zod';
import type { CreditsPort } from '../../../shared/domain/billing/credits/credits.port';
import { isDatabaseError, SqlState } from '../../../shared/db/database-error';
import { DependencyUnavailableError } from '../../../shared/kernel/app-error';
import { TransientNodeError } from '../../../shared/domain/nodes/node-errors';
import { jobCredits } from '../../../shared/domain/runs/job-credits';
import { checkJob, planJob, recordNodeResult, settleJob } from '../../../shared/domain/runs/job-control';
import type { Services } from '../../../shared/ports/services';

/**
 * The pipeline control Lambda: the state machine's PlanStages, CheckStage, RecordNodeSuccess,
 * RecordNodeFailure and Settle tasks (contracts in statemachines/README.md). The local runtime
 * calls the same handler in-process (the Lambda entry is pipeline-control.ts).
 */
const statesError = z.object({ Error: z.string(), Cause: z.string() });
const jobId = z.uuid();

export const pipelineControlEventSchema = z.union([
  z.object({ action: z.literal('plan'), jobId }),
  z.object({ action: z.literal('check'), jobId }),
  z.object({
    action: z.literal('record'),
    jobId,
    nodeId: z.string().min(1),
    status: z.literal('success'),
    output: z.unknown(),
  }),
  z.object({
    action: z.literal('record'),
    jobId,
    nodeId: z.string().min(1),
    status: z.literal('failed'),
    error: statesError,
  }),
  z.object({ action: z.literal('settle'), jobId, error: statesError.nullable() }),
]);
export type PipelineControlEvent = z.infer<typeof pipelineControlEventSchema>;

export function makePipelineControlHandler(
  getServices: () => Services | Promise<Services>,
  credits: CreditsPort = jobCredits(),
) {
  return async (event: unknown): Promise<unknown> => {
    const services = await getServices();
    const parsed = pipelineControlEventSchema.parse(event);
    const deps = { services, credits };
    try {
      switch (parsed.action) {
        case 'plan':
          return await planJob(deps, parsed.jobId);
        case 'check':
          return await checkJob(deps, parsed.jobId);
        case 'record':
          return await recordNodeResult(
            deps,
            parsed.status === 'success'
              ? { jobId: parsed.jobId, nodeId: parsed.nodeId, status: 'success', output: parsed.output }
              : { jobId: parsed.jobId, nodeId: parsed.nodeId, status: 'failed', error: parsed.error },
          );
        case 'settle':
          return await settleJob(deps, parsed.jobId, { kind: 'run-ended', error: parsed.error });
      }
    } catch (error) {
      // The machine retries PipeWeave.TransientError with backoff; anything else goes to Settle.
      if (
        error instanceof DependencyUnavailableError ||
        (isDatabaseError(error) &&
          (error.is(SqlState.serializationFailure) || error.is(SqlState.deadlockDetected)))
      ) {
        throw new TransientNodeError(error.message, { cause: error });
      }
      throw error;
    }
  };
}
