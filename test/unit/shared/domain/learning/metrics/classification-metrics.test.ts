import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  brierScore,
  confusionMatrix,
  f1,
  logLoss,
  precision,
  recall,
  rocAuc,
} from '../../../../../../shared/domain/learning/metrics/classification-metrics';
import { loadReference } from '../reference-fixture';

const cases = loadReference().metrics.classification;

describe('classification metrics equal scikit-learn on the golden cases', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const yTrue = Int32Array.from(c.yTrue);
    const yPred = Int32Array.from(c.yPred);
    const proba = c.proba.map((column) => Float64Array.from(column));
    const v = c.values;
    const ours: Record<string, number> = {
      accuracy: accuracy(yTrue, yPred),
      balancedAccuracy: balancedAccuracy(yTrue, yPred),
      precisionMacro: precision(yTrue, yPred, { average: 'macro' }),
      precisionWeighted: precision(yTrue, yPred, { average: 'weighted' }),
      recallMacro: recall(yTrue, yPred, { average: 'macro' }),
      recallWeighted: recall(yTrue, yPred, { average: 'weighted' }),
      f1Macro: f1(yTrue, yPred, { average: 'macro' }),
      f1Weighted: f1(yTrue, yPred, { average: 'weighted' }),
      rocAuc: rocAuc(yTrue, proba),
      averagePrecision: averagePrecision(yTrue, proba),
      logLoss: logLoss(yTrue, proba),
      logLossEps1e15: logLoss(yTrue, proba, { eps: 1e-15 }),
      brier: brierScore(yTrue, proba),
    };
    if (c.nClasses === 2) {
      ours['precisionBinary'] = precision(yTrue, yPred, { average: 'binary' });
      ours['recallBinary'] = recall(yTrue, yPred, { average: 'binary' });
      ours['f1Binary'] = f1(yTrue, yPred, { average: 'binary' });
      // The positive class's column alone means the same as both columns.
      const positive = proba[1] ?? new Float64Array(0);
      expect(rocAuc(yTrue, positive)).toBe(ours['rocAuc']);
      expect(averagePrecision(yTrue, positive)).toBe(ours['averagePrecision']);
      expect(logLoss(yTrue, positive)).toBeCloseTo(ours['logLoss'] ?? Number.NaN, 12);
      expect(brierScore(yTrue, positive)).toBe(ours['brier']);
    }
    const expectedKeys = Object.keys(v).filter((key) => key !== 'confusionMatrix');
    expect(Object.keys(ours).sort()).toEqual(expectedKeys.sort());
    for (const key of expectedKeys) {
      expect(Math.abs((ours[key] ?? Number.NaN) - (v[key] ?? Number.NaN)), key).toBeLessThan(1e-9);
    }
    expect(confusionMatrix(yTrue, yPred, c.nClasses).map((row) => Array.from(row))).toEqual(
      v.confusionMatrix,
    );
  });

  it('covers ties, exact 0/1 probabilities, multiclass and a class never predicted', () => {
    const names = cases.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['binary_ties', 'multiclass_3', 'multiclass_4_unpredicted']),
    );
    const ties = cases.find((c) => c.name === 'binary_ties');
    expect(new Set(ties?.proba[1]).size).toBeLessThan((ties?.proba[1]?.length ?? 0) / 2);
  });
});

describe('classification metric edge cases', () => {
  const y = Int32Array.from([0, 1, 1, 0]);

  it('ROC AUC counts a tie between classes as half', () => {
    expect(rocAuc(y, Float64Array.from([0.5, 0.5, 0.5, 0.5]))).toBe(0.5);
    expect(rocAuc(y, Float64Array.from([0.1, 0.9, 0.5, 0.5]))).toBe(0.875);
    expect(rocAuc(y, Float64Array.from([0.1, 0.9, 0.8, 0.2]))).toBe(1);
  });

  it('refuses ROC AUC and average precision when yTrue has one class', () => {
    const same = Int32Array.from([1, 1, 1]);
    expect(() => rocAuc(same, Float64Array.from([0.2, 0.4, 0.9]))).toThrow(/one class/);
    expect(() => averagePrecision(Int32Array.from([0, 0]), Float64Array.from([0.2, 0.4]))).toThrow(
      /no positive/,
    );
  });

  it('checks lengths and labels', () => {
    expect(() => accuracy(y, Int32Array.from([0, 1]))).toThrow(/4 true value\(s\) but 2 predicted/);
    expect(() => accuracy(new Int32Array(0), new Int32Array(0))).toThrow(/no rows/);
    expect(() => precision(Int32Array.from([0, 2]), Int32Array.from([0, 2]), { average: 'binary' })).toThrow(
      /binary/,
    );
    expect(() => confusionMatrix(Int32Array.from([-1]), Int32Array.from([0]))).toThrow(/indices from 0/);
    expect(() => rocAuc(Int32Array.from([0, 1, 2]), Float64Array.from([0.1, 0.2, 0.3]))).toThrow(
      /one score column/,
    );
  });

  it('scores perfect predictions as perfect', () => {
    expect(accuracy(y, y)).toBe(1);
    expect(f1(y, y)).toBe(1);
    expect(balancedAccuracy(y, y)).toBe(1);
    expect(logLoss(y, [Float64Array.from([1, 0, 0, 1]), Float64Array.from([0, 1, 1, 0])])).toBeLessThan(
      1e-15,
    );
    expect(brierScore(y, Float64Array.from([0, 1, 1, 0]))).toBe(0);
  });

  it('leaves a class absent from yTrue out of the one-vs-rest average', () => {
    const yTrue = Int32Array.from([0, 0, 1, 1]);
    const proba = [
      Float64Array.from([0.7, 0.6, 0.2, 0.1]),
      Float64Array.from([0.2, 0.3, 0.7, 0.8]),
      Float64Array.from([0.1, 0.1, 0.1, 0.1]),
    ];
    expect(rocAuc(yTrue, proba)).toBe(1);
  });
});
