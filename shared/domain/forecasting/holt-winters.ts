import { SeededRandom } from '../learning/random';
import {
  checkHorizon,
  checkLevel,
  checkSeries,
  ForecastInputError,
  quantileOf,
  type FittedForecaster,
  type ForecastFitOptions,
  type ForecasterState,
} from './forecaster';
import { nelderMead } from './nelder-mead';

/**
 * Holt-Winters exponential smoothing as statsmodels' ExponentialSmoothing fits it: additive
 * trend (optionally damped), additive or multiplicative seasonality, with the smoothing
 * parameters and the initial level, trend and seasonal states all chosen by minimising the sum of
 * squared one-step errors (statsmodels' `initialization_method="estimated"`). Bounds as
 * statsmodels keeps them: 0 ≤ β ≤ α ≤ 1, 0 ≤ γ ≤ 1 − α, 0.8 ≤ φ ≤ 0.995.
 *
 * Component form (Hyndman & Athanasopoulos, 8.3), m the period, φ_h = φ + … + φ^h:
 *   l_t = α(y_t − s_{t−m}) + (1−α)(l_{t−1} + φ b_{t−1})      (÷ s_{t−m} when multiplicative)
 *   b_t = β*(l_t − l_{t−1}) + (1−β*) φ b_{t−1}
 *   s_t = γ(y_t − l_{t−1} − φ b_{t−1}) + (1−γ) s_{t−m}        (÷ (l_{t−1} + φ b_{t−1}) when multiplicative)
 *   ŷ_{t+h} = l_t + φ_h b_t + s_{t+h−m(k+1)}                  (× s when multiplicative)
 * Intervals simulate 2,000 future paths with Gaussian one-step errors of the fitted σ.
 */

export interface HoltWintersConfig {
  trend: 'add' | null;
  damped: boolean;
  seasonal: 'add' | 'mul' | null;
}

export interface HoltWintersParameters {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

export interface HoltWintersState extends ForecasterState {
  kind: 'exponential_smoothing';
  config: HoltWintersConfig;
  period: number;
  parameters: HoltWintersParameters;
  level: number;
  trend: number;
  /** Seasonal states for the next `period` steps, in order. */
  season: number[];
  sigma: number;
  sse: number;
  observations: number;
  seed: number;
}

const PHI_MIN = 0.8;
const PHI_MAX = 0.995;
const SIMULATED_PATHS = 2_000;

const logistic = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

interface States {
  level: number;
  trend: number;
  /** Ring of seasonal states: slot (t mod m) holds s_{t−m} before step t. */
  season: Float64Array;
}

/** One smoothing step at time t: returns the one-step forecast made before seeing y. */
function step(
  config: HoltWintersConfig,
  p: HoltWintersParameters,
  m: number,
  s: States,
  t: number,
  y: number,
): number {
  const phiB = config.trend ? p.phi * s.trend : 0;
  const base = s.level + phiB;
  const slot = config.seasonal ? t % m : 0;
  const seasonal = config.seasonal ? (s.season[slot] ?? 0) : config.seasonal === null ? 0 : 0;
  const mul = config.seasonal === 'mul';
  const forecast = config.seasonal ? (mul ? base * seasonal : base + seasonal) : base;
  const previousLevel = s.level;
  s.level = p.alpha * (mul ? y / seasonal : y - seasonal) + (1 - p.alpha) * base;
  if (config.trend) s.trend = p.beta * (s.level - previousLevel) + (1 - p.beta) * phiB;
  if (config.seasonal) s.season[slot] = p.gamma * (mul ? y / base : y - base) + (1 - p.gamma) * seasonal;
  return forecast;
}

function unpack(config: HoltWintersConfig, x: Float64Array, fixedDamping: boolean): HoltWintersParameters {
  const alpha = logistic(x[0] ?? 0);
  const beta = config.trend ? alpha * logistic(x[1] ?? 0) : 0;
  const gamma = config.seasonal ? (1 - alpha) * logistic(x[2] ?? 0) : 0;
  const phi =
    config.trend && config.damped && !fixedDamping ? PHI_MIN + (PHI_MAX - PHI_MIN) * logistic(x[3] ?? 0) : 1;
  return { alpha, beta, gamma, phi };
}

function heuristicStates(y: Float64Array, config: HoltWintersConfig, m: number): States {
  const period = config.seasonal ? m : 1;
  const mean = (from: number, to: number) => {
    let sum = 0;
    for (let i = from; i < to; i += 1) sum += y[i] ?? 0;
    return sum / (to - from);
  };
  const first = mean(0, period);
  const trend = config.trend
    ? y.length >= 2 * period
      ? (mean(period, 2 * period) - first) / period
      : (y[1] ?? 0) - (y[0] ?? 0)
    : 0;
  const level = first - (config.trend ? ((period - 1) / 2 + 1) * trend : 0);
  const season = new Float64Array(config.seasonal ? m : 0);
  for (let i = 0; i < season.length; i += 1) {
    const deseasoned = first + (i - (period - 1) / 2) * trend;
    season[i] = config.seasonal === 'mul' ? (y[i] ?? 0) / deseasoned : (y[i] ?? 0) - deseasoned;
  }
  return { level, trend, season };
}

interface Fit {
  parameters: HoltWintersParameters;
  states: States;
  sse: number;
  final: States;
}

function run(
  y: Float64Array,
  config: HoltWintersConfig,
  m: number,
  p: HoltWintersParameters,
  initial: States,
): { sse: number; final: States } {
  const s: States = { level: initial.level, trend: initial.trend, season: Float64Array.from(initial.season) };
  let sse = 0;
  for (let t = 0; t < y.length; t += 1) {
    const value = y[t] ?? 0;
    const forecast = step(config, p, m, s, t, value);
    sse += (value - forecast) ** 2;
    if (!Number.isFinite(sse)) return { sse: Infinity, final: s };
  }
  return { sse, final: s };
}

function fitHoltWintersStates(y: Float64Array, config: HoltWintersConfig, m: number): Fit {
  const heuristic = heuristicStates(y, config, m);
  const nSmoothing = 4;
  // Stage 1: the smoothing parameters from a small grid of starts, with the heuristic states.
  let bestSmoothing: Float64Array | null = null;
  let bestValue = Infinity;
  for (const a of [0.1, 0.5, 0.9])
    for (const b of [0.05, 0.5])
      for (const g of [0.05, 0.5]) {
        const start = Float64Array.from([logit(a), logit(b), logit(g), logit(0.9)]);
        const result = nelderMead((x) => run(y, config, m, unpack(config, x, false), heuristic).sse, start, {
          maxEvaluations: 600,
        });
        if (result.value < bestValue) {
          bestValue = result.value;
          bestSmoothing = result.x;
        }
      }
  const smoothing = bestSmoothing ?? new Float64Array(nSmoothing);
  // Stage 2: smoothing parameters and initial states together, states as scaled offsets.
  const scale = Math.max(1e-8, standardDeviation(y) * 0.1);
  const seasonScale = config.seasonal === 'mul' ? 0.01 : scale;
  const nStates = 1 + (config.trend ? 1 : 0) + heuristic.season.length;
  const statesOf = (x: Float64Array): States => {
    let k = nSmoothing;
    const level = heuristic.level + scale * (x[k++] ?? 0);
    const trend = config.trend ? heuristic.trend + (scale / Math.max(1, m)) * (x[k++] ?? 0) : 0;
    const season = new Float64Array(heuristic.season.length);
    for (let i = 0; i < season.length; i += 1)
      season[i] = (heuristic.season[i] ?? 0) + seasonScale * (x[k++] ?? 0);
    return { level, trend, season };
  };
  const objective = (x: Float64Array) => run(y, config, m, unpack(config, x, false), statesOf(x)).sse;
  let x: Float64Array = new Float64Array(nSmoothing + nStates);
  x.set(smoothing);
  let value = objective(x);
  for (let restart = 0; restart < 4; restart += 1) {
    const result = nelderMead(objective, x, {
      step: restart === 0 ? 0.5 : 0.2,
      maxEvaluations: 3_000 * (nSmoothing + nStates),
    });
    const improved = result.value < value * (1 - 1e-9);
    if (result.value <= value) {
      x = result.x;
      value = result.value;
    }
    if (!improved) break;
  }
  const parameters = unpack(config, x, false);
  const states = statesOf(x);
  const { sse, final } = run(y, config, m, parameters, states);
  return { parameters, states, sse, final };
}

function standardDeviation(y: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let sum = 0;
  for (const v of y) sum += (v - mean) ** 2;
  return Math.sqrt(sum / Math.max(1, y.length - 1));
}

export function fitHoltWinters(
  y: Float64Array,
  config: HoltWintersConfig,
  options: ForecastFitOptions,
): FittedForecaster {
  const m = config.seasonal ? Math.floor(options.seasonalPeriod) : 1;
  if (config.seasonal && m < 2)
    throw new ForecastInputError('Seasonal exponential smoothing needs a seasonal period of at least 2.');
  if (config.damped && !config.trend) throw new ForecastInputError('Only a trend can be damped.');
  checkSeries(y, Math.max(config.seasonal ? 2 * m : 0, 4) + 1, 'Exponential smoothing');
  if (config.seasonal === 'mul' && y.some((v) => v <= 0))
    throw new ForecastInputError('Multiplicative seasonality needs a series of positive values.');
  const fit = fitHoltWintersStates(y, config, m);
  const n = y.length;
  const season: number[] = [];
  for (let j = 0; j < fit.final.season.length; j += 1) season.push(fit.final.season[(n + j) % m] ?? 0);
  return restoreHoltWinters({
    kind: 'exponential_smoothing',
    format: 1,
    config: { ...config },
    period: m,
    parameters: fit.parameters,
    level: fit.final.level,
    trend: fit.final.trend,
    season,
    sigma: Math.sqrt(fit.sse / n),
    sse: fit.sse,
    observations: n,
    seed: options.seed,
  });
}

export function restoreHoltWinters(state: HoltWintersState): FittedForecaster {
  const { config, period: m, parameters: p } = state;
  const startStates = (): States => ({
    level: state.level,
    trend: state.trend,
    season: Float64Array.from(state.season),
  });
  return {
    kind: 'exponential_smoothing',
    maxHorizon: Infinity,
    forecast(horizon, level = 0.95) {
      checkHorizon(horizon, Infinity);
      checkLevel(level);
      const mean = new Float64Array(horizon);
      const s = startStates();
      for (let h = 0; h < horizon; h += 1) {
        // The central forecast: the recursion fed its own forecasts (zero error).
        const base = s.level + (config.trend ? p.phi * s.trend : 0);
        const seasonal = config.seasonal ? (s.season[h % m] ?? 0) : 0;
        mean[h] = step(config, p, m, s, h, config.seasonal === 'mul' ? base * seasonal : base + seasonal);
      }
      const random = new SeededRandom(state.seed);
      const paths = Array.from({ length: horizon }, () => new Float64Array(SIMULATED_PATHS));
      for (let path = 0; path < SIMULATED_PATHS; path += 1) {
        const sim = startStates();
        for (let h = 0; h < horizon; h += 1) {
          const base = sim.level + (config.trend ? p.phi * sim.trend : 0);
          const seasonal = config.seasonal ? (sim.season[h % m] ?? 0) : 0;
          const expected = config.seasonal === 'mul' ? base * seasonal : base + seasonal;
          const value = expected + state.sigma * random.nextGaussian();
          (paths[h] as Float64Array)[path] = value;
          step(config, p, m, sim, h, value);
        }
      }
      const lower = new Float64Array(horizon);
      const upper = new Float64Array(horizon);
      for (let h = 0; h < horizon; h += 1) {
        const draws = paths[h] as Float64Array;
        lower[h] = quantileOf(draws, (1 - level) / 2);
        upper[h] = quantileOf(draws, (1 + level) / 2);
      }
      return { mean, lower, upper, level };
    },
    toState: () => ({ ...state, config: { ...config }, parameters: { ...p }, season: [...state.season] }),
    describe: () => ({
      trend: config.trend,
      damped: config.damped,
      seasonal: config.seasonal,
      seasonalPeriods: config.seasonal ? m : null,
      alpha: round(p.alpha),
      beta: round(p.beta),
      gamma: round(p.gamma),
      phi: round(p.phi),
      sse: round(state.sse),
    }),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
