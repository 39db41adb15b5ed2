import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import type { LearningRecords } from '../../../shared/domain/nodes/learning-records.port';
import { databaseLearningRecords } from '../../../shared/domain/runs/learning-records';
import { callApi, type ApiAnswer } from '../../support/api-client';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Experiments and models over HTTP on the local platform: a job runs, its training records arrive
 * through the LearningRecords a node gets, and a client creates, lists, reads and compares
 * experiments and reads the model. Another tenant gets 404 for all of it.
 */

let platform: LocalPlatform;
let dataDir: string;
let alice: RegisteredUser;
let bob: RegisteredUser;
let datasetId: string;
let datasetVersionId: string;
let pipelineId: string;
let jobId: string;
let records: LearningRecords;

const asAlice = (method: string, route: string, body?: unknown) =>
  callApi(platform.url, alice.authHeader, method, route, body);
const asBob = (method: string, route: string, body?: unknown) =>
  callApi(platform.url, bob.authHeader, method, route, body);

function ok(answer: ApiAnswer, status = 200): Record<string, unknown> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  return answer.body;
}

const CSV = ['x,y,label', '1,2,a', '2,3,b', '3,4,a', '4,5,b', '5,6,a'].join('\n');

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-experiments-e2e-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  alice = await registerUser(platform.url, { fullName: 'Alice' });
  bob = await registerUser(platform.url, { fullName: 'Bob' });
  datasetId = String(ok(await asAlice('POST', '/datasets', { name: 'toy', modality: 'tabular' }), 201)['id']);
  const version = await uploadValidatedVersion(platform.url, alice.authHeader, datasetId, {
    name: 'toy.csv',
    contentType: 'text/csv',
    bytes: Buffer.from(CSV),
  });
  datasetVersionId = String(version['id']);
  pipelineId = String(
    ok(
      await asAlice('POST', '/pipelines', {
        name: 'toy run',
        datasetId,
        definition: {
          nodes: [
            { id: 'source', type: 'dataset.source', params: {} },
            { id: 'copy', type: 'export.parquet', params: {} },
          ],
          edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'copy', port: 'table' } }],
        },
      }),
      201,
    )['id'],
  );
  jobId = String(ok(await asAlice('POST', '/jobs', { pipelineId, datasetVersionId }), 201)['id']);
  await until('the job to finish', async () => {
    const status = (await asAlice('GET', `/jobs/${jobId}`)).body['status'];
    if (status === 'failed') throw new Error('the job failed');
    return status === 'completed' ? status : undefined;
  });
  records = databaseLearningRecords(platform.services.db, {
    userId: alice.userId,
    jobId,
    pipelineId,
    pipelineName: 'toy run',
    nodeId: 'train',
    datasetVersionId,
  });
});
afterAll(async () => {
  await platform?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('experiments and models over HTTP', () => {
  it('creates an experiment once per Idempotency-Key, on your own datasets only', async () => {
    const body = { name: 'learners', datasetId, objectiveMetric: 'validation.accuracy' };
    const send = (key: string) =>
      fetch(`${platform.url}/experiments`, {
        method: 'POST',
        headers: { ...alice.authHeader, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
    const first = await send('exp-1');
    const again = await send('exp-1');
    const created = (await first.json()) as Record<string, unknown>;
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/experiments/${String(created['id'])}`);
    expect(created).toMatchObject({
      name: 'learners',
      datasetId,
      objectiveDirection: 'maximize',
      runCount: 0,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as Record<string, unknown>)['id']).toBe(created['id']);

    const foreign = await asBob('POST', '/experiments', { name: 'x', datasetId });
    expect(foreign.status).toBe(404);
    expect(foreign.contentType).toContain('application/problem+json');
    expect(foreign.body).toMatchObject({ code: 'DATASET.NOT_FOUND', field: 'body.datasetId' });
    const unknownField = await asAlice('POST', '/experiments', { name: 'x', status: 'completed' });
    expect(unknownField.status).toBe(400);
  });

  it('lists, reads and compares the runs a training node records, and reads its model', async () => {
    const { experimentId } = await records.experiment({
      objectiveMetric: 'validation.accuracy',
      direction: 'maximize',
    });
    const trials = [
      {
        learner: 'logistic_regression',
        hyperparameters: { c: 0.5 },
        metrics: { 'validation.accuracy': 0.8 },
      },
      { learner: 'random_forest', hyperparameters: { maxDepth: 4 }, metrics: { 'validation.accuracy': 0.9 } },
    ];
    const runIds: string[] = [];
    for (const trial of trials) {
      const { runId } = await records.recordRun({
        experimentId,
        ...trial,
        durationSeconds: 1.5,
        status: 'completed',
      });
      runIds.push(runId);
    }
    await records.recordRun({
      experimentId,
      learner: 'hist_gradient_boosting',
      hyperparameters: {},
      metrics: {},
      durationSeconds: 20,
      status: 'timeout',
      stopReason: 'time budget reached',
    });
    const [firstRun = '', secondRun = ''] = runIds;
    await records.setBestRun(experimentId, secondRun);
    const modelId = randomUUID();
    await records.registerModel({
      modelId,
      name: 'toy forest',
      algorithm: 'random_forest',
      problemType: 'classification',
      frameworkVersion: 'pipeweave-learning 1',
      artifactKey: `models/${alice.userId}/${modelId}/model.json`,
      artifactSizeBytes: 2_048,
      artifactSha256: createHash('sha256').update('toy').digest('hex'),
      metrics: { 'validation.accuracy': 0.9 },
      hyperparameters: { maxDepth: 4 },
      featureSchema: { columns: [{ name: 'x', type: 'number' }], labelClasses: ['a', 'b'] },
      experimentRunId: secondRun,
      seed: 3,
    });

    const listed = ok(await asAlice('GET', `/experiments?pipelineId=${pipelineId}`));
    expect(listed['items']).toEqual([expect.objectContaining({ id: experimentId, jobId, runCount: 3 })]);
    const firstPage = ok(await asAlice('GET', '/experiments?limit=1'));
    expect(firstPage['items']).toHaveLength(1);
    const nextPage = ok(
      await asAlice('GET', `/experiments?limit=1&cursor=${String(firstPage['nextCursor'])}`),
    );
    expect(nextPage['items']).toHaveLength(1);
    expect(ok(await asBob('GET', '/experiments'))['items']).toEqual([]);

    const experiment = ok(await asAlice('GET', `/experiments/${experimentId}`));
    expect(experiment).toMatchObject({ id: experimentId, bestRunId: secondRun, datasetId, pipelineId });
    expect(experiment['runs']).toEqual([
      expect.objectContaining({
        runNumber: 1,
        learner: 'logistic_regression',
        status: 'completed',
        durationSeconds: 1.5,
      }),
      expect.objectContaining({
        runNumber: 2,
        learner: 'random_forest',
        modelId,
        hyperparameters: { maxDepth: 4 },
      }),
      expect.objectContaining({
        runNumber: 3,
        status: 'timeout',
        stopReason: 'time budget reached',
        error: null,
      }),
    ]);
    const paged = ok(await asAlice('GET', `/experiments/${experimentId}?runLimit=2`));
    expect(paged['nextRunCursor']).toBe(2);
    expect(ok(await asAlice('GET', `/experiments/${experimentId}?afterRun=2`))['runs']).toHaveLength(1);

    const compared = ok(
      await asAlice('GET', `/experiments/${experimentId}/compare?runs=${secondRun},${firstRun}`),
    );
    expect(compared).toMatchObject({
      bestRunId: secondRun,
      runs: [{ id: secondRun }, { id: firstRun }],
      metrics: [{ key: 'validation.accuracy', values: [0.9, 0.8], differs: true }],
      hyperparameters: [
        { key: 'c', values: [null, 0.5], differs: true },
        { key: 'maxDepth', values: [4, null], differs: true },
      ],
    });

    const model = ok(await asAlice('GET', `/models/${modelId}`));
    expect(model).toMatchObject({
      id: modelId,
      algorithm: 'random_forest',
      problemType: 'classification',
      frameworkVersion: 'pipeweave-learning 1',
      featureSchema: { labelClasses: ['a', 'b'] },
      artifact: { sizeBytes: 2_048, sha256: createHash('sha256').update('toy').digest('hex') },
      lineage: { jobId, pipelineId, experimentId, experimentRunId: secondRun, seed: 3 },
    });
    expect((model['lineage'] as Record<string, unknown>)['datasetVersion']).toMatchObject({
      id: datasetVersionId,
      datasetId,
      version: 1,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    for (const route of [
      `/experiments/${experimentId}`,
      `/experiments/${experimentId}/compare`,
      `/experiments/${experimentId}/compare?runs=${firstRun}`,
      `/models/${modelId}`,
    ]) {
      const answer = await asBob('GET', route);
      expect(answer.status, route).toBe(404);
      expect(answer.contentType, route).toContain('application/problem+json');
    }
  });

  it('answers 400 naming `runs` for runs it cannot compare', async () => {
    const { experimentId } = await records.experiment({
      objectiveMetric: 'validation.accuracy',
      direction: 'maximize',
    });
    const bobsExperiment = ok(await asBob('POST', '/experiments', { name: 'bob’s' }), 201);
    const tooMany = Array.from({ length: 21 }, () => randomUUID()).join(',');
    for (const runs of [randomUUID(), 'not-a-uuid', tooMany]) {
      const answer = await asAlice('GET', `/experiments/${experimentId}/compare?runs=${runs}`);
      expect(answer.status, runs).toBe(400);
      // A malformed id is named with its position (`query.runs.0`).
      expect(answer.body, runs).toMatchObject({
        status: 400,
        field: expect.stringMatching(/^query\.runs(\.\d+)?$/),
      });
    }
    const crossed = await asBob(
      'GET',
      `/experiments/${String(bobsExperiment['id'])}/compare?runs=${randomUUID()}`,
    );
    expect(crossed.body).toMatchObject({ code: 'EXPERIMENT.UNKNOWN_RUNS', field: 'query.runs' });
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = ok(await asAlice('GET', '/openapi.json'));
    const paths = doc['paths'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/experiments'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(paths['/experiments/{experimentId}']).toHaveProperty('get');
    expect(paths['/experiments/{experimentId}/compare']).toHaveProperty('get');
    expect(paths['/models/{modelId}']).toHaveProperty('get');
  });
});
