import * as z from 'zod';

/**
 * The EventBridge event Step Functions sends when an execution changes status ("Step Functions
 * Execution Status Change", source `aws.states`). The local runtime emits the same shape. Only
 * the fields the sweeper reads are checked; error and cause are not always in the event, so the
 * sweeper asks the orchestrator for them.
 */
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';
export const EXECUTION_EVENT_SOURCE = 'aws.states';

/**
 * Statuses that end an execution and that the sweeper reconciles. SUCCEEDED is included because
 * an execution can end after a Settle that found nothing to settle; reconciling it costs one
 * lookup while the database is awake anyway, and a settled job is left as it is.
 */
export const RECONCILED_EXECUTION_STATUSES = ['ABORTED', 'FAILED', 'TIMED_OUT', 'SUCCEEDED'] as const;
export type ReconciledExecutionStatus = (typeof RECONCILED_EXECUTION_STATUSES)[number];

export const executionStatusChangeSchema = z.object({
  source: z.literal(EXECUTION_EVENT_SOURCE),
  'detail-type': z.literal(EXECUTION_STATUS_CHANGE),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().optional(),
    name: z.string().min(1),
    status: z.string().min(1),
  }),
});
export type ExecutionStatusChangeEvent = z.infer<typeof executionStatusChangeSchema>;

/** What the fixed sweep rules send as the event (their constant input). */
export const sweepRequestSchema = z.object({ sweep: z.enum(['if-running', 'all']) });
export type SweepRequest = z.infer<typeof sweepRequestSchema>;
