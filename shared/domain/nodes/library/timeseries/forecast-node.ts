import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { objectKeys } from '../../../../storage/object-keys';
import { backtestSteps, type BacktestResult } from '../../../forecasting/backtest';
import {
  FORECAST_ARTIFACT_FORMAT,
  forecastFromArtifact,
  serializeForecastArtifact,
  type ForecastArtifact,
} from '../../../forecasting/forecast-artifact';
import {
  candidateName,
  defaultCandidates,
  fitCandidateSteps,
  type ForecasterCandidate,
} from '../../../forecasting/forecaster-catalog';
import { FORECASTER_KINDS, ForecastInputError, runStepsYielding } from '../../../forecasting/forecaster';
import { inferFrequency, stepsBetween } from '../../../forecasting/frequency';
import type { ForecastMetrics } from '../../../forecasting/metrics';
import { defineNode, type NodeContext } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { writeJsonOutput } from '../../table-frames';
import { downloadInput, throwIfCancelled, writeParquetOutput } from '../../table-io';
import { quoteIdentifier, quoteLiteral, readParquet } from '../../table-sql';
import { outputDatasetTarget } from '../learning/predict-node';
import { resolveSeriesColumns, seriesParams } from './series-columns';

/**
 * Forecasting: backtests candidate forecasters on one regular series from rolling origins, keeps
 * the one with the best backtest score, refits it on the whole series, registers it as a model
 * (predictable over the API for a horizon), and writes the forecast of the next `horizon` steps
 * with its prediction interval as a table that the job records as its result.
 */
const METRICS = ['mase', 'smape', 'mape', 'rmse'] as const;
export const FORECAST_FRAMEWORK_VERSION = 'pipeweave-forecast 1.0';

const forecastParams = z
  .object({
    ...seriesParams,
    target: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        "The value to forecast; default: the dataset's target column, else the first numeric column.",
      ),
    series: z
      .string()
      .max(255)
      .optional()
      .describe('Which series to forecast when the table holds several (with seriesColumn).'),
    horizon: z.number().int().min(1).max(1_000).default(12).describe('Steps ahead to forecast.'),
    seasonalPeriod: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .optional()
      .describe('Observations per season; default: from the frequency (12 for monthly, 7 for daily…).'),
    candidates: z
      .array(z.enum(FORECASTER_KINDS))
      .min(1)
      .default([...FORECASTER_KINDS])
      .describe(
        'The forecasters backtested (exponential smoothing tries additive, damped and multiplicative settings).',
      ),
    folds: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe('Rolling origins of the backtest, one horizon apart.'),
    metric: z
      .enum(METRICS)
      .default('mase')
      .describe('The backtest score that picks the forecaster (lower is better).'),
    level: z.number().gt(0).lt(1).default(0.95).describe('Coverage of the prediction intervals.'),
    modelName: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Registered model name; default: the pipeline name.'),
    outputDataset: outputDatasetTarget
      .optional()
      .describe(
        'Also register the forecast as the next version of this dataset of yours (by id, or by name).',
      ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
  })
  .strict();

type ForecastParams = z.infer<typeof forecastParams>;

interface Series {
  times: number[];
  values: Float64Array;
  valueColumn: string;
  timeColumn: string;
  seriesId: string | null;
}

async function readSeries(context: NodeContext, file: string, params: ForecastParams): Promise<Series> {
  const resolved = await resolveSeriesColumns(context, file, params);
  const dataset = await context.jobDataset();
  const valueColumn =
    params.target ??
    (dataset?.targetColumn && resolved.numeric.includes(dataset.targetColumn)
      ? dataset.targetColumn
      : resolved.numeric[0]);
  if (!valueColumn) throw new NodeError('The table has no numeric column to forecast.', 'params.target');
  if (!resolved.numeric.includes(valueColumn))
    throw new NodeError(`Column "${valueColumn}" is not a numeric column of the table.`, 'params.target');
  let seriesId: string | null = null;
  let where = '';
  if (resolved.series) {
    const ids = await context.tables.query(
      `SELECT DISTINCT ${resolved.seriesSql} AS s FROM ${readParquet(file)} ORDER BY 1 LIMIT 21`,
    );
    const names = ids.map((row) => String(row['s']));
    if (params.series === undefined && names.length > 1)
      throw new NodeError(
        `The table holds ${names.length > 20 ? 'more than 20' : names.length} series: name one in "series" (e.g. ${names
          .slice(0, 5)
          .map((n) => `"${n}"`)
          .join(', ')}).`,
        'params.series',
      );
    seriesId = params.series ?? names[0] ?? '';
    if (!names.includes(seriesId) && names.length <= 20)
      throw new NodeError(
        `No series "${seriesId}" in column "${resolved.series}" (it has: ${names.join(', ')}).`,
        'params.series',
      );
    where = `WHERE ${resolved.seriesSql} = ${quoteLiteral(seriesId)}`;
  }
  const rows = await context.tables.query(
    `SELECT epoch_ms(${resolved.timeSql})::DOUBLE AS t, CAST(${quoteIdentifier(valueColumn)} AS DOUBLE) AS v, (file_row_number + 1)::DOUBLE AS r
       FROM ${readParquet(file, { rowNumber: true })} ${where} ORDER BY file_row_number`,
  );
  const times: number[] = [];
  const values: number[] = [];
  for (const row of rows) {
    const t = typeof row['t'] === 'number' ? row['t'] : NaN;
    const v = typeof row['v'] === 'number' ? row['v'] : NaN;
    const where_ = `row ${String(row['r'])}${seriesId !== null ? ` of series "${seriesId}"` : ''}`;
    if (Number.isNaN(t))
      throw new NodeError(`The time of ${where_} is missing or not a date.`, 'inputs.table');
    const previous = times[times.length - 1];
    if (previous !== undefined && t <= previous)
      throw new NodeError(
        `The time of ${where_} (${new Date(t).toISOString()}) ${t === previous ? 'repeats' : 'comes before'} the one before it: sort the rows by time and keep one per timestamp (ts.resample aggregates them).`,
        'inputs.table',
      );
    if (Number.isNaN(v))
      throw new NodeError(
        `"${valueColumn}" is missing at ${where_}: fill the series first (ts.fill).`,
        'inputs.table',
      );
    times.push(t);
    values.push(v);
  }
  return { times, values: Float64Array.from(values), valueColumn, timeColumn: resolved.time, seriesId };
}

function expandCandidates(
  kinds: readonly string[],
  period: number,
  positive: boolean,
): ForecasterCandidate[] {
  return defaultCandidates(period, positive).filter((candidate) => kinds.includes(candidate.kind));
}

const rounded = (m: ForecastMetrics) =>
  Object.fromEntries(
    Object.entries(m).map(([k, v]) => [k, Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null]),
  );

export const forecastNode = defineNode({
  key: 'ts.forecast',
  params: forecastParams,
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    await context.progress(0.02, 'reading the series');
    const series = await readSeries(context, file, params);
    const frequency = inferFrequency(series.times);
    if (!frequency) throw new NodeError('The series needs at least two observations.', 'inputs.table');
    for (let i = 1; i < series.times.length; i += 1) {
      const steps = stepsBetween(frequency, series.times[i - 1] ?? 0, series.times[i] ?? 0);
      if (Math.abs(steps - 1) > 0.01)
        throw new NodeError(
          `The series is not regular: ${new Date(series.times[i - 1] ?? 0).toISOString()} to ${new Date(series.times[i] ?? 0).toISOString()} is not one ${frequency.name} step. Resample it to a regular frequency first (ts.resample, then ts.fill).`,
          'inputs.table',
        );
    }
    const period = params.seasonalPeriod ?? frequency.seasonalPeriod;
    const candidates = expandCandidates(
      params.candidates,
      period,
      series.values.every((v) => v > 0),
    );
    const { experimentId } = await context.learning.experiment({
      objectiveMetric: `backtest_${params.metric}`,
      direction: 'minimize',
    });
    const fitOptions = { seasonalPeriod: period, seed: params.seed, horizon: params.horizon };
    const leaderboard: {
      candidate: ForecasterCandidate;
      name: string;
      result?: BacktestResult;
      error?: string;
      runId?: string;
      seconds: number;
    }[] = [];
    for (const [index, candidate] of candidates.entries()) {
      const name = candidateName(candidate);
      await context.progress(0.05 + (0.8 * index) / candidates.length, `backtesting ${name}`);
      const started = Date.now();
      let result: BacktestResult | undefined;
      let error: string | undefined;
      try {
        // In steps, giving the host's event loop a turn between folds and models.
        result = await runStepsYielding(
          backtestSteps(series.values, (train) => fitCandidateSteps(candidate, train, fitOptions), {
            horizon: params.horizon,
            folds: params.folds,
            seasonalPeriod: period,
            level: params.level,
          }),
          () => throwIfCancelled(context),
        );
      } catch (caught) {
        if (!(caught instanceof ForecastInputError) && !(caught instanceof RangeError)) throw caught;
        error = caught.message;
      }
      const seconds = (Date.now() - started) / 1000;
      const { runId } = await context.learning.recordRun({
        experimentId,
        learner: name,
        hyperparameters: {
          ...candidate,
          seasonalPeriod: period,
          horizon: params.horizon,
          folds: params.folds,
        },
        metrics: result
          ? {
              ...Object.fromEntries(
                Object.entries(rounded(result.overall)).map(([k, v]) => [`backtest_${k}`, v]),
              ),
              ...Object.fromEntries(
                result.perHorizon.map((m, h) => [`backtest_mase_h${h + 1}`, rounded(m)['mase'] ?? null]),
              ),
            }
          : {},
        durationSeconds: seconds,
        status: result ? 'completed' : 'failed',
        errorMessage: error,
      });
      leaderboard.push({
        candidate,
        name,
        ...(result ? { result } : {}),
        ...(error ? { error } : {}),
        runId,
        seconds,
      });
    }
    const scored = leaderboard.filter(
      (row) => row.result && Number.isFinite(row.result.overall[params.metric]),
    );
    scored.sort(
      (a, b) =>
        (a.result?.overall[params.metric] ?? Infinity) - (b.result?.overall[params.metric] ?? Infinity),
    );
    const best = scored[0];
    if (!best?.result || !best.runId)
      throw new NodeError(
        `No forecaster could be backtested: ${leaderboard.map((row) => `${row.name}: ${row.error ?? 'no score'}`).join('; ')}`,
        'params.candidates',
      );
    await context.learning.setBestRun(experimentId, best.runId);

    await context.progress(0.88, `fitting ${best.name} on the whole series`);
    const fitted = await runStepsYielding(fitCandidateSteps(best.candidate, series.values, fitOptions), () =>
      throwIfCancelled(context),
    );
    const metrics: Record<string, number | string | null> = {
      ...Object.fromEntries(
        Object.entries(rounded(best.result.overall)).map(([k, v]) => [`backtest_${k}`, v]),
      ),
    };
    const lastTimestamp = new Date(series.times[series.times.length - 1] ?? 0).toISOString();
    const artifact: ForecastArtifact = {
      format: FORECAST_ARTIFACT_FORMAT,
      version: 1,
      forecaster: fitted.toState(),
      series: {
        timeColumn: series.timeColumn,
        valueColumn: series.valueColumn,
        seriesId: series.seriesId,
        frequency,
        lastTimestamp,
        observations: series.values.length,
      },
      maxHorizon: Number.isFinite(fitted.maxHorizon) ? fitted.maxHorizon : null,
      level: params.level,
      metrics,
      trainedAt: new Date().toISOString(),
    };
    const body = Buffer.from(serializeForecastArtifact(artifact));
    const modelId = randomUUID();
    const artifactKey = objectKeys.model(context.userId, modelId);
    await context.blobs.put(artifactKey, body, { contentType: 'application/json' });
    const sha256 = createHash('sha256').update(body).digest('hex');
    const model = await context.learning.registerModel({
      modelId,
      name: params.modelName,
      algorithm: best.candidate.kind,
      problemType: 'forecasting',
      frameworkVersion: FORECAST_FRAMEWORK_VERSION,
      artifactKey,
      artifactSizeBytes: body.length,
      artifactSha256: sha256,
      metrics,
      hyperparameters: { ...fitted.describe(), candidate: best.name },
      featureSchema: {
        timeColumn: series.timeColumn,
        target: series.valueColumn,
        seriesId: series.seriesId,
        frequency: frequency.name,
        seasonalPeriod: period,
        lastTimestamp,
        maxHorizon: artifact.maxHorizon,
      },
      experimentRunId: best.runId,
      seed: params.seed,
    });

    await context.progress(0.94, 'writing the forecast');
    const rows = forecastFromArtifact(artifact, params.horizon, params.level);
    const values = rows
      .map(
        (row, h) =>
          `(${h + 1}, ${quoteLiteral(row.timestamp)}::TIMESTAMP, ${row.forecast}::DOUBLE, ${row.lower}::DOUBLE, ${row.upper}::DOUBLE)`,
      )
      .join(', ');
    const time = quoteIdentifier(series.timeColumn);
    const forecast = await writeParquetOutput(
      context,
      'forecast',
      `SELECT CAST(step AS INTEGER) AS step, ts AS ${time}, f AS forecast, lo AS lower, hi AS upper
         FROM (VALUES ${values}) AS v(step, ts, f, lo, hi) ORDER BY step`,
    );
    const leaderboardOutput = await writeJsonOutput(context, 'leaderboard', {
      metric: params.metric,
      horizon: params.horizon,
      folds: params.folds,
      seasonalPeriod: period,
      frequency: frequency.name,
      experimentId,
      rows: leaderboard.map((row) => ({
        forecaster: row.name,
        status: row.result ? 'ok' : 'error',
        error: row.error ?? null,
        seconds: Math.round(row.seconds * 100) / 100,
        overall: row.result ? rounded(row.result.overall) : null,
        perHorizon: row.result ? row.result.perHorizon.map(rounded) : null,
      })),
    });
    const resultMetrics = {
      ...metrics,
      modelId: model.modelId,
      modelVersion: model.version,
      forecaster: best.name,
      horizon: params.horizon,
    };
    const recorded = await context.results.record({
      outputKey: forecast.key,
      rowCount: forecast.rows ?? rows.length,
      metrics: resultMetrics,
      ...(params.outputDataset
        ? {
            outputDataset: {
              target: params.outputDataset,
              fileName: 'forecast.parquet',
              sizeBytes: forecast.bytes ?? 0,
            },
          }
        : {}),
    });
    return {
      outputs: {
        model: { key: artifactKey, format: 'json', bytes: body.length },
        leaderboard: leaderboardOutput,
        forecast,
      },
      metrics: {
        ...resultMetrics,
        experimentId,
        candidates: leaderboard.length,
        frequency: frequency.name,
        seasonalPeriod: period,
        observations: series.values.length,
        resultId: recorded.resultId,
        ...(recorded.outputDataset
          ? {
              outputDatasetId: recorded.outputDataset.datasetId,
              outputDatasetVersion: recorded.outputDataset.versionNumber,
            }
          : {}),
      },
    };
  },
});
