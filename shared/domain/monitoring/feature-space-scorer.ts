import { symmetricEigen } from '../learning/learners/linear-algebra';
import { SeededRandom } from '../learning/random';
import { rowDistance, type FeatureMatrix } from './feature-matrix';
import { nearestOtherDistances, type PairwiseDistances } from './pairwise-distances';
import { calibrateThreshold, type ThresholdMethod } from './thresholds';

/**
 * Anomaly scores in feature space, where a shifted row stays far from every baseline row (a 2-D
 * map squeezes that distance away). Three scores, each with a threshold calibrated on the
 * baseline:
 * - the distance to the nearest baseline row (calibrated on each baseline row's distance to its
 *   nearest other row, so the baseline is scored as new rows will be): this one decides;
 * - Hotelling's T² in the top principal components and the reconstruction error (squared
 *   prediction error) outside them, shown beside it.
 */
export interface PcaSubspace {
  mean: Float64Array;
  /** k unit principal axes, row-major k × features. */
  components: Float64Array;
  /** Variance along each axis (divisor n − 1). */
  variances: Float64Array;
  k: number;
}

export interface FeatureSpaceScorer {
  nearestThreshold: number;
  pca: PcaSubspace;
  t2Threshold: number;
  speThreshold: number;
}

export interface RowScores {
  nearestDistance: number;
  nearestRow: number;
  t2: number;
  spe: number;
}

export function fitFeatureSpaceScorer(
  baseline: FeatureMatrix,
  distances: PairwiseDistances,
  options: { threshold: ThresholdMethod; components: number; seed: number },
): FeatureSpaceScorer {
  const pca = fitPcaSubspace(baseline, options.components, options.seed);
  const t2 = new Float64Array(baseline.rows);
  const spe = new Float64Array(baseline.rows);
  const scores = new Float64Array(pca.k);
  for (let i = 0; i < baseline.rows; i += 1) {
    const s = pcaScores(pca, baseline, i, scores);
    t2[i] = s.t2;
    spe[i] = s.spe;
  }
  return {
    nearestThreshold: calibrateThreshold(nearestOtherDistances(distances), options.threshold),
    pca,
    t2Threshold: calibrateThreshold(t2, options.threshold),
    speThreshold: calibrateThreshold(spe, options.threshold),
  };
}

export function scoreRow(
  scorer: FeatureSpaceScorer,
  baseline: FeatureMatrix,
  rows: FeatureMatrix,
  row: number,
  distancesOut?: Float64Array,
): RowScores {
  let nearestDistance = Infinity;
  let nearestRow = 0;
  for (let j = 0; j < baseline.rows; j += 1) {
    const d = rowDistance(rows, row, baseline, j);
    if (distancesOut) distancesOut[j] = d;
    if (d < nearestDistance) {
      nearestDistance = d;
      nearestRow = j;
    }
  }
  const { t2, spe } = pcaScores(scorer.pca, rows, row, new Float64Array(scorer.pca.k));
  return { nearestDistance, nearestRow, t2, spe };
}

export interface FeatureContribution {
  feature: string;
  value: number;
  /** The nearest baseline row's value of this feature. */
  baseline: number;
  /** This feature's part of the squared distance to the nearest baseline row (0–1). */
  share: number;
}

/** The features that put a row far from its nearest baseline row, largest part first. */
export function topContributingFeatures(
  names: readonly string[],
  baseline: FeatureMatrix,
  nearestRow: number,
  rows: FeatureMatrix,
  row: number,
  limit = 5,
): FeatureContribution[] {
  const { cols } = rows;
  const parts = new Float64Array(cols);
  let total = 0;
  for (let k = 0; k < cols; k += 1) {
    const d = (rows.values[row * cols + k] ?? 0) - (baseline.values[nearestRow * cols + k] ?? 0);
    parts[k] = d * d;
    total += d * d;
  }
  const order = Array.from({ length: cols }, (_, k) => k).sort(
    (a, b) => (parts[b] ?? 0) - (parts[a] ?? 0) || a - b,
  );
  return order.slice(0, limit).map((k) => ({
    feature: names[k] ?? `#${k}`,
    value: rows.values[row * cols + k] ?? 0,
    baseline: baseline.values[nearestRow * cols + k] ?? 0,
    share: total > 0 ? (parts[k] ?? 0) / total : 0,
  }));
}

function pcaScores(
  pca: PcaSubspace,
  rows: FeatureMatrix,
  row: number,
  scores: Float64Array,
): { t2: number; spe: number } {
  const { cols } = rows;
  const base = row * cols;
  let norm2 = 0;
  for (let f = 0; f < cols; f += 1) {
    const v = (rows.values[base + f] ?? 0) - (pca.mean[f] ?? 0);
    norm2 += v * v;
  }
  let t2 = 0;
  let explained = 0;
  for (let c = 0; c < pca.k; c += 1) {
    let s = 0;
    const cb = c * cols;
    for (let f = 0; f < cols; f += 1)
      s += ((rows.values[base + f] ?? 0) - (pca.mean[f] ?? 0)) * (pca.components[cb + f] ?? 0);
    scores[c] = s;
    explained += s * s;
    const variance = pca.variances[c] ?? 0;
    if (variance > 0) t2 += (s * s) / variance;
  }
  return { t2, spe: Math.max(0, norm2 - explained) };
}

/**
 * The top principal axes by subspace iteration and a Rayleigh–Ritz step: O(rows · features · k)
 * per iteration, where a full eigen-decomposition of a 1,024 × 1,024 covariance would be
 * O(features³). Seeded start, fixed iteration count: the same axes on every host.
 */
export function fitPcaSubspace(
  matrix: FeatureMatrix,
  wanted: number,
  seed: number,
  iterations = 40,
): PcaSubspace {
  const { rows: n, cols: d } = matrix;
  const meanVector = new Float64Array(d);
  for (let i = 0; i < n; i += 1)
    for (let f = 0; f < d; f += 1) meanVector[f] = (meanVector[f] ?? 0) + (matrix.values[i * d + f] ?? 0);
  for (let f = 0; f < d; f += 1) meanVector[f] = (meanVector[f] ?? 0) / Math.max(1, n);
  const k = Math.max(0, Math.min(wanted, n - 1, d));
  if (k === 0)
    return { mean: meanVector, components: new Float64Array(0), variances: new Float64Array(0), k: 0 };
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i += 1)
    for (let f = 0; f < d; f += 1)
      centred[i * d + f] = (matrix.values[i * d + f] ?? 0) - (meanVector[f] ?? 0);

  const random = new SeededRandom(seed);
  let q: Float64Array = new Float64Array(k * d);
  for (let c = 0; c < q.length; c += 1) q[c] = random.nextGaussian();
  orthonormaliseRows(q, k, d);
  const z = new Float64Array(n * k);
  for (let iteration = 0; iteration < iterations; iteration += 1) {
    project(centred, n, d, q, k, z);
    q = backProject(centred, n, d, z, k);
    orthonormaliseRows(q, k, d);
  }
  // Rayleigh–Ritz: the covariance restricted to the subspace, diagonalised.
  project(centred, n, d, q, k, z);
  const small = new Float64Array(k * k);
  for (let a = 0; a < k; a += 1)
    for (let b = 0; b < k; b += 1) {
      let s = 0;
      for (let i = 0; i < n; i += 1) s += (z[i * k + a] ?? 0) * (z[i * k + b] ?? 0);
      small[a * k + b] = s / Math.max(1, n - 1);
    }
  const eigen = symmetricEigen(small, k);
  const components = new Float64Array(k * d);
  const variances = new Float64Array(k);
  for (let c = 0; c < k; c += 1) {
    const vector = eigen.vectors[c] ?? new Float64Array(k);
    variances[c] = Math.max(0, eigen.values[c] ?? 0);
    for (let a = 0; a < k; a += 1) {
      const w = vector[a] ?? 0;
      for (let f = 0; f < d; f += 1)
        components[c * d + f] = (components[c * d + f] ?? 0) + w * (q[a * d + f] ?? 0);
    }
  }
  return { mean: meanVector, components, variances, k };
}

function project(x: Float64Array, n: number, d: number, q: Float64Array, k: number, out: Float64Array): void {
  for (let i = 0; i < n; i += 1)
    for (let c = 0; c < k; c += 1) {
      let s = 0;
      for (let f = 0; f < d; f += 1) s += (x[i * d + f] ?? 0) * (q[c * d + f] ?? 0);
      out[i * k + c] = s;
    }
}

function backProject(x: Float64Array, n: number, d: number, z: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * d);
  for (let i = 0; i < n; i += 1)
    for (let c = 0; c < k; c += 1) {
      const w = z[i * k + c] ?? 0;
      if (w === 0) continue;
      for (let f = 0; f < d; f += 1) out[c * d + f] = (out[c * d + f] ?? 0) + w * (x[i * d + f] ?? 0);
    }
  return out;
}

/** Modified Gram–Schmidt on the k rows (a row that vanishes stays zero). */
function orthonormaliseRows(q: Float64Array, k: number, d: number): void {
  for (let a = 0; a < k; a += 1) {
    for (let b = 0; b < a; b += 1) {
      let dot = 0;
      for (let f = 0; f < d; f += 1) dot += (q[a * d + f] ?? 0) * (q[b * d + f] ?? 0);
      for (let f = 0; f < d; f += 1) q[a * d + f] = (q[a * d + f] ?? 0) - dot * (q[b * d + f] ?? 0);
    }
    let norm = 0;
    for (let f = 0; f < d; f += 1) norm += (q[a * d + f] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    for (let f = 0; f < d; f += 1) q[a * d + f] = norm > 1e-12 ? (q[a * d + f] ?? 0) / norm : 0;
  }
}
