/**
 * Forecast accuracy: MASE (errors scaled by the in-sample seasonal-naive MAE, Hyndman & Koehler
 * 2006), sMAPE (0–200 %), MAPE (%) and RMSE. NaN-free inputs.
 */

/** The mean absolute error of the seasonal naive forecast in `y` (lag `period`, 1 for naive). */
export function naiveScale(y: ArrayLike<number>, period: number): number {
  const m = period >= 1 && y.length > period ? period : 1;
  let sum = 0;
  let count = 0;
  for (let t = m; t < y.length; t += 1) {
    sum += Math.abs((y[t] ?? 0) - (y[t - m] ?? 0));
    count += 1;
  }
  return count > 0 ? sum / count : NaN;
}

/** Running sums of one horizon's (or all horizons') errors. */
export class ErrorSums {
  count = 0;
  #scaled = 0;
  #smape = 0;
  #ape = 0;
  #apeCount = 0;
  #squared = 0;

  add(actual: number, forecast: number, scale: number): void {
    const error = actual - forecast;
    this.count += 1;
    this.#scaled += scale > 0 ? Math.abs(error) / scale : 0;
    const denominator = Math.abs(actual) + Math.abs(forecast);
    this.#smape += denominator > 0 ? (200 * Math.abs(error)) / denominator : 0;
    if (actual !== 0) {
      this.#ape += (100 * Math.abs(error)) / Math.abs(actual);
      this.#apeCount += 1;
    }
    this.#squared += error * error;
  }

  metrics(): ForecastMetrics {
    const n = this.count;
    return {
      mase: n ? this.#scaled / n : NaN,
      smape: n ? this.#smape / n : NaN,
      mape: this.#apeCount ? this.#ape / this.#apeCount : NaN,
      rmse: n ? Math.sqrt(this.#squared / n) : NaN,
    };
  }
}

export interface ForecastMetrics {
  mase: number;
  smape: number;
  mape: number;
  rmse: number;
}
