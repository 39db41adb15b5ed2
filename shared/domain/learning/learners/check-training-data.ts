/** Input checks shared by the tree learners, so that bad data fails early with a clear message. */
import type { ClassTarget, FeatureMatrix } from '../learner';

/** Throws a RangeError unless `x` has at least one row and one feature and consistent columns. */
export function checkTrainingData(x: FeatureMatrix, targetLength: number): void {
  if (!Number.isInteger(x.nRows) || x.nRows < 1) throw new RangeError('Training needs at least one row');
  if (x.columns.length < 1) throw new RangeError('Training needs at least one feature');
  if (targetLength !== x.nRows) {
    throw new RangeError(`The target has ${targetLength} values for ${x.nRows} rows`);
  }
  for (const column of x.columns) {
    if (column.length !== x.nRows) throw new RangeError('Every feature column must have nRows values');
  }
}

/** Throws unless every label is a class index below `nClasses`. */
export function checkClassTarget(y: ClassTarget): void {
  if (!Number.isInteger(y.nClasses) || y.nClasses < 1) throw new RangeError('nClasses must be at least 1');
  for (const label of y.labels) {
    if (label < 0 || label >= y.nClasses)
      throw new RangeError(`Label ${label} is outside 0…${y.nClasses - 1}`);
  }
}

/** Throws unless every regression target value is finite. */
export function checkRegressionTarget(y: Float64Array): void {
  for (const v of y)
    if (!Number.isFinite(v)) throw new RangeError('Regression targets must be finite numbers');
}

/** Category count per feature (0 for numeric). */
export function categoryCounts(x: FeatureMatrix): number[] {
  return x.columns.map((_, f) => {
    const count = x.categories?.[f] ?? 0;
    return Number.isInteger(count) && count > 0 ? count : 0;
  });
}

/** Throws unless `value` is an integer ≥ `min` (or null when `nullable`). */
export function checkInteger(name: string, value: number | null, min: number, nullable = false): void {
  if (value === null && nullable) return;
  if (value === null || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}${nullable ? ' or null' : ''}`);
  }
}

/** Feature names in column order, generated where the matrix names fewer than its columns. */
export function featureNames(x: FeatureMatrix): string[] {
  return x.columns.map((_, f) => x.names[f] ?? `feature_${f}`);
}
