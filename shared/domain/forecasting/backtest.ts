import { ForecastInputError, runSteps, type FittedForecaster, type Steps } from './forecaster';
import { ErrorSums, naiveScale, type ForecastMetrics } from './metrics';

/**
 * Rolling-origin evaluation: the forecaster is fitted on every observation before each origin and
 * forecasts the `horizon` steps after it; origins are `step` apart and the last one leaves exactly
 * `horizon` observations. MASE scales each window's errors by its own training part's
 * seasonal-naive MAE.
 */

export interface BacktestOptions {
  horizon: number;
  folds: number;
  /** Steps between origins; default: the horizon (windows that do not overlap). */
  step?: number;
  seasonalPeriod: number;
  /** Interval level whose coverage is reported. */
  level?: number;
  /** Called after each fold with the fraction done. */
  onFold?: (fraction: number) => void;
}

export interface BacktestResult {
  overall: ForecastMetrics & { coverage: number };
  /** perHorizon[h − 1]: the metrics of the forecasts h steps ahead. */
  perHorizon: ForecastMetrics[];
  folds: { origin: number; metrics: ForecastMetrics }[];
}

/** The origins a backtest of `length` observations uses, oldest first. */
export function backtestOrigins(
  length: number,
  options: Pick<BacktestOptions, 'horizon' | 'folds' | 'step'>,
): number[] {
  const step = options.step ?? options.horizon;
  const origins: number[] = [];
  for (let fold = 0; fold < options.folds; fold += 1)
    origins.push(length - options.horizon - (options.folds - 1 - fold) * step);
  return origins;
}

export function backtest(
  y: Float64Array,
  fit: (train: Float64Array) => FittedForecaster,
  options: BacktestOptions,
): BacktestResult {
  return runSteps(
    backtestSteps(
      y,
      function* (train) {
        yield;
        return fit(train);
      },
      options,
    ),
  );
}

/** `backtest` in steps: the fits' own steps, and one after each fold. */
export function* backtestSteps(
  y: Float64Array,
  fit: (train: Float64Array) => Steps<FittedForecaster>,
  options: BacktestOptions,
): Steps<BacktestResult> {
  const { horizon, seasonalPeriod } = options;
  const level = options.level ?? 0.95;
  const origins = backtestOrigins(y.length, options);
  if ((origins[0] ?? 0) < 2)
    throw new ForecastInputError(
      `A backtest of ${options.folds} folds of ${horizon} steps needs a longer series than ${y.length} observations.`,
    );
  const overall = new ErrorSums();
  const perHorizon = Array.from({ length: horizon }, () => new ErrorSums());
  const folds: BacktestResult['folds'] = [];
  let covered = 0;
  for (const [index, origin] of origins.entries()) {
    const train = y.subarray(0, origin);
    const forecast = (yield* fit(train)).forecast(horizon, level);
    const scale = naiveScale(train, seasonalPeriod);
    const fold = new ErrorSums();
    for (let h = 0; h < horizon; h += 1) {
      const actual = y[origin + h] ?? NaN;
      const predicted = forecast.mean[h] ?? NaN;
      overall.add(actual, predicted, scale);
      perHorizon[h]?.add(actual, predicted, scale);
      fold.add(actual, predicted, scale);
      if (actual >= (forecast.lower[h] ?? NaN) && actual <= (forecast.upper[h] ?? NaN)) covered += 1;
    }
    folds.push({ origin, metrics: fold.metrics() });
    options.onFold?.((index + 1) / origins.length);
    yield;
  }
  return {
    overall: { ...overall.metrics(), coverage: covered / overall.count },
    perHorizon: perHorizon.map((sums) => sums.metrics()),
    folds,
  };
}
