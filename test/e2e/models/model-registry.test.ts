import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { callApi } from '../../support/api-client';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { TEST_FIXTURES } from '../../support/repo-paths';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * The model registry over HTTP: the classification template run twice registers versions 1 and 2
 * of one name; the `production` alias points at v1, predictions by alias name v1, and after the
 * alias moves the next prediction names v2. Aliases, edits and deletes are refused clearly when
 * the request is wrong and answer 404 to another tenant.
 */
type Body = Record<string, unknown>;

const NAME = 'iris registry';
const ROW = { sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 };

describe('model registry end to end: versions of a name, aliases, prediction by alias', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;
  let other: RegisteredUser;
  const api = (method: string, pathname: string, body?: unknown, as?: RegisteredUser) =>
    callApi(platform.url, (as ?? user).authHeader, method, pathname, body);
  const aliasPath = (alias: string) => `/models/by-name/${encodeURIComponent(NAME)}/aliases/${alias}`;
  /** Model id by version. */
  const versions = new Map<number, string>();

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-registry-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    user = await registerUser(platform.url);
    other = await registerUser(platform.url);

    const created = await api('POST', '/datasets', {
      name: 'iris',
      modality: 'tabular',
      targetColumn: 'target',
      problemType: 'classification',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const datasetId = String(created.body.id);
    const version = await uploadValidatedVersion(platform.url, user.authHeader, datasetId, {
      name: 'iris.csv',
      contentType: 'text/csv',
      bytes: await readFile(path.join(TEST_FIXTURES, 'learning/datasets/iris.csv')),
    });
    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'tabular.classification');
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, { name: NAME, datasetId });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);

    // The same pipeline run twice, one job after the other: versions 1 and 2 of its name.
    for (const expected of [1, 2]) {
      const started = await api('POST', '/jobs', { pipelineId: clone.body.id, datasetVersionId: version.id });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const jobId = String(started.body.id);
      const job = await until(
        `training job ${expected} to finish`,
        async () => {
          const { body } = await api('GET', `/jobs/${jobId}`);
          if (body.status === 'failed') throw new Error(`the job failed: ${JSON.stringify(body)}`);
          return body.status === 'completed' ? body : undefined;
        },
        240_000,
        250,
      );
      const automl = (job.nodes as Body[]).find((n) => n.nodeId === 'automl');
      const modelId = String((automl?.metrics as Body).modelId);
      const model = await api('GET', `/models/${modelId}`);
      expect(model.body).toMatchObject({ name: NAME, version: expected, aliases: [], isProduction: false });
      versions.set(expected, modelId);
    }
  }, 600_000);
  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const predictByAlias = (alias = 'production', as?: RegisteredUser) =>
    api('POST', `${aliasPath(alias)}/predict`, { rows: [ROW] }, as);

  it('predicts with the version `production` points at, and follows the alias when it moves', async () => {
    const set = await api('PUT', aliasPath('production'), { version: 1 });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ name: NAME, alias: 'production', version: 1, modelId: versions.get(1) });

    const first = await predictByAlias();
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.model).toMatchObject({ id: versions.get(1), name: NAME, version: 1 });
    expect(first.body.predictions).toHaveLength(1);
    const v1 = await api('GET', `/models/${String(versions.get(1))}`);
    expect(v1.body).toMatchObject({
      aliases: ['production'],
      isProduction: true,
      deployedAt: expect.any(String),
    });

    const moved = await api('PUT', aliasPath('production'), { version: 2 });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const second = await predictByAlias();
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.model).toMatchObject({ id: versions.get(2), name: NAME, version: 2 });

    const listed = await api('GET', '/models?alias=production');
    expect((listed.body.items as Body[]).map((m) => m.id)).toEqual([versions.get(2)]);
    expect((await api('GET', `/models/${String(versions.get(1))}`)).body).toMatchObject({
      aliases: [],
      isProduction: false,
      deployedAt: null,
    });
  });

  it('predicts with a version addressed by name and number', async () => {
    const byVersion = (version: string) =>
      api('POST', `/models/by-name/${encodeURIComponent(NAME)}/versions/${version}/predict`, { rows: [ROW] });
    const first = await byVersion('1');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.model).toMatchObject({ id: versions.get(1), name: NAME, version: 1 });
    expect((await byVersion('2')).body.model).toMatchObject({ id: versions.get(2), version: 2 });
    expect((await byVersion('99')).body).toMatchObject({ status: 404, code: 'MODEL_VERSION.NOT_FOUND' });
    expect((await byVersion('zero')).body).toMatchObject({ status: 400, field: 'params.version' });
    const unknown = await api('POST', '/models/by-name/nothing/versions/1/predict', { rows: [ROW] });
    expect(unknown.body).toMatchObject({ status: 404, code: 'MODEL_NAME.NOT_FOUND' });
  });

  it('names the field of a bad alias or version, and answers 404 for what does not exist', async () => {
    const badAlias = await api('PUT', aliasPath('Prod!'), { version: 1 });
    expect(badAlias.status, JSON.stringify(badAlias.body)).toBe(400);
    expect(badAlias.contentType).toMatch(/application\/problem\+json/);
    expect(badAlias.body).toMatchObject({ field: 'params.alias' });
    const badVersion = await api('PUT', aliasPath('staging'), { version: 0 });
    expect(badVersion.status, JSON.stringify(badVersion.body)).toBe(400);
    expect(badVersion.body).toMatchObject({ field: 'body.version' });

    expect((await api('PUT', aliasPath('staging'), { version: 99 })).status).toBe(404);
    expect((await api('PUT', '/models/by-name/nothing/aliases/staging', { version: 1 })).status).toBe(404);
    expect((await predictByAlias('staging')).status).toBe(404);
    expect((await api('DELETE', aliasPath('staging'))).status).toBe(404);
  });

  it('edits a version’s description and tags only', async () => {
    const id = String(versions.get(1));
    const edited = await api('PATCH', `/models/${id}`, { description: 'first cut', tags: ['baseline'] });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({ description: 'first cut', tags: ['baseline'], version: 1 });
    const refused = await api('PATCH', `/models/${id}`, { name: 'renamed' });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
  });

  it('answers another tenant 404 on the registry routes', async () => {
    for (const [method, route, body] of [
      ['PUT', aliasPath('production'), { version: 1 }],
      ['DELETE', aliasPath('production'), undefined],
      ['POST', `${aliasPath('production')}/predict`, { rows: [ROW] }],
      ['PATCH', `/models/${String(versions.get(1))}`, { description: 'mine' }],
      ['DELETE', `/models/${String(versions.get(1))}`, undefined],
    ] as const) {
      const res = await api(method, route, body, other);
      expect(res.status, `${method} ${route}: ${JSON.stringify(res.body)}`).toBe(404);
    }
    expect((await predictByAlias()).body.model).toMatchObject({ version: 2 });
  });

  it('deletes a version with the alias pointing at it and its ONNX export; the other version stays', async () => {
    const exported = await fetch(`${platform.url}/models/${String(versions.get(2))}/download?format=onnx`, {
      headers: user.authHeader,
      redirect: 'manual',
    });
    expect(exported.status).toBe(302);
    const link = (await exported.json()) as Body;
    expect((await fetch(String(link.url))).status).toBe(200);

    const deleted = await api('DELETE', `/models/${String(versions.get(2))}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    // The link was made before the delete and is still signed: the object behind it is gone.
    expect((await fetch(String(link.url))).status).toBe(404);
    expect((await api('GET', `/models/${String(versions.get(2))}`)).status).toBe(404);
    expect((await predictByAlias()).status).toBe(404);
    expect((await api('GET', `/models/${String(versions.get(1))}`)).body).toMatchObject({ version: 1 });

    const set = await api('PUT', aliasPath('production'), { version: 1 });
    expect(set.status).toBe(200);
    const removed = await api('DELETE', aliasPath('production'));
    expect(removed.status).toBe(204);
    expect((await predictByAlias()).status).toBe(404);
  });
});
