import * as z from 'zod';
import type { JsonValue } from '../../db/schema';
import type { Job, JobNode } from './job-records';
import { ranNodeCosts } from './estimate-job-cost';

/** A job as the API shows it: status, progress, every node with its timings, outputs and error, credits. */
export const jobNodeViewSchema = z
  .object({
    nodeId: z.string(),
    nodeType: z.string(),
    stage: z.number().int(),
    runtime: z.enum(['lambda', 'fargate']),
    status: z.enum(['pending', 'running', 'success', 'failed', 'skipped']),
    attempt: z.number().int(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    durationMs: z.number().int().nullable(),
    outputs: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'Object keys (and rows, columns) by output port' }),
    metrics: z.record(z.string(), z.unknown()).nullable(),
    error: z
      .object({ type: z.string(), message: z.string() })
      .nullable()
      .meta({ description: 'What went wrong, in words; stack frames stay in the logs (by job and node id)' }),
    cost: z
      .object({
        memoryMb: z.number().int(),
        vcpu: z.number().nullable().meta({ description: 'Fargate vCPUs; null on Lambda' }),
        billedSeconds: z.number(),
        credits: z.number().meta({ description: 'Unrounded: the run rounds its total up once' }),
      })
      .nullable()
      .meta({ description: 'What the node was billed for, once it finished (README, “Credits”)' }),
  })
  .meta({ id: 'JobNode' });

export const jobCreditsViewSchema = z
  .object({
    estimated: z.number().int().meta({ description: 'What the run was expected to cost' }),
    reserved: z.number().int().meta({ description: 'Held from the balance when the job was created' }),
    used: z.number().int().nullable().meta({
      description: 'What the finished nodes cost, capped at the reservation; null until the job ends',
    }),
    overrun: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'What the nodes cost beyond the reservation: recorded, not charged' }),
    refunded: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'Reserved credits given back when the job ended' }),
    charged: z.number().int().meta({ description: 'What left the balance for this job (reserve − refund)' }),
  })
  .meta({ id: 'JobCredits' });

export const jobViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
    progress: z.number().int(),
    currentStep: z.string().nullable(),
    priority: z.number().int(),
    pipelineId: z.string().nullable(),
    snapshotId: z.string(),
    datasetVersionId: z.string().nullable(),
    executionId: z.string().nullable(),
    credits: jobCreditsViewSchema,
    error: z.object({ message: z.string() }).nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    heartbeatAt: z.string().nullable(),
    nodes: z.array(jobNodeViewSchema).optional(),
  })
  .meta({ id: 'Job' });

export type JobView = z.infer<typeof jobViewSchema>;
export type JobNodeView = z.infer<typeof jobNodeViewSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toJobView(job: Job, nodes?: readonly JobNode[]): JobView {
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    currentStep: job.currentStep,
    priority: job.priority,
    pipelineId: job.pipelineId,
    snapshotId: job.snapshotId,
    datasetVersionId: job.datasetVersionId,
    executionId: job.executionId,
    credits: creditsView(job),
    error: job.errorMessage ? { message: job.errorMessage } : null,
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    completedAt: iso(job.completedAt),
    heartbeatAt: iso(job.heartbeatAt),
    ...(nodes ? { nodes: nodes.map(toJobNodeView) } : {}),
  };
}

function creditsView(job: Job): JobView['credits'] {
  const settled = asRecord(asRecord(job.results ?? null)?.['credits']);
  const count = (value: JsonValue | undefined) => (typeof value === 'number' ? value : null);
  const ended = settled !== undefined;
  return {
    estimated: job.estimatedCredits,
    reserved: count(settled?.['reserved']) ?? job.estimatedCredits,
    used: ended ? (count(settled['used']) ?? job.chargedCredits) : null,
    overrun: ended ? (count(settled['overrun']) ?? 0) : null,
    refunded: ended ? (count(settled['refunded']) ?? 0) : null,
    charged: job.chargedCredits,
  };
}

export function toJobNodeView(node: JobNode): JobNodeView {
  const output = asRecord(node.output);
  const [cost] = ranNodeCosts([node]);
  const failure = asRecord(output?.['failure']);
  return {
    nodeId: node.nodeId,
    nodeType: node.nodeType,
    stage: node.stage,
    runtime: node.runtime,
    status: node.status,
    attempt: node.attempt,
    startedAt: iso(node.startedAt),
    completedAt: iso(node.completedAt),
    durationMs:
      node.startedAt && node.completedAt ? node.completedAt.getTime() - node.startedAt.getTime() : null,
    outputs: node.status === 'success' ? (asRecord(output?.['outputs']) ?? null) : null,
    metrics: node.status === 'success' ? (asRecord(output?.['metrics']) ?? null) : null,
    error:
      node.status === 'failed'
        ? {
            type: typeof failure?.['type'] === 'string' ? failure['type'] : 'Error',
            message: node.error ?? 'The node failed.',
          }
        : null,
    cost: cost
      ? { memoryMb: cost.memoryMb, vcpu: cost.vcpu, billedSeconds: cost.billedSeconds, credits: cost.credits }
      : null,
  };
}

function asRecord(value: JsonValue | undefined): Record<string, JsonValue | undefined> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}
