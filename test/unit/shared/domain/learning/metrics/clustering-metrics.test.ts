import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../../../../../../shared/domain/learning/learner';
import { inertia, silhouette } from '../../../../../../shared/domain/learning/metrics/clustering-metrics';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import { loadDataset, loadReference } from '../reference-fixture';

const cases = loadReference().metrics.clustering;

function matrix(rows: number[][]): FeatureMatrix {
  const d = rows[0]?.length ?? 0;
  return {
    nRows: rows.length,
    names: Array.from({ length: d }, (_, j) => `f${j}`),
    columns: Array.from({ length: d }, (_, j) => Float64Array.from(rows, (row) => row[j] ?? Number.NaN)),
  };
}

describe('clustering metrics equal scikit-learn on the golden cases', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { x } = loadDataset(c.dataset);
    const labels = Int32Array.from(c.labels);
    expect(Math.abs(silhouette(x, labels) - c.values.silhouette)).toBeLessThan(1e-9);
    expect(Math.abs(inertia(x, labels) - c.values.inertia) / c.values.inertia).toBeLessThan(1e-12);
  });
});

describe('clustering metric details', () => {
  it('uses given centres for inertia', () => {
    const x = matrix([
      [0, 0],
      [2, 0],
      [10, 10],
    ]);
    const labels = Int32Array.from([0, 0, 1]);
    expect(inertia(x, labels)).toBe(2);
    expect(inertia(x, labels, [Float64Array.from([0, 0]), Float64Array.from([10, 10])])).toBe(4);
  });

  it('gives a lone row a silhouette of 0', () => {
    const x = matrix([[0], [1], [10]]);
    // Row 0: a = 1, b = 10 → 0.9; row 1: a = 1, b = 9 → 8/9; row 2 alone → 0.
    expect(silhouette(x, Int32Array.from([0, 0, 1]))).toBeCloseTo((0.9 + 8 / 9 + 0) / 3, 14);
  });

  it('needs between 2 and n − 1 clusters and complete rows', () => {
    const x = matrix([[0], [1], [2]]);
    expect(() => silhouette(x, Int32Array.from([0, 0, 0]))).toThrow(/between 2 and 2 clusters; got 1/);
    expect(() => silhouette(x, Int32Array.from([0, 1, 2]))).toThrow(/got 3/);
    expect(() => silhouette(matrix([[0], [Number.NaN], [2]]), Int32Array.from([0, 1, 1]))).toThrow(
      /'f0' has missing values/,
    );
  });

  it('samples rows above maxRows, reproducibly for a seed', () => {
    const rng = new SeededRandom(3);
    const rows = Array.from({ length: 600 }, (_, i) => [
      rng.nextGaussian() + (i % 3) * 4,
      rng.nextGaussian(),
    ]);
    const x = matrix(rows);
    const labels = Int32Array.from(rows, (_, i) => i % 3);
    const exact = silhouette(x, labels);
    const sampled = silhouette(x, labels, { maxRows: 200, seed: 7 });
    expect(sampled).toBe(silhouette(x, labels, { maxRows: 200, seed: 7 }));
    expect(sampled).not.toBe(exact);
    expect(Math.abs(sampled - exact)).toBeLessThan(0.05);
    expect(silhouette(x, labels, { maxRows: 600 })).toBe(exact);
  });
});
