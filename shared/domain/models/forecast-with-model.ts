import type { Database } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import { ValidationError } from '../../kernel/app-error';
import type { Logger } from '../../observability/logger';
import type { BlobStore } from '../../ports/blob-store.port';
import { meterPredictedRows } from '../billing/credits/prediction-meter';
import {
  forecastFromArtifact,
  parseForecastArtifact,
  type ForecastRow,
} from '../forecasting/forecast-artifact';
import { ForecastInputError } from '../forecasting/forecaster';
import { getModel } from './get-model';
import { ModelArtifactCorruptError, readArtifactText } from './model-predictors';

/**
 * A forecasting model's forecast of the next `horizon` steps after the series it was trained on,
 * with its prediction interval. Another tenant's id is a 404 (checked first); a model of another
 * problem type is a 400. The artifact is verified against its recorded SHA-256. Each step
 * forecast is metered as one predicted row.
 */
export interface ForecastWithModelDeps {
  db: Database;
  blobs: BlobStore;
  logger: Logger;
}

export interface ModelForecast {
  model: { id: string; name: string; version: number; sha256: string | null };
  timeColumn: string;
  target: string;
  frequency: string;
  level: number;
  forecasts: ForecastRow[];
}

export async function forecastWithModel(
  deps: ForecastWithModelDeps,
  caller: Owner,
  input: { modelId: string; horizon: number; level?: number | undefined },
): Promise<ModelForecast> {
  const model = await getModel(deps.db, caller, input.modelId);
  if (model.problemType !== 'forecasting')
    throw new ValidationError(
      `Model ${model.id} is a ${model.problemType ?? 'non-forecasting'} model: predict rows with POST /models/{modelId}/predict.`,
      { field: 'modelId', code: 'MODEL.NOT_A_FORECASTER' },
    );
  const text = await readArtifactText(deps, model);
  let artifact;
  try {
    artifact = parseForecastArtifact(text);
  } catch (error) {
    deps.logger.error('forecasting model artifact is unreadable', { modelId: model.id, error });
    throw new ModelArtifactCorruptError(
      `The artifact of model ${model.id} cannot be read as a forecaster; retrain it.`,
      {
        cause: error,
      },
    );
  }
  let forecasts: ForecastRow[];
  try {
    forecasts = forecastFromArtifact(artifact, input.horizon, input.level ?? artifact.level);
  } catch (error) {
    if (error instanceof ForecastInputError)
      throw new ValidationError(error.message, { field: 'body.horizon', code: 'FORECAST.INVALID_HORIZON' });
    throw error;
  }
  await meterPredictedRows(deps.db, caller, forecasts.length);
  deps.logger.info('model forecast', { userId: caller.userId, modelId: model.id, horizon: forecasts.length });
  return {
    model: { id: model.id, name: model.name, version: model.version, sha256: model.artifactSha256 },
    timeColumn: artifact.series.timeColumn,
    target: artifact.series.valueColumn,
    frequency: artifact.series.frequency.name,
    level: input.level ?? artifact.level,
    forecasts,
  };
}
