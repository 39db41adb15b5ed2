import { SeededRandom } from '../learning/random';
import { quantileOfSorted } from './thresholds';

/**
 * Per-feature drift between the baseline and monitored rows.
 * - Up to `SMALL_SAMPLE_ROWS` rows on both sides: the two-sample Kolmogorov–Smirnov test (effect
 *   size: the statistic D itself), or Pearson's chi² for a discrete feature (at most
 *   `MAX_CATEGORIES` distinct integer values in the baseline; effect size: Cramér's V).
 * - Above: the Wasserstein-1 distance divided by the baseline's standard deviation and the
 *   Jensen–Shannon divergence (base 2, on the baseline's deciles) as effect sizes, and the p-value of
 *   the KS test on seeded samples of `SMALL_SAMPLE_ROWS` rows per side.
 * Every p-value is deterministic: closed-form distributions, and seeded samples.
 * A feature drifts when its p-value, adjusted for the number of features (Benjamini–Hochberg),
 * is below `alpha` and its effect size reaches `minEffect`.
 */
export const SMALL_SAMPLE_ROWS = 1000;
export const MAX_CATEGORIES = 10;

export interface FeatureReference {
  /** The baseline's values, sorted ascending. */
  sorted: Float64Array;
  mean: number;
  std: number;
  /** Distinct values when the feature is discrete; absent for a continuous one. */
  categories?: number[];
}

export function featureReference(values: Float64Array): FeatureReference {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sorted.length > 0 ? sum / sorted.length : 0;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  const std = sorted.length > 1 ? Math.sqrt(ss / (sorted.length - 1)) : 0;
  const distinct: number[] = [];
  let discrete = true;
  for (let i = 0; i < sorted.length && discrete; i += 1) {
    const v = sorted[i] ?? 0;
    if (i === 0 || v !== sorted[i - 1]) {
      distinct.push(v);
      if (distinct.length > MAX_CATEGORIES || !Number.isInteger(v)) discrete = false;
    }
  }
  return discrete && sorted.length > 0 ? { sorted, mean, std, categories: distinct } : { sorted, mean, std };
}

export type DriftTest = 'ks' | 'chi2' | 'wasserstein';

export interface FeatureDrift {
  feature: string;
  test: DriftTest;
  statistic: number;
  pValue: number;
  adjustedPValue: number;
  /** KS: D; chi²: Cramér's V; Wasserstein: W ÷ baseline σ. */
  effectSize: number;
  /** Jensen–Shannon divergence (large samples only). */
  jensenShannon?: number;
  drifted: boolean;
}

export interface DriftOptions {
  alpha: number;
  minEffect: number;
  seed: number;
}

export const DEFAULT_DRIFT_OPTIONS: DriftOptions = { alpha: 0.05, minEffect: 0.1, seed: 42 };

export function featureDrift(
  names: readonly string[],
  references: readonly FeatureReference[],
  current: readonly Float64Array[],
  options: DriftOptions = DEFAULT_DRIFT_OPTIONS,
): FeatureDrift[] {
  const raw = references.map((reference, f) => {
    const values = Float64Array.from(current[f] ?? new Float64Array(0)).sort();
    return testFeature(names[f] ?? `#${f}`, reference, values, options.seed + f);
  });
  const adjusted = benjaminiHochberg(raw.map((r) => r.pValue));
  return raw.map((r, f) => {
    const adjustedPValue = adjusted[f] ?? 1;
    return {
      ...r,
      adjustedPValue,
      drifted: adjustedPValue < options.alpha && r.effectSize >= options.minEffect,
    };
  });
}

function testFeature(
  feature: string,
  reference: FeatureReference,
  current: Float64Array,
  seed: number,
): Omit<FeatureDrift, 'adjustedPValue' | 'drifted'> {
  const large = reference.sorted.length > SMALL_SAMPLE_ROWS || current.length > SMALL_SAMPLE_ROWS;
  if (!large && reference.categories) {
    const { statistic, pValue, cramersV } = chiSquared(reference.sorted, current, reference.categories);
    return { feature, test: 'chi2', statistic, pValue, effectSize: cramersV };
  }
  if (!large) {
    const d = ksStatistic(reference.sorted, current);
    return {
      feature,
      test: 'ks',
      statistic: d,
      pValue: ksPValue(d, reference.sorted.length, current.length),
      effectSize: d,
    };
  }
  const w = wasserstein1(reference.sorted, current);
  const random = new SeededRandom(seed);
  const a = sampleSorted(reference.sorted, SMALL_SAMPLE_ROWS, random);
  const b = sampleSorted(current, SMALL_SAMPLE_ROWS, random);
  const d = ksStatistic(a, b);
  return {
    feature,
    test: 'wasserstein',
    statistic: w,
    pValue: ksPValue(d, a.length, b.length),
    effectSize: reference.std > 0 ? w / reference.std : w > 0 ? Infinity : 0,
    jensenShannon: jensenShannon(reference.sorted, current),
  };
}

/** sup |F_a − F_b| of two sorted samples. */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  if (a.length === 0 || b.length === 0) return 0;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i] ?? 0, b[j] ?? 0);
    while (i < a.length && (a[i] ?? 0) <= x) i += 1;
    while (j < b.length && (b[j] ?? 0) <= x) j += 1;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

/** The asymptotic p-value of the two-sample KS statistic (Kolmogorov's series, Stephens' correction). */
export function ksPValue(d: number, n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  const en = Math.sqrt((n1 * n2) / (n1 + n2));
  const lambda = (en + 0.12 + 0.11 / en) * d;
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  for (let j = 1; j <= 100; j += 1) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** ∫ |F_a − F_b| of two sorted samples (exact for empirical distributions). */
export function wasserstein1(a: Float64Array, b: Float64Array): number {
  if (a.length === 0 || b.length === 0) return 0;
  let i = 0;
  let j = 0;
  let previous = Math.min(a[0] ?? 0, b[0] ?? 0);
  let total = 0;
  while (i < a.length || j < b.length) {
    const x = Math.min(i < a.length ? (a[i] ?? 0) : Infinity, j < b.length ? (b[j] ?? 0) : Infinity);
    total += Math.abs(i / a.length - j / b.length) * (x - previous);
    while (i < a.length && (a[i] ?? 0) <= x) i += 1;
    while (j < b.length && (b[j] ?? 0) <= x) j += 1;
    previous = x;
  }
  return total;
}

/** Jensen–Shannon divergence (base 2) of the two samples binned on the baseline's deciles. */
export function jensenShannon(reference: Float64Array, current: Float64Array, bins = 10): number {
  const edges: number[] = [];
  for (let b = 1; b < bins; b += 1) edges.push(quantileOfSorted(reference, b / bins));
  const histogram = (values: Float64Array) => {
    const counts = new Float64Array(bins);
    for (const v of values) {
      let b = 0;
      while (b < edges.length && v > (edges[b] ?? 0)) b += 1;
      counts[b] = (counts[b] ?? 0) + 1;
    }
    return counts.map((c) => c / Math.max(1, values.length));
  };
  const p = histogram(reference);
  const q = histogram(current);
  let js = 0;
  for (let b = 0; b < bins; b += 1) {
    const pb = p[b] ?? 0;
    const qb = q[b] ?? 0;
    const m = (pb + qb) / 2;
    if (pb > 0) js += 0.5 * pb * Math.log2(pb / m);
    if (qb > 0) js += 0.5 * qb * Math.log2(qb / m);
  }
  return Math.max(0, js);
}

function chiSquared(
  reference: Float64Array,
  current: Float64Array,
  categories: readonly number[],
): { statistic: number; pValue: number; cramersV: number } {
  const known = new Map(categories.map((c, i) => [c, i]));
  const k = categories.length + 1; // the last cell holds values the baseline never had
  const counts = [new Float64Array(k), new Float64Array(k)];
  const tally = (values: Float64Array, into: Float64Array) => {
    for (const v of values) {
      const cell = known.get(v) ?? k - 1;
      into[cell] = (into[cell] ?? 0) + 1;
    }
  };
  tally(reference, counts[0] ?? new Float64Array(k));
  tally(current, counts[1] ?? new Float64Array(k));
  const totals = [reference.length, current.length];
  const n = reference.length + current.length;
  let statistic = 0;
  let used = 0;
  for (let c = 0; c < k; c += 1) {
    const column = (counts[0]?.[c] ?? 0) + (counts[1]?.[c] ?? 0);
    if (column === 0) continue;
    used += 1;
    for (let r = 0; r < 2; r += 1) {
      const expected = ((totals[r] ?? 0) * column) / n;
      if (expected > 0) statistic += ((counts[r]?.[c] ?? 0) - expected) ** 2 / expected;
    }
  }
  const df = used - 1;
  if (df < 1 || n === 0) return { statistic: 0, pValue: 1, cramersV: 0 };
  return { statistic, pValue: upperGamma(df / 2, statistic / 2), cramersV: Math.sqrt(statistic / n) };
}

/** Regularised upper incomplete gamma Q(a, x): the chi² survival function at 2x with 2a df. */
export function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnGammaA = logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 500; n += 1) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(-x + a * Math.log(x) - lnGammaA));
  }
  // Continued fraction (modified Lentz).
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(-x + a * Math.log(x) - lnGammaA) * h);
}

function logGamma(x: number): number {
  const g = [
    76.18009172947146, -86.50532032941678, 24.01409824083091, -1.231739572450155, 0.001208650973866179,
    -0.5395239384953e-5,
  ];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let ser = 1.00000000019001;
  for (const c of g) ser += c / ++y;
  return -tmp + Math.log((2.5066282746310007 * ser) / x);
}

export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m).fill(1);
  let running = 1;
  for (let r = m - 1; r >= 0; r -= 1) {
    const entry = order[r];
    if (!entry) continue;
    running = Math.min(running, (entry.p * m) / (r + 1));
    adjusted[entry.i] = Math.min(1, running);
  }
  return adjusted;
}

function sampleSorted(sorted: Float64Array, size: number, random: SeededRandom): Float64Array {
  if (sorted.length <= size) return sorted;
  const picked = random.shuffle(Uint32Array.from({ length: sorted.length }, (_, i) => i)).subarray(0, size);
  return Float64Array.from(picked, (i) => sorted[i] ?? 0).sort();
}
