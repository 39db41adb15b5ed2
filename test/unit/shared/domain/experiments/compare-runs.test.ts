import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../../../../shared/domain/experiments/compare-runs';
import type { ExperimentRun } from '../../../../../shared/domain/experiments/experiment-records';

function runWith(
  id: string,
  metrics: ExperimentRun['metrics'],
  hyperparameters: ExperimentRun['hyperparameters'],
): ExperimentRun {
  return {
    id,
    experimentId: 'e',
    ownerId: 'u',
    jobId: null,
    nodeId: null,
    modelId: null,
    runNumber: 1,
    learner: 'x',
    hyperparameters,
    metrics,
    durationSeconds: 1,
    status: 'completed',
    stopReason: null,
    errorMessage: null,
    startedAt: null,
    completedAt: null,
    createdAt: new Date(0),
  };
}

describe('compareRuns', () => {
  it.each([
    {
      name: 'objective metric first, then the others by name; null where a run lacks a key',
      runs: [runWith('a', { zeta: 1, acc: 0.9 }, {}), runWith('b', { beta: 2, acc: 0.8 }, {})],
      objective: 'acc',
      metrics: [
        { key: 'acc', values: [0.9, 0.8], differs: true },
        { key: 'beta', values: [null, 2], differs: true },
        { key: 'zeta', values: [1, null], differs: true },
      ],
    },
    {
      name: 'an objective no run has adds no row',
      runs: [runWith('a', { b: 1, a: 1 }, {})],
      objective: 'missing',
      metrics: [
        { key: 'a', values: [1], differs: false },
        { key: 'b', values: [1], differs: false },
      ],
    },
    { name: 'no runs, no rows', runs: [], objective: null, metrics: [] },
  ])('$name', ({ runs, objective, metrics }) => {
    expect(compareRuns(runs, objective).metrics).toEqual(metrics);
  });

  it('compares nested hyperparameters by value, whatever the key order', () => {
    const comparison = compareRuns(
      [
        runWith('a', {}, { grid: { depth: 3, leaves: 8 }, seed: 1 }),
        runWith('b', {}, { grid: { leaves: 8, depth: 3 }, seed: 2 }),
      ],
      null,
    );
    expect(comparison.hyperparameters).toEqual([
      {
        key: 'grid',
        values: [
          { depth: 3, leaves: 8 },
          { leaves: 8, depth: 3 },
        ],
        differs: false,
      },
      { key: 'seed', values: [1, 2], differs: true },
    ]);
    expect(comparison.runs.map((r) => r.id)).toEqual(['a', 'b']);
  });
});
