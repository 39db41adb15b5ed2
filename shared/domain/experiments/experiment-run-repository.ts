import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb, type ExperimentRunStatus } from '../../db/schema';
import { ROW_JSON_BUDGET_BYTES, dataApiJsonBytes } from '../../kernel/bounded-json';
import {
  EXPERIMENT_RUN_COLUMNS,
  toExperimentRun,
  type ExperimentRun,
  type RunMetricValue,
} from './experiment-records';
import { findExperiment } from './experiment-repository';

/**
 * SQL for experiment runs, in the owner's tenant scope (see experiment-repository.ts). Run numbers
 * count 1, 2, 3, … per experiment: the experiment row is locked while the next one is taken, so
 * concurrent trials of one experiment never draw the same number.
 */

export interface NewExperimentRun {
  experimentId: string;
  jobId?: string | null | undefined;
  nodeId?: string | null | undefined;
  learner: string;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, RunMetricValue>;
  durationSeconds: number | null;
  status: ExperimentRunStatus;
  stopReason?: string | null | undefined;
  errorMessage?: string | null | undefined;
  startedAt?: Date | null | undefined;
  completedAt?: Date | null | undefined;
}

/** Hyperparameters and metrics of one run together stay under the row budget of the Data API. */
export const RUN_JSON_BUDGET_BYTES = ROW_JSON_BUDGET_BYTES / 2;

/**
 * Records a run of the owner's experiment with the next run number; undefined when the experiment
 * is not one of the owner's. Must run in its own short transaction: the experiment stays locked
 * until it commits.
 */
export async function insertExperimentRun(
  trx: DatabaseTransaction,
  ownerId: string,
  run: NewExperimentRun,
): Promise<ExperimentRun | undefined> {
  const json = dataApiJsonBytes(run.hyperparameters) + dataApiJsonBytes(run.metrics);
  if (json > RUN_JSON_BUDGET_BYTES) {
    throw new RangeError(
      `An experiment run's hyperparameters and metrics take ${json} bytes; at most ${RUN_JSON_BUDGET_BYTES} fit a row.`,
    );
  }
  // The lock comes first, in a statement of its own: the next statement's snapshot then sees every
  // run committed by whoever held the lock before.
  const experiment = await findExperiment(trx, ownerId, run.experimentId, { forUpdate: true });
  if (!experiment) return undefined;
  const row = await trx
    .insertInto('experiment_runs')
    .values({
      experiment_id: experiment.id,
      user_id: ownerId,
      job_id: run.jobId ?? null,
      node_id: run.nodeId ?? null,
      run_number: sql<number>`(select coalesce(max(run_number), 0) + 1 from experiment_runs where experiment_id = ${experiment.id}::uuid)`,
      learner: run.learner,
      hyperparameters: jsonb(run.hyperparameters),
      metrics: jsonb(run.metrics),
      duration_seconds: run.durationSeconds,
      status: run.status,
      stop_reason: run.stopReason ?? null,
      error_message: run.errorMessage ?? null,
      started_at: run.startedAt ?? null,
      completed_at: run.completedAt ?? null,
    })
    .returning(EXPERIMENT_RUN_COLUMNS)
    .executeTakeFirstOrThrow();
  return toExperimentRun(row);
}

/** Runs of the owner's experiment in run-number order, after `afterRunNumber`, at most `limit`. */
export async function listExperimentRuns(
  trx: DatabaseTransaction,
  ownerId: string,
  experimentId: string,
  page: { afterRunNumber?: number | undefined; limit: number },
): Promise<ExperimentRun[]> {
  let query = trx
    .selectFrom('experiment_runs')
    .select(EXPERIMENT_RUN_COLUMNS)
    .where('experiment_id', '=', experimentId)
    .where('user_id', '=', ownerId);
  if (page.afterRunNumber !== undefined) query = query.where('run_number', '>', page.afterRunNumber);
  const rows = await query.orderBy('run_number').limit(page.limit).execute();
  return rows.map(toExperimentRun);
}

/** Those of `runIds` that are runs of the owner's experiment (any order). */
export async function findExperimentRuns(
  trx: DatabaseTransaction,
  ownerId: string,
  experimentId: string,
  runIds: readonly string[],
): Promise<ExperimentRun[]> {
  if (runIds.length === 0) return [];
  const rows = await trx
    .selectFrom('experiment_runs')
    .select(EXPERIMENT_RUN_COLUMNS)
    .where('experiment_id', '=', experimentId)
    .where('user_id', '=', ownerId)
    .where(sql<boolean>`id = any(${[...runIds]}::uuid[])`)
    .execute();
  return rows.map(toExperimentRun);
}

/** Links a run of the owner to the model trained by it; false when the run is not theirs. */
export async function linkRunToModel(
  trx: DatabaseTransaction,
  ownerId: string,
  runId: string,
  modelId: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('experiment_runs')
    .set({ model_id: modelId })
    .where('id', '=', runId)
    .where('user_id', '=', ownerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
