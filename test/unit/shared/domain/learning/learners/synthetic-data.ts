/** Small seeded data sets for the learner unit tests. */
import type { FeatureMatrix } from '../../../../../../shared/domain/learning/learner';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';

export function matrix(columns: readonly ArrayLike<number>[], names?: string[]): FeatureMatrix {
  const arrays = columns.map((column) => Float64Array.from(column));
  return {
    nRows: arrays[0]?.length ?? 0,
    columns: arrays,
    names: names ?? arrays.map((_, j) => `f${j}`),
  };
}

/** Gaussian blobs around `centres` (one row of coordinates per blob), `perBlob` rows each. */
export function blobs(
  centres: number[][],
  perBlob: number,
  spread: number,
  seed: number,
): { x: FeatureMatrix; labels: Int32Array } {
  const rng = new SeededRandom(seed);
  const d = centres[0]?.length ?? 0;
  const n = centres.length * perBlob;
  const columns = Array.from({ length: d }, () => new Float64Array(n));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i += 1) {
    const blob = i % centres.length;
    labels[i] = blob;
    for (let j = 0; j < d; j += 1) {
      const column = columns[j];
      if (column) column[i] = (centres[blob]?.[j] ?? 0) + spread * rng.nextGaussian();
    }
  }
  return { x: matrix(columns), labels };
}

/** Makes `x` a copy whose column `feature` has a NaN in row `row`. */
export function withMissing(x: FeatureMatrix, feature: number, row: number): FeatureMatrix {
  const columns = x.columns.map((column) => Float64Array.from(column));
  const target = columns[feature];
  if (target) target[row] = Number.NaN;
  return { ...x, columns };
}

/** A JSON round trip, as a stored model artifact goes through. */
export function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
