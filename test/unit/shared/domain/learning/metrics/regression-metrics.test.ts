import { describe, expect, it } from 'vitest';
import {
  mae,
  mape,
  meanSquaredError,
  r2,
  rmse,
} from '../../../../../../shared/domain/learning/metrics/regression-metrics';
import { loadReference } from '../reference-fixture';

const cases = loadReference().metrics.regression;

describe('regression metrics equal scikit-learn on the golden cases', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const yTrue = Float64Array.from(c.yTrue);
    const yPred = Float64Array.from(c.yPred);
    const ours = {
      rmse: rmse(yTrue, yPred),
      mae: mae(yTrue, yPred),
      r2: r2(yTrue, yPred),
      mape: mape(yTrue, yPred),
    };
    for (const key of ['rmse', 'mae', 'r2', 'mape'] as const) {
      // MAPE with a zero target is huge (|error| / machine epsilon): compare it relatively.
      const scale = Math.max(1, Math.abs(c.values[key]));
      expect(Math.abs(ours[key] - c.values[key]) / scale, key).toBeLessThan(1e-9);
    }
  });

  it('includes zero targets and constant targets', () => {
    expect(cases.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'with_zeros_and_negatives',
        'constant_target_perfect',
        'constant_target_imperfect',
      ]),
    );
  });
});

describe('regression metric edge cases', () => {
  it('is exact on exact predictions', () => {
    const y = Float64Array.from([1, 2, 3]);
    expect(rmse(y, y)).toBe(0);
    expect(mae(y, y)).toBe(0);
    expect(r2(y, y)).toBe(1);
    expect(mape(y, y)).toBe(0);
  });

  it('computes the textbook values', () => {
    const yTrue = Float64Array.from([1, 2, 3, 4]);
    const yPred = Float64Array.from([2, 2, 3, 2]);
    expect(meanSquaredError(yTrue, yPred)).toBe(1.25);
    expect(rmse(yTrue, yPred)).toBe(Math.sqrt(1.25));
    expect(mae(yTrue, yPred)).toBe(0.75);
    expect(r2(yTrue, yPred)).toBe(0);
    expect(mape(yTrue, yPred)).toBe((1 + 0 + 0 + 0.5) / 4);
  });

  it('checks lengths', () => {
    expect(() => r2(Float64Array.from([1]), Float64Array.from([1, 2]))).toThrow(
      /1 true value\(s\) but 2 predicted/,
    );
    expect(() => mae(new Float64Array(0), new Float64Array(0))).toThrow(/no rows/);
  });
});
