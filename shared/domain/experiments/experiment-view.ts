import * as z from 'zod';
import {
  EXPERIMENT_OBJECTIVE_DIRECTIONS,
  EXPERIMENT_RUN_STATUSES,
  EXPERIMENT_STATUSES,
} from '../../db/schema';
import type { RunComparison } from './compare-runs';
import type { Experiment, ExperimentRun } from './experiment-records';

/** Experiments, runs and comparisons as the API shows them. */
export const experimentViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    datasetId: z.string().nullable(),
    pipelineId: z.string().nullable(),
    jobId: z.string().nullable().meta({ description: 'The job whose own experiment this is' }),
    objectiveMetric: z.string().nullable(),
    objectiveDirection: z.enum(EXPERIMENT_OBJECTIVE_DIRECTIONS),
    status: z.enum(EXPERIMENT_STATUSES),
    bestRunId: z.string().nullable(),
    runCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Experiment' });

export const experimentRunViewSchema = z
  .object({
    id: z.string(),
    runNumber: z.number().int(),
    learner: z.string().nullable(),
    status: z.enum(EXPERIMENT_RUN_STATUSES),
    hyperparameters: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
    durationSeconds: z.number().nullable(),
    stopReason: z.string().nullable().meta({ description: 'Why the trial ended early (a time budget, …)' }),
    error: z.string().nullable(),
    jobId: z.string().nullable(),
    nodeId: z.string().nullable(),
    modelId: z.string().nullable().meta({ description: 'The model trained by this run, if one was kept' }),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ExperimentRun' });

export const experimentWithRunsViewSchema = experimentViewSchema
  .extend({
    runs: z.array(experimentRunViewSchema).meta({ description: 'In run-number order' }),
    nextRunCursor: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'More runs follow: pass it as `afterRun` for the next ones' }),
  })
  .meta({ id: 'ExperimentWithRuns' });

const comparisonRowSchema = z
  .object({
    key: z.string(),
    values: z
      .array(z.unknown())
      .meta({ description: 'One per run, in the order of `runs`; null where a run lacks it' }),
    differs: z.boolean(),
  })
  .meta({ id: 'RunComparisonRow' });

export const runComparisonViewSchema = z
  .object({
    experimentId: z.string(),
    objectiveMetric: z.string().nullable(),
    objectiveDirection: z.enum(EXPERIMENT_OBJECTIVE_DIRECTIONS),
    bestRunId: z.string().nullable(),
    runs: z
      .array(
        experimentRunViewSchema.pick({
          id: true,
          runNumber: true,
          learner: true,
          status: true,
          durationSeconds: true,
          stopReason: true,
          error: true,
        }),
      )
      .meta({ description: 'The columns, in the order asked for' }),
    metrics: z.array(comparisonRowSchema).meta({ description: 'The objective metric first, then by name' }),
    hyperparameters: z.array(comparisonRowSchema).meta({ description: 'By name' }),
  })
  .meta({ id: 'RunComparison' });

export type ExperimentView = z.infer<typeof experimentViewSchema>;
export type ExperimentRunView = z.infer<typeof experimentRunViewSchema>;
export type RunComparisonView = z.infer<typeof runComparisonViewSchema>;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function experimentView(experiment: Experiment): ExperimentView {
  return {
    id: experiment.id,
    name: experiment.name,
    description: experiment.description,
    datasetId: experiment.datasetId,
    pipelineId: experiment.pipelineId,
    jobId: experiment.jobId,
    objectiveMetric: experiment.objectiveMetric,
    objectiveDirection: experiment.objectiveDirection,
    status: experiment.status,
    bestRunId: experiment.bestRunId,
    runCount: experiment.runCount,
    createdAt: experiment.createdAt.toISOString(),
    updatedAt: experiment.updatedAt.toISOString(),
  };
}

export function experimentRunView(run: ExperimentRun): ExperimentRunView {
  return {
    id: run.id,
    runNumber: run.runNumber,
    learner: run.learner,
    status: run.status,
    hyperparameters: run.hyperparameters,
    metrics: run.metrics,
    durationSeconds: run.durationSeconds,
    stopReason: run.stopReason,
    error: run.errorMessage,
    jobId: run.jobId,
    nodeId: run.nodeId,
    modelId: run.modelId,
    startedAt: iso(run.startedAt),
    completedAt: iso(run.completedAt),
    createdAt: run.createdAt.toISOString(),
  };
}

export function runComparisonView(experiment: Experiment, comparison: RunComparison): RunComparisonView {
  return {
    experimentId: experiment.id,
    objectiveMetric: experiment.objectiveMetric,
    objectiveDirection: experiment.objectiveDirection,
    bestRunId: experiment.bestRunId,
    runs: comparison.runs.map((run) => ({
      id: run.id,
      runNumber: run.runNumber,
      learner: run.learner,
      status: run.status,
      durationSeconds: run.durationSeconds,
      stopReason: run.stopReason,
      error: run.errorMessage,
    })),
    metrics: comparison.metrics,
    hyperparameters: comparison.hyperparameters,
  };
}
