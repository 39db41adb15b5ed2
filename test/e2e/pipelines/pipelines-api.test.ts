import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { PIPELINE_TEMPLATES } from '../../../shared/domain/pipelines/reference-data';

/**
 * Pipelines over HTTP, as a client would use them on `npm start`: browse the catalog, create a
 * pipeline on a dataset, validate it (errors name node and field), fix it, see it validated,
 * clone it and a template, and delete it.
 */

let platform: LocalPlatform;
let dataDir: string;
let alice: RegisteredUser;
let bob: RegisteredUser;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-pipelines-e2e-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  alice = await registerUser(platform.url, { fullName: 'Alice' });
  bob = await registerUser(platform.url, { fullName: 'Bob' });
});
afterAll(async () => {
  await platform?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  method: string,
  route: string,
  user: RegisteredUser | undefined,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(`${platform.url}${route}`, {
    method,
    headers: {
      ...(user ? user.authHeader : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const edge = (from: string, fromPort: string, to: string) => ({
  from: { node: from, port: fromPort },
  to: { node: to, port: 'table' },
});

function definition(testFraction: number) {
  return {
    nodes: [
      { id: 'source', type: 'dataset.source', params: {} },
      { id: 'keep', type: 'table.select_columns', params: { columns: ['age', 'income', 'churned'] } },
      { id: 'split-1', type: 'table.split', params: { testFraction, stratifyColumn: 'churned' } },
      { id: 'train', type: 'export.parquet', params: { fileName: 'train.parquet' } },
      { id: 'test', type: 'export.csv', params: {} },
    ],
    edges: [
      edge('source', 'table', 'keep'),
      edge('keep', 'table', 'split-1'),
      edge('split-1', 'train', 'train'),
      edge('split-1', 'test', 'test'),
    ],
  };
}

describe('catalog', () => {
  it('serves node types with ports, parameter schemas with defaults, runtime and cost, filtered by modality', async () => {
    const all = await call('GET', '/node-types', undefined);
    expect(all.status).toBe(200);
    const items = all.body['items'] as Record<string, unknown>[];
    expect(items.map((t) => t['key'])).toEqual(
      expect.arrayContaining(['dataset.source', 'table.split', 'export.csv']),
    );

    const split = await call('GET', '/node-types/table.split', undefined);
    expect(split.body).toMatchObject({
      key: 'table.split',
      kind: 'transform',
      runtime: 'lambda',
      inputPorts: [{ name: 'table', type: 'table', required: true }],
      outputPorts: [
        { name: 'train', type: 'table', required: false },
        { name: 'test', type: 'table', required: false },
      ],
      parametersSchema: { properties: { testFraction: { default: 0.2 } } },
      costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    });

    const missing = await call('GET', '/node-types/table.nothing', undefined);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'NODE_TYPE.NOT_FOUND' });
  });

  it('serves ML tasks per modality', async () => {
    const tabular = await call('GET', '/ml-tasks?modality=tabular', undefined);
    expect(tabular.status).toBe(200);
    const tasks = tabular.body['items'] as {
      key: string;
      modality: string;
      recommendedAlgorithms: string[];
    }[];
    expect(tasks.map((t) => t.key)).toEqual([
      'tabular.batch_prediction',
      'tabular.classification',
      'tabular.clustering',
      'tabular.regression',
    ]);
    expect(tasks.every((t) => t.modality === 'tabular' && t.recommendedAlgorithms.length > 0)).toBe(true);

    const wrong = await call('GET', '/ml-tasks?modality=smell', undefined);
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ field: 'query.modality' });
  });
});

describe('pipelines', () => {
  it('create → validate (errors name node and field) → fix → validated → clone → delete', async () => {
    const dataset = await call('POST', '/datasets', alice, { name: 'customers', modality: 'tabular' });
    expect(dataset.status).toBe(201);
    const datasetId = String(dataset.body['id']);

    const created = await call('POST', '/pipelines', alice, {
      name: 'Churn',
      datasetId,
      definition: definition(1.5),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', version: 1, datasetId, isTemplate: false });
    const id = String(created.body['id']);
    expect(created.headers.get('location')).toBe(`/pipelines/${id}`);

    const invalid = await call('POST', `/pipelines/${id}/validate`, alice);
    expect(invalid.status).toBe(200);
    expect(invalid.body).toMatchObject({
      valid: false,
      errors: [
        {
          field: 'nodes[split-1].params.testFraction',
          code: 'PIPELINE.INVALID_PARAMETER',
          nodeId: 'split-1',
          message: expect.stringContaining('less than 1'),
        },
      ],
      pipeline: { status: 'draft', validatedAt: null },
    });

    const fixed = await call('PATCH', `/pipelines/${id}`, alice, {
      definition: definition(0.25),
      version: 1,
    });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ version: 2, status: 'draft', validationErrors: null });

    const valid = await call('POST', `/pipelines/${id}/validate`, alice);
    expect(valid.body).toMatchObject({
      valid: true,
      errors: [],
      pipeline: { status: 'validated', version: 2 },
    });
    expect(typeof (valid.body['pipeline'] as Record<string, unknown>)['validatedAt']).toBe('string');

    // Bob sees none of it.
    expect((await call('GET', `/pipelines/${id}`, bob)).status).toBe(404);
    expect((await call('POST', `/pipelines/${id}/clone`, bob)).status).toBe(404);

    const clone = await call('POST', `/pipelines/${id}/clone`, alice, { name: 'Churn, take two' });
    expect(clone.status).toBe(201);
    expect(clone.body).toMatchObject({ name: 'Churn, take two', status: 'draft', version: 1, datasetId });
    expect(clone.body['definition']).toEqual(fixed.body['definition']);

    const listed = await call('GET', '/pipelines?status=validated', alice);
    expect((listed.body['items'] as { id: string }[]).map((p) => p.id)).toEqual([id]);

    const deleted = await call('DELETE', `/pipelines/${id}`, alice);
    expect(deleted.status).toBe(204);
    expect((await call('GET', `/pipelines/${id}`, alice)).status).toBe(404);
    const remaining = await call('GET', '/pipelines', alice);
    expect((remaining.body['items'] as { id: string }[]).map((p) => p.id)).toEqual([clone.body['id']]);
  });

  it('rejects a malformed definition at creation, naming the field, and fields clients may not set', async () => {
    const bad = await call('POST', '/pipelines', alice, {
      name: 'bad',
      definition: { nodes: [{ id: 'has space', type: 'table.split' }], edges: [] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'REQUEST.INVALID', field: 'body.definition.nodes.0.id' });

    const owned = await call('POST', '/pipelines', alice, {
      name: 'x',
      userId: bob.userId,
      isTemplate: true,
    });
    expect(owned.status).toBe(400);
    const fields = (owned.body['errors'] as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['body.isTemplate', 'body.userId']);
  });

  it('lists the shipped templates, which can be cloned onto a dataset and then validate', async () => {
    const dataset = await call('POST', '/datasets', bob, { name: 'houses', modality: 'tabular' });
    const templates = await call('GET', '/pipelines?template=true', bob);
    expect(templates.status).toBe(200);
    const items = templates.body['items'] as { id: string; templateKey: string; isTemplate: boolean }[];
    expect(items.map((t) => t.templateKey).sort()).toEqual(PIPELINE_TEMPLATES.map((t) => t.key).sort());
    const regression = items.find((t) => t.templateKey === 'tabular.regression');
    if (!regression) throw new Error('no regression template');

    expect((await call('PATCH', `/pipelines/${regression.id}`, bob, { name: 'mine' })).body).toMatchObject({
      status: 409,
      code: 'PIPELINE.TEMPLATE_READ_ONLY',
    });

    const copy = await call('POST', `/pipelines/${regression.id}/clone`, bob, {
      datasetId: dataset.body['id'],
    });
    expect(copy.status).toBe(201);
    const validated = await call('POST', `/pipelines/${String(copy.body['id'])}/validate`, bob);
    expect(validated.body).toMatchObject({ valid: true, pipeline: { status: 'validated' } });
  });

  it('asks for a sign-in', async () => {
    const res = await call('GET', '/pipelines', undefined);
    expect(res.status).toBe(401);
  });
});
