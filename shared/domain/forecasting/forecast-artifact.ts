import { restoreForecaster } from './forecaster-catalog';
import { ForecastInputError, type ForecasterState } from './forecaster';
import { addSteps, type Frequency } from './frequency';

/**
 * A registered forecaster as stored: the fitted forecaster's state, the series it continues (its
 * time column, value column, frequency and last timestamp) and what its backtest measured. Plain
 * JSON, versioned, so the API can forecast from it without the node that trained it.
 */
export const FORECAST_ARTIFACT_FORMAT = 'pipeweave-forecaster';

export interface ForecastArtifact {
  format: typeof FORECAST_ARTIFACT_FORMAT;
  version: 1;
  forecaster: ForecasterState;
  series: {
    timeColumn: string;
    valueColumn: string;
    /** The series chosen when the table held several. */
    seriesId: string | null;
    frequency: Frequency;
    /** ISO 8601 timestamp of the last observation. */
    lastTimestamp: string;
    observations: number;
  };
  /** Longest horizon answered (Infinity is stored as null). */
  maxHorizon: number | null;
  level: number;
  metrics: Record<string, number | string | null>;
  trainedAt: string;
}

/** Longest horizon the API answers for forecasters that could go on forever. */
export const MAX_FORECAST_HORIZON = 1_000;

export interface ForecastRow {
  timestamp: string;
  forecast: number;
  lower: number;
  upper: number;
}

export function serializeForecastArtifact(artifact: ForecastArtifact): string {
  return JSON.stringify(artifact);
}

export function isForecastArtifact(value: unknown): value is ForecastArtifact {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === FORECAST_ARTIFACT_FORMAT &&
    (value as { version?: unknown }).version === 1
  );
}

export function parseForecastArtifact(text: string): ForecastArtifact {
  const value = JSON.parse(text) as unknown;
  if (!isForecastArtifact(value)) throw new ForecastInputError('Not a forecaster artifact.');
  return value;
}

/** The next `horizon` steps after the artifact's last observation, with their interval at `level`. */
export function forecastFromArtifact(
  artifact: ForecastArtifact,
  horizon: number,
  level = artifact.level,
): ForecastRow[] {
  const max = Math.min(artifact.maxHorizon ?? MAX_FORECAST_HORIZON, MAX_FORECAST_HORIZON);
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > max)
    throw new ForecastInputError(
      `The horizon must be a whole number of steps from 1 to ${max} for this model; ${horizon} was asked.`,
    );
  const forecaster = restoreForecaster(artifact.forecaster);
  const { mean, lower, upper } = forecaster.forecast(horizon, level);
  const last = Date.parse(artifact.series.lastTimestamp);
  return Array.from({ length: horizon }, (_, h) => ({
    timestamp: new Date(addSteps(artifact.series.frequency, last, h + 1)).toISOString(),
    forecast: mean[h] ?? NaN,
    lower: lower[h] ?? NaN,
    upper: upper[h] ?? NaN,
  }));
}
