import { canonicalJson } from '../../kernel/canonical-json';
import type { ExperimentRun } from './experiment-records';

/**
 * Runs side by side: one column per run (in the order given), one row per metric or
 * hyperparameter any of them has, the value of each run in its column (null where a run lacks
 * it). Metric rows start with the experiment's objective metric, then follow by name; each row
 * says whether the runs differ on it, so a reader can hide the rows that are all alike.
 */
export interface ComparisonRow {
  key: string;
  values: unknown[];
  differs: boolean;
}

export interface RunComparison {
  runs: ExperimentRun[];
  metrics: ComparisonRow[];
  hyperparameters: ComparisonRow[];
}

export function compareRuns(runs: readonly ExperimentRun[], objectiveMetric: string | null): RunComparison {
  return {
    runs: [...runs],
    metrics: rowsOf(
      runs.map((run) => run.metrics),
      objectiveMetric,
    ),
    hyperparameters: rowsOf(
      runs.map((run) => run.hyperparameters),
      null,
    ),
  };
}

function rowsOf(records: readonly Record<string, unknown>[], first: string | null): ComparisonRow[] {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))].sort((a, b) =>
    a === first ? -1 : b === first ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  return keys.map((key) => {
    const values = records.map((record) => (Object.hasOwn(record, key) ? (record[key] ?? null) : null));
    const texts = new Set(values.map((value) => canonicalJson(value)));
    return { key, values, differs: texts.size > 1 };
  });
}
