import {
  checkHorizon,
  checkLevel,
  checkSeries,
  normalQuantile,
  type FittedForecaster,
  type ForecastFitOptions,
  type ForecasterState,
} from './forecaster';

/**
 * Seasonal naive: each step repeats the value one season earlier (the last value when the period
 * is 1). Intervals as Hyndman & Athanasopoulos give them: σ from the seasonal differences, times
 * √(k + 1) where k counts the whole seasons before the step.
 */
export interface SeasonalNaiveState extends ForecasterState {
  kind: 'seasonal_naive';
  period: number;
  lastSeason: number[];
  sigma: number;
}

export function fitSeasonalNaive(y: Float64Array, options: ForecastFitOptions): FittedForecaster {
  const period = Math.max(1, Math.floor(options.seasonalPeriod));
  checkSeries(y, period + 1, 'A seasonal naive forecast');
  let squared = 0;
  for (let t = period; t < y.length; t += 1) squared += ((y[t] ?? 0) - (y[t - period] ?? 0)) ** 2;
  const sigma = Math.sqrt(squared / (y.length - period));
  return restoreSeasonalNaive({
    kind: 'seasonal_naive',
    format: 1,
    period,
    lastSeason: Array.from(y.subarray(y.length - period)),
    sigma,
  });
}

export function restoreSeasonalNaive(state: SeasonalNaiveState): FittedForecaster {
  const { period, lastSeason, sigma } = state;
  return {
    kind: 'seasonal_naive',
    maxHorizon: Infinity,
    forecast(horizon, level = 0.95) {
      checkHorizon(horizon, Infinity);
      checkLevel(level);
      const z = normalQuantile(0.5 + level / 2);
      const mean = new Float64Array(horizon);
      const lower = new Float64Array(horizon);
      const upper = new Float64Array(horizon);
      for (let h = 1; h <= horizon; h += 1) {
        const value = lastSeason[(h - 1) % period] ?? NaN;
        const sd = sigma * Math.sqrt(Math.floor((h - 1) / period) + 1);
        mean[h - 1] = value;
        lower[h - 1] = value - z * sd;
        upper[h - 1] = value + z * sd;
      }
      return { mean, lower, upper, level };
    },
    toState: () => ({ ...state, lastSeason: [...lastSeason] }),
    describe: () => ({ period, sigma }),
  };
}
