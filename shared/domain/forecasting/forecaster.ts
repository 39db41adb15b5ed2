/**
 * The contract of the forecasters: fitted on one series (a Float64Array of finite values at a
 * regular frequency, oldest first), they forecast the next `horizon` steps with a central
 * forecast and a prediction interval, and reduce to plain JSON state that restores them.
 */

export interface Forecast {
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Coverage of the interval, e.g. 0.95. */
  level: number;
}

export interface ForecasterState {
  kind: ForecasterKind;
  format: 1;
  [field: string]: unknown;
}

export interface FittedForecaster {
  readonly kind: ForecasterKind;
  /** Longest horizon the forecaster can answer (Infinity when any). */
  readonly maxHorizon: number;
  forecast(horizon: number, level?: number): Forecast;
  toState(): ForecasterState;
  /** What the fit chose (smoothing parameters, lags…), for the registry. */
  describe(): Record<string, number | string | boolean | null>;
}

export const FORECASTER_KINDS = [
  'seasonal_naive',
  'exponential_smoothing',
  'gradient_boosting_lags',
] as const;
export type ForecasterKind = (typeof FORECASTER_KINDS)[number];

export interface ForecastFitOptions {
  /** Observations per seasonal cycle; 1 for none. */
  seasonalPeriod: number;
  seed: number;
}

export class ForecastInputError extends Error {
  override readonly name = 'ForecastInputError';
}

export function checkSeries(y: Float64Array, minLength: number, what: string): void {
  if (y.length < minLength)
    throw new ForecastInputError(
      `${what} needs at least ${minLength} observations; the series has ${y.length}.`,
    );
  for (let i = 0; i < y.length; i += 1)
    if (!Number.isFinite(y[i] ?? NaN))
      throw new ForecastInputError(
        `Observation ${i + 1} of the series is missing or not a number: fill the series first (ts.fill).`,
      );
}

export function checkHorizon(horizon: number, max: number): void {
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new ForecastInputError(`The horizon must be a whole number of steps ≥ 1, not ${horizon}.`);
  if (horizon > max)
    throw new ForecastInputError(
      `This forecaster was trained for at most ${max} steps ahead; ${horizon} were asked.`,
    );
}

/** The standard normal quantile (Acklam's approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

export function checkLevel(level: number): void {
  if (!(level > 0 && level < 1))
    throw new ForecastInputError(`The interval level must be between 0 and 1, not ${level}.`);
}

/** The q-quantile (linear interpolation) of `values`, which it sorts. */
export function quantileOf(values: Float64Array, q: number): number {
  values.sort();
  if (values.length === 0) return NaN;
  const position = q * (values.length - 1);
  const below = Math.floor(position);
  const above = Math.min(values.length - 1, below + 1);
  const lo = values[below] ?? NaN;
  return lo + ((values[above] ?? NaN) - lo) * (position - below);
}

/**
 * Work done in steps: a generator that yields between pieces of work (a fold, one horizon's
 * model) so that a host can let other work run in between (`runStepsYielding`), or run it at
 * once (`runSteps`).
 */
export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs the steps, giving the event loop a turn between them (timers, sockets, cancellation). */
export async function runStepsYielding<T>(steps: Steps<T>, between?: () => void): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
    between?.();
  }
}
