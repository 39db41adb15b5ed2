import type { Selectable } from 'kysely';
import * as z from 'zod';
import type {
  JobNodesTable,
  JobsTable,
  JobNodeStatus,
  JobStatus,
  JsonValue,
  NodeRuntime,
  PipelineSnapshotsTable,
} from '../../db/schema';
import { nodeCostModelSchema, nodePortSchema, type NodeType } from '../pipelines/node-type';
import { pipelineDefinitionSchema, type PipelineDefinition } from '../pipelines/pipeline-definition';

/** Jobs, their nodes and snapshots as the run use cases see them (rows parsed, camelCase). */

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const FINISHED_NODE_STATUSES: readonly JobNodeStatus[] = ['success', 'failed', 'skipped'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_JOB_STATUSES.includes(status);
}

export interface Job {
  id: string;
  userId: string;
  snapshotId: string;
  pipelineId: string | null;
  datasetVersionId: string | null;
  status: JobStatus;
  progress: number;
  currentStep: string | null;
  priority: number;
  heartbeatAt: Date | null;
  executionId: string | null;
  idempotencyKey: string | null;
  estimatedCredits: number;
  chargedCredits: number;
  results: JsonValue | null;
  errorMessage: string | null;
  errorTraceback: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface JobNode {
  nodeId: string;
  nodeType: string;
  stage: number;
  status: JobNodeStatus;
  runtime: NodeRuntime;
  attempt: number;
  output: JsonValue | null;
  error: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
}

/** The catalog entry as a snapshot keeps it: what the run needs to plan, wire ports and price. */
export const snapshotNodeTypeSchema = z.object({
  key: z.string(),
  runtime: z.enum(['lambda', 'fargate']),
  inputPorts: z.array(nodePortSchema),
  outputPorts: z.array(nodePortSchema),
  costModel: nodeCostModelSchema,
  version: z.number().int(),
});
export type SnapshotNodeType = z.infer<typeof snapshotNodeTypeSchema>;

export interface PipelineSnapshot {
  id: string;
  userId: string;
  pipelineId: string | null;
  pipelineVersion: number | null;
  name: string;
  definition: PipelineDefinition;
  nodeTypes: Record<string, SnapshotNodeType>;
  createdAt: Date;
}

export function toSnapshotNodeType(type: NodeType | SnapshotNodeType): SnapshotNodeType {
  return {
    key: type.key,
    runtime: type.runtime,
    inputPorts: type.inputPorts,
    outputPorts: type.outputPorts,
    costModel: type.costModel,
    version: type.version,
  };
}

export function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    userId: row.user_id,
    snapshotId: row.snapshot_id,
    pipelineId: row.pipeline_id,
    datasetVersionId: row.dataset_version_id,
    status: row.status,
    progress: row.progress,
    currentStep: row.current_step,
    priority: row.priority,
    heartbeatAt: row.heartbeat_at,
    executionId: row.execution_id,
    idempotencyKey: row.idempotency_key,
    estimatedCredits: Number(row.estimated_credits),
    chargedCredits: Number(row.charged_credits),
    results: row.results,
    errorMessage: row.error_message,
    errorTraceback: row.error_traceback,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toJobNode(row: Selectable<JobNodesTable>): JobNode {
  return {
    nodeId: row.node_id,
    nodeType: row.node_type,
    stage: row.stage,
    status: row.status,
    runtime: row.runtime,
    attempt: row.attempt,
    output: row.output,
    error: row.error,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

export function toSnapshot(row: Selectable<PipelineSnapshotsTable>): PipelineSnapshot {
  return {
    id: row.id,
    userId: row.user_id,
    pipelineId: row.pipeline_id,
    pipelineVersion: row.pipeline_version,
    name: row.name,
    definition: pipelineDefinitionSchema.parse(row.definition),
    nodeTypes: z.record(z.string(), snapshotNodeTypeSchema).parse(row.node_types),
    createdAt: row.created_at,
  };
}
