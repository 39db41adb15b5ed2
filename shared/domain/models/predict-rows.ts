import type { Database } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import { ValidationError } from '../../kernel/app-error';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics.port';
import type { BlobStore } from '../../ports/blob-store.port';
import { PredictionInputError } from '../learning/model-artifact';
import { meterPredictedRows } from '../billing/credits/prediction-meter';
import { getModel } from './get-model';
import { mediaRowsToFeatureRows, type MediaRowDeps } from './media-rows';
import { predictorCache, predictorOf, type PredictorCache } from './model-predictors';
import { checkPredictionLimits, rowsToTable, type PredictionRow } from './prediction-rows';

/** Online prediction: rows in, one prediction per row out, with the model that made them. */

export interface PredictRowsDeps extends MediaRowDeps {
  db: Database;
  blobs: BlobStore;
  logger: Logger;
  metrics: Metrics;
}

export interface PredictRowsInput {
  modelId: string;
  rows: readonly PredictionRow[];
  /** The request's size in bytes when known (Content-Length). */
  declaredBytes?: number | undefined;
}

export interface RowPredictions {
  /** One per row: the class label, the value (regression) or the cluster index. */
  predictions: (string | number | boolean | null)[];
  /** Classification: per row, the probability of each class keyed by its label; null otherwise. */
  probabilities: Record<string, number>[] | null;
  model: { id: string; name: string; version: number; sha256: string | null };
  /** How many rows were predicted (what a usage meter counts). */
  rowsPredicted: number;
}

/** The metric counting predicted rows, per problem type. */
export const ROWS_PREDICTED_METRIC = 'ModelRowsPredicted';

const finite = (value: number | string | boolean): number | string | boolean | null =>
  typeof value === 'number' && !Number.isFinite(value) ? null : value;

/**
 * Predicts `rows` with the caller's model (another tenant's id is a 404, checked before anything
 * else). Rows are checked against the model's signature (see `rowsToTable`); the artifact is
 * verified whenever it is read from storage and its predictor cached per warm function. Records
 * the number of rows predicted as a metric and in a log line with the caller and the model, and
 * meters them into the credit ledger (per 1,000 rows, billing/credits/prediction-meter.ts).
 */
export async function predictRows(
  deps: PredictRowsDeps,
  caller: Owner,
  input: PredictRowsInput,
  cache: PredictorCache = predictorCache,
): Promise<RowPredictions> {
  checkPredictionLimits(input.rows, input.declaredBytes);
  const model = await getModel(deps.db, caller, input.modelId);
  if (model.problemType === 'forecasting')
    throw new ValidationError(
      `Model ${model.id} forecasts a series rather than predicting rows: ask it for a horizon with POST /models/{modelId}/forecast.`,
      { field: 'modelId', code: 'MODEL.FORECASTER' },
    );
  if (model.problemType === 'denoising')
    throw new ValidationError(
      `Model ${model.id} is a seismic denoiser (a filter chain), not a row predictor: run it on a seismic dataset with a pipeline whose seismic.denoise node names it (the seismic.denoising template).`,
      { field: 'modelId', code: 'MODEL.DENOISER' },
    );
  if (input.rows.length === 0)
    throw new ValidationError('Send at least one row to predict.', { field: 'body.rows' });
  const predictor = await predictorOf(deps, model, cache);
  // A model trained on image or audio features takes the file itself in each row.
  const rows = predictor.media ? await mediaRowsToFeatureRows(predictor.media, input.rows, deps) : input.rows;
  const table = rowsToTable(predictor.signature, rows);
  let result;
  try {
    result = predictor.predictTable(table);
  } catch (error) {
    if (error instanceof PredictionInputError)
      throw new ValidationError(error.message, {
        field: error.column ? `body.rows[0].${error.column}` : 'body.rows',
        code: 'PREDICTION.INVALID_ROWS',
      });
    throw error;
  }
  const probabilities = result.probabilities;
  const labels = result.classes?.map(String) ?? Object.keys(probabilities ?? {});
  const rowsPredicted = table.nRows;
  // Paid before the answer leaves: a balance that cannot cover it is a 402 and no predictions.
  await meterPredictedRows(deps.db, caller, rowsPredicted);
  deps.metrics.add(ROWS_PREDICTED_METRIC, rowsPredicted, 'Count', {
    problemType: predictor.problemType,
  });
  deps.logger.info('model rows predicted', {
    userId: caller.userId,
    modelId: model.id,
    rowsPredicted,
  });
  return {
    predictions: result.predictions.map(finite),
    probabilities: probabilities
      ? Array.from({ length: rowsPredicted }, (_, row) => {
          const perClass: Record<string, number> = {};
          for (const label of labels) perClass[label] = probabilities[label]?.[row] ?? 0;
          return perClass;
        })
      : null,
    model: { id: model.id, name: model.name, version: model.version, sha256: model.artifactSha256 },
    rowsPredicted,
  };
}
