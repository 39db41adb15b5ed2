import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import { createLearningDataset } from '../../support/learning-dataset';
import { uploadValidatedVersion, validatedVersion } from '../../support/upload-version';

/**
 * The "train, register, predict" template as a user runs it on the local runtime, on
 * scikit-learn's breast cancer data: the job trains and registers a model, predicts the held-out
 * rows with it in batches, lists the result at GET /jobs/{id}/results and keeps the predictions as
 * a new dataset version, whose rows predict as POST /models/{id}/predict does. A model is named by
 * alias in a pipeline of its own; another tenant reaches neither the results nor the model.
 */
type Body = Record<string, unknown>;

const TEST_ROWS = 114;
const ALL_ROWS = 569;

const suite = e2eSuite('batch-predict', 2);
const { api } = suite;
/** The owner of the dataset, the jobs and the model; the other tenant. */
const owner = () => suite.user(0);
const other = () => suite.user(1);

describe('batch prediction end to end: train, register, predict', () => {
  let versionId: string;
  let jobId: string;
  let job: Body;
  let modelId: string;

  const runJob = (pipelineId: unknown, datasetVersionId: unknown, as = owner()) =>
    runJobToEnd(suite.platform.url, as.authHeader, { pipelineId, datasetVersionId });

  const validated = (datasetId: unknown, version: number) =>
    validatedVersion(suite.platform.url, owner().authHeader, String(datasetId), version, 120_000);

  beforeAll(async () => {
    const { datasetId, version } = await createLearningDataset(suite.platform.url, owner().authHeader, {
      file: 'breast_cancer.csv',
      name: 'breast cancer',
      targetColumn: 'target',
    });
    versionId = String(version.id);

    // The template, cloned, its predict node asked to keep the predictions as a dataset.
    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find(
      (t) => t.templateKey === 'tabular.train_register_predict',
    );
    expect(template, JSON.stringify(templates.body)).toBeDefined();
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'cancer screening',
      datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    const definition = clone.body.definition as { nodes: Body[]; edges: unknown[] };
    const nodes = definition.nodes.map((node) =>
      node.id === 'predict' ? { ...node, params: { outputDataset: { name: 'cancer predictions' } } } : node,
    );
    const patched = await api('PATCH', `/pipelines/${String(clone.body.id)}`, {
      definition: { ...definition, nodes },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const check = await api('POST', `/pipelines/${String(clone.body.id)}/validate`);
    expect(check.body.valid, JSON.stringify(check.body)).toBe(true);

    job = await runJob(clone.body.id, versionId);
    expect(job.status, JSON.stringify(job)).toBe('completed');
    jobId = String(job.id);
    modelId = String((jobNode(job, 'automl').metrics as Body).modelId);
  }, 300_000);

  it('lists the job’s result: the held-out rows predicted by the registered model, scored, kept as a dataset', async () => {
    const res = await api('GET', `/jobs/${jobId}/results`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    const items = res.body.items as Body[];
    expect(items).toHaveLength(1);
    const model = (await api('GET', `/models/${modelId}`)).body;
    expect(items[0]).toMatchObject({
      jobId,
      nodeId: 'predict',
      rowCount: TEST_ROWS,
      outputKey: (jobNode(job, 'predict').outputs as Record<string, Body>).table?.key,
      metrics: {
        rowsPredicted: TEST_ROWS,
        rowsScored: TEST_ROWS,
        modelId,
        modelName: model.name,
        modelVersion: model.version,
        predictionColumn: 'prediction',
      },
      outputDataset: { version: 1 },
    });
    const metrics = items[0]?.metrics as Body;
    // The registered model scores the raw test rows exactly as the training node scored them.
    expect(Number(metrics.accuracy)).toBeCloseTo(Number((model.metrics as Body).test_accuracy), 12);
    expect(Number(metrics.accuracy)).toBeGreaterThan(0.9);

    // One page at a time.
    const page = await api('GET', `/jobs/${jobId}/results?limit=1`);
    expect(page.body).toMatchObject({ nextCursor: null });
    expect((await api('GET', `/jobs/${jobId}/results?cursor=nonsense`)).body).toMatchObject({
      status: 400,
      code: 'REQUEST.INVALID_CURSOR',
    });
  });

  it('keeps the predictions as a new dataset version whose rows predict as POST /models/{id}/predict does', async () => {
    const { items } = (await api('GET', `/jobs/${jobId}/results`)).body as { items: Body[] };
    const output = items[0]?.outputDataset as Body;
    const version = await validated(output.datasetId, 1);
    expect(version).toMatchObject({
      id: output.datasetVersionId,
      rowCount: TEST_ROWS,
      sourceType: 'pipeline',
    });
    expect((await api('GET', `/datasets/${String(output.datasetId)}`)).body).toMatchObject({
      name: 'cancer predictions',
      modality: 'tabular',
    });

    const preview = (await api('GET', `/datasets/${String(output.datasetId)}/versions/1/preview?limit=50`))
      .body as { columns: string[]; rows: unknown[][] };
    expect(preview.columns.slice(-3)).toEqual(['prediction', 'probability_0', 'probability_1']);
    expect(preview.columns).toContain('target');
    // The preview shows values as text, which online prediction reads as the numbers they hold.
    const rows = preview.rows.map((values) =>
      Object.fromEntries(preview.columns.map((c, j) => [c, values[j]])),
    );
    const online = await api('POST', `/models/${modelId}/predict`, { rows });
    expect(online.status, JSON.stringify(online.body)).toBe(200);
    expect(online.body.predictions).toEqual(rows.map((row) => Number(row['prediction'])));
    const probabilities = online.body.probabilities as Record<string, number>[];
    rows.forEach((row, i) => {
      expect(Number(row['probability_0'])).toBeCloseTo(probabilities[i]?.['0'] ?? NaN, 12);
      expect(Number(row['probability_1'])).toBeCloseTo(probabilities[i]?.['1'] ?? NaN, 12);
    });
  });

  it('predicts with the version an alias points at, into the next version of an existing dataset', async () => {
    const model = (await api('GET', `/models/${modelId}`)).body;
    const name = String(model.name);
    const alias = await api('PUT', `/models/by-name/${encodeURIComponent(name)}/aliases/production`, {
      version: model.version,
    });
    expect(alias.status, JSON.stringify(alias.body)).toBe(200);
    const { items } = (await api('GET', `/jobs/${jobId}/results`)).body as { items: Body[] };
    const output = items[0]?.outputDataset as Body;

    const pipeline = await api('POST', '/pipelines', {
      name: 'score everything',
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          {
            id: 'score',
            type: 'model.predict',
            params: {
              model: `${name}@production`,
              outputDataset: { datasetId: output.datasetId },
              batchRows: 100,
            },
          },
        ],
        edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'score', port: 'table' } }],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const ended = await runJob(pipeline.body.id, versionId);
    expect(ended.status, JSON.stringify(ended)).toBe('completed');
    expect(jobNode(ended, 'score').metrics).toMatchObject({ modelId, batches: 6, rowsPredicted: ALL_ROWS });

    const results = (await api('GET', `/jobs/${String(ended.id)}/results`)).body.items as Body[];
    expect(results[0]).toMatchObject({
      nodeId: 'score',
      outputDataset: { datasetId: output.datasetId, version: 2 },
    });
    expect(await validated(output.datasetId, 2)).toMatchObject({
      rowCount: ALL_ROWS,
      sourceType: 'pipeline',
    });
  });

  it('keeps the results and the model to their owner', async () => {
    const peek = await api('GET', `/jobs/${jobId}/results`, undefined, other());
    expect(peek.status).toBe(404);
    expect(peek.contentType).toMatch(/application\/problem\+json/);

    // Another tenant's pipeline naming the model by its id fails on that parameter.
    const dataset = await api('POST', '/datasets', { name: 'mine', modality: 'tabular' }, other());
    const version = await uploadValidatedVersion(
      suite.platform.url,
      other().authHeader,
      String(dataset.body.id),
      {
        name: 'mine.csv',
        contentType: 'text/csv',
        bytes: Buffer.from('mean_radius,mean_texture\n14.1,19.2\n12.3,17.9\n'),
      },
    );
    const pipeline = await api(
      'POST',
      '/pipelines',
      {
        name: 'borrowed model',
        definition: {
          nodes: [
            { id: 'source', type: 'dataset.source', params: { datasetId: dataset.body.id } },
            { id: 'score', type: 'model.predict', params: { model: modelId } },
          ],
          edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'score', port: 'table' } }],
        },
      },
      other(),
    );
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const ended = await runJob(pipeline.body.id, version.id, other());
    expect(ended.status).toBe('failed');
    expect(jobNode(ended, 'score')).toMatchObject({
      status: 'failed',
      error: { message: expect.stringMatching(/No model of yours has the id/) },
    });
  });
});
