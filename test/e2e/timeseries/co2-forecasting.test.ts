import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import { TEST_FIXTURES } from '../../support/repo-paths';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * The forecasting template as a user runs it on the local runtime, on statsmodels' co2 data
 * (weekly Mauna Loa CO2, 1958–2001): the upload is profiled as a weekly series, the job averages
 * it per month, fills gaps, backtests every forecaster from rolling origins, registers the best
 * and records the 12-month forecast as its result; the registered model then forecasts the next
 * 12 months over the API, and another tenant reaches neither.
 */
type Body = Record<string, unknown>;

const suite = e2eSuite('co2-forecasting', 2);
const { api } = suite;
const owner = () => suite.user(0);
const other = () => suite.user(1);

describe('time-series forecasting end to end on co2', () => {
  let job: Body;
  let jobId: string;
  let modelId: string;
  let version: Body;

  beforeAll(async () => {
    const created = await api('POST', '/datasets', {
      name: 'co2',
      modality: 'timeseries',
      targetColumn: 'co2',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const datasetId = String(created.body.id);
    version = await uploadValidatedVersion(suite.platform.url, owner().authHeader, datasetId, {
      name: 'co2.csv',
      contentType: 'text/csv',
      bytes: await readFile(path.join(TEST_FIXTURES, 'timeseries/co2.csv')),
    });

    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'timeseries.forecasting');
    expect(template, JSON.stringify(templates.body)).toBeDefined();
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'co2 forecast',
      datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    const check = await api('POST', `/pipelines/${String(clone.body.id)}/validate`);
    expect(check.body.valid, JSON.stringify(check.body)).toBe(true);

    job = await runJobToEnd(suite.platform.url, owner().authHeader, {
      pipelineId: clone.body.id,
      datasetVersionId: version.id,
    });
    expect(job.status, JSON.stringify(job)).toBe('completed');
    jobId = String(job.id);
    modelId = String((jobNode(job, 'forecast').metrics as Body).modelId);
  }, 600_000);

  it('profiles the upload as one weekly series with a strong trend and season', () => {
    expect(version.modalityMetadata).toMatchObject({
      timeColumn: 'date',
      frequency: 'weekly',
      seriesCount: 1,
    });
  });

  it('backtests every forecaster and registers the best with its backtest scores', async () => {
    const metrics = jobNode(job, 'forecast').metrics as Body;
    expect(metrics).toMatchObject({ frequency: 'monthly', seasonalPeriod: 12, candidates: 5, horizon: 12 });
    // Monthly co2 is forecast well: far better than the seasonal naive's scale (MASE 1).
    expect(Number(metrics.backtest_mase)).toBeLessThan(0.6);
    const model = (await api('GET', `/models/${modelId}`)).body;
    expect(model).toMatchObject({ problemType: 'forecasting', name: 'co2 forecast' });
    expect(Number((model.metrics as Body).backtest_mase)).toBe(Number(metrics.backtest_mase));
    const experiment = await api('GET', `/experiments/${String(metrics.experimentId)}`);
    expect(experiment.status, JSON.stringify(experiment.body)).toBe(200);
    // One run per candidate: seasonal naive, three Holt-Winters settings, gradient boosting on lags.
    expect((experiment.body.runs as Body[]).map((run) => run.status)).toEqual(Array(5).fill('completed'));
  });

  it('records the forecast of the next 12 months as the job’s result', async () => {
    const res = await api('GET', `/jobs/${jobId}/results`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const items = res.body.items as Body[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ nodeId: 'forecast', rowCount: 12, metrics: { modelId, horizon: 12 } });
  });

  it('forecasts the next 12 months over the API, with intervals around the forecast', async () => {
    const res = await api('POST', `/models/${modelId}/forecast`, { horizon: 12 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ timeColumn: 'date', target: 'co2', frequency: 'monthly', level: 0.95 });
    const forecasts = res.body.forecasts as {
      timestamp: string;
      forecast: number;
      lower: number;
      upper: number;
    }[];
    expect(forecasts.map((f) => f.timestamp.slice(0, 7))).toEqual([
      '2002-01',
      '2002-02',
      '2002-03',
      '2002-04',
      '2002-05',
      '2002-06',
      '2002-07',
      '2002-08',
      '2002-09',
      '2002-10',
      '2002-11',
      '2002-12',
    ]);
    for (const f of forecasts) {
      // The 2001 monthly means ran from 368 to 374 ppm and kept rising.
      expect(f.forecast).toBeGreaterThan(368);
      expect(f.forecast).toBeLessThan(380);
      expect(f.lower).toBeLessThan(f.forecast);
      expect(f.upper).toBeGreaterThan(f.forecast);
    }
    // The seasonal peak (May) stands above the autumn trough (October).
    expect(forecasts[4]?.forecast).toBeGreaterThan(forecasts[9]?.forecast ?? Infinity);
    // The same model forecasts the same way; a narrower level gives a narrower interval.
    const again = await api('POST', `/models/${modelId}/forecast`, { horizon: 3, level: 0.5 });
    const narrow = again.body.forecasts as typeof forecasts;
    expect(narrow[0]?.forecast).toBeCloseTo(forecasts[0]?.forecast ?? NaN, 9);
    expect((narrow[0]?.upper ?? 0) - (narrow[0]?.lower ?? 0)).toBeLessThan(
      (forecasts[0]?.upper ?? 0) - (forecasts[0]?.lower ?? 0),
    );
  });

  it('refuses a horizon out of range, and rows sent to a forecaster', async () => {
    expect((await api('POST', `/models/${modelId}/forecast`, { horizon: 0 })).status).toBe(400);
    const rows = await api('POST', `/models/${modelId}/predict`, { rows: [{ date: 20020105 }] });
    expect(rows.body).toMatchObject({ status: 400, code: 'MODEL.FORECASTER' });
  });

  it('keeps the model and its forecast from another tenant', async () => {
    const theirs = await api('POST', `/models/${modelId}/forecast`, { horizon: 12 }, other());
    expect(theirs.status).toBe(404);
  });
});
