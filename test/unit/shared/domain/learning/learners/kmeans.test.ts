import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../../../../../../shared/domain/learning/learner';
import { fitKMeans, restoreKMeans } from '../../../../../../shared/domain/learning/learners/kmeans';
import { inertia } from '../../../../../../shared/domain/learning/metrics/clustering-metrics';
import { blobs, matrix, viaJson, withMissing } from './synthetic-data';

const centres = [
  [0, 0],
  [10, 0],
  [0, 10],
  [10, 10],
];
const data = blobs(centres, 50, 0.5, 3);

/** Whether two labelings are the same partition (labels may be permuted). */
function samePartition(a: Int32Array, b: Int32Array): boolean {
  const map = new Map<number, number>();
  const used = new Map<number, number>();
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] ?? -1;
    const y = b[i] ?? -1;
    if ((map.get(x) ?? y) !== y || (used.get(y) ?? x) !== x) return false;
    map.set(x, y);
    used.set(y, x);
  }
  return true;
}

describe('fitKMeans', () => {
  it('finds well-separated clusters', () => {
    const model = fitKMeans(data.x, { nClusters: 4 }, { seed: 1 });
    expect(samePartition(model.predict(data.x), data.labels)).toBe(true);
    for (const [cx, cy] of centres) {
      const nearest = Math.min(
        ...model.centres.map((c) => Math.hypot((c[0] ?? 0) - (cx ?? 0), (c[1] ?? 0) - (cy ?? 0))),
      );
      expect(nearest).toBeLessThan(0.3);
    }
    expect(model.inertia).toBeCloseTo(inertia(data.x, model.predict(data.x)), 8);
  });

  it('is deterministic for a seed', () => {
    const a = fitKMeans(data.x, { nClusters: 3, nInit: 2 }, { seed: 7 }).toState();
    const b = fitKMeans(data.x, { nClusters: 3, nInit: 2 }, { seed: 7 }).toState();
    expect(b).toEqual(a);
  });

  it('keeps the best of its runs', () => {
    const one = fitKMeans(data.x, { nClusters: 7, nInit: 1 }, { seed: 2 });
    const ten = fitKMeans(data.x, { nClusters: 7, nInit: 10 }, { seed: 2 });
    expect(ten.inertia).toBeLessThanOrEqual(one.inertia);
    expect(fitKMeans(data.x, { nClusters: 4, nInit: 'auto' }, { seed: 2 }).inertia).toBeGreaterThan(0);
  });

  it('predicts identically after a JSON round trip', () => {
    const model = fitKMeans(data.x, { nClusters: 4 }, { seed: 1 });
    const restored = restoreKMeans(viaJson(model.toState()));
    expect(restored.predict(data.x)).toEqual(model.predict(data.x));
    expect(restored.inertia).toBe(model.inertia);
    expect(restored.nClusters).toBe(4);
  });

  it('copes with fewer distinct rows than clusters (empty clusters are re-seeded)', () => {
    const x = matrix([[1, 1, 1, 5, 5, 5, 9]]);
    const model = fitKMeans(x, { nClusters: 4, nInit: 3 }, { seed: 0 });
    expect(model.inertia).toBe(0);
    expect(model.centres.every((c) => Number.isFinite(c[0]))).toBe(true);
  });

  it('names the feature with missing values and checks its parameters', () => {
    expect(() => fitKMeans(withMissing(data.x, 1, 4), {}, { seed: 0 })).toThrow(
      /feature 'f1' has missing values/,
    );
    expect(() => fitKMeans(matrix([[1, 2]]), { nClusters: 3 }, { seed: 0 })).toThrow(/exceeds the 2 row/);
    expect(() => fitKMeans(data.x, { nInit: 0 }, { seed: 0 })).toThrow(/nInit/);
    expect(() => restoreKMeans({ kind: 'pca', format: 1 })).toThrow(/kind 'pca'/);
  });

  it('stops at the deadline and reports progress up to 1', () => {
    expect(() =>
      fitKMeans(data.x, { nClusters: 4 }, { seed: 0, deadline: { atMs: 0, now: () => 1 } }),
    ).toThrow(DeadlineExceededError);
    const progress: number[] = [];
    fitKMeans(data.x, { nClusters: 4, nInit: 3 }, { seed: 0, onProgress: (f) => progress.push(f) });
    expect(progress.at(-1)).toBe(1);
    expect(Math.min(...progress)).toBeGreaterThan(0);
  });
});
