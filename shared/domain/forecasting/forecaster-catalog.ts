import {
  ForecastInputError,
  runSteps,
  type FittedForecaster,
  type ForecastFitOptions,
  type ForecasterKind,
  type ForecasterState,
  type Steps,
} from './forecaster';
import {
  fitHoltWinters,
  restoreHoltWinters,
  type HoltWintersConfig,
  type HoltWintersState,
} from './holt-winters';
import { fitLagBoostingSteps, restoreLagBoosting, type LagBoostingState } from './lag-boosting';
import { fitSeasonalNaive, restoreSeasonalNaive, type SeasonalNaiveState } from './seasonal-naive';

/**
 * The forecasters a forecasting node can try, each a kind with its settings, and the way back
 * from a stored state to a forecaster.
 */
export type ForecasterCandidate =
  | { kind: 'seasonal_naive' }
  | ({ kind: 'exponential_smoothing' } & HoltWintersConfig)
  | { kind: 'gradient_boosting_lags'; lags?: number | undefined };

export function candidateName(candidate: ForecasterCandidate): string {
  if (candidate.kind === 'exponential_smoothing')
    return `exponential_smoothing(trend=${candidate.trend ?? 'none'}${candidate.damped ? ', damped' : ''}, seasonal=${candidate.seasonal ?? 'none'})`;
  return candidate.kind;
}

/** The default candidates for a series with this seasonal period. */
export function defaultCandidates(seasonalPeriod: number, positive: boolean): ForecasterCandidate[] {
  const seasonal = seasonalPeriod > 1;
  const candidates: ForecasterCandidate[] = [{ kind: 'seasonal_naive' }];
  candidates.push({
    kind: 'exponential_smoothing',
    trend: 'add',
    damped: false,
    seasonal: seasonal ? 'add' : null,
  });
  candidates.push({
    kind: 'exponential_smoothing',
    trend: 'add',
    damped: true,
    seasonal: seasonal ? 'add' : null,
  });
  if (seasonal && positive)
    candidates.push({ kind: 'exponential_smoothing', trend: 'add', damped: false, seasonal: 'mul' });
  candidates.push({ kind: 'gradient_boosting_lags' });
  return candidates;
}

export function fitCandidate(
  candidate: ForecasterCandidate,
  y: Float64Array,
  options: ForecastFitOptions & { horizon: number },
): FittedForecaster {
  return runSteps(fitCandidateSteps(candidate, y, options));
}

/** `fitCandidate` in steps: one per horizon for gradient boosting, one for the others. */
export function* fitCandidateSteps(
  candidate: ForecasterCandidate,
  y: Float64Array,
  options: ForecastFitOptions & { horizon: number },
): Steps<FittedForecaster> {
  if (candidate.kind === 'gradient_boosting_lags')
    return yield* fitLagBoostingSteps(
      y,
      { horizon: options.horizon, ...(candidate.lags ? { lags: candidate.lags } : {}) },
      options,
    );
  yield;
  switch (candidate.kind) {
    case 'seasonal_naive':
      return fitSeasonalNaive(y, options);
    case 'exponential_smoothing':
      return fitHoltWinters(
        y,
        { trend: candidate.trend, damped: candidate.damped, seasonal: candidate.seasonal },
        options,
      );
  }
}

const KINDS: readonly ForecasterKind[] = [
  'seasonal_naive',
  'exponential_smoothing',
  'gradient_boosting_lags',
];

export function restoreForecaster(state: ForecasterState): FittedForecaster {
  if (!KINDS.includes(state.kind) || state.format !== 1)
    throw new ForecastInputError(
      `Unknown forecaster state ${String(state.kind)} (format ${String(state.format)}).`,
    );
  switch (state.kind) {
    case 'seasonal_naive':
      return restoreSeasonalNaive(state as SeasonalNaiveState);
    case 'exponential_smoothing':
      return restoreHoltWinters(state as HoltWintersState);
    case 'gradient_boosting_lags':
      return restoreLagBoosting(state as LagBoostingState);
  }
}
