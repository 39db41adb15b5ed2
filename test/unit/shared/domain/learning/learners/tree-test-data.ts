/** Seeded synthetic datasets for the tree learner tests. */
import type {
  ClassTarget,
  FeatureMatrix,
  LearnerState,
} from '../../../../../../shared/domain/learning/learner';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';

export function matrix(columns: Float64Array[], categories?: (number | undefined)[]): FeatureMatrix {
  return {
    nRows: columns[0]?.length ?? 0,
    columns,
    names: columns.map((_, i) => `x${i}`),
    ...(categories ? { categories } : {}),
  };
}

/** Rows `from`…`to`−1 of a matrix. */
export function rows(x: FeatureMatrix, from: number, to: number): FeatureMatrix {
  return { ...x, nRows: to - from, columns: x.columns.map((c) => c.slice(from, to)) };
}

function uniformColumns(random: SeededRandom, n: number, p: number): Float64Array[] {
  return Array.from({ length: p }, () => Float64Array.from({ length: n }, () => random.next() * 2 - 1));
}

/** XOR of the signs of x0 and x1, plus noise features: no single split separates it. */
export function xorData(n: number, seed: number, noiseFeatures = 2): { x: FeatureMatrix; y: ClassTarget } {
  const random = new SeededRandom(seed);
  const columns = uniformColumns(random, n, 2 + noiseFeatures);
  const labels = Int32Array.from({ length: n }, (_, i) =>
    (columns[0]?.[i] ?? 0) > 0 !== (columns[1]?.[i] ?? 0) > 0 ? 1 : 0,
  );
  return { x: matrix(columns), y: { labels, nClasses: 2 } };
}

/** Three classes by the angle of (x0, x1). */
export function threeClassData(n: number, seed: number): { x: FeatureMatrix; y: ClassTarget } {
  const random = new SeededRandom(seed);
  const columns = uniformColumns(random, n, 3);
  const labels = Int32Array.from({ length: n }, (_, i) => {
    const angle = Math.atan2(columns[1]?.[i] ?? 0, columns[0]?.[i] ?? 0) + Math.PI;
    return Math.min(2, Math.floor((angle / (2 * Math.PI)) * 3));
  });
  return { x: matrix(columns), y: { labels, nClasses: 3 } };
}

/** y = sin(3·x0) + x1² + noise (sd 0.1), plus a noise feature. */
export function noisyFunction(n: number, seed: number): { x: FeatureMatrix; y: Float64Array } {
  const random = new SeededRandom(seed);
  const columns = uniformColumns(random, n, 3);
  const y = Float64Array.from(
    { length: n },
    (_, i) =>
      Math.sin(3 * (columns[0]?.[i] ?? 0)) + (columns[1]?.[i] ?? 0) ** 2 + 0.1 * random.nextGaussian(),
  );
  return { x: matrix(columns), y };
}

/**
 * Class 1 rows have x0 missing 90 % of the time and class 0 rows 10 %: missingness alone
 * predicts the class; present values of x0 are noise.
 */
export function missingInformativeData(n: number, seed: number): { x: FeatureMatrix; y: ClassTarget } {
  const random = new SeededRandom(seed);
  const columns = uniformColumns(random, n, 2);
  const labels = Int32Array.from({ length: n }, () => (random.next() < 0.5 ? 1 : 0));
  const x0 = columns[0] as Float64Array;
  for (let i = 0; i < n; i += 1) if (random.next() < (labels[i] === 1 ? 0.9 : 0.1)) x0[i] = NaN;
  return { x: matrix(columns), y: { labels, nClasses: 2 } };
}

/** A 24-category feature whose class is membership in a scattered set of categories. */
export function categoricalData(n: number, seed: number): { x: FeatureMatrix; y: ClassTarget } {
  const random = new SeededRandom(seed);
  const positive = new Set([1, 4, 6, 9, 10, 15, 17, 20, 23]);
  const code = Float64Array.from({ length: n }, () => random.nextInt(24));
  const noise = Float64Array.from({ length: n }, () => random.next());
  const labels = Int32Array.from(code, (c) => (positive.has(c) ? 1 : 0));
  return { x: matrix([code, noise], [24, undefined]), y: { labels, nClasses: 2 } };
}

export function accuracy(predicted: Int32Array, labels: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i += 1) if (predicted[i] === labels[i]) correct += 1;
  return correct / labels.length;
}

export function rSquared(predicted: Float64Array, y: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v;
  mean /= y.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < y.length; i += 1) {
    residual += ((predicted[i] ?? 0) - (y[i] ?? 0)) ** 2;
    total += ((y[i] ?? 0) - mean) ** 2;
  }
  return 1 - residual / total;
}

/** Largest |Σ_c p_c − 1| over rows. */
export function probabilitySumError(proba: Float64Array[], nRows: number): number {
  let worst = 0;
  for (let row = 0; row < nRows; row += 1) {
    let sum = 0;
    for (const column of proba) sum += column[row] ?? 0;
    worst = Math.max(worst, Math.abs(sum - 1));
  }
  return worst;
}

/** A deadline whose clock advances by `stepMs` on every reading. */
export function advancingDeadline(atMs: number, stepMs: number): { atMs: number; now(): number } {
  let clock = 0;
  return {
    atMs,
    now: () => {
      clock += stepMs;
      return clock;
    },
  };
}

/** A JSON round trip, as a stored model artifact goes through. */
export function viaJson(state: LearnerState): LearnerState {
  return JSON.parse(JSON.stringify(state)) as LearnerState;
}
