/**
 * Regression metrics with scikit-learn's definitions (1.2).
 */

/** float64 machine epsilon, scikit-learn's floor for |yTrue| in mean_absolute_percentage_error. */
export const MAPE_EPS = 2.220446049250313e-16;

function checkSameLength(yTrue: Float64Array, yPred: Float64Array, what: string): void {
  if (yTrue.length !== yPred.length) {
    throw new Error(`${what}: ${yTrue.length} true value(s) but ${yPred.length} predicted`);
  }
  if (yTrue.length === 0) throw new Error(`${what}: no rows`);
}

export function meanSquaredError(yTrue: Float64Array, yPred: Float64Array): number {
  checkSameLength(yTrue, yPred, 'meanSquaredError');
  let total = 0;
  for (let i = 0; i < yTrue.length; i += 1) {
    const d = (yTrue[i] ?? 0) - (yPred[i] ?? 0);
    total += d * d;
  }
  return total / yTrue.length;
}

export function rmse(yTrue: Float64Array, yPred: Float64Array): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred));
}

export function mae(yTrue: Float64Array, yPred: Float64Array): number {
  checkSameLength(yTrue, yPred, 'mae');
  let total = 0;
  for (let i = 0; i < yTrue.length; i += 1) total += Math.abs((yTrue[i] ?? 0) - (yPred[i] ?? 0));
  return total / yTrue.length;
}

/**
 * Coefficient of determination. For a constant yTrue it is 1 when the predictions are exact and
 * 0 otherwise (scikit-learn's force_finite=True).
 */
export function r2(yTrue: Float64Array, yPred: Float64Array): number {
  checkSameLength(yTrue, yPred, 'r2');
  let mean = 0;
  for (let i = 0; i < yTrue.length; i += 1) mean += yTrue[i] ?? 0;
  mean /= yTrue.length;
  let residual = 0;
  let totalSq = 0;
  for (let i = 0; i < yTrue.length; i += 1) {
    const t = yTrue[i] ?? 0;
    const d = t - (yPred[i] ?? 0);
    residual += d * d;
    totalSq += (t - mean) * (t - mean);
  }
  if (totalSq === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / totalSq;
}

/**
 * Mean absolute percentage error as a fraction (0.1 = 10 %), |yTrue| floored at machine epsilon
 * as scikit-learn's mean_absolute_percentage_error (a zero target gives a huge, finite term).
 */
export function mape(yTrue: Float64Array, yPred: Float64Array): number {
  checkSameLength(yTrue, yPred, 'mape');
  let total = 0;
  for (let i = 0; i < yTrue.length; i += 1) {
    const t = yTrue[i] ?? 0;
    total += Math.abs(t - (yPred[i] ?? 0)) / Math.max(Math.abs(t), MAPE_EPS);
  }
  return total / yTrue.length;
}
