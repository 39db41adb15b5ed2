/**
 * Classical additive decomposition (moving-average trend, mean seasonal profile, remainder) and
 * the strength of trend and seasonality measured on it as Wang, Smith and Hyndman (2006) define
 * them: F = max(0, 1 − Var(remainder) / Var(component + remainder)), 0 none to 1 all.
 */

export interface Decomposition {
  trend: Float64Array;
  seasonal: Float64Array;
  remainder: Float64Array;
}

/** Missing values (NaN) filled by linear interpolation, the ends carried from the nearest value. */
export function interpolateMissing(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  let previous = -1;
  for (let i = 0; i <= out.length; i += 1) {
    if (i < out.length && Number.isNaN(out[i] ?? NaN)) continue;
    if (i - previous > 1) {
      const left = previous >= 0 ? (out[previous] ?? NaN) : NaN;
      const right = i < out.length ? (out[i] ?? NaN) : NaN;
      for (let j = previous + 1; j < i; j += 1) {
        if (Number.isNaN(left)) out[j] = right;
        else if (Number.isNaN(right)) out[j] = left;
        else out[j] = left + ((right - left) * (j - previous)) / (i - previous);
      }
    }
    previous = i;
  }
  return out;
}

/** Centred moving average of `order` (a 2×order average when order is even); NaN where it does not reach. */
export function centredMovingAverage(y: Float64Array, order: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n).fill(NaN);
  const weights = new Float64Array(order + (order % 2 === 0 ? 1 : 0));
  if (order % 2 === 0) {
    weights.fill(1 / order);
    weights[0] = 1 / (2 * order);
    weights[order] = 1 / (2 * order);
  } else weights.fill(1 / order);
  const half = (weights.length - 1) / 2;
  for (let t = half; t < n - half; t += 1) {
    let sum = 0;
    for (let k = 0; k < weights.length; k += 1) sum += (weights[k] ?? 0) * (y[t - half + k] ?? 0);
    out[t] = sum;
  }
  return out;
}

/** Additive decomposition with seasonal period `period` (≤ 1: trend and remainder only). */
export function decompose(values: ArrayLike<number>, period: number): Decomposition {
  const y = interpolateMissing(values);
  const n = y.length;
  const seasonal = new Float64Array(n);
  const order = period > 1 ? period : Math.min(7, Math.max(3, Math.floor(n / 10) * 2 + 1));
  const trend = centredMovingAverage(y, order);
  if (period > 1) {
    const sums = new Float64Array(period);
    const counts = new Float64Array(period);
    for (let t = 0; t < n; t += 1) {
      const tr = trend[t] ?? NaN;
      if (Number.isNaN(tr)) continue;
      sums[t % period] = (sums[t % period] ?? 0) + (y[t] ?? 0) - tr;
      counts[t % period] = (counts[t % period] ?? 0) + 1;
    }
    const profile = new Float64Array(period);
    let mean = 0;
    for (let s = 0; s < period; s += 1) {
      profile[s] = (counts[s] ?? 0) > 0 ? (sums[s] ?? 0) / (counts[s] ?? 1) : 0;
      mean += (profile[s] ?? 0) / period;
    }
    for (let t = 0; t < n; t += 1) seasonal[t] = (profile[t % period] ?? 0) - mean;
  }
  const remainder = new Float64Array(n);
  for (let t = 0; t < n; t += 1) remainder[t] = (y[t] ?? 0) - (trend[t] ?? NaN) - (seasonal[t] ?? 0);
  return { trend, seasonal, remainder };
}

function variance(values: number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
}

function strength(component: Float64Array, remainder: Float64Array): number | null {
  const r: number[] = [];
  const cr: number[] = [];
  for (let t = 0; t < remainder.length; t += 1) {
    const e = remainder[t] ?? NaN;
    if (Number.isNaN(e)) continue;
    r.push(e);
    cr.push((component[t] ?? 0) + e);
  }
  if (r.length < 3) return null;
  const total = variance(cr);
  if (total === 0) return 0;
  return Math.max(0, Math.min(1, 1 - variance(r) / total));
}

export interface SeriesStrength {
  /** 0 (no trend) … 1 (all trend); null when the series is too short to tell. */
  trend: number | null;
  /** 0 … 1; null without a seasonal period or with fewer than two full cycles. */
  seasonality: number | null;
}

export function seriesStrength(values: ArrayLike<number>, period: number): SeriesStrength {
  const n = values.length;
  const seasonal = period > 1 && n >= 2 * period;
  if (n < 4) return { trend: null, seasonality: null };
  const parts = decompose(values, seasonal ? period : 1);
  return {
    trend: strength(parts.trend, parts.remainder),
    seasonality: seasonal ? strength(parts.seasonal, parts.remainder) : null,
  };
}
