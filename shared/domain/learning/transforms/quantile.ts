/** Order statistics shared by the transforms, computed as NumPy computes them. */

/** The non-missing values of `values`, sorted ascending. */
export function sortedPresent(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i += 1) if (!Number.isNaN(values[i])) n += 1;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] ?? NaN;
    if (!Number.isNaN(v)) out[k++] = v;
  }
  return out.sort();
}

/**
 * The `q`-quantile (0–1) of ascending `sorted` values with linear interpolation, NumPy's default
 * `np.percentile(..., method='linear')`; NaN when there are no values.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const position = q * (n - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  const fraction = position - lo;
  // NumPy's lerp form keeps the result exact at the ends and monotonic in q.
  return fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction;
}
