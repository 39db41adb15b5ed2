import { describe, expect, it } from 'vitest';
import {
  orientedScore,
  scorePredictions,
  selectEnsemble,
} from '../../../../../../shared/domain/learning/automl';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';

describe('selectEnsemble', () => {
  it('never scores below its best candidate and weights sum to 1', () => {
    const random = new SeededRandom(1);
    const n = 200;
    const labels = Int32Array.from({ length: n }, () => random.nextInt(3));
    const truth = { kind: 'classes', y: { labels, nClasses: 3 } } as const;
    for (const metric of ['log_loss', 'roc_auc', 'balanced_accuracy'] as const) {
      const candidates = Array.from({ length: 5 }, () => {
        const raw = Array.from({ length: 3 }, (_, c) =>
          Float64Array.from(labels, (label) => Math.exp((label === c ? 1 : 0) + random.nextGaussian())),
        );
        const total = (row: number): number =>
          (raw[0]?.[row] ?? 0) + (raw[1]?.[row] ?? 0) + (raw[2]?.[row] ?? 0);
        const proba = raw.map((column) => column.map((v, row) => v / total(row)));
        return { predictions: { kind: 'proba', proba } as const };
      });
      const singles = candidates.map((c) =>
        orientedScore(metric, scorePredictions(metric, truth, c.predictions)),
      );
      const selection = selectEnsemble(candidates, truth, metric);
      expect(orientedScore(metric, selection.score)).toBeGreaterThanOrEqual(Math.max(...singles));
      expect(selection.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(selection.weights.every((w) => w >= 0)).toBe(true);
    }
  });

  it('averages regression values', () => {
    const y = Float64Array.from([1, 2, 3, 4]);
    const over = { predictions: { kind: 'values', values: y.map((v) => v + 1) } as const };
    const under = { predictions: { kind: 'values', values: y.map((v) => v - 1) } as const };
    const selection = selectEnsemble([over, under], { kind: 'values', y }, 'rmse');
    expect(selection.score).toBe(0);
    expect(selection.weights).toEqual([0.5, 0.5]);
  });
});
