import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../db/database';
import { POSITION, newestFirst, positionOf, toPage } from '../../db/page-cursor';
import type { ExperimentObjectiveDirection } from '../../db/schema';
import { EXPERIMENT_COLUMNS, toExperiment, type Experiment } from './experiment-records';

/**
 * SQL for experiments. Every function takes a transaction opened in the owner's tenant scope
 * (`withOwner`/`withTenant`: row-level security admits only their rows) and filters by owner
 * itself as well, so each check backs the other up.
 */

export interface NewExperiment {
  ownerId: string;
  name: string;
  description?: string | null | undefined;
  datasetId?: string | null | undefined;
  pipelineId?: string | null | undefined;
  objectiveMetric?: string | null | undefined;
  objectiveDirection?: ExperimentObjectiveDirection | undefined;
}

const runCount = sql<number>`(select count(*)::int from experiment_runs r where r.experiment_id = experiments.id)`;

function valuesOf(experiment: NewExperiment, jobId: string | null) {
  return {
    user_id: experiment.ownerId,
    name: experiment.name,
    description: experiment.description ?? null,
    dataset_id: experiment.datasetId ?? null,
    pipeline_id: experiment.pipelineId ?? null,
    job_id: jobId,
    objective_metric: experiment.objectiveMetric ?? null,
    objective_direction: experiment.objectiveDirection ?? 'maximize',
  };
}

export async function insertExperiment(
  trx: DatabaseTransaction,
  experiment: NewExperiment,
): Promise<Experiment> {
  const row = await trx
    .insertInto('experiments')
    .values(valuesOf(experiment, null))
    .returning(EXPERIMENT_COLUMNS)
    .executeTakeFirstOrThrow();
  return toExperiment(row);
}

/**
 * The job's own experiment, created by the first caller: concurrent callers (training nodes of one
 * job running side by side) meet on the unique key of `job_id`, the losers insert nothing and read
 * the winner's row, which the upsert waited for.
 */
export async function ensureJobExperiment(
  trx: DatabaseTransaction,
  jobId: string,
  experiment: NewExperiment,
): Promise<Experiment> {
  await trx
    .insertInto('experiments')
    .values(valuesOf(experiment, jobId))
    .onConflict((conflict) => conflict.column('job_id').where('job_id', 'is not', null).doNothing())
    .execute();
  const row = await trx
    .selectFrom('experiments')
    .select([...EXPERIMENT_COLUMNS, runCount.as('run_count')])
    .where('job_id', '=', jobId)
    .where('user_id', '=', experiment.ownerId)
    .executeTakeFirst();
  if (!row) throw new Error(`The experiment of job ${jobId} belongs to someone else.`);
  return toExperiment(row);
}

/** One of the owner's experiments, or undefined; `forUpdate` locks it for the transaction. */
export async function findExperiment(
  trx: DatabaseTransaction,
  ownerId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Experiment | undefined> {
  // The run count is read without the lock: FOR UPDATE cannot sit beside an aggregate subquery.
  let query = trx
    .selectFrom('experiments')
    .select(EXPERIMENT_COLUMNS)
    .$if(!options.forUpdate, (q) => q.select(runCount.as('run_count')))
    .where('id', '=', id)
    .where('user_id', '=', ownerId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toExperiment(row) : undefined;
}

export interface ExperimentListFilter {
  datasetId?: string | undefined;
  pipelineId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface ExperimentPage {
  items: Experiment[];
  nextCursor: string | null;
}

/** The owner's experiments newest first, keyset-paged on (created_at, id). */
export async function listExperiments(
  trx: DatabaseTransaction,
  ownerId: string,
  filter: ExperimentListFilter,
): Promise<ExperimentPage> {
  let query = trx
    .selectFrom('experiments')
    .select([...EXPERIMENT_COLUMNS, runCount.as('run_count'), positionOf('created_at').as(POSITION)])
    .where('user_id', '=', ownerId);
  if (filter.datasetId) query = query.where('dataset_id', '=', filter.datasetId);
  if (filter.pipelineId) query = query.where('pipeline_id', '=', filter.pipelineId);
  const rows = await newestFirst(query, filter.cursor, filter.limit + 1).execute();
  return toPage(rows, filter.limit, toExperiment);
}

/** Marks `runId` best when it is a run of the owner's experiment; false when either is not. */
export async function setBestRun(
  trx: DatabaseTransaction,
  ownerId: string,
  experimentId: string,
  runId: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('experiments')
    .set({ best_run_id: runId })
    .where('id', '=', experimentId)
    .where('user_id', '=', ownerId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('experiment_runs')
          .select(sql<number>`1`.as('one'))
          .where('experiment_runs.id', '=', runId)
          .where('experiment_runs.experiment_id', '=', experimentId)
          .where('experiment_runs.user_id', '=', ownerId),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Whether `datasetId` is a live dataset of the owner. */
export async function isOwnedDataset(
  trx: DatabaseTransaction,
  ownerId: string,
  datasetId: string,
): Promise<boolean> {
  const row = await trx
    .selectFrom('datasets')
    .select('id')
    .where('id', '=', datasetId)
    .where('user_id', '=', ownerId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** The dataset a version of the owner belongs to, or undefined. */
export async function datasetOfVersion(
  trx: DatabaseTransaction,
  ownerId: string,
  datasetVersionId: string,
): Promise<string | undefined> {
  const row = await trx
    .selectFrom('dataset_versions')
    .select('dataset_id')
    .where('id', '=', datasetVersionId)
    .where('user_id', '=', ownerId)
    .executeTakeFirst();
  return row?.dataset_id;
}
