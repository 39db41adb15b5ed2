import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { callApi } from '../../support/api-client';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { TEST_FIXTURES } from '../../support/repo-paths';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Online prediction, lists and downloads of a model trained by the classification template on
 * scikit-learn's breast cancer data: the held-out rows predicted over HTTP score exactly what the
 * job's evaluate node reported on them; rows that do not fit the signature are refused by row and
 * column; the downloaded artifact is the one whose SHA-256 the model records, and its ONNX export
 * predicts the same labels; another tenant sees none of it.
 */
type Body = Record<string, unknown>;
type Row = Record<string, number>;

const TARGET = 'target';

async function breastCancer(): Promise<{ bytes: Buffer; rows: Row[]; testRows: number[] }> {
  const bytes = await readFile(path.join(TEST_FIXTURES, 'learning/datasets/breast_cancer.csv'));
  const [header = '', ...lines] = bytes.toString('utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  const rows = lines.map((line) => {
    const values = line.split(',');
    return Object.fromEntries(names.map((name, j) => [name, Number(values[j])]));
  });
  const split = JSON.parse(
    await readFile(path.join(TEST_FIXTURES, 'learning/template-split/breast_cancer.json'), 'utf8'),
  ) as { nRows: number; test: number[] };
  expect(rows).toHaveLength(split.nRows);
  return { bytes, rows, testRows: split.test };
}

/** The row without its target: what a client sends. */
function inputsOf(row: Row | undefined): Row {
  const { [TARGET]: _target, ...inputs } = row ?? {};
  return inputs;
}

describe('models end to end: predict, list and download a trained model', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;
  let other: RegisteredUser;
  const api = (method: string, pathname: string, body?: unknown, as?: RegisteredUser) =>
    callApi(platform.url, (as ?? user).authHeader, method, pathname, body);

  let data: Awaited<ReturnType<typeof breastCancer>>;
  let jobId: string;
  let modelId: string;
  let model: Body;
  let evaluatedAccuracy: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-models-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    user = await registerUser(platform.url);
    other = await registerUser(platform.url);
    data = await breastCancer();

    const created = await api('POST', '/datasets', {
      name: 'breast cancer',
      modality: 'tabular',
      targetColumn: TARGET,
      problemType: 'classification',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const datasetId = String(created.body.id);
    const version = await uploadValidatedVersion(platform.url, user.authHeader, datasetId, {
      name: 'breast_cancer.csv',
      contentType: 'text/csv',
      bytes: data.bytes,
    });
    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'tabular.classification');
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'cancer',
      datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    const started = await api('POST', '/jobs', { pipelineId: clone.body.id, datasetVersionId: version.id });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    jobId = String(started.body.id);
    const job = await until(
      'the training job to finish',
      async () => {
        const { body } = await api('GET', `/jobs/${jobId}`);
        if (body.status === 'failed') throw new Error(`the job failed: ${JSON.stringify(body)}`);
        return body.status === 'completed' ? body : undefined;
      },
      240_000,
      250,
    );
    const nodes = new Map((job.nodes as Body[]).map((n) => [String(n.nodeId), n]));
    modelId = String((nodes.get('automl')?.metrics as Body).modelId);
    evaluatedAccuracy = Number((nodes.get('evaluate')?.metrics as Body).accuracy);
    const read = await api('GET', `/models/${modelId}`);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    model = read.body;
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('predicts the held-out rows as accurately as the job’s evaluate node scored them', async () => {
    const rows = data.testRows.map((i) => ({ ...inputsOf(data.rows[i]), note: 'extra keys are ignored' }));
    const res = await fetch(`${platform.url}/models/${modelId}/predict`, {
      method: 'POST',
      headers: { ...user.authHeader, 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    const body = (await res.json()) as {
      predictions: unknown[];
      probabilities: Record<string, number>[];
      model: Body;
    };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(res.headers.get('x-rows-predicted')).toBe(String(rows.length));
    expect(body.model).toEqual({
      id: modelId,
      name: model.name,
      version: model.version,
      sha256: (model.artifact as Body).sha256,
    });
    expect(body.predictions).toHaveLength(rows.length);
    const correct = body.predictions.filter(
      (p, k) => Number(p) === data.rows[data.testRows[k] ?? -1]?.[TARGET],
    ).length;
    expect(Number.isFinite(evaluatedAccuracy)).toBe(true);
    expect(correct / rows.length).toBeCloseTo(evaluatedAccuracy, 12);
    expect(body.probabilities).toHaveLength(rows.length);
    for (const [k, perClass] of body.probabilities.entries()) {
      expect(Object.keys(perClass).sort()).toEqual(['0', '1']);
      expect((perClass['0'] ?? 0) + (perClass['1'] ?? 0)).toBeCloseTo(1, 9);
      const best = (perClass['1'] ?? 0) > (perClass['0'] ?? 0) ? 1 : 0;
      expect(Number(body.predictions[k])).toBe(best);
    }
  });

  it('refuses a row without an input, naming the row and the column, and how to send a missing value', async () => {
    const rows = data.testRows.slice(0, 3).map((i) => inputsOf(data.rows[i]));
    const { mean_radius: _dropped, ...withoutRadius } = rows[2] ?? {};
    const res = await api('POST', `/models/${modelId}/predict`, { rows: [rows[0], rows[1], withoutRadius] });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.contentType).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'PREDICTION.INVALID_ROWS', field: 'body.rows[2].mean_radius' });
    expect(String(res.body.detail)).toMatch(/Row 2 lacks the input "mean_radius".*null for a missing value/);
  });

  it('refuses a value that cannot be cast, naming its row and column; null is a missing value', async () => {
    const rows = data.testRows.slice(0, 3).map((i) => inputsOf(data.rows[i]));
    const bad = await api('POST', `/models/${modelId}/predict`, {
      rows: [rows[0], { ...rows[1], mean_texture: 'rough' }],
    });
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(bad.body).toMatchObject({ field: 'body.rows[1].mean_texture' });
    expect(String(bad.body.detail)).toContain(
      'Row 1, column "mean_texture": "rough" cannot be read as number',
    );

    const missing = await api('POST', `/models/${modelId}/predict`, {
      rows: [
        { ...rows[0], mean_texture: null },
        { ...rows[1], mean_area: '1001.5' },
      ],
    });
    expect(missing.status, JSON.stringify(missing.body)).toBe(200);
    expect(missing.body.predictions).toHaveLength(2);
  });

  it('refuses more than 1,000 rows, naming body.rows', async () => {
    const row = inputsOf(data.rows[0]);
    const res = await api('POST', `/models/${modelId}/predict`, {
      rows: Array.from({ length: 1_001 }, () => row),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ field: 'body.rows' });
  });

  it('lists the model newest first, filtered by job, name and algorithm', async () => {
    const byJob = await api('GET', `/models?jobId=${jobId}`);
    expect(byJob.status, JSON.stringify(byJob.body)).toBe(200);
    expect((byJob.body.items as Body[]).map((m) => m.id)).toEqual([modelId]);
    const byAll = await api(
      'GET',
      `/models?name=${encodeURIComponent(String(model.name))}&algorithm=${encodeURIComponent(String(model.algorithm))}&limit=1`,
    );
    expect((byAll.body.items as Body[])[0]).toMatchObject({ id: modelId, artifact: model.artifact });
    const none = await api('GET', '/models?algorithm=no_such_learner');
    expect(none.body).toEqual({ items: [], nextCursor: null });
    expect((await api('GET', '/models', undefined, other)).body).toEqual({ items: [], nextCursor: null });
  });

  it('downloads the JSON artifact through a short-lived link, its bytes matching the model’s sha256', async () => {
    const res = await fetch(`${platform.url}/models/${modelId}/download?format=json`, {
      headers: user.authHeader,
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const link = (await res.json()) as Body;
    const location = res.headers.get('location') ?? '';
    expect(link).toMatchObject({
      url: location,
      sha256: (model.artifact as Body).sha256,
      sizeBytes: (model.artifact as Body).sizeBytes,
      fileName: `${String(model.name)}-v${String(model.version)}.json`,
      format: 'json',
    });
    const expiresIn = Date.parse(String(link.expiresAt)) - Date.now();
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(300_000);

    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain(`filename="${String(link.fileName)}"`);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe((model.artifact as Body).sha256);
  });

  it('downloads the model as ONNX: the bytes match the reported sha256 and predict as the API does', async () => {
    // Act: the first request exports, the second reuses the stored export
    const res = await fetch(`${platform.url}/models/${modelId}/download?format=onnx`, {
      headers: user.authHeader,
      redirect: 'manual',
    });
    expect(res.status, await res.clone().text()).toBe(302);
    const link = (await res.json()) as Body;
    const again = await fetch(`${platform.url}/models/${modelId}/download?format=onnx`, {
      headers: user.authHeader,
      redirect: 'manual',
    });

    // Assess: the link, its bytes and what they predict
    expect(link).toMatchObject({
      url: res.headers.get('location'),
      fileName: `${String(model.name)}-v${String(model.version)}.onnx`,
      format: 'onnx',
    });
    expect(again.status).toBe(302);
    expect(await again.json()).toMatchObject({ sha256: link.sha256, sizeBytes: link.sizeBytes });
    const file = await fetch(String(link.url));
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.byteLength).toBe(link.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(link.sha256);

    const rows = data.testRows.map((i) => inputsOf(data.rows[i]));
    const predicted = await api('POST', `/models/${modelId}/predict`, { rows });
    const session = await ort.InferenceSession.create(bytes);
    const feeds = Object.fromEntries(
      Object.keys(rows[0] ?? {}).map((name) => [
        name,
        new ort.Tensor(
          'float32',
          Float32Array.from(rows, (row) => row[name] ?? NaN),
          [rows.length, 1],
        ),
      ]),
    );
    const result = await session.run(feeds);
    await session.release();
    const labels = Array.from(result['label']?.data as BigInt64Array, Number);
    expect(labels).toEqual((predicted.body.predictions as unknown[]).map(Number));
  });

  it('answers another tenant 404 on every route of the model', async () => {
    const row = inputsOf(data.rows[0]);
    for (const [method, route, body] of [
      ['GET', `/models/${modelId}`, undefined],
      ['POST', `/models/${modelId}/predict`, { rows: [row] }],
      ['GET', `/models/${modelId}/download`, undefined],
    ] as const) {
      const res = await api(method, route, body, other);
      expect(res.status, `${method} ${route}: ${JSON.stringify(res.body)}`).toBe(404);
    }
  });
});
