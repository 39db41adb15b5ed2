import type { Database } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import type { ExperimentObjectiveDirection } from '../../db/schema';
import { NotFoundError, ValidationError } from '../../kernel/app-error';
import { compareRuns, type RunComparison } from './compare-runs';
import type { Experiment, ExperimentRun } from './experiment-records';
import {
  findExperiment,
  insertExperiment,
  isOwnedDataset,
  listExperiments,
  type ExperimentListFilter,
  type ExperimentPage,
} from './experiment-repository';
import { findExperimentRuns, listExperimentRuns } from './experiment-run-repository';

/**
 * What the API does with experiments, each in the caller's own tenant scope: another tenant's
 * experiment is a 404 like one that does not exist.
 */

export interface CreateExperimentInput {
  name: string;
  description?: string | null | undefined;
  datasetId?: string | null | undefined;
  objectiveMetric?: string | null | undefined;
  objectiveDirection?: ExperimentObjectiveDirection | undefined;
}

export async function createExperiment(
  db: Database,
  caller: Owner,
  input: CreateExperimentInput,
): Promise<Experiment> {
  return withOwner(db, caller, async (trx) => {
    if (input.datasetId && !(await isOwnedDataset(trx, caller.userId, input.datasetId))) {
      throw new NotFoundError('Dataset', input.datasetId, { field: 'body.datasetId' });
    }
    return insertExperiment(trx, { ownerId: caller.userId, ...input });
  });
}

export async function findCallerExperiments(
  db: Database,
  caller: Owner,
  filter: ExperimentListFilter,
): Promise<ExperimentPage> {
  return withOwner(db, caller, (trx) => listExperiments(trx, caller.userId, filter));
}

/** Most runs one read returns; the rest follow with `afterRunNumber`. */
export const MAX_RUNS_PER_READ = 500;

export interface ExperimentWithRuns {
  experiment: Experiment;
  runs: ExperimentRun[];
  /** The run number to continue after, when more runs follow. */
  nextAfterRunNumber: number | null;
}

export async function getExperimentWithRuns(
  db: Database,
  caller: Owner,
  experimentId: string,
  page: { afterRunNumber?: number | undefined; limit: number },
): Promise<ExperimentWithRuns> {
  const limit = Math.min(Math.max(1, page.limit), MAX_RUNS_PER_READ);
  return withOwner(db, caller, async (trx) => {
    const experiment = await findExperiment(trx, caller.userId, experimentId);
    if (!experiment) throw new NotFoundError('Experiment', experimentId);
    const rows = await listExperimentRuns(trx, caller.userId, experimentId, {
      afterRunNumber: page.afterRunNumber,
      limit: limit + 1,
    });
    const runs = rows.slice(0, limit);
    const last = runs.at(-1);
    return { experiment, runs, nextAfterRunNumber: rows.length > limit && last ? last.runNumber : null };
  });
}

/** Most runs one comparison puts side by side. */
export const MAX_COMPARED_RUNS = 20;

/**
 * The given runs of the caller's experiment side by side, in the order given (repeats dropped);
 * without ids, its first `MAX_COMPARED_RUNS` runs by run number. An id that is not a run of this
 * experiment (unknown, another experiment's, another tenant's) is a 400 naming `query.runs`.
 */
export async function compareExperimentRuns(
  db: Database,
  caller: Owner,
  experimentId: string,
  runIds: readonly string[] | undefined,
): Promise<{ experiment: Experiment; comparison: RunComparison }> {
  const wanted = runIds ? [...new Set(runIds.map((id) => id.toLowerCase()))] : undefined;
  if (wanted && wanted.length > MAX_COMPARED_RUNS) {
    throw new ValidationError(
      `Compare at most ${MAX_COMPARED_RUNS} runs at a time (${wanted.length} given).`,
      {
        field: 'query.runs',
      },
    );
  }
  return withOwner(db, caller, async (trx) => {
    const experiment = await findExperiment(trx, caller.userId, experimentId);
    if (!experiment) throw new NotFoundError('Experiment', experimentId);
    let runs: ExperimentRun[];
    if (wanted) {
      const found = new Map(
        (await findExperimentRuns(trx, caller.userId, experimentId, wanted)).map((run) => [run.id, run]),
      );
      const unknown = wanted.filter((id) => !found.has(id));
      if (unknown.length > 0) {
        throw new ValidationError(`Not runs of experiment ${experimentId}: ${unknown.join(', ')}.`, {
          field: 'query.runs',
          code: 'EXPERIMENT.UNKNOWN_RUNS',
          details: { unknownRunIds: unknown },
        });
      }
      runs = wanted.flatMap((id) => found.get(id) ?? []);
    } else {
      runs = await listExperimentRuns(trx, caller.userId, experimentId, { limit: MAX_COMPARED_RUNS });
    }
    return { experiment, comparison: compareRuns(runs, experiment.objectiveMetric) };
  });
}
