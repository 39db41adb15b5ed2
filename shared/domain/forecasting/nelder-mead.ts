/**
 * Nelder–Mead simplex minimisation with the adaptive coefficients of Gao & Han (2012), which keep
 * it working in a dozen or more dimensions. Deterministic: the same start gives the same answer.
 */

export interface MinimizeOptions {
  /** Size of the first simplex's steps along each axis. */
  step?: number;
  maxEvaluations?: number;
  /** Stops when the simplex's values differ by less than this (absolute plus relative). */
  tolerance?: number;
}

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  evaluations: number;
}

export function nelderMead(
  f: (x: Float64Array) => number,
  start: Float64Array,
  options: MinimizeOptions = {},
): MinimizeResult {
  const n = start.length;
  const step = options.step ?? 0.5;
  const maxEvaluations = options.maxEvaluations ?? 400 * (n + 1);
  const tolerance = options.tolerance ?? 1e-10;
  const alpha = 1;
  const beta = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const delta = 1 - 1 / n;
  let evaluations = 0;
  const evaluate = (x: Float64Array) => {
    evaluations += 1;
    const value = f(x);
    return Number.isFinite(value) ? value : Number.MAX_VALUE;
  };
  const points: Float64Array[] = [Float64Array.from(start)];
  for (let i = 0; i < n; i += 1) {
    const p = Float64Array.from(start);
    p[i] = (p[i] ?? 0) + step;
    points.push(p);
  }
  const values = points.map(evaluate);
  const order = points.map((_, i) => i);
  const centroid = new Float64Array(n);
  const along = (from: Float64Array, to: Float64Array, t: number) => {
    const out = new Float64Array(n);
    for (let j = 0; j < n; j += 1) out[j] = (from[j] ?? 0) + t * ((to[j] ?? 0) - (from[j] ?? 0));
    return out;
  };
  while (evaluations < maxEvaluations) {
    order.sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
    const best = order[0] ?? 0;
    const worst = order[n] ?? 0;
    const secondWorst = order[n - 1] ?? 0;
    const fBest = values[best] ?? 0;
    const fWorst = values[worst] ?? 0;
    if (Math.abs(fWorst - fBest) <= tolerance * (1 + Math.abs(fBest))) break;
    centroid.fill(0);
    for (let k = 0; k < n; k += 1) {
      const p = points[order[k] ?? 0] ?? centroid;
      for (let j = 0; j < n; j += 1) centroid[j] = (centroid[j] ?? 0) + (p[j] ?? 0) / n;
    }
    const worstPoint = points[worst] ?? centroid;
    const reflected = along(centroid, worstPoint, -alpha);
    const fReflected = evaluate(reflected);
    if (fReflected < fBest) {
      const expanded = along(centroid, worstPoint, -alpha * beta);
      const fExpanded = evaluate(expanded);
      if (fExpanded < fReflected) {
        points[worst] = expanded;
        values[worst] = fExpanded;
      } else {
        points[worst] = reflected;
        values[worst] = fReflected;
      }
      continue;
    }
    if (fReflected < (values[secondWorst] ?? 0)) {
      points[worst] = reflected;
      values[worst] = fReflected;
      continue;
    }
    const outside = fReflected < fWorst;
    const contracted = outside ? along(centroid, reflected, gamma) : along(centroid, worstPoint, gamma);
    const fContracted = evaluate(contracted);
    if (fContracted < (outside ? fReflected : fWorst)) {
      points[worst] = contracted;
      values[worst] = fContracted;
      continue;
    }
    const bestPoint = points[best] ?? centroid;
    for (let k = 1; k <= n; k += 1) {
      const index = order[k] ?? 0;
      points[index] = along(bestPoint, points[index] ?? bestPoint, delta);
      values[index] = evaluate(points[index] ?? bestPoint);
    }
  }
  let bestIndex = 0;
  for (let i = 1; i <= n; i += 1)
    if ((values[i] ?? Infinity) < (values[bestIndex] ?? Infinity)) bestIndex = i;
  return { x: points[bestIndex] ?? start, value: values[bestIndex] ?? NaN, evaluations };
}
