import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../../shared/domain/learning/random';
import { backtest, backtestOrigins } from '../../../../../shared/domain/forecasting/backtest';
import {
  candidateName,
  defaultCandidates,
  fitCandidate,
  restoreForecaster,
} from '../../../../../shared/domain/forecasting/forecaster-catalog';
import { ForecastInputError } from '../../../../../shared/domain/forecasting/forecaster';
import { addSteps, inferFrequency } from '../../../../../shared/domain/forecasting/frequency';
import { fitSeasonalNaive } from '../../../../../shared/domain/forecasting/seasonal-naive';
import { seriesStrength } from '../../../../../shared/domain/forecasting/decomposition';

/** Trend + a 12-step season + Gaussian noise (σ = 1). */
function seasonalSeries(n: number, seed = 3): Float64Array {
  const random = new SeededRandom(seed);
  return Float64Array.from(
    { length: n },
    (_, t) => 50 + 0.3 * t + 8 * Math.sin((2 * Math.PI * t) / 12) + random.nextGaussian(),
  );
}

const co2 = Float64Array.from(
  (
    JSON.parse(
      readFileSync(new URL('../../../../fixtures/forecasting/ets-reference.json', import.meta.url), 'utf8'),
    ) as {
      series: number[];
    }
  ).series,
);

describe('frequency', () => {
  it.each([
    ['monthly', ['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30'], 12],
    ['quarterly', ['2023-01-01', '2023-04-01', '2023-07-01', '2023-10-01'], 4],
    ['daily', ['2024-03-30', '2024-03-31', '2024-04-01'], 7],
    ['hourly', ['2024-01-01T00:00Z', '2024-01-01T01:00Z', '2024-01-01T02:00Z'], 24],
    ['15 minutes', ['2024-01-01T00:00Z', '2024-01-01T00:15Z', '2024-01-01T00:30Z'], 96],
  ])('infers %s', (name, dates, period) => {
    const frequency = inferFrequency(dates.map((d) => Date.parse(d)));
    expect(frequency?.name).toBe(name);
    expect(frequency?.seasonalPeriod).toBe(period);
  });

  it('steps months by the calendar', () => {
    const monthly = inferFrequency([
      Date.parse('2024-01-31'),
      Date.parse('2024-02-29'),
      Date.parse('2024-03-31'),
    ]);
    if (!monthly) throw new Error('no frequency');
    expect(new Date(addSteps(monthly, Date.parse('2024-03-31'), 1)).toISOString()).toBe(
      '2024-04-30T00:00:00.000Z',
    );
  });
});

describe('decomposition', () => {
  it('finds a strong trend and season in co2 and none in noise', () => {
    const strong = seriesStrength(co2, 12);
    expect(strong.trend).toBeGreaterThan(0.95);
    expect(strong.seasonality).toBeGreaterThan(0.9);
    const random = new SeededRandom(1);
    const noise = seriesStrength(
      Float64Array.from({ length: 120 }, () => random.nextGaussian()),
      12,
    );
    expect(noise.seasonality).toBeLessThan(0.3);
  });
});

describe('forecasters', () => {
  it('seasonal naive repeats the last season and widens its interval each season', () => {
    const y = Float64Array.from({ length: 24 }, (_, t) => t % 4);
    const forecast = fitSeasonalNaive(y, { seasonalPeriod: 4, seed: 1 }).forecast(8);
    expect(Array.from(forecast.mean)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    // A perfectly seasonal series has no error: the interval collapses.
    expect(Array.from(forecast.upper)).toEqual(Array.from(forecast.mean));
  });

  it.each(defaultCandidates(12, true).map((c) => [candidateName(c), c] as const))(
    '%s forecasts a trending seasonal series, with intervals that hold most outcomes, and restores from its state',
    (_, candidate) => {
      const y = seasonalSeries(168);
      const fitted = fitCandidate(candidate, y.subarray(0, 144), {
        seasonalPeriod: 12,
        seed: 7,
        horizon: 12,
      });
      const forecast = fitted.forecast(12, 0.9);
      let covered = 0;
      let absError = 0;
      for (let h = 0; h < 12; h += 1) {
        const actual = y[144 + h] ?? NaN;
        absError += Math.abs(actual - (forecast.mean[h] ?? NaN)) / 12;
        if (actual >= (forecast.lower[h] ?? NaN) && actual <= (forecast.upper[h] ?? NaN)) covered += 1;
        expect(forecast.lower[h]).toBeLessThan(forecast.upper[h] ?? NaN);
      }
      // The seasonal naive misses one year of trend (3.6); the others follow it.
      expect(absError).toBeLessThan(candidate.kind === 'seasonal_naive' ? 5 : 2);
      expect(covered).toBeGreaterThanOrEqual(candidate.kind === 'seasonal_naive' ? 6 : 9);
      const restored = restoreForecaster(JSON.parse(JSON.stringify(fitted.toState())));
      expect(Array.from(restored.forecast(12, 0.9).mean)).toEqual(Array.from(forecast.mean));
    },
    60_000,
  );

  it('gradient boosting on lags answers only the horizons it learned', () => {
    const fitted = fitCandidate({ kind: 'gradient_boosting_lags' }, seasonalSeries(120), {
      seasonalPeriod: 12,
      seed: 1,
      horizon: 6,
    });
    expect(fitted.maxHorizon).toBe(6);
    expect(() => fitted.forecast(7)).toThrow(ForecastInputError);
  }, 60_000);

  it('refuses a series with a missing value, naming the observation', () => {
    const y = seasonalSeries(60);
    y[10] = NaN;
    expect(() =>
      fitCandidate({ kind: 'seasonal_naive' }, y, { seasonalPeriod: 12, seed: 1, horizon: 3 }),
    ).toThrow(/Observation 11/);
  });
});

describe('rolling-origin backtest', () => {
  it('places the origins so the last window ends with the series', () => {
    expect(backtestOrigins(100, { horizon: 12, folds: 3 })).toEqual([64, 76, 88]);
    expect(backtestOrigins(100, { horizon: 12, folds: 3, step: 1 })).toEqual([86, 87, 88]);
  });

  it('reports MASE, sMAPE, MAPE and RMSE per horizon: errors grow with the horizon for a random walk', () => {
    const random = new SeededRandom(11);
    let level = 100;
    const y = Float64Array.from({ length: 400 }, () => (level += random.nextGaussian()));
    const result = backtest(y, (train) => fitSeasonalNaive(train, { seasonalPeriod: 1, seed: 1 }), {
      horizon: 10,
      folds: 30,
      step: 5,
      seasonalPeriod: 1,
    });
    expect(result.perHorizon).toHaveLength(10);
    expect(result.folds).toHaveLength(30);
    const first = result.perHorizon[0];
    const last = result.perHorizon[9];
    expect(last?.rmse).toBeGreaterThan(first?.rmse ?? Infinity);
    expect(first?.mase).toBeGreaterThan(0.5);
    expect(first?.mase).toBeLessThan(1.5);
    expect(result.overall.smape).toBeGreaterThan(0);
    expect(result.overall.mape).toBeGreaterThan(0);
    expect(result.overall.coverage).toBeGreaterThan(0.8);
  });
});
