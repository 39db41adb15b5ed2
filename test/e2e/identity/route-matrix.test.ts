import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../functions/api/routes';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { jsonb } from '../../../shared/db/schema';
import { withTenant } from '../../../shared/db/tenant';
import { databaseJobResults } from '../../../shared/domain/runs/job-result-records';
import { databaseLearningRecords } from '../../../shared/domain/runs/learning-records';
import { routeKey, type RouteSpec } from '../../../shared/http/route';
import type { Services } from '../../../shared/ports/services';
import { createSession, registerUser, type RegisteredUser, type TestSession } from '../../support/auth';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Tenancy, route by route: for EVERY signed-in route of `apiRoutes` whose path takes an id,
 * user B tries user A's resource and must get 404 (never 403, never 200), and A's resource must
 * be unchanged afterwards. The matrix runs twice: B a normal user, then B an administrator
 * (user routes act on the caller's own resources only; admin powers live under `/admin/...`).
 * New routes are picked up automatically.
 *
 * HOW TO EXTEND (when you add a route with a path parameter):
 * 1. Add a fixture to `resourceFixtures` under the parameter's name (`datasetId`, `jobId`, …):
 *    it creates the resource as `ctx.owner` (over HTTP or through `ctx.services`) and returns the
 *    value to put in the path. A fixture may ask for another parameter first: `await ctx.id('datasetId')`.
 * 2. If the route takes a body whose schema has required fields, add a valid body to
 *    `requestBodies` under its route key (`PATCH /datasets/{datasetId}`), so the request gets past
 *    validation and reaches the ownership check.
 * Routes with `auth: 'admin'` are not tenant resources: a normal user must get 403 from them.
 */

interface FixtureContext {
  baseUrl: string;
  services: Services;
  owner: RegisteredUser;
  /** The value of another path parameter for the same owner (created once, then reused). */
  id(param: string): Promise<string>;
}

type Fixture = (ctx: FixtureContext) => Promise<string>;

async function postJson(ctx: FixtureContext, route: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${ctx.baseUrl}${route}`, {
    method: 'POST',
    headers: { ...ctx.owner.authHeader, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300)
    throw new Error(`fixture POST ${route} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function getJson(ctx: FixtureContext, route: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${ctx.baseUrl}${route}`, { headers: ctx.owner.authHeader });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200)
    throw new Error(`fixture GET ${route} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const IRIS_CSV = [
  'sepal_length,sepal_width,petal_length,petal_width,species',
  '5.1,3.5,1.4,0.2,setosa',
  '7.0,3.2,4.7,1.4,versicolor',
  '6.3,3.3,6.0,2.5,virginica',
  '4.9,3.0,1.4,0.2,setosa',
  '6.4,3.2,4.5,1.5,versicolor',
].join('\n');

/** The owner's validated version (uploaded once, shared by the `version` and `jobId` fixtures). */
const validatedVersions = new WeakMap<RegisteredUser, Promise<Record<string, unknown>>>();
function validatedVersionOf(ctx: FixtureContext): Promise<Record<string, unknown>> {
  let version = validatedVersions.get(ctx.owner);
  if (!version) {
    version = ctx.id('datasetId').then((datasetId) =>
      uploadValidatedVersion(ctx.baseUrl, ctx.owner.authHeader, datasetId, {
        name: 'iris.csv',
        contentType: 'text/csv',
        bytes: Buffer.from(IRIS_CSV),
      }),
    );
    validatedVersions.set(ctx.owner, version);
  }
  return version;
}

const resourceFixtures: Record<string, Fixture> = {
  keyId: async (ctx) =>
    String((await postJson(ctx, '/api-keys', { name: 'matrix key', scopes: ['read'] }))['id']),
  datasetId: async (ctx) =>
    String((await postJson(ctx, '/datasets', { name: 'matrix iris', modality: 'tabular' }))['id']),
  version: async (ctx) => String((await validatedVersionOf(ctx))['version']),
  pipelineId: async (ctx) => String((await postJson(ctx, '/pipelines', { name: 'matrix pipeline' }))['id']),
  // A finished job (its view no longer changes), run by its own pipeline so `pipelineId` stays a draft,
  // with a result recorded as a node of it records one (so GET …/results has something to leak).
  jobId: async (ctx) => {
    const version = await validatedVersionOf(ctx);
    const datasetId = await ctx.id('datasetId');
    const pipeline = await postJson(ctx, '/pipelines', {
      name: 'matrix run',
      datasetId,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'copy', type: 'export.parquet', params: {} },
        ],
        edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'copy', port: 'table' } }],
      },
    });
    const job = await postJson(ctx, '/jobs', { pipelineId: pipeline['id'], datasetVersionId: version['id'] });
    const jobId = String(job['id']);
    await until('the job to finish', async () => {
      const current = await getJson(ctx, `/jobs/${jobId}`);
      if (current['status'] === 'failed') throw new Error(`fixture job failed: ${JSON.stringify(current)}`);
      return current['status'] === 'completed' ? current : undefined;
    });
    await databaseJobResults(
      { db: ctx.services.db, blobs: ctx.services.blobs, clock: ctx.services.clock },
      { userId: ctx.owner.userId, jobId, nodeId: 'copy' },
    ).record({
      outputKey: `jobs/${ctx.owner.userId}/${jobId}/copy/file.parquet`,
      rowCount: 5,
      metrics: { rows: 5 },
    });
    return jobId;
  },
  // The jobId fixture's export node and the port it writes its file on (for the output download).
  nodeId: async (ctx) => {
    await ctx.id('jobId');
    return 'copy';
  },
  port: async () => 'file',
  // A completed export of the owner's version (its file downloads), as POST /exports makes one.
  exportId: async (ctx) => {
    const version = await validatedVersionOf(ctx);
    const created = await postJson(ctx, '/exports', {
      source: { datasetVersionId: version['id'] },
      format: 'csv',
    });
    const exportId = String(created['id']);
    await until('the export to complete', async () => {
      const current = await getJson(ctx, `/exports/${exportId}`);
      if (current['status'] === 'failed')
        throw new Error(`fixture export failed: ${JSON.stringify(current)}`);
      return current['status'] === 'completed' ? current : undefined;
    });
    return exportId;
  },
  experimentId: async (ctx) =>
    String(
      (await postJson(ctx, '/experiments', { name: 'matrix experiment', objectiveMetric: 'accuracy' }))['id'],
    ),
  // Models are registered by training nodes, not over HTTP: as a node of the owner's job does.
  modelId: async (ctx) => {
    const jobId = await ctx.id('jobId');
    const modelId = randomUUID();
    // Its artifact is stored too, so the download route leads to real bytes.
    const artifact = Buffer.from(JSON.stringify({ format: 'pipeweave.model', modelId }));
    const artifactKey = `models/${ctx.owner.userId}/${modelId}/model.json`;
    await ctx.services.blobs.put(artifactKey, artifact, { contentType: 'application/json' });
    await databaseLearningRecords(ctx.services.db, {
      userId: ctx.owner.userId,
      jobId,
      pipelineId: null,
      pipelineName: 'matrix run',
    }).registerModel({
      modelId,
      name: 'matrix model',
      algorithm: 'logistic_regression',
      problemType: 'classification',
      frameworkVersion: '1',
      artifactKey,
      artifactSizeBytes: artifact.byteLength,
      artifactSha256: createHash('sha256').update(artifact).digest('hex'),
      metrics: { accuracy: 1 },
      hyperparameters: {},
      featureSchema: { columns: [] },
      seed: 1,
    });
    return modelId;
  },
  // A completed baseline analysis, an alert rule, an alert it raised and an anomaly, as monitoring records them.
  analysisId: async (ctx) => {
    const version = await validatedVersionOf(ctx);
    const datasetId = await ctx.id('datasetId');
    // Its plot is stored too, so the download routes lead to real bytes.
    const plotKey = `jobs/${ctx.owner.userId}/${randomUUID()}/analysis/plot.svg`;
    await ctx.services.blobs.put(plotKey, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), {
      contentType: 'image/svg+xml',
    });
    return withTenant(
      ctx.services.db,
      { userId: ctx.owner.userId, role: 'user' },
      async (trx) =>
        (
          await trx
            .insertInto('analyses')
            .values({
              user_id: ctx.owner.userId,
              dataset_id: datasetId,
              dataset_version_id: String(version['id']),
              analysis_type: 'dimensionality_reduction',
              status: 'completed',
              plot_object_key: plotKey,
              coordinates_object_key: plotKey,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
    );
  },
  ruleId: async (ctx) =>
    String(
      (
        await postJson(ctx, '/alert-rules', {
          datasetId: await ctx.id('datasetId'),
          name: 'matrix rule',
          condition: { metric: 'anomaly_rate', operator: '>=', threshold: 0.5 },
          actions: [],
        })
      )['id'],
    ),
  alertId: async (ctx) => {
    const ruleId = await ctx.id('ruleId');
    const datasetId = await ctx.id('datasetId');
    return withTenant(
      ctx.services.db,
      { userId: ctx.owner.userId, role: 'user' },
      async (trx) =>
        (
          await trx
            .insertInto('alerts')
            .values({
              user_id: ctx.owner.userId,
              alert_rule_id: ruleId,
              dataset_id: datasetId,
              severity: 'high',
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
    );
  },
  anomalyId: async (ctx) => {
    const analysisId = await ctx.id('analysisId');
    const datasetId = await ctx.id('datasetId');
    return withTenant(
      ctx.services.db,
      { userId: ctx.owner.userId, role: 'user' },
      async (trx) =>
        (
          await trx
            .insertInto('anomalies')
            .values({
              user_id: ctx.owner.userId,
              analysis_id: analysisId,
              dataset_id: datasetId,
              observed_at: new Date(),
              severity: 'high',
              distance: 2,
              threshold: 1,
              features: jsonb([]),
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
    );
  },
  // The registered name of the owner's model, and an alias of it pointing at that model's version.
  name: async (ctx) => String((await getJson(ctx, `/models/${await ctx.id('modelId')}`))['name']),
  alias: async (ctx) => {
    const model = await getJson(ctx, `/models/${await ctx.id('modelId')}`);
    const name = await ctx.id('name');
    const res = await fetch(`${ctx.baseUrl}/models/by-name/${encodeURIComponent(name)}/aliases/production`, {
      method: 'PUT',
      headers: { ...ctx.owner.authHeader, 'content-type': 'application/json' },
      body: JSON.stringify({ version: model['version'] }),
    });
    if (res.status !== 200) throw new Error(`fixture PUT alias answered ${res.status}: ${await res.text()}`);
    return 'production';
  },
};

/** Valid bodies, each a real change, so a leak would show in A's snapshot. */
const requestBodies: Record<string, unknown> = {
  'PATCH /datasets/{datasetId}': { name: 'taken over', tags: ['bob'] },
  'POST /datasets/{datasetId}/versions': { fileName: 'bob.csv', contentType: 'text/csv', sizeBytes: 12 },
  'POST /datasets/{datasetId}/versions/{version}/reingest': { delimiter: ';', header: false },
  'POST /datasets/{datasetId}/versions/{version}/schema/accept': { overrides: [] },
  'POST /datasets/{datasetId}/versions/{version}/schema/reject': { reason: 'not what I expected' },
  'PATCH /pipelines/{pipelineId}': { name: 'taken over' },
  'POST /analyses/{analysisId}/monitor': { datasetVersionId: '00000000-0000-4000-8000-000000000001' },
  'PUT /datasets/{datasetId}/monitoring': { analysisId: '00000000-0000-4000-8000-000000000001' },
  'PATCH /alert-rules/{ruleId}': { name: 'taken over' },
  'POST /pipelines/{pipelineId}/clone': { name: 'stolen copy' },
  'POST /jobs/{jobId}/retry': { priority: 9 },
  'POST /models/{modelId}/predict': { rows: [{ sepal_length: 5.1 }] },
  'POST /models/{modelId}/forecast': { horizon: 12 },
  'PATCH /models/{modelId}': { description: 'taken over', tags: ['bob'] },
  'PUT /models/by-name/{name}/aliases/{alias}': { version: 1 },
  'POST /models/by-name/{name}/aliases/{alias}/predict': { rows: [{ sepal_length: 5.1 }] },
  'POST /models/by-name/{name}/versions/{version}/predict': { rows: [{ sepal_length: 5.1 }] },
};

const PARAM = /\{([^}]+)\}/g;
const paramsOf = (route: RouteSpec) => [...route.path.matchAll(PARAM)].map((m) => m[1] ?? '');

/**
 * Path parameters that name shipped reference data, the same for every user (a tutorial's slug):
 * such a path is not another tenant's resource. What is per user behind it (tutorial progress) is
 * checked where it lives (test/e2e/tutorials).
 */
const REFERENCE_PARAMS = new Set(['slug']);
const tenantRoutes = apiRoutes.filter(
  (r) => r.auth === 'user' && paramsOf(r).some((param) => !REFERENCE_PARAMS.has(param)),
);
const adminRoutesWithIds = apiRoutes.filter((r) => r.auth === 'admin' && paramsOf(r).length > 0);

let platform: LocalPlatform;
let dataDir: string;
let alice: RegisteredUser;
let bob: RegisteredUser;
let adminBob: TestSession;
const aliceIds = new Map<string, Promise<string>>();

function contextFor(owner: RegisteredUser, cache: Map<string, Promise<string>>): FixtureContext {
  const ctx: FixtureContext = {
    baseUrl: platform.url,
    services: platform.services,
    owner,
    id(param) {
      let value = cache.get(param);
      if (!value) {
        const fixture = resourceFixtures[param];
        if (!fixture) {
          throw new Error(
            `No fixture for the path parameter "${param}": add one to resourceFixtures in test/e2e/identity/route-matrix.test.ts.`,
          );
        }
        value = fixture(ctx);
        cache.set(param, value);
      }
      return value;
    },
  };
  return ctx;
}

async function pathFor(route: RouteSpec, ctx: FixtureContext): Promise<string> {
  let out = route.path;
  for (const param of paramsOf(route))
    out = out.replace(`{${param}}`, encodeURIComponent(await ctx.id(param)));
  return out;
}

async function send(route: RouteSpec, url: string, user: Pick<RegisteredUser, 'authHeader'>) {
  const hasBody = route.request?.body !== undefined && !route.rawBody;
  const body = requestBodies[routeKey(route)] ?? (hasBody ? {} : undefined);
  const res = await fetch(`${platform.url}${url}`, {
    method: route.method,
    headers: { ...user.authHeader, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** What A sees through every GET route of the matrix, to prove B changed nothing. */
async function snapshotOfAlice(): Promise<Record<string, string>> {
  const ctx = contextFor(alice, aliceIds);
  const out: Record<string, string> = {};
  // Only routes whose parameters all have fixtures: a missing fixture fails its own routes, not every route.
  const covered = tenantRoutes.filter(
    (r) => r.method === 'GET' && paramsOf(r).every((p) => p in resourceFixtures),
  );
  for (const route of covered) {
    const url = await pathFor(route, ctx);
    const res = await send(route, url, alice);
    out[routeKey(route)] = `${res.status} ${res.text}`;
  }
  return out;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-route-matrix-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  alice = await registerUser(platform.url, { fullName: 'Alice' });
  bob = await registerUser(platform.url, { fullName: 'Bob' });
  adminBob = await createSession(platform.services, { role: 'admin' });
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('route matrix: another tenant’s ids answer 404 and change nothing', () => {
  it('covers every signed-in route that takes an id (the list is not empty)', () => {
    expect(tenantRoutes.map(routeKey)).toContain('DELETE /api-keys/{keyId}');
    expect(tenantRoutes.map(routeKey)).toContain('GET /api-keys/{keyId}');
    expect(tenantRoutes.map(routeKey)).toContain('GET /jobs/{jobId}/results');
  });

  it('has a fixture for every path parameter of the signed-in routes', () => {
    const missing = [...new Set(tenantRoutes.flatMap(paramsOf))].filter((p) => !(p in resourceFixtures));
    expect(missing, 'add these to resourceFixtures in test/e2e/identity/route-matrix.test.ts').toEqual([]);
  });

  it('A can reach each of her own resources through every GET route (the fixtures are real)', async () => {
    const snapshot = await snapshotOfAlice();
    for (const [key, value] of Object.entries(snapshot)) expect(value, key).toMatch(/^200 /);
  });

  it.each(
    tenantRoutes.flatMap((r) => [
      [routeKey(r), 'a normal user', r] as const,
      [routeKey(r), 'an administrator', r] as const,
    ]),
  )('%s: B (%s) gets 404 for A’s resource', async (_key, who, route) => {
    // The path first: a fixture no GET route needs (an alias) exists before the snapshot.
    const url = await pathFor(route, contextFor(alice, aliceIds));
    const before = await snapshotOfAlice();
    const res = await send(route, url, who === 'a normal user' ? bob : adminBob);
    if (res.status === 400) {
      throw new Error(
        `${routeKey(route)} answered 400 before checking ownership (${res.text}); add a valid body to requestBodies.`,
      );
    }
    expect(res.status, res.text).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({ status: 404 });
    expect(await snapshotOfAlice()).toEqual(before);
  });

  it.each(adminRoutesWithIds.map((r) => [routeKey(r), r] as const))(
    '%s: a normal user gets 403',
    async (_key, route) => {
      const url = route.path.replace(PARAM, '00000000-0000-4000-8000-000000000000');
      const res = await send(route, url, bob);
      expect(res.status, res.text).toBe(403);
    },
  );
});
