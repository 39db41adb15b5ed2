import { calibrateThreshold } from './thresholds';

/**
 * DInsight's own anomaly score: the Mahalanobis distance of a map position from the baseline
 * positions' centroid and covariance (1e-6 added on the diagonal), with threshold mean + k·σ of
 * the baseline's distances. Works in any `lowdim`; the map is usually 2-D.
 */
export interface MahalanobisModel {
  centroid: number[];
  /** The inverse of the regularised covariance, row-major lowdim × lowdim. */
  inverseCovariance: number[];
  threshold: number;
}

const RIDGE = 1e-6;

export function fitMahalanobis(coordinates: Float64Array, dim: number, k: number): MahalanobisModel {
  const n = coordinates.length / dim;
  const centroid = Array.from({ length: dim }, (_, c) => {
    let sum = 0;
    for (let i = 0; i < n; i += 1) sum += coordinates[i * dim + c] ?? 0;
    return n > 0 ? sum / n : 0;
  });
  const covariance = new Float64Array(dim * dim);
  for (let i = 0; i < n; i += 1) {
    for (let a = 0; a < dim; a += 1) {
      const da = (coordinates[i * dim + a] ?? 0) - (centroid[a] ?? 0);
      for (let b = 0; b < dim; b += 1) {
        covariance[a * dim + b] =
          (covariance[a * dim + b] ?? 0) + da * ((coordinates[i * dim + b] ?? 0) - (centroid[b] ?? 0));
      }
    }
  }
  for (let c = 0; c < covariance.length; c += 1) covariance[c] = (covariance[c] ?? 0) / Math.max(1, n - 1);
  for (let a = 0; a < dim; a += 1) covariance[a * dim + a] = (covariance[a * dim + a] ?? 0) + RIDGE;
  const inverse = invert(covariance, dim);
  const model: MahalanobisModel = { centroid, inverseCovariance: Array.from(inverse), threshold: 0 };
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i += 1)
    distances[i] = mahalanobis(model, coordinates.subarray(i * dim, i * dim + dim));
  model.threshold = calibrateThreshold(distances, { method: 'sigma', k });
  return model;
}

export function mahalanobis(model: MahalanobisModel, position: ArrayLike<number>): number {
  const dim = model.centroid.length;
  let sum = 0;
  for (let a = 0; a < dim; a += 1) {
    const da = (position[a] ?? 0) - (model.centroid[a] ?? 0);
    for (let b = 0; b < dim; b += 1) {
      sum +=
        da * (model.inverseCovariance[a * dim + b] ?? 0) * ((position[b] ?? 0) - (model.centroid[b] ?? 0));
    }
  }
  return Math.sqrt(Math.max(0, sum));
}

/** Gauss–Jordan inverse of a small symmetric positive-definite matrix. */
function invert(matrix: Float64Array, m: number): Float64Array {
  const a = Float64Array.from(matrix);
  const inv = new Float64Array(m * m);
  for (let i = 0; i < m; i += 1) inv[i * m + i] = 1;
  for (let col = 0; col < m; col += 1) {
    let pivot = col;
    for (let r = col + 1; r < m; r += 1) {
      if (Math.abs(a[r * m + col] ?? 0) > Math.abs(a[pivot * m + col] ?? 0)) pivot = r;
    }
    if (pivot !== col) {
      for (let c = 0; c < m; c += 1) {
        swap(a, col * m + c, pivot * m + c);
        swap(inv, col * m + c, pivot * m + c);
      }
    }
    const p = a[col * m + col] ?? 1;
    for (let c = 0; c < m; c += 1) {
      a[col * m + c] = (a[col * m + c] ?? 0) / p;
      inv[col * m + c] = (inv[col * m + c] ?? 0) / p;
    }
    for (let r = 0; r < m; r += 1) {
      if (r === col) continue;
      const factor = a[r * m + col] ?? 0;
      for (let c = 0; c < m; c += 1) {
        a[r * m + c] = (a[r * m + c] ?? 0) - factor * (a[col * m + c] ?? 0);
        inv[r * m + c] = (inv[r * m + c] ?? 0) - factor * (inv[col * m + c] ?? 0);
      }
    }
  }
  return inv;
}

function swap(values: Float64Array, i: number, j: number): void {
  const t = values[i] ?? 0;
  values[i] = values[j] ?? 0;
  values[j] = t;
}
