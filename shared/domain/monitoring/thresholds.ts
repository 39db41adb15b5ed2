/** Thresholds calibrated on the baseline's own scores, and severity as score ÷ threshold. */

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += values[i] ?? 0;
  return values.length > 0 ? sum / values.length : 0;
}

/** Sample standard deviation (divisor n − 1; 0 for fewer than two values). */
export function standardDeviation(values: ArrayLike<number>): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) {
    const d = (values[i] ?? 0) - m;
    sum += d * d;
  }
  return Math.sqrt(sum / (values.length - 1));
}

/** The q-quantile by linear interpolation between order statistics (NumPy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return quantileOfSorted(sorted, q);
}

export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  const lo = sorted[below] ?? 0;
  return lo + ((sorted[above] ?? 0) - lo) * (position - below);
}

export type ThresholdMethod = { method: 'quantile'; quantile: number } | { method: 'sigma'; k: number };

export function calibrateThreshold(scores: ArrayLike<number>, how: ThresholdMethod): number {
  const raw =
    how.method === 'quantile'
      ? quantile(scores, how.quantile)
      : mean(scores) + how.k * standardDeviation(scores);
  // A threshold of zero (a baseline of identical rows) would make every score infinitely severe.
  return raw > 0 ? raw : Number.MIN_VALUE;
}

export const SEVERITY_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

/** The label of a severity (score ÷ threshold) at or above 1: an anomaly. */
export function severityLevel(severity: number): SeverityLevel {
  if (severity >= 3) return 'critical';
  if (severity >= 2) return 'high';
  if (severity >= 1.5) return 'medium';
  return 'low';
}
