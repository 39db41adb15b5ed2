import { SeededRandom } from '../learning/random';
import type { DinsightConfig } from './dinsight-config';
import { rowDistance, type FeatureMatrix } from './feature-matrix';
import { createOptimizer } from './optimizer';
import { distanceRange, type PairwiseDistances } from './pairwise-distances';
import { normaliseDistance, similarity, type Similarity } from './similarity';

/**
 * DInsight's map of a baseline: rows placed in `lowdim` dimensions so that the similarity of
 * their positions matches the similarity of their (normalised) feature-space distances.
 *
 * The cost is the mean over pairs i < j of (f(D̂_ij) − f(‖y_i − y_j‖))²; the fit stops after
 * `imax` iterations or once the cost changes by less than `gamma0`. Each iteration costs
 * O(n²·lowdim); the distances are computed once (O(n²·features)).
 */
export type StopReason = 'converged' | 'max_iterations';

export interface BaselineMap {
  lowdim: number;
  /** Row-major n × lowdim positions. */
  coordinates: Float64Array;
  /** The baseline's smallest positive and largest distance: projections normalise with them. */
  distanceRange: { min: number; max: number };
  similarity: Similarity;
  iterations: number;
  cost: number;
  stopReason: StopReason;
}

export type MapSettings = Pick<
  DinsightConfig,
  | 'gamma0'
  | 'optimizer'
  | 'alpha'
  | 'imax'
  | 'lowdim'
  | 'eta'
  | 'epsilon'
  | 'beta1'
  | 'beta2'
  | 'beta'
  | 'a'
  | 'w1'
  | 'w2'
  | 'whichW1'
  | 'seed'
>;

export interface FitProgress {
  /** Called every `every` iterations with the iteration and the cost; may throw to stop. */
  onIteration?: (iteration: number, cost: number) => void;
  every?: number;
}

export function fitBaselineMap(
  distances: PairwiseDistances,
  settings: MapSettings,
  progress: FitProgress = {},
): BaselineMap {
  const { n } = distances;
  const range = distanceRange(distances);
  const pairs = distances.values.length;
  // Normalised distances, then their similarity targets, in place of one Float32 array.
  const targets = new Float32Array(pairs);
  let sumNormalised = 0;
  for (let p = 0; p < pairs; p += 1) {
    const x = normaliseDistance(distances.values[p] ?? 0, range);
    targets[p] = x;
    sumNormalised += x;
  }
  const w1 =
    settings.whichW1 === 'auto' && pairs > 0 && sumNormalised > 0 ? sumNormalised / pairs : settings.w1;
  const sim: Similarity = { a: settings.a, w1, w2: settings.w2 };
  for (let p = 0; p < pairs; p += 1) targets[p] = similarity(sim, targets[p] ?? 0);

  const dim = settings.lowdim;
  const random = new SeededRandom(settings.seed);
  const coordinates = new Float64Array(n * dim);
  for (let k = 0; k < coordinates.length; k += 1) coordinates[k] = random.next();
  const gradient = new Float64Array(n * dim);
  const optimizer = createOptimizer(settings, n * dim);
  const delta = new Float64Array(dim);
  const every = Math.max(1, progress.every ?? 50);

  let previous = Infinity;
  let cost = pairs > 0 ? Infinity : 0;
  let iterations = 0;
  let stopReason: StopReason = 'max_iterations';
  const scale = n > 1 ? 1 / (n - 1) : 1;
  for (let iteration = 1; iteration <= settings.imax && pairs > 0; iteration += 1) {
    gradient.fill(0);
    let total = 0;
    let p = 0;
    for (let i = 0; i < n; i += 1) {
      const bi = i * dim;
      for (let j = i + 1; j < n; j += 1) {
        const bj = j * dim;
        let d2 = 0;
        for (let k = 0; k < dim; k += 1) {
          const dk = (coordinates[bi + k] ?? 0) - (coordinates[bj + k] ?? 0);
          delta[k] = dk;
          d2 += dk * dk;
        }
        const e = Math.exp(-d2 / w1);
        const fit = sim.a * e + (1 - sim.a) * (1 - d2 / sim.w2);
        const residual = fit - (targets[p++] ?? 0);
        total += residual * residual;
        // d/dy_i (fit − t)² = 2 (fit − t) f'(d)/d (y_i − y_j)
        const slope = (-2 * sim.a * e) / w1 - (2 * (1 - sim.a)) / sim.w2;
        const g = 2 * residual * slope * scale;
        for (let k = 0; k < dim; k += 1) {
          const gk = g * (delta[k] ?? 0);
          gradient[bi + k] = (gradient[bi + k] ?? 0) + gk;
          gradient[bj + k] = (gradient[bj + k] ?? 0) - gk;
        }
      }
    }
    cost = total / pairs;
    iterations = iteration;
    if (iteration % every === 0) progress.onIteration?.(iteration, cost);
    if (Math.abs(previous - cost) < settings.gamma0) {
      stopReason = 'converged';
      break;
    }
    previous = cost;
    optimizer.step(coordinates, gradient);
  }
  return { lowdim: dim, coordinates, distanceRange: range, similarity: sim, iterations, cost, stopReason };
}

export interface ProjectedPoint {
  position: Float64Array;
  iterations: number;
  cost: number;
}

/**
 * Places one new row on a fixed map: the same fit against the baseline's positions only, with
 * distances normalised by the baseline's own smallest and largest distance (never the new row's:
 * normalising per row would pull a far-away row next to its nearest neighbour). It starts at the
 * position of the baseline row it is most similar to.
 */
export function projectRow(
  map: BaselineMap,
  baseline: FeatureMatrix,
  rows: FeatureMatrix,
  row: number,
  settings: MapSettings,
): ProjectedPoint {
  const n = baseline.rows;
  const dim = map.lowdim;
  const targets = new Float64Array(n);
  let best = 0;
  for (let j = 0; j < n; j += 1) {
    targets[j] = similarity(
      map.similarity,
      normaliseDistance(rowDistance(rows, row, baseline, j), map.distanceRange),
    );
    if ((targets[j] ?? 0) > (targets[best] ?? 0)) best = j;
  }
  const position = map.coordinates.slice(best * dim, best * dim + dim);
  // A tiny seeded nudge: starting exactly on a baseline point gives that pair a zero gradient.
  const random = new SeededRandom(settings.seed + row);
  for (let k = 0; k < dim; k += 1) position[k] = (position[k] ?? 0) + (random.next() - 0.5) * 1e-3;
  const gradient = new Float64Array(dim);
  const optimizer = createOptimizer(settings, dim);
  const { coordinates, similarity: sim } = map;
  let previous = Infinity;
  let cost = 0;
  let iterations = 0;
  for (let iteration = 1; iteration <= settings.imax; iteration += 1) {
    gradient.fill(0);
    let total = 0;
    for (let j = 0; j < n; j += 1) {
      const bj = j * dim;
      let d2 = 0;
      for (let k = 0; k < dim; k += 1) {
        const dk = (position[k] ?? 0) - (coordinates[bj + k] ?? 0);
        d2 += dk * dk;
      }
      const e = Math.exp(-d2 / sim.w1);
      const residual = sim.a * e + (1 - sim.a) * (1 - d2 / sim.w2) - (targets[j] ?? 0);
      total += residual * residual;
      const slope = (-2 * sim.a * e) / sim.w1 - (2 * (1 - sim.a)) / sim.w2;
      const g = (2 * residual * slope) / n;
      for (let k = 0; k < dim; k += 1) {
        gradient[k] = (gradient[k] ?? 0) + g * ((position[k] ?? 0) - (coordinates[bj + k] ?? 0));
      }
    }
    cost = total / n;
    iterations = iteration;
    if (Math.abs(previous - cost) < settings.gamma0) break;
    previous = cost;
    optimizer.step(position, gradient);
  }
  return { position, iterations, cost };
}
