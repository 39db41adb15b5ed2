import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../../../../../../shared/domain/learning/learner';
import {
  fitLogisticRegression,
  restoreLogisticRegression,
} from '../../../../../../shared/domain/learning/learners/logistic-regression';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import { blobs, matrix, viaJson, withMissing } from './synthetic-data';

const options = { seed: 1 };
const three = blobs(
  [
    [0, 0, 0],
    [3, 0, 1],
    [0, 3, -1],
  ],
  60,
  1,
  11,
);
const two = blobs(
  [
    [0, 0],
    [2, 1],
  ],
  100,
  1,
  12,
);

describe('fitLogisticRegression', () => {
  it('separates three classes (multinomial) and gives probabilities that sum to 1', () => {
    const model = fitLogisticRegression(three.x, { labels: three.labels, nClasses: 3 }, {}, options);
    const predicted = model.predict(three.x);
    const hits = predicted.reduce((sum, p, i) => sum + (p === three.labels[i] ? 1 : 0), 0);
    expect(hits / predicted.length).toBeGreaterThan(0.85);
    const proba = model.predictProba(three.x);
    expect(proba).toHaveLength(3);
    for (let i = 0; i < three.x.nRows; i += 1) {
      expect(proba.reduce((sum, column) => sum + (column[i] ?? 0), 0)).toBeCloseTo(1, 12);
    }
    expect(model.toState().coefficients).toHaveLength(3);
    expect(model.converged).toBe(true);
  });

  it('fits a binary model with one coefficient row for the positive class', () => {
    const model = fitLogisticRegression(two.x, { labels: two.labels, nClasses: 2 }, {}, options);
    const state = model.toState();
    expect(state.coefficients).toHaveLength(1);
    expect(state.coefficients[0]?.[0]).toBeGreaterThan(0);
    const [negative, positive] = model.predictProba(two.x);
    expect((negative?.[0] ?? 0) + (positive?.[0] ?? 0)).toBeCloseTo(1, 15);
  });

  it('is deterministic', () => {
    const a = fitLogisticRegression(three.x, { labels: three.labels, nClasses: 3 }, {}, options).toState();
    const b = fitLogisticRegression(
      three.x,
      { labels: three.labels, nClasses: 3 },
      {},
      { seed: 99 },
    ).toState();
    expect(b).toEqual(a);
  });

  it('predicts identically after a JSON round trip of its state', () => {
    for (const [data, nClasses] of [
      [three, 3],
      [two, 2],
    ] as const) {
      const model = fitLogisticRegression(data.x, { labels: data.labels, nClasses }, {}, options);
      const restored = restoreLogisticRegression(viaJson(model.toState()));
      expect(restored.predictProba(data.x)).toEqual(model.predictProba(data.x));
      expect(restored.predict(data.x)).toEqual(model.predict(data.x));
      expect(restored.featureImportance()).toEqual(model.featureImportance());
    }
  });

  it('states raw-scale coefficients that reproduce its linear function (for export)', () => {
    const scaled = matrix([
      Array.from(two.x.columns[0] ?? [], (v) => v * 1000 + 5),
      Array.from(two.x.columns[1] ?? [], (v) => v / 100),
    ]);
    const model = fitLogisticRegression(scaled, { labels: two.labels, nClasses: 2 }, {}, options);
    const state = model.toState();
    const positive = model.predictProba(scaled)[1] ?? new Float64Array(0);
    for (let i = 0; i < scaled.nRows; i += 1) {
      let z = state.rawIntercepts[0] ?? 0;
      scaled.columns.forEach((column, j) => (z += (state.rawCoefficients[0]?.[j] ?? 0) * (column[i] ?? 0)));
      expect(1 / (1 + Math.exp(-z))).toBeCloseTo(positive[i] ?? 0, 10);
    }
  });

  it('does not depend on the features’ units (inputs are standardised)', () => {
    const scaled = matrix(three.x.columns.map((column, j) => Array.from(column, (v) => v * 10 ** j - 7)));
    const a = fitLogisticRegression(three.x, { labels: three.labels, nClasses: 3 }, {}, options);
    const b = fitLogisticRegression(scaled, { labels: three.labels, nClasses: 3 }, {}, options);
    const pa = a.predictProba(three.x);
    const pb = b.predictProba(scaled);
    pa.forEach((column, c) => column.forEach((p, i) => expect(pb[c]?.[i]).toBeCloseTo(p, 6)));
  });

  it('ranks an informative feature above noise', () => {
    const rng = new SeededRandom(5);
    const noise = Float64Array.from({ length: two.x.nRows }, () => rng.nextGaussian());
    const x = matrix([two.x.columns[0] ?? new Float64Array(0), noise]);
    const importance = fitLogisticRegression(
      x,
      { labels: two.labels, nClasses: 2 },
      {},
      options,
    ).featureImportance();
    expect(importance[0]).toBeGreaterThan(5 * (importance[1] ?? 0));
  });

  it('reaches the same optimum with the Newton solver', () => {
    for (const [data, nClasses] of [
      [three, 3],
      [two, 2],
    ] as const) {
      const target = { labels: data.labels, nClasses };
      const lbfgs = fitLogisticRegression(data.x, target, { tol: 1e-8, maxIter: 500 }, options).toState();
      const newton = fitLogisticRegression(
        data.x,
        target,
        { solver: 'newton', tol: 1e-8 },
        options,
      ).toState();
      lbfgs.coefficients.forEach((row, k) =>
        row.forEach((c, j) => expect(newton.coefficients[k]?.[j]).toBeCloseTo(c, 4)),
      );
      lbfgs.intercepts.forEach((b, k) => expect(newton.intercepts[k]).toBeCloseTo(b, 4));
    }
  });

  it('penalises less with a larger C', () => {
    const norm = (C: number): number =>
      fitLogisticRegression(two.x, { labels: two.labels, nClasses: 2 }, { C }, options)
        .toState()
        .coefficients.flat()
        .reduce((sum, c) => sum + c * c, 0);
    expect(norm(0.01)).toBeLessThan(norm(1));
    expect(norm(1)).toBeLessThan(norm(100));
  });

  it('handles a constant feature and a single class', () => {
    const x = matrix([two.x.columns[0] ?? new Float64Array(0), new Float64Array(two.x.nRows).fill(3)]);
    const model = fitLogisticRegression(x, { labels: two.labels, nClasses: 2 }, {}, options);
    expect(model.toState().coefficients[0]?.[1]).toBe(0);
    const single = fitLogisticRegression(x, { labels: new Int32Array(x.nRows), nClasses: 1 }, {}, options);
    expect(Array.from(single.predict(x)).every((label) => label === 0)).toBe(true);
    expect(single.predictProba(x)[0]?.[0]).toBe(1);
  });

  it('names the feature with missing values', () => {
    const x = withMissing(matrix(two.x.columns, ['age', 'income']), 1, 7);
    expect(() => fitLogisticRegression(x, { labels: two.labels, nClasses: 2 }, {}, options)).toThrow(
      /feature 'income' has missing values/,
    );
    const model = fitLogisticRegression(two.x, { labels: two.labels, nClasses: 2 }, {}, options);
    expect(() => model.predict(withMissing(two.x, 0, 0))).toThrow(/feature 'f0' has missing values/);
  });

  it('checks its parameters, the target and the prediction input', () => {
    const target = { labels: two.labels, nClasses: 2 };
    expect(() => fitLogisticRegression(two.x, target, { C: 0 }, options)).toThrow(/C must be/);
    expect(() => fitLogisticRegression(two.x, target, { maxIter: 0 }, options)).toThrow(/maxIter/);
    expect(() => fitLogisticRegression(two.x, { labels: two.labels, nClasses: 1 }, {}, options)).toThrow(
      /outside 0…0/,
    );
    const model = fitLogisticRegression(two.x, target, {}, options);
    expect(() => model.predict(matrix([[1, 2]]))).toThrow(/fitted on 2 feature\(s\); got 1/);
    expect(() => restoreLogisticRegression({ kind: 'kmeans', format: 1 })).toThrow(/kind 'kmeans'/);
  });

  it('stops at the deadline and reports progress', () => {
    const target = { labels: three.labels, nClasses: 3 };
    const deadline = { atMs: 0, now: () => 1 };
    expect(() => fitLogisticRegression(three.x, target, {}, { seed: 0, deadline })).toThrow(
      DeadlineExceededError,
    );
    const progress: number[] = [];
    fitLogisticRegression(three.x, target, {}, { seed: 0, onProgress: (f) => progress.push(f) });
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= (progress[i - 1] ?? 0)))).toBe(true);
  });
});
