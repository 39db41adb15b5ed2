/**
 * Input handling shared by the learners that need complete numeric features (the linear models,
 * k-means, PCA): missing values are refused with the feature's name (imputation is a transform
 * of its own), and a fitted model checks that it is given the features it was fitted on.
 */
import type { FeatureMatrix } from '../learner';

/** Throws unless every feature of `x` is a complete, finite column of `nRows` values. */
export function requireCompleteInput(x: FeatureMatrix, learner: string): void {
  if (!Number.isInteger(x.nRows) || x.nRows < 1) throw new RangeError(`${learner} needs at least one row`);
  if (x.columns.length < 1) throw new RangeError(`${learner} needs at least one feature`);
  x.columns.forEach((column, j) => {
    const name = x.names[j] ?? `feature_${j}`;
    if (column.length !== x.nRows) {
      throw new RangeError(`Feature '${name}' has ${column.length} values for ${x.nRows} rows`);
    }
    for (let i = 0; i < column.length; i += 1) {
      const v = column[i] ?? Number.NaN;
      if (Number.isNaN(v)) {
        throw new Error(
          `${learner} needs complete numeric input: feature '${name}' has missing values (impute them first)`,
        );
      }
      if (!Number.isFinite(v)) throw new Error(`${learner}: feature '${name}' has an infinite value`);
    }
  });
}

/** Throws unless `x` has the fitted model's feature count (then checks for missing values). */
export function requirePredictionInput(x: FeatureMatrix, nFeatures: number, learner: string): void {
  if (x.columns.length !== nFeatures) {
    throw new RangeError(`${learner} was fitted on ${nFeatures} feature(s); got ${x.columns.length}`);
  }
  if (x.nRows === 0) return;
  requireCompleteInput(x, learner);
}

export interface ColumnMoments {
  mean: Float64Array;
  /** Population standard deviation, 1 where a column is constant (as StandardScaler). */
  scale: Float64Array;
}

/** Mean and population standard deviation per column (two passes, for accuracy). */
export function columnMoments(x: FeatureMatrix): ColumnMoments {
  const d = x.columns.length;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  x.columns.forEach((column, j) => {
    let sum = 0;
    for (let i = 0; i < x.nRows; i += 1) sum += column[i] ?? 0;
    const mu = sum / x.nRows;
    let sq = 0;
    for (let i = 0; i < x.nRows; i += 1) {
      const diff = (column[i] ?? 0) - mu;
      sq += diff * diff;
    }
    const sd = Math.sqrt(sq / x.nRows);
    mean[j] = mu;
    // Constant up to rounding: scaling would only amplify noise.
    scale[j] = sd > 1e-12 * Math.max(1, Math.abs(mu)) ? sd : 1;
  });
  return { mean, scale };
}

/** Feature names in column order, generated where the matrix names fewer than its columns. */
export function namesOf(x: FeatureMatrix): string[] {
  return x.columns.map((_, j) => x.names[j] ?? `feature_${j}`);
}

/** A finite number from a restored state, or a clear error naming the field. */
export function stateNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`Model state: '${field}' must be a finite number`);
  }
  return value;
}

/** An array of finite numbers from a restored state, as a Float64Array. */
export function stateVector(value: unknown, field: string, length?: number): Float64Array {
  if (!Array.isArray(value)) throw new TypeError(`Model state: '${field}' must be an array of numbers`);
  if (length !== undefined && value.length !== length) {
    throw new TypeError(`Model state: '${field}' must have ${length} values, not ${value.length}`);
  }
  return Float64Array.from(value, (v: unknown, i) => stateNumber(v, `${field}[${i}]`));
}

/** An array of arrays of finite numbers from a restored state. */
export function stateMatrix(value: unknown, field: string, rows?: number, columns?: number): Float64Array[] {
  if (!Array.isArray(value)) throw new TypeError(`Model state: '${field}' must be an array of arrays`);
  if (rows !== undefined && value.length !== rows) {
    throw new TypeError(`Model state: '${field}' must have ${rows} rows, not ${value.length}`);
  }
  return value.map((row: unknown, i) => stateVector(row, `${field}[${i}]`, columns));
}

/** The state's feature names (strings). */
export function stateNames(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new TypeError("Model state: 'featureNames' must be an array of strings");
  }
  return value;
}

/** Throws unless `state` has the expected kind and format. */
export function checkStateKind(state: { kind: unknown; format: unknown }, kinds: readonly string[]): void {
  if (typeof state.kind !== 'string' || !kinds.includes(state.kind)) {
    throw new TypeError(`Model state: kind '${String(state.kind)}' is not one of ${kinds.join(', ')}`);
  }
  if (state.format !== 1) throw new TypeError(`Model state: format ${String(state.format)} is not supported`);
}
