import type { FeatureMatrix } from '../learning/learner';
import {
  fitHistGradientBoostingRegressor,
  restoreHistGradientBoosting,
  type HistGradientBoostingParams,
} from '../learning/learners/hist-gradient-boosting';
import type { TreeEnsembleState } from '../learning/learners/tree-model';
import {
  checkHorizon,
  checkLevel,
  checkSeries,
  ForecastInputError,
  quantileOf,
  runSteps,
  type FittedForecaster,
  type ForecastFitOptions,
  type ForecasterState,
  type Steps,
} from './forecaster';

/**
 * Gradient boosting on lag features, the direct multi-horizon strategy: one histogram gradient
 * boosting regressor per step ahead h = 1…H, each learning y[t+h] − y[t] from the last `lags`
 * values relative to y[t], the mean of the last season relative to y[t], and the season position
 * of the target (a categorical feature). Learning changes rather than levels lets trees follow a
 * trend they never saw. Intervals are empirical: quantiles of each horizon's errors on the last
 * fifth of the training windows, predicted by models fitted on the windows before them.
 */

export interface LagBoostingConfig {
  /** Steps ahead the forecaster learns (one model each). */
  horizon: number;
  /** Past values per window; default max(2 × period, 12), capped by the series length. */
  lags?: number;
  learningRate?: number;
  maxIter?: number;
}

export interface LagBoostingState extends ForecasterState {
  kind: 'gradient_boosting_lags';
  horizon: number;
  lags: number;
  period: number;
  /** The series' length when fitted: the season position of what follows. */
  observations: number;
  /** The last `lags` observations. */
  lastValues: number[];
  models: TreeEnsembleState[];
  /** Per horizon, sorted calibration errors (actual − forecast). */
  residuals: number[][];
}

const MIN_CALIBRATION = 8;

function boostingParams(config: LagBoostingConfig): Partial<HistGradientBoostingParams> {
  return {
    learningRate: config.learningRate ?? 0.1,
    maxIter: config.maxIter ?? 80,
    maxLeafNodes: 15,
    // Lag differences of one series: 32 quantile bins resolve them and keep each fit fast.
    maxBins: 32,
    minSamplesLeaf: 5,
    earlyStopping: false,
  };
}

function featureNames(lags: number, period: number): string[] {
  const names = Array.from({ length: lags - 1 }, (_, j) => `lag_${j + 1}`);
  if (period > 1) names.push('season_mean', 'season_position');
  return names;
}

/**
 * The feature rows of windows ending at `origins`, for step `h` ahead; `offset` is the position in
 * the fitted series of y[0] (the season position of a target is (offset + t + h) mod period).
 */
function features(
  y: ArrayLike<number>,
  origins: readonly number[],
  h: number,
  lags: number,
  period: number,
  offset = 0,
): FeatureMatrix {
  const names = featureNames(lags, period);
  const columns = names.map(() => new Float64Array(origins.length));
  origins.forEach((t, row) => {
    const last = y[t] ?? 0;
    for (let j = 1; j < lags; j += 1) (columns[j - 1] as Float64Array)[row] = (y[t - j] ?? 0) - last;
    if (period > 1) {
      let sum = 0;
      for (let j = 0; j < period; j += 1) sum += y[t - j] ?? 0;
      (columns[lags - 1] as Float64Array)[row] = sum / period - last;
      (columns[lags] as Float64Array)[row] = (offset + t + h) % period;
    }
  });
  const categories = names.map((name) => (name === 'season_position' ? period : undefined));
  return { nRows: origins.length, columns, names, categories };
}

function targets(y: Float64Array, origins: readonly number[], h: number): Float64Array {
  return Float64Array.from(origins, (t) => (y[t + h] ?? 0) - (y[t] ?? 0));
}

export function fitLagBoosting(
  y: Float64Array,
  config: LagBoostingConfig,
  options: ForecastFitOptions,
): FittedForecaster {
  return runSteps(fitLagBoostingSteps(y, config, options));
}

/** `fitLagBoosting`, yielding after each horizon's models. */
export function* fitLagBoostingSteps(
  y: Float64Array,
  config: LagBoostingConfig,
  options: ForecastFitOptions,
): Steps<FittedForecaster> {
  const period = Math.max(1, Math.floor(options.seasonalPeriod));
  const horizon = config.horizon;
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new ForecastInputError('Gradient boosting on lags needs a horizon of at least 1 step.');
  const lags = Math.max(
    period + 1,
    Math.min(config.lags ?? Math.max(2 * period, 12), Math.floor(y.length / 3)),
  );
  checkSeries(y, lags + horizon + 2 * MIN_CALIBRATION, 'Gradient boosting on lags');
  const params = boostingParams(config);
  const models: TreeEnsembleState[] = [];
  const residuals: number[][] = [];
  for (let h = 1; h <= horizon; h += 1) {
    const origins: number[] = [];
    for (let t = lags - 1; t + h < y.length; t += 1) origins.push(t);
    const fit = (rows: number[]) =>
      fitHistGradientBoostingRegressor(features(y, rows, h, lags, period), targets(y, rows, h), params, {
        seed: options.seed + h,
      });
    const split = Math.max(MIN_CALIBRATION, Math.floor(origins.length * 0.8));
    const calibration = origins.slice(split);
    const errors: number[] = [];
    if (calibration.length >= MIN_CALIBRATION / 2) {
      const early = fit(origins.slice(0, split));
      const predicted = early.predict(features(y, calibration, h, lags, period));
      const actual = targets(y, calibration, h);
      actual.forEach((a, i) => errors.push(a - (predicted[i] ?? 0)));
    }
    models.push(fit(origins).toState() as TreeEnsembleState);
    residuals.push(errors.sort((a, b) => a - b));
    yield;
  }
  return restoreLagBoosting({
    kind: 'gradient_boosting_lags',
    format: 1,
    horizon,
    lags,
    period,
    observations: y.length,
    lastValues: Array.from(y.subarray(y.length - lags)),
    models,
    residuals,
  });
}

export function restoreLagBoosting(state: LagBoostingState): FittedForecaster {
  const models = state.models.map((model) => restoreHistGradientBoosting(model));
  const { lags, period } = state;
  const window = Float64Array.from(state.lastValues);
  const t = lags - 1;
  const offset = state.observations - lags;
  return {
    kind: 'gradient_boosting_lags',
    maxHorizon: state.horizon,
    forecast(horizon, level = 0.95) {
      checkHorizon(horizon, state.horizon);
      checkLevel(level);
      const mean = new Float64Array(horizon);
      const lower = new Float64Array(horizon);
      const upper = new Float64Array(horizon);
      const last = window[t] ?? 0;
      for (let h = 1; h <= horizon; h += 1) {
        const model = models[h - 1];
        if (!model) throw new ForecastInputError(`No model for ${h} steps ahead.`);
        const value = last + (model.predict(features(window, [t], h, lags, period, offset))[0] ?? 0);
        const errors = Float64Array.from(state.residuals[h - 1] ?? []);
        mean[h - 1] = value;
        lower[h - 1] = errors.length ? value + quantileOf(errors, (1 - level) / 2) : NaN;
        upper[h - 1] = errors.length ? value + quantileOf(errors, (1 + level) / 2) : NaN;
      }
      return { mean, lower, upper, level };
    },
    toState: () => structuredClone(state),
    describe: () => ({ horizon: state.horizon, lags, seasonalPeriod: period }),
  };
}
