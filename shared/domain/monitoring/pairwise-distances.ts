import { rowDistance, type FeatureMatrix } from './feature-matrix';

/**
 * Pairwise Euclidean distances of a matrix's rows, the upper triangle only (i < j), in Float32:
 * n(n − 1)/2 values, 8 MB at 2,000 rows. Index of (i, j) with i < j: `pairIndex(n, i, j)`.
 */
export interface PairwiseDistances {
  n: number;
  values: Float32Array;
}

export function pairIndex(n: number, i: number, j: number): number {
  // Rows 0…i−1 hold (n − 1) + (n − 2) + … + (n − i) pairs.
  return i * n - (i * (i + 1)) / 2 + (j - i - 1);
}

/**
 * Row by row, each distance summed directly: the same operation count as the dot-product form,
 * without its cancellation for nearby rows (distances between near-duplicates stay exact).
 */
export function pairwiseDistances(matrix: FeatureMatrix, signal?: AbortSignal): PairwiseDistances {
  const n = matrix.rows;
  const values = new Float32Array((n * (n - 1)) / 2);
  let at = 0;
  for (let i = 0; i < n; i += 1) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    for (let j = i + 1; j < n; j += 1) values[at++] = rowDistance(matrix, i, matrix, j);
  }
  return { n, values };
}

/** The smallest positive and the largest distance (0 and 0 when there are none). */
export function distanceRange(distances: PairwiseDistances): { min: number; max: number } {
  let min = Infinity;
  let max = 0;
  for (const d of distances.values) {
    if (d > 0 && d < min) min = d;
    if (d > max) max = d;
  }
  return { min: Number.isFinite(min) ? min : 0, max };
}

/** Each row's distance to its nearest other row (leave-one-out). */
export function nearestOtherDistances(distances: PairwiseDistances): Float64Array {
  const { n, values } = distances;
  const nearest = new Float64Array(n).fill(Infinity);
  let at = 0;
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 1; j < n; j += 1) {
      const d = values[at++] ?? 0;
      if (d < (nearest[i] ?? Infinity)) nearest[i] = d;
      if (d < (nearest[j] ?? Infinity)) nearest[j] = d;
    }
  }
  return nearest;
}
