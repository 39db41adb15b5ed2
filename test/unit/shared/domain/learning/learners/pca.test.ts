import { describe, expect, it } from 'vitest';
import { fitPca, restorePca } from '../../../../../../shared/domain/learning/learners/pca';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import { matrix, viaJson, withMissing } from './synthetic-data';

const rng = new SeededRandom(8);
const n = 120;
const latent = Array.from({ length: 2 }, () => Float64Array.from({ length: n }, () => rng.nextGaussian()));
const x = matrix(
  [
    [3, 0.5],
    [1, -2],
    [0.2, 0.1],
    [-1, 1],
  ].map(([w0, w1], j) =>
    Float64Array.from(
      { length: n },
      (_, i) =>
        10 * j +
        (w0 ?? 0) * (latent[0]?.[i] ?? 0) +
        (w1 ?? 0) * (latent[1]?.[i] ?? 0) +
        0.05 * rng.nextGaussian(),
    ),
  ),
);

function variance(values: Float64Array): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
}

describe('fitPca', () => {
  it('reconstructs the data from all its components', () => {
    const model = fitPca(x);
    expect(model.nComponents).toBe(4);
    const back = model.inverseTransform(model.transform(x));
    back.columns.forEach((column, j) =>
      column.forEach((v, i) => expect(v).toBeCloseTo(x.columns[j]?.[i] ?? 0, 10)),
    );
    expect(model.explainedVarianceRatio.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('orders components by variance and finds the two-dimensional structure', () => {
    const model = fitPca(x, { nComponents: 2 });
    expect(model.explainedVariance[0]).toBeGreaterThanOrEqual(model.explainedVariance[1] ?? 0);
    expect((model.explainedVarianceRatio[0] ?? 0) + (model.explainedVarianceRatio[1] ?? 0)).toBeGreaterThan(
      0.99,
    );
    const scores = model.transform(x);
    expect(scores.names).toEqual(['pc1', 'pc2']);
    // Each score column's variance is its explained variance; components are orthonormal.
    scores.columns.forEach((column, k) =>
      expect(variance(column)).toBeCloseTo(model.explainedVariance[k] ?? 0, 8),
    );
    const [c0, c1] = model.components;
    const dot = Array.from(c0 ?? []).reduce((s, v, j) => s + v * (c1?.[j] ?? 0), 0);
    expect(dot).toBeCloseTo(0, 12);
    // Two components rebuild the data up to the small noise.
    const back = model.inverseTransform(scores);
    back.columns.forEach((column, j) =>
      column.forEach((v, i) => expect(Math.abs(v - (x.columns[j]?.[i] ?? 0))).toBeLessThan(0.3)),
    );
  });

  it('gives the largest |score| of each component a positive sign (scikit-learn svd_flip)', () => {
    const scores = fitPca(x).transform(x);
    for (const column of scores.columns) {
      let largest = 0;
      for (const v of column) if (Math.abs(v) > Math.abs(largest)) largest = v;
      expect(largest).toBeGreaterThan(0);
    }
  });

  it('whitens to unit variance', () => {
    const scores = fitPca(x, { nComponents: 2, whiten: true }).transform(x);
    scores.columns.forEach((column) => expect(variance(column)).toBeCloseTo(1, 10));
  });

  it('keeps the fewest components that explain a fraction of the variance', () => {
    expect(fitPca(x, { nComponents: 0.5 }).nComponents).toBe(1);
    expect(fitPca(x, { nComponents: 0.999 }).nComponents).toBeGreaterThanOrEqual(2);
  });

  it('transforms identically after a JSON round trip', () => {
    const model = fitPca(x, { nComponents: 3, whiten: true });
    const restored = restorePca(viaJson(model.toState()));
    expect(restored.transform(x)).toEqual(model.transform(x));
    expect(restored.explainedVarianceRatio).toEqual(model.explainedVarianceRatio);
  });

  it('names the feature with missing values and checks nComponents', () => {
    expect(() => fitPca(withMissing(x, 2, 0))).toThrow(/feature 'f2' has missing values/);
    expect(() => fitPca(x, { nComponents: 5 })).toThrow(/1…4/);
    expect(() => fitPca(x, { nComponents: 1.5 })).toThrow(/nComponents/);
  });
});
