import * as z from 'zod';
import {
  EXPERIMENT_OBJECTIVE_DIRECTIONS,
  EXPERIMENT_RUN_STATUSES,
  EXPERIMENT_STATUSES,
  type ExperimentObjectiveDirection,
  type ExperimentRunStatus,
  type ExperimentStatus,
} from '../../db/schema';

/**
 * Experiments and their runs as the domain sees them, parsed from rows. An experiment groups the
 * trials of one question (a hyperparameter search, a comparison of learners); each run is one
 * trial with its learner, hyperparameters, scores and outcome.
 */
export interface Experiment {
  id: string;
  ownerId: string;
  pipelineId: string | null;
  datasetId: string | null;
  /** The job whose own experiment this is; null for experiments created through the API. */
  jobId: string | null;
  name: string;
  description: string | null;
  objectiveMetric: string | null;
  objectiveDirection: ExperimentObjectiveDirection;
  status: ExperimentStatus;
  bestRunId: string | null;
  runCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export type RunMetricValue = number | string | boolean | null;

export interface ExperimentRun {
  id: string;
  experimentId: string;
  ownerId: string;
  jobId: string | null;
  nodeId: string | null;
  modelId: string | null;
  runNumber: number;
  learner: string | null;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, RunMetricValue>;
  durationSeconds: number | null;
  status: ExperimentRunStatus;
  stopReason: string | null;
  errorMessage: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
}

export const EXPERIMENT_COLUMNS = [
  'id',
  'user_id',
  'pipeline_id',
  'dataset_id',
  'job_id',
  'name',
  'description',
  'objective_metric',
  'objective_direction',
  'status',
  'best_run_id',
  'created_at',
  'updated_at',
] as const;

export const EXPERIMENT_RUN_COLUMNS = [
  'id',
  'experiment_id',
  'user_id',
  'job_id',
  'node_id',
  'model_id',
  'run_number',
  'learner',
  'hyperparameters',
  'metrics',
  'duration_seconds',
  'status',
  'stop_reason',
  'error_message',
  'started_at',
  'completed_at',
  'created_at',
] as const;

/** A count may come back as a number or (bigint through some drivers) as its decimal text. */
const count = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const experimentRowSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    pipeline_id: z.string().nullable(),
    dataset_id: z.string().nullable(),
    job_id: z.string().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    objective_metric: z.string().nullable(),
    objective_direction: z.enum(EXPERIMENT_OBJECTIVE_DIRECTIONS),
    status: z.enum(EXPERIMENT_STATUSES),
    best_run_id: z.string().nullable(),
    run_count: count.optional(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .transform((row): Experiment => ({
    id: row.id,
    ownerId: row.user_id,
    pipelineId: row.pipeline_id,
    datasetId: row.dataset_id,
    jobId: row.job_id,
    name: row.name,
    description: row.description,
    objectiveMetric: row.objective_metric,
    objectiveDirection: row.objective_direction,
    status: row.status,
    bestRunId: row.best_run_id,
    runCount: row.run_count ?? 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));

const metricValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);

const experimentRunRowSchema = z
  .object({
    id: z.string(),
    experiment_id: z.string(),
    user_id: z.string(),
    job_id: z.string().nullable(),
    node_id: z.string().nullable(),
    model_id: z.string().nullable(),
    run_number: z.number().int(),
    learner: z.string().nullable(),
    hyperparameters: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), metricValue),
    duration_seconds: z.number().nullable(),
    status: z.enum(EXPERIMENT_RUN_STATUSES),
    stop_reason: z.string().nullable(),
    error_message: z.string().nullable(),
    started_at: z.date().nullable(),
    completed_at: z.date().nullable(),
    created_at: z.date(),
  })
  .transform((row): ExperimentRun => ({
    id: row.id,
    experimentId: row.experiment_id,
    ownerId: row.user_id,
    jobId: row.job_id,
    nodeId: row.node_id,
    modelId: row.model_id,
    runNumber: row.run_number,
    learner: row.learner,
    hyperparameters: row.hyperparameters,
    metrics: row.metrics,
    durationSeconds: row.duration_seconds,
    status: row.status,
    stopReason: row.stop_reason,
    errorMessage: row.error_message,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
  }));

export function toExperiment(row: unknown): Experiment {
  return experimentRowSchema.parse(row);
}

export function toExperimentRun(row: unknown): ExperimentRun {
  return experimentRunRowSchema.parse(row);
}
