/**
 * k-means clustering as scikit-learn's KMeans (algorithm 'lloyd'): greedy k-means++ seeding
 * (2 + ⌊ln k⌋ candidates per centre, the one that lowers the potential most is kept), Lloyd
 * iterations until the labels stop changing or the squared centre shift falls to tol × the mean
 * feature variance, empty clusters re-seeded with the rows farthest from their centres, and the
 * best of `nInit` runs by inertia.
 *
 * The assignment step is Hamerly's exact acceleration of Lloyd: per row, an upper bound on the
 * distance to its centre and a lower bound on the distance to any other centre skip the rows
 * whose centre cannot have changed, which is most of them after the first iterations. The result
 * is Lloyd's, at a fraction of the distance computations.
 */
import {
  checkDeadline,
  type FeatureMatrix,
  type FitOptions,
  type FittedClusterer,
  type LearnerState,
} from '../learner';
import { SeededRandom } from '../random';
import {
  checkStateKind,
  namesOf,
  requireCompleteInput,
  requirePredictionInput,
  stateMatrix,
  stateNames,
  stateNumber,
} from './numeric-input';

export interface KMeansParams {
  nClusters: number;
  /** Seeded runs, the best kept; 'auto' runs once (scikit-learn's 'auto' with k-means++). */
  nInit: number | 'auto';
  maxIter: number;
  /** Relative tolerance: convergence when the squared centre shift ≤ tol × mean feature variance. */
  tol: number;
}

export const DEFAULT_KMEANS_PARAMS: Readonly<KMeansParams> = Object.freeze({
  nClusters: 8,
  nInit: 10,
  maxIter: 300,
  tol: 1e-4,
});

const LEARNER = 'k-means';

export interface KMeansState extends LearnerState {
  kind: 'kmeans';
  format: 1;
  featureNames: string[];
  /** Cluster centres, one row of feature values per cluster. */
  centres: number[][];
  inertia: number;
  /** Lloyd iterations of the kept run. */
  nIter: number;
  params: KMeansParams;
}

export interface KMeansModel extends FittedClusterer {
  readonly centres: readonly Float64Array[];
  readonly nIter: number;
  toState(): KMeansState;
}

function checkParams(p: KMeansParams, nRows: number): void {
  if (!Number.isInteger(p.nClusters) || p.nClusters < 1)
    throw new RangeError('nClusters must be an integer ≥ 1');
  if (p.nClusters > nRows) throw new RangeError(`nClusters (${p.nClusters}) exceeds the ${nRows} row(s)`);
  if (p.nInit !== 'auto' && (!Number.isInteger(p.nInit) || p.nInit < 1)) {
    throw new RangeError("nInit must be an integer ≥ 1 or 'auto'");
  }
  if (!Number.isInteger(p.maxIter) || p.maxIter < 1) throw new RangeError('maxIter must be an integer ≥ 1');
  if (!(p.tol >= 0)) throw new RangeError('tol must be ≥ 0');
}

/** Squared distance between row r of `data` and centre c of `centres` (both row-major, d wide). */
function squaredDistance(data: Float64Array, r: number, centres: Float64Array, c: number, d: number): number {
  const a = r * d;
  const b = c * d;
  let sum = 0;
  for (let j = 0; j < d; j += 1) {
    const diff = (data[a + j] as number) - (centres[b + j] as number);
    sum += diff * diff;
  }
  return sum;
}

/** Greedy k-means++ seeding, as scikit-learn's _kmeans_plusplus. */
function kmeansPlusPlus(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  rng: SeededRandom,
): Float64Array {
  const centres = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.nextInt(n);
  centres.set(data.subarray(first * d, first * d + d), 0);
  let closest = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i += 1) {
    const v = squaredDistance(data, i, centres, 0, d);
    closest[i] = v;
    potential += v;
  }
  const cumulative = new Float64Array(n);
  let candidates = Array.from({ length: trials }, () => new Float64Array(n));
  const ids = new Int32Array(trials);
  for (let c = 1; c < k; c += 1) {
    let running = 0;
    for (let i = 0; i < n; i += 1) {
      running += closest[i] as number;
      cumulative[i] = running;
    }
    for (let t = 0; t < trials; t += 1) {
      const target = rng.next() * potential;
      // First index whose cumulative potential reaches the draw (numpy searchsorted, side left).
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((cumulative[mid] as number) < target) lo = mid + 1;
        else hi = mid;
      }
      ids[t] = Math.min(lo, n - 1);
    }
    let best = 0;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t += 1) {
      const distances = candidates[t] ?? closest;
      const id = ids[t] as number;
      let sum = 0;
      const b = id * d;
      for (let i = 0; i < n; i += 1) {
        const current = closest[i] as number;
        const a = i * d;
        // The partial sums only grow: once one reaches the current closest distance, that
        // distance is the minimum and the rest of the row need not be read.
        // Checked every four terms: fewer branches, the same sums and the same minimum.
        let sq = 0;
        let j = 0;
        for (; j + 4 <= d && sq < current; j += 4) {
          const d0 = (data[a + j] as number) - (data[b + j] as number);
          const d1 = (data[a + j + 1] as number) - (data[b + j + 1] as number);
          const d2 = (data[a + j + 2] as number) - (data[b + j + 2] as number);
          const d3 = (data[a + j + 3] as number) - (data[b + j + 3] as number);
          sq += d0 * d0;
          sq += d1 * d1;
          sq += d2 * d2;
          sq += d3 * d3;
        }
        for (; j < d && sq < current; j += 1) {
          const diff = (data[a + j] as number) - (data[b + j] as number);
          sq += diff * diff;
        }
        const v = sq < current ? sq : current;
        distances[i] = v;
        sum += v;
      }
      if (sum < bestPotential) {
        bestPotential = sum;
        best = t;
      }
    }
    const chosen = ids[best] as number;
    centres.set(data.subarray(chosen * d, chosen * d + d), c * d);
    potential = bestPotential;
    // Keep the chosen candidate's distances as the new closest; recycle the old array.
    const kept = candidates[best] ?? closest;
    candidates = candidates.map((array, t) => (t === best ? closest : array));
    closest = kept;
  }
  return centres;
}

interface RunResult {
  centres: Float64Array;
  labels: Int32Array;
  inertia: number;
  nIter: number;
}

/** Reusable buffers of one Lloyd run (allocated once per fit). */
interface Workspace {
  labels: Int32Array;
  upper: Float64Array;
  lower: Float64Array;
  sums: Float64Array;
  counts: Float64Array;
  newCentres: Float64Array;
  shift: Float64Array;
  halfGap: Float64Array;
}

/** Nearest and second-nearest centre of row i: sets labels, upper, lower; returns the label. */
function fullSearch(
  data: Float64Array,
  i: number,
  centres: Float64Array,
  k: number,
  d: number,
  w: Workspace,
): number {
  let best = 0;
  let bestSq = Infinity;
  let secondSq = Infinity;
  const a = i * d;
  for (let c = 0; c < k; c += 1) {
    const b = c * d;
    let sq = 0;
    // A partial sum already beyond the second nearest cannot change either of them (checked
    // every four terms: the same sums, fewer branches).
    let j = 0;
    for (; j + 4 <= d && sq < secondSq; j += 4) {
      const d0 = (data[a + j] as number) - (centres[b + j] as number);
      const d1 = (data[a + j + 1] as number) - (centres[b + j + 1] as number);
      const d2 = (data[a + j + 2] as number) - (centres[b + j + 2] as number);
      const d3 = (data[a + j + 3] as number) - (centres[b + j + 3] as number);
      sq += d0 * d0;
      sq += d1 * d1;
      sq += d2 * d2;
      sq += d3 * d3;
    }
    for (; j < d && sq < secondSq; j += 1) {
      const diff = (data[a + j] as number) - (centres[b + j] as number);
      sq += diff * diff;
    }
    if (sq < bestSq) {
      secondSq = bestSq;
      bestSq = sq;
      best = c;
    } else if (sq < secondSq) {
      secondSq = sq;
    }
  }
  w.labels[i] = best;
  w.upper[i] = Math.sqrt(bestSq);
  w.lower[i] = Math.sqrt(secondSq);
  return best;
}

/** Moves row i's contribution to the cluster sums from one cluster to another. */
function moveRow(data: Float64Array, i: number, from: number, to: number, d: number, w: Workspace): void {
  const a = i * d;
  for (let j = 0; j < d; j += 1) {
    const v = data[a + j] as number;
    w.sums[from * d + j] = (w.sums[from * d + j] as number) - v;
    w.sums[to * d + j] = (w.sums[to * d + j] as number) + v;
  }
  w.counts[from] = (w.counts[from] as number) - 1;
  w.counts[to] = (w.counts[to] as number) + 1;
}

/** Cluster sums and counts from scratch (after an exact pass; incremental updates otherwise). */
function recomputeSums(data: Float64Array, n: number, d: number, w: Workspace): void {
  w.sums.fill(0);
  w.counts.fill(0);
  for (let i = 0; i < n; i += 1) {
    const label = w.labels[i] as number;
    w.counts[label] = (w.counts[label] as number) + 1;
    const a = i * d;
    const b = label * d;
    for (let j = 0; j < d; j += 1) w.sums[b + j] = (w.sums[b + j] as number) + (data[a + j] as number);
  }
}

/**
 * One Hamerly assignment pass against `centres`; `exact` forces a full search per row (first
 * pass, or after bounds were invalidated) and recomputes the cluster sums, which otherwise follow
 * each row that changes cluster. Returns how many labels changed.
 */
function assign(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  centres: Float64Array,
  w: Workspace,
  exact: boolean,
): number {
  let changed = 0;
  if (exact) {
    for (let i = 0; i < n; i += 1) {
      const before = w.labels[i];
      if (fullSearch(data, i, centres, k, d, w) !== before) changed += 1;
    }
    recomputeSums(data, n, d, w);
    return changed;
  }
  // Half the distance from each centre to its nearest other centre.
  for (let c = 0; c < k; c += 1) {
    let nearest = Infinity;
    for (let o = 0; o < k; o += 1) {
      if (o === c) continue;
      let sq = 0;
      for (let j = 0; j < d; j += 1) {
        const diff = (centres[c * d + j] as number) - (centres[o * d + j] as number);
        sq += diff * diff;
      }
      nearest = Math.min(nearest, sq);
    }
    w.halfGap[c] = Math.sqrt(nearest) / 2;
  }
  for (let i = 0; i < n; i += 1) {
    const label = w.labels[i] as number;
    const bound = Math.max(w.halfGap[label] ?? 0, w.lower[i] ?? 0);
    if ((w.upper[i] as number) <= bound) continue;
    const own = Math.sqrt(squaredDistance(data, i, centres, label, d));
    w.upper[i] = own;
    if (own <= bound) continue;
    const next = fullSearch(data, i, centres, k, d, w);
    if (next !== label) {
      moveRow(data, i, label, next, d, w);
      changed += 1;
    }
  }
  return changed;
}

/**
 * New centres as the mean of their rows (from the cluster sums kept by `assign`); an empty
 * cluster takes the row farthest from its current centre (scikit-learn's relocation). Returns
 * whether bounds must be recomputed.
 */
function updateCentres(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  centres: Float64Array,
  w: Workspace,
): boolean {
  const empty: number[] = [];
  for (let c = 0; c < k; c += 1) if ((w.counts[c] as number) === 0) empty.push(c);
  if (empty.length > 0) {
    const distance = new Float64Array(n);
    for (let i = 0; i < n; i += 1) distance[i] = squaredDistance(data, i, centres, w.labels[i] ?? 0, d);
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (distance[b] as number) - (distance[a] as number) || a - b,
    );
    empty.forEach((c, e) => {
      const row = order[e] as number;
      const from = w.labels[row] as number;
      for (let j = 0; j < d; j += 1) {
        const v = data[row * d + j] as number;
        w.sums[from * d + j] = (w.sums[from * d + j] as number) - v;
        w.sums[c * d + j] = v;
      }
      w.counts[from] = (w.counts[from] as number) - 1;
      w.counts[c] = 1;
      w.labels[row] = c;
    });
  }
  for (let c = 0; c < k; c += 1) {
    const count = w.counts[c] as number;
    for (let j = 0; j < d; j += 1) {
      w.newCentres[c * d + j] =
        count > 0 ? (w.sums[c * d + j] as number) / count : (centres[c * d + j] as number);
    }
  }
  return empty.length > 0;
}

function lloyd(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  initial: Float64Array,
  maxIter: number,
  tolerance: number,
  w: Workspace,
  onIteration: (iteration: number) => void,
): RunResult {
  let centres: Float64Array = Float64Array.from(initial);
  w.labels.fill(-1);
  let exact = true;
  let strict = false;
  let iterations = 0;
  for (let iter = 0; iter < maxIter; iter += 1) {
    iterations = iter + 1;
    const changed = assign(data, n, d, k, centres, w, exact);
    const relocated = updateCentres(data, n, d, k, centres, w);
    let shiftTotal = 0;
    let maxShift = 0;
    let maxAt = -1;
    let secondShift = 0;
    for (let c = 0; c < k; c += 1) {
      let sq = 0;
      for (let j = 0; j < d; j += 1) {
        const diff = (w.newCentres[c * d + j] as number) - (centres[c * d + j] as number);
        sq += diff * diff;
      }
      shiftTotal += sq;
      const shift = Math.sqrt(sq);
      w.shift[c] = shift;
      if (shift > maxShift) {
        secondShift = maxShift;
        maxShift = shift;
        maxAt = c;
      } else if (shift > secondShift) {
        secondShift = shift;
      }
    }
    [centres, w.newCentres] = [w.newCentres, centres];
    // Bounds follow the centres: the own centre moved at most its shift, any other at most the
    // largest shift among the others.
    for (let i = 0; i < n; i += 1) {
      const label = w.labels[i] as number;
      w.upper[i] = (w.upper[i] as number) + (w.shift[label] as number);
      w.lower[i] = (w.lower[i] as number) - (label === maxAt ? secondShift : maxShift);
    }
    exact = relocated;
    onIteration(iterations);
    if (changed === 0 && !relocated) {
      strict = true;
      break;
    }
    if (shiftTotal <= tolerance) break;
  }
  // As scikit-learn: unless the labels had settled, label the rows by the final centres.
  if (!strict) assign(data, n, d, k, centres, w, exact);
  let inertia = 0;
  for (let i = 0; i < n; i += 1) inertia += squaredDistance(data, i, centres, w.labels[i] ?? 0, d);
  return { centres, labels: Int32Array.from(w.labels), inertia, nIter: iterations };
}

export function fitKMeans(
  x: FeatureMatrix,
  params: Partial<KMeansParams> = {},
  options: FitOptions = { seed: 0 },
): KMeansModel {
  const p: KMeansParams = { ...DEFAULT_KMEANS_PARAMS, ...params };
  requireCompleteInput(x, LEARNER);
  checkParams(p, x.nRows);
  checkDeadline(options.deadline, 0);
  const n = x.nRows;
  const d = x.columns.length;
  const k = p.nClusters;
  const data = new Float64Array(n * d);
  let meanVariance = 0;
  x.columns.forEach((column, j) => {
    let sum = 0;
    for (let i = 0; i < n; i += 1) {
      const v = column[i] as number;
      data[i * d + j] = v;
      sum += v;
    }
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i += 1) sq += ((column[i] as number) - mean) ** 2;
    meanVariance += sq / n / d;
  });
  const tolerance = p.tol * meanVariance;
  const runs = p.nInit === 'auto' ? 1 : p.nInit;
  const workspace: Workspace = {
    labels: new Int32Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    sums: new Float64Array(k * d),
    counts: new Float64Array(k),
    newCentres: new Float64Array(k * d),
    shift: new Float64Array(k),
    halfGap: new Float64Array(k),
  };
  const rng = new SeededRandom(options.seed);
  let best: RunResult | undefined;
  let done = 0;
  for (let run = 0; run < runs; run += 1) {
    const initial = kmeansPlusPlus(data, n, d, k, rng.fork());
    const result = lloyd(data, n, d, k, initial, p.maxIter, tolerance, workspace, (iteration) => {
      options.onProgress?.((run + iteration / p.maxIter) / runs);
      checkDeadline(options.deadline, done + iteration);
    });
    done += result.nIter;
    if (!best || result.inertia < best.inertia) best = result;
    options.onProgress?.((run + 1) / runs);
  }
  const kept = best ?? { centres: new Float64Array(k * d), inertia: 0, nIter: 0, labels: new Int32Array(n) };
  const centres = Array.from({ length: k }, (_, c) => Array.from(kept.centres.subarray(c * d, c * d + d)));
  return kmeansModel({
    kind: 'kmeans',
    format: 1,
    featureNames: namesOf(x),
    centres,
    inertia: kept.inertia,
    nIter: kept.nIter,
    params: { ...p },
  });
}

function kmeansModel(state: KMeansState): KMeansModel {
  const centres = state.centres.map((row) => Float64Array.from(row));
  const k = centres.length;
  const d = state.featureNames.length;
  return {
    problemType: 'clustering',
    nClusters: k,
    inertia: state.inertia,
    nIter: state.nIter,
    centres,
    /** The nearest centre of each row (the lower index on a tie). */
    predict(x: FeatureMatrix): Int32Array {
      requirePredictionInput(x, d, LEARNER);
      const n = x.nRows;
      const labels = new Int32Array(n);
      const best = new Float64Array(n).fill(Infinity);
      const distance = new Float64Array(n);
      centres.forEach((centre, c) => {
        distance.fill(0);
        x.columns.forEach((column, j) => {
          const v = centre[j] as number;
          for (let i = 0; i < n; i += 1) {
            const diff = (column[i] as number) - v;
            distance[i] = (distance[i] as number) + diff * diff;
          }
        });
        for (let i = 0; i < n; i += 1) {
          if ((distance[i] as number) < (best[i] as number)) {
            best[i] = distance[i] as number;
            labels[i] = c;
          }
        }
      });
      return labels;
    },
    toState(): KMeansState {
      return structuredClone(state);
    },
  };
}

/** A fitted k-means model from its state (as `toState` returned it, after JSON). */
export function restoreKMeans(state: LearnerState): KMeansModel {
  checkStateKind(state, ['kmeans']);
  const featureNames = stateNames(state['featureNames']);
  const centres = stateMatrix(state['centres'], 'centres', undefined, featureNames.length);
  const params = state['params'];
  if (typeof params !== 'object' || params === null) throw new TypeError("Model state: 'params' is missing");
  return kmeansModel({
    kind: 'kmeans',
    format: 1,
    featureNames,
    centres: centres.map((row) => Array.from(row)),
    inertia: stateNumber(state['inertia'], 'inertia'),
    nIter: stateNumber(state['nIter'], 'nIter'),
    params: { ...DEFAULT_KMEANS_PARAMS, ...(params as Partial<KMeansParams>) },
  });
}
