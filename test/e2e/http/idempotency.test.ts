import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../functions/api/routes';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { routeKey } from '../../../shared/http/route';
import { createSession, registerUser, type RegisteredUser, type TestSession } from '../../support/auth';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Idempotency-Key on every POST that creates: the same key with the same request answers the
 * first response (same status and body) and creates nothing more; the same key with another
 * request is a 409 naming the header. Keys belong to the caller and the operation.
 */
let platform: LocalPlatform;
let dataDir: string;
let user: RegisteredUser;
let admin: TestSession;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-idempotency-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  user = await registerUser(platform.url);
  admin = await createSession(platform.services, { role: 'admin' });
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

type Who = { authHeader: { authorization: string } };

async function post(pathname: string, body: unknown, key?: string, who: Who = user) {
  const res = await fetch(`${platform.url}${pathname}`, {
    method: 'POST',
    headers: {
      ...who.authHeader,
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed'),
    location: res.headers.get('location'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

async function get(pathname: string, who: Who = user) {
  const res = await fetch(`${platform.url}${pathname}`, { headers: who.authHeader });
  return (await res.json()) as Record<string, unknown>;
}

const newKey = () => `key-${randomUUID()}`;
const itemsOf = (page: Record<string, unknown>) => page['items'] as Record<string, unknown>[];

/** First request, its replay, and the same key with another body. */
async function expectIdempotent(
  pathname: string,
  body: Record<string, unknown>,
  otherBody: Record<string, unknown>,
  who: Who = user,
) {
  const key = newKey();
  const first = await post(pathname, body, key, who);
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  const replay = await post(pathname, body, key, who);
  expect(replay.status).toBe(201);
  expect(replay.replayed).toBe('true');
  expect(replay.location).toBe(first.location);
  const conflict = await post(pathname, otherBody, key, who);
  expect(conflict.status).toBe(409);
  expect(conflict.body).toMatchObject({ code: 'IDEMPOTENCY.KEY_REUSED', field: 'headers.idempotency-key' });
  return { first, replay };
}

describe('Idempotency-Key', () => {
  it('is documented on every POST that creates', async () => {
    const doc = (await get('/openapi.json')) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    for (const key of [
      'POST /datasets',
      'POST /datasets/{datasetId}/versions',
      'POST /pipelines',
      'POST /pipelines/{pipelineId}/clone',
      'POST /api-keys',
      'POST /admin/credit-packages',
      'POST /jobs',
      'POST /jobs/{jobId}/retry',
      'POST /admin/users/{userId}/credits',
    ]) {
      expect(apiRoutes.find((r) => routeKey(r) === key)?.idempotency, key).toBeDefined();
      const [method, route] = key.split(' ') as [string, string];
      const parameters = doc.paths[route]?.[method.toLowerCase()]?.parameters ?? [];
      expect(parameters, key).toContainEqual(
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
      );
    }
  });

  it('the operations exercised here answer their own retries', () => {
    // Others that do (analyses) mark their replays the same way and are exercised with their feature.
    const own = apiRoutes.filter((r) => r.idempotency?.mode === 'own').map(routeKey);
    expect(own).toEqual(
      expect.arrayContaining([
        'POST /admin/users/{userId}/credits',
        'POST /jobs',
        'POST /jobs/{jobId}/retry',
      ]),
    );
  });

  it('POST /datasets: a replay answers the same dataset and creates no other', async () => {
    const name = `idem ${randomUUID()}`;
    const { first, replay } = await expectIdempotent(
      '/datasets',
      { name, modality: 'tabular' },
      { name: `${name} 2`, modality: 'tabular' },
    );
    expect(replay.body).toEqual(first.body);
    const page = await get(`/datasets?search=${encodeURIComponent(name)}`);
    expect(itemsOf(page).map((d) => d['id'])).toEqual([first.body['id']]);
  });

  it('POST /datasets/{datasetId}/versions: a replay answers the same version and upload', async () => {
    const dataset = await post('/datasets', { name: `idem ${randomUUID()}`, modality: 'tabular' });
    const versions = `/datasets/${String(dataset.body['id'])}/versions`;
    const body = { fileName: 'a.csv', contentType: 'text/csv', sizeBytes: 10 };
    const { first, replay } = await expectIdempotent(versions, body, { ...body, sizeBytes: 11 });
    expect(replay.body).toEqual(first.body);
    expect(itemsOf(await get(versions))).toHaveLength(1);
  });

  it('POST /pipelines and POST /pipelines/{pipelineId}/clone: a replay answers the same pipeline', async () => {
    const name = `idem ${randomUUID()}`;
    const created = await expectIdempotent('/pipelines', { name }, { name: `${name} 2` });
    expect(created.replay.body).toEqual(created.first.body);
    const clone = await expectIdempotent(
      `/pipelines/${String(created.first.body['id'])}/clone`,
      { name: `${name} copy` },
      { name: `${name} other copy` },
    );
    expect(clone.replay.body).toEqual(clone.first.body);
    const page = await get(`/pipelines?search=${encodeURIComponent(name)}`);
    expect(itemsOf(page)).toHaveLength(2);
  });

  it('POST /api-keys: a replay answers the same key without its secret, with a note', async () => {
    const name = `idem ${randomUUID()}`;
    const { first, replay } = await expectIdempotent(
      '/api-keys',
      { name, scopes: ['read'] },
      { name, scopes: ['read', 'write'] },
    );
    expect(first.body['key']).toEqual(expect.any(String));
    expect(replay.body['id']).toBe(first.body['id']);
    expect(replay.body).not.toHaveProperty('key');
    expect(replay.body['note']).toMatch(/shown only/);
    expect(JSON.stringify(replay.body)).not.toContain(String(first.body['key']));
    const keys = itemsOf(await get('/api-keys')).filter((k) => k['name'] === name);
    expect(keys).toHaveLength(1);
  });

  it('POST /admin/credit-packages: a replay answers the same package', async () => {
    const key = `idem-${randomUUID().slice(0, 8)}`;
    const body = { key, name: 'Idempotent pack', credits: 100, priceCents: 500 };
    const { first, replay } = await expectIdempotent(
      '/admin/credit-packages',
      body,
      { ...body, credits: 200 },
      admin,
    );
    expect(replay.body).toEqual(first.body);
  });

  it('keys are per caller: another user with the same key creates their own dataset', async () => {
    const other = await registerUser(platform.url);
    const key = newKey();
    const mine = await post('/datasets', { name: 'same key', modality: 'tabular' }, key);
    const theirs = await post('/datasets', { name: 'same key', modality: 'tabular' }, key, other);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.replayed).toBeNull();
    expect(theirs.body['id']).not.toBe(mine.body['id']);
  });

  it('concurrent requests with one key create one pipeline (the others replay it or are told it is in progress)', async () => {
    const key = newKey();
    const name = `idem race ${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('/pipelines', { name }, key)));
    const created = answers.filter((a) => a.status === 201 && a.replayed === null);
    expect(created).toHaveLength(1);
    for (const answer of answers.filter((a) => !created.includes(a))) {
      if (answer.status === 201) expect(answer.body['id']).toBe(created[0]?.body['id']);
      else expect(answer.body).toMatchObject({ status: 409, code: 'IDEMPOTENCY.IN_PROGRESS' });
    }
    expect(itemsOf(await get(`/pipelines?search=${encodeURIComponent(name)}`))).toHaveLength(1);
  });

  it('a failed request leaves the key free: the corrected retry runs', async () => {
    const key = newKey();
    const refused = await post('/pipelines', { name: '' }, key);
    expect(refused.status).toBe(400);
    const name = `idem retry ${randomUUID()}`;
    expect((await post('/pipelines', { name }, key)).status).toBe(201);
  });

  it('refuses a key that is not 1–255 visible ASCII characters, the same on every route', async () => {
    for (const [pathname, body] of [
      ['/datasets', { name: `idem ${randomUUID()}`, modality: 'tabular' }],
      ['/jobs', { pipelineId: randomUUID(), datasetVersionId: randomUUID() }],
    ] as const) {
      const res = await post(pathname, body, 'k'.repeat(256));
      expect(res.status, pathname).toBe(400);
      expect(res.body).toMatchObject({
        code: 'REQUEST.INVALID_IDEMPOTENCY_KEY',
        field: 'headers.idempotency-key',
      });
    }
  });

  it('POST /jobs and POST /jobs/{jobId}/retry: a replay answers 201 with idempotent-replayed and the same job', async () => {
    const dataset = await post('/datasets', { name: `idem run ${randomUUID()}`, modality: 'tabular' });
    const datasetId = String(dataset.body['id']);
    const version = await uploadValidatedVersion(platform.url, user.authHeader, datasetId, {
      name: 'rows.csv',
      contentType: 'text/csv',
      bytes: Buffer.from('a,b\n1,2\n3,4\n'),
    });
    const pipeline = await post('/pipelines', {
      name: `idem run ${randomUUID()}`,
      datasetId,
      definition: { nodes: [{ id: 'source', type: 'dataset.source', params: {} }], edges: [] },
    });
    const run = { pipelineId: pipeline.body['id'], datasetVersionId: version['id'] };
    const { first } = await expectIdempotent('/jobs', run, { ...run, priority: 9 });
    const jobId = String(first.body['id']);
    await until('the job to finish', async () => {
      const job = await get(`/jobs/${jobId}`);
      return job['status'] === 'completed' || job['status'] === 'failed' ? job : undefined;
    });
    const retryKey = newKey();
    const retried = await post(`/jobs/${jobId}/retry`, { priority: 3 }, retryKey);
    const retriedAgain = await post(`/jobs/${jobId}/retry`, { priority: 3 }, retryKey);
    expect([retried.status, retriedAgain.status]).toEqual([201, 201]);
    expect([retried.replayed, retriedAgain.replayed]).toEqual([null, 'true']);
    expect(retriedAgain.body['id']).toBe(retried.body['id']);
  });

  it('credit grants: an Idempotency-Key belongs to the admin who sent it', async () => {
    const other = await createSession(platform.services, { role: 'admin' });
    const key = newKey();
    const grant = (who: TestSession) =>
      post(`/admin/users/${user.userId}/credits`, { amount: 5, reason: 'test' }, key, who);
    const first = await grant(admin);
    const again = await grant(admin);
    const byOther = await grant(other);
    expect([first.status, again.status, byOther.status]).toEqual([201, 201, 201]);
    expect([first.replayed, again.replayed, byOther.replayed]).toEqual([null, 'true', null]);
    expect(again.body['transactionId']).toBe(first.body['transactionId']);
    expect(byOther.body['transactionId']).not.toBe(first.body['transactionId']);
  });
});
