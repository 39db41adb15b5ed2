/**
 * Clustering metrics: inertia and the silhouette coefficient (euclidean), as scikit-learn
 * defines them. Missing values (NaN) are rejected: distances need complete rows.
 */
import type { FeatureMatrix } from '../learner';
import { SeededRandom } from '../random';

/** Rows beyond which silhouette is computed on a seeded sample (the exact cost is quadratic). */
export const SILHOUETTE_MAX_ROWS = 5000;

function rowMajor(x: FeatureMatrix, rows: Uint32Array | undefined): Float64Array {
  const n = rows ? rows.length : x.nRows;
  const d = x.columns.length;
  const out = new Float64Array(n * d);
  x.columns.forEach((column, j) => {
    for (let r = 0; r < n; r += 1) {
      const v = column[rows ? (rows[r] ?? 0) : r] ?? Number.NaN;
      if (Number.isNaN(v)) throw new Error(`Feature '${x.names[j] ?? j}' has missing values`);
      out[r * d + j] = v;
    }
  });
  return out;
}

function clusterCount(labels: Int32Array): number {
  let max = -1;
  for (let i = 0; i < labels.length; i += 1) {
    const label = labels[i] ?? 0;
    if (label < 0) throw new Error(`Cluster labels are indices from 0; got ${label}`);
    if (label > max) max = label;
  }
  return max + 1;
}

/**
 * Sum of squared euclidean distances of each row to its cluster's centre: `centres[k]` holds
 * cluster k's coordinates, one per feature; without centres, each cluster's mean is used.
 */
export function inertia(x: FeatureMatrix, labels: Int32Array, centres?: readonly Float64Array[]): number {
  if (labels.length !== x.nRows) throw new Error(`${labels.length} label(s) for ${x.nRows} row(s)`);
  const k = Math.max(clusterCount(labels), centres?.length ?? 0);
  const d = x.columns.length;
  const centre = new Float64Array(k * d);
  if (centres) {
    centres.forEach((c, cluster) => {
      if (c.length !== d) throw new Error(`Centre ${cluster} has ${c.length} coordinate(s), not ${d}`);
      centre.set(c, cluster * d);
    });
  } else {
    const counts = new Float64Array(k);
    for (let i = 0; i < labels.length; i += 1) counts[labels[i] ?? 0] = (counts[labels[i] ?? 0] ?? 0) + 1;
    x.columns.forEach((column, j) => {
      for (let i = 0; i < labels.length; i += 1) {
        const at = (labels[i] ?? 0) * d + j;
        centre[at] = (centre[at] ?? 0) + (column[i] ?? 0);
      }
      for (let cluster = 0; cluster < k; cluster += 1) {
        const count = counts[cluster] ?? 0;
        if (count > 0) centre[cluster * d + j] = (centre[cluster * d + j] ?? 0) / count;
      }
    });
  }
  let total = 0;
  x.columns.forEach((column, j) => {
    for (let i = 0; i < labels.length; i += 1) {
      const v = column[i] ?? Number.NaN;
      if (Number.isNaN(v)) throw new Error(`Feature '${x.names[j] ?? j}' has missing values`);
      const diff = v - (centre[(labels[i] ?? 0) * d + j] ?? 0);
      total += diff * diff;
    }
  });
  return total;
}

export interface SilhouetteOptions {
  /**
   * Above this many rows the score is the exact silhouette of a uniform sample of this many rows
   * (without replacement, drawn with `seed`), as silhouette_score(sample_size=…). Default 5,000.
   */
  maxRows?: number;
  /** Seed of the sample; default 0. */
  seed?: number;
}

/**
 * Mean silhouette coefficient over the rows, euclidean distance: for each row, a = mean distance
 * to the other rows of its cluster, b = the smallest mean distance to another cluster's rows,
 * s = (b − a) / max(a, b), and s = 0 for a row alone in its cluster. Needs 2…n−1 clusters.
 */
export function silhouette(x: FeatureMatrix, labels: Int32Array, options: SilhouetteOptions = {}): number {
  if (labels.length !== x.nRows) throw new Error(`${labels.length} label(s) for ${x.nRows} row(s)`);
  const maxRows = options.maxRows ?? SILHOUETTE_MAX_ROWS;
  let rows: Uint32Array | undefined;
  if (x.nRows > maxRows) {
    const all = new Uint32Array(x.nRows);
    for (let i = 0; i < all.length; i += 1) all[i] = i;
    rows = new SeededRandom(options.seed ?? 0).shuffle(all).slice(0, maxRows);
  }
  const n = rows ? rows.length : x.nRows;
  const label = new Int32Array(n);
  for (let r = 0; r < n; r += 1) label[r] = labels[rows ? (rows[r] ?? 0) : r] ?? 0;
  const k = clusterCount(label);
  const sizes = new Float64Array(k);
  for (let r = 0; r < n; r += 1) sizes[label[r] ?? 0] = (sizes[label[r] ?? 0] ?? 0) + 1;
  let used = 0;
  for (let c = 0; c < k; c += 1) if ((sizes[c] ?? 0) > 0) used += 1;
  if (used < 2 || used > n - 1) {
    throw new Error(`Silhouette needs between 2 and ${n - 1} clusters; got ${used}`);
  }
  const data = rowMajor(x, rows);
  const d = x.columns.length;
  // sums[r * k + c]: total distance from row r to the rows of cluster c; each pair computed once.
  const sums = new Float64Array(n * k);
  for (let a = 0; a < n; a += 1) {
    const la = label[a] ?? 0;
    const offA = a * d;
    for (let b = a + 1; b < n; b += 1) {
      const offB = b * d;
      let sq = 0;
      for (let j = 0; j < d; j += 1) {
        const diff = (data[offA + j] ?? 0) - (data[offB + j] ?? 0);
        sq += diff * diff;
      }
      const dist = Math.sqrt(sq);
      const lb = label[b] ?? 0;
      sums[a * k + lb] = (sums[a * k + lb] ?? 0) + dist;
      sums[b * k + la] = (sums[b * k + la] ?? 0) + dist;
    }
  }
  let total = 0;
  for (let r = 0; r < n; r += 1) {
    const own = label[r] ?? 0;
    const ownSize = sizes[own] ?? 0;
    if (ownSize <= 1) continue;
    const intra = (sums[r * k + own] ?? 0) / (ownSize - 1);
    let nearest = Infinity;
    for (let c = 0; c < k; c += 1) {
      const size = sizes[c] ?? 0;
      if (c === own || size === 0) continue;
      nearest = Math.min(nearest, (sums[r * k + c] ?? 0) / size);
    }
    const denominator = Math.max(intra, nearest);
    if (denominator > 0) total += (nearest - intra) / denominator;
  }
  return total / n;
}
