/**
 * Linear regression with an intercept: ordinary least squares (`fitLinearRegression`) and ridge
 * (`fitRidge`, penalty alpha · ||coefficients||² on the raw-scale coefficients, intercept
 * unpenalised, as scikit-learn's Ridge). Both solve the normal equations of the centred data,
 * with the columns scaled to unit variance for conditioning, by Cholesky; a rank-deficient
 * system (collinear features) falls back to the minimum-norm solution in the scaled space.
 */
import {
  checkDeadline,
  type FeatureMatrix,
  type FitOptions,
  type FittedRegressor,
  type LearnerState,
} from '../learner';
import { checkRegressionTarget, checkTrainingData } from './check-training-data';
import { solveSymmetric } from './linear-algebra';
import {
  checkStateKind,
  columnMoments,
  namesOf,
  requireCompleteInput,
  requirePredictionInput,
  stateNames,
  stateNumber,
  stateVector,
} from './numeric-input';

/** Ordinary least squares has no hyperparameters. */
export type LinearRegressionParams = Record<string, never>;

export interface RidgeParams {
  /** L2 penalty on the raw-scale coefficients (scikit-learn's alpha). */
  alpha: number;
}

export const DEFAULT_RIDGE_PARAMS: Readonly<RidgeParams> = Object.freeze({ alpha: 1.0 });

export interface LinearRegressionState extends LearnerState {
  kind: 'linear_regression' | 'ridge';
  format: 1;
  featureNames: string[];
  /** Raw-scale model: prediction = intercept + Σ coefficients[j] · x_j (what export needs). */
  coefficients: number[];
  intercept: number;
  /** Training mean and population standard deviation per feature (importance, diagnostics). */
  mean: number[];
  scale: number[];
  params: { alpha?: number };
}

export interface LinearRegressionModel extends FittedRegressor {
  /** Raw-scale coefficients, in feature order. */
  readonly coefficients: Float64Array;
  readonly intercept: number;
  featureImportance(): Float64Array;
  toState(): LinearRegressionState;
}

function fitLinear(
  kind: 'linear_regression' | 'ridge',
  learner: string,
  x: FeatureMatrix,
  y: Float64Array,
  alpha: number,
  options: FitOptions,
): LinearRegressionModel {
  requireCompleteInput(x, learner);
  checkTrainingData(x, y.length);
  checkRegressionTarget(y);
  checkDeadline(options.deadline, 0);
  const n = x.nRows;
  const d = x.columns.length;
  const { mean, scale } = columnMoments(x);
  let yMean = 0;
  for (let i = 0; i < n; i += 1) yMean += y[i] ?? 0;
  yMean /= n;
  const scaled = x.columns.map((column, j) => {
    const mu = mean[j] ?? 0;
    const sd = scale[j] ?? 1;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 1) out[i] = ((column[i] ?? 0) - mu) / sd;
    return out;
  });
  // (Sᵀ S + alpha · diag(1/scale²)) β_s = Sᵀ (y − ȳ), with S the centred, scaled columns and
  // β_raw = β_s / scale: the same solution as (Xcᵀ Xc + alpha I) β_raw = Xcᵀ yc.
  const gram = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  for (let a = 0; a < d; a += 1) {
    const ca = scaled[a] ?? new Float64Array(0);
    for (let b = a; b < d; b += 1) {
      const cb = scaled[b] ?? new Float64Array(0);
      let sum = 0;
      for (let i = 0; i < n; i += 1) sum += (ca[i] ?? 0) * (cb[i] ?? 0);
      gram[a * d + b] = sum;
      gram[b * d + a] = sum;
    }
    let sum = 0;
    for (let i = 0; i < n; i += 1) sum += (ca[i] ?? 0) * ((y[i] ?? 0) - yMean);
    rhs[a] = sum;
    const sd = scale[a] ?? 1;
    gram[a * d + a] = (gram[a * d + a] ?? 0) + alpha / (sd * sd);
  }
  checkDeadline(options.deadline, 1);
  const solution = solveSymmetric(gram, rhs, d);
  const coefficients = solution.map((c, j) => c / (scale[j] ?? 1));
  let intercept = yMean;
  for (let j = 0; j < d; j += 1) intercept -= (coefficients[j] ?? 0) * (mean[j] ?? 0);
  options.onProgress?.(1);
  return linearModel({
    kind,
    format: 1,
    featureNames: namesOf(x),
    coefficients: Array.from(coefficients),
    intercept,
    mean: Array.from(mean),
    scale: Array.from(scale),
    params: kind === 'ridge' ? { alpha } : {},
  });
}

/** Ordinary least squares with an intercept. */
export function fitLinearRegression(
  x: FeatureMatrix,
  y: Float64Array,
  _params: Partial<LinearRegressionParams> = {},
  options: FitOptions = { seed: 0 },
): LinearRegressionModel {
  return fitLinear('linear_regression', 'Linear regression', x, y, 0, options);
}

/** Ridge regression: least squares plus alpha · ||coefficients||² (intercept unpenalised). */
export function fitRidge(
  x: FeatureMatrix,
  y: Float64Array,
  params: Partial<RidgeParams> = {},
  options: FitOptions = { seed: 0 },
): LinearRegressionModel {
  const { alpha } = { ...DEFAULT_RIDGE_PARAMS, ...params };
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new RangeError('alpha must be a number ≥ 0');
  return fitLinear('ridge', 'Ridge regression', x, y, alpha, options);
}

function linearModel(state: LinearRegressionState): LinearRegressionModel {
  const learner = state.kind === 'ridge' ? 'Ridge regression' : 'Linear regression';
  const coefficients = Float64Array.from(state.coefficients);
  const d = coefficients.length;
  return {
    problemType: 'regression',
    coefficients,
    intercept: state.intercept,
    predict(x: FeatureMatrix): Float64Array {
      requirePredictionInput(x, d, learner);
      const out = new Float64Array(x.nRows).fill(state.intercept);
      x.columns.forEach((column, j) => {
        const c = coefficients[j] ?? 0;
        for (let i = 0; i < x.nRows; i += 1) out[i] = (out[i] ?? 0) + c * (column[i] ?? 0);
      });
      return out;
    },
    /** |coefficient| on standardised inputs: |raw coefficient| × the feature's standard deviation. */
    featureImportance(): Float64Array {
      return coefficients.map((c, j) => Math.abs(c * (state.scale[j] ?? 1)));
    },
    toState(): LinearRegressionState {
      return structuredClone(state);
    },
  };
}

/** A fitted linear or ridge regression from its state (as `toState` returned it, after JSON). */
export function restoreLinearRegression(state: LearnerState): LinearRegressionModel {
  checkStateKind(state, ['linear_regression', 'ridge']);
  const featureNames = stateNames(state['featureNames']);
  const d = featureNames.length;
  const params = state['params'];
  const alpha =
    typeof params === 'object' && params !== null && 'alpha' in params
      ? stateNumber(params.alpha, 'alpha')
      : undefined;
  return linearModel({
    kind: state.kind === 'ridge' ? 'ridge' : 'linear_regression',
    format: 1,
    featureNames,
    coefficients: Array.from(stateVector(state['coefficients'], 'coefficients', d)),
    intercept: stateNumber(state['intercept'], 'intercept'),
    mean: Array.from(stateVector(state['mean'], 'mean', d)),
    scale: Array.from(stateVector(state['scale'], 'scale', d)),
    params: alpha === undefined ? {} : { alpha },
  });
}
