import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { PIPELINE_TEMPLATES } from '../../../../../shared/domain/pipelines/reference-data';
import { jsonb, type Modality } from '../../../../../shared/db/schema';
import { withSystemScope, withTenant, type TenantScope } from '../../../../../shared/db/tenant';
import { ConflictError, NotFoundError } from '../../../../../shared/kernel/app-error';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { clonePipeline } from '../../../../../shared/domain/pipelines/clone-pipeline';
import { createPipeline } from '../../../../../shared/domain/pipelines/create-pipeline';
import { deletePipeline } from '../../../../../shared/domain/pipelines/delete-pipeline';
import type { SignedInContext } from '../../../../../shared/kernel/request-context';
import type { PipelineDefinition } from '../../../../../shared/domain/pipelines/pipeline-definition';
import { findPipelines, getPipeline } from '../../../../../shared/domain/pipelines/pipeline-queries';
import { updatePipeline } from '../../../../../shared/domain/pipelines/update-pipeline';
import { validatePipelineForOwner } from '../../../../../shared/domain/pipelines/validate-pipeline-for-owner';
import { validateStoredPipeline } from '../../../../../shared/domain/pipelines/validate-stored-pipeline';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';

let testDb: TestDatabase;
let db: Database;
const clock = fixedClock('2026-11-21T10:00:00Z');

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

function actor(userId: string, role: TenantScope['role'] = 'user'): SignedInContext {
  return {
    caller: { userId, role, via: 'jwt', scopes: [] },
    sourceIp: '203.0.113.7',
    userAgent: 'vitest',
    requestId: randomUUID(),
  };
}

async function newUser(role: TenantScope['role'] = 'user') {
  const user = await createTestUser(db, { role });
  return { id: user.id, actor: actor(user.id, role), scope: { userId: user.id, role } };
}

async function newDataset(ownerId: string, modality: Modality = 'tabular'): Promise<string> {
  // As the owner, in their tenant scope: the test connection is not a superuser, so row-level security applies.
  const row = await withTenant(db, { userId: ownerId, role: 'user' }, (trx) =>
    trx
      .insertInto('datasets')
      .values({ user_id: ownerId, name: `ds-${randomUUID().slice(0, 6)}`, modality })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  return row.id;
}

const edge = (from: string, fromPort: string, to: string, toPort = 'table') => ({
  from: { node: from, port: fromPort },
  to: { node: to, port: toPort },
});

function splitPipeline(testFraction: number): PipelineDefinition {
  return {
    nodes: [
      { id: 'source', type: 'dataset.source', params: {} },
      { id: 'split-1', type: 'table.split', params: { testFraction } },
      { id: 'out', type: 'export.parquet', params: {} },
    ],
    edges: [edge('source', 'table', 'split-1'), edge('split-1', 'train', 'out')],
  };
}

async function expectRejected(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  code: string,
) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as { code?: string }).code).toBe(code);
}

describe('pipeline lifecycle', () => {
  it('creates a draft, reports every issue by node and field, validates once fixed, and edits return it to draft', async () => {
    const alice = await newUser();
    const datasetId = await newDataset(alice.id);

    const created = await createPipeline(db, alice.actor, {
      name: 'Churn',
      datasetId,
      definition: splitPipeline(1.5),
    });
    expect(created).toMatchObject({
      ownerId: alice.id,
      status: 'draft',
      version: 1,
      isTemplate: false,
      datasetId,
    });

    const invalid = await validateStoredPipeline({ db, clock }, alice.actor, created.id);
    expect(invalid.valid).toBe(false);
    expect(invalid.issues).toEqual([
      expect.objectContaining({
        field: 'nodes[split-1].params.testFraction',
        code: 'PIPELINE.INVALID_PARAMETER',
        nodeId: 'split-1',
      }),
    ]);
    expect(invalid.pipeline).toMatchObject({
      status: 'draft',
      validatedAt: null,
      validationErrors: invalid.issues,
    });

    const fixed = await updatePipeline(db, alice.actor, created.id, {
      definition: splitPipeline(0.3),
      version: 1,
    });
    expect(fixed).toMatchObject({ version: 2, status: 'draft', validationErrors: null });

    const valid = await validateStoredPipeline({ db, clock }, alice.actor, created.id);
    expect(valid.valid).toBe(true);
    expect(valid.pipeline).toMatchObject({
      status: 'validated',
      validatedAt: clock.now(),
      validationErrors: null,
      version: 2,
    });

    // A rename does not change what runs: still validated, same version.
    const renamed = await updatePipeline(db, alice.actor, created.id, { name: 'Churn v2' });
    expect(renamed).toMatchObject({ name: 'Churn v2', status: 'validated', version: 2 });
    // Sending the same definition again is not an edit either.
    const same = await updatePipeline(db, alice.actor, created.id, { definition: splitPipeline(0.3) });
    expect(same).toMatchObject({ status: 'validated', version: 2 });

    const edited = await updatePipeline(db, alice.actor, created.id, { definition: splitPipeline(0.4) });
    expect(edited).toMatchObject({ status: 'draft', validatedAt: null, version: 3 });

    const actions = await withSystemScope(db, 'admin.test-fixture', (trx) =>
      trx
        .selectFrom('audit_logs')
        .select(['action', 'user_id', 'ip_address'])
        .where('resource_id', '=', created.id)
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
    );
    expect(actions.map((a) => a.action)).toEqual([
      'pipeline.create',
      'pipeline.validate',
      'pipeline.update',
      'pipeline.validate',
      'pipeline.update',
      'pipeline.update',
    ]);
    expect(actions.every((a) => a.user_id === alice.id)).toBe(true);
  });

  it('refuses a stale version with 409 and changes nothing', async () => {
    const alice = await newUser();
    const pipeline = await createPipeline(db, alice.actor, { name: 'p', definition: splitPipeline(0.2) });
    await updatePipeline(db, alice.actor, pipeline.id, { definition: splitPipeline(0.25) });

    await expectRejected(
      updatePipeline(db, alice.actor, pipeline.id, { name: 'late', version: 1 }),
      ConflictError,
      'PIPELINE.VERSION_CONFLICT',
    );
    expect(await getPipeline(db, alice.scope, pipeline.id)).toMatchObject({ name: 'p', version: 2 });
  });

  it('archives and restores a pipeline; validating an archived one keeps it archived', async () => {
    const alice = await newUser();
    const datasetId = await newDataset(alice.id);
    const pipeline = await createPipeline(db, alice.actor, {
      name: 'p',
      datasetId,
      definition: splitPipeline(0.2),
    });

    expect(await updatePipeline(db, alice.actor, pipeline.id, { status: 'archived' })).toMatchObject({
      status: 'archived',
    });
    const checked = await validateStoredPipeline({ db, clock }, alice.actor, pipeline.id);
    expect(checked).toMatchObject({ valid: true, pipeline: { status: 'archived' } });
    expect(await updatePipeline(db, alice.actor, pipeline.id, { status: 'draft' })).toMatchObject({
      status: 'draft',
    });
  });

  it("only accepts the owner's live datasets and existing ML tasks", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const bobsDataset = await newDataset(bob.id);

    await expectRejected(
      createPipeline(db, alice.actor, { name: 'p', datasetId: bobsDataset, definition: splitPipeline(0.2) }),
      NotFoundError,
      'DATASET.NOT_FOUND',
    );
    await expectRejected(
      createPipeline(db, alice.actor, { name: 'p', mlTaskId: randomUUID(), definition: splitPipeline(0.2) }),
      NotFoundError,
      'ML_TASK.NOT_FOUND',
    );

    // A source naming someone else's dataset is caught by validation, named by node and field.
    const sneaky = await createPipeline(db, alice.actor, {
      name: 'p',
      definition: {
        nodes: [
          { id: 'theirs', type: 'dataset.source', params: { datasetId: bobsDataset } },
          { id: 'out', type: 'export.csv', params: {} },
        ],
        edges: [edge('theirs', 'table', 'out')],
      },
    });
    const result = await validateStoredPipeline({ db, clock }, alice.actor, sneaky.id);
    expect(result.issues).toEqual([
      expect.objectContaining({ field: 'nodes[theirs].params.datasetId', code: 'PIPELINE.UNKNOWN_DATASET' }),
    ]);

    // A pipeline whose dataset was deleted afterwards no longer validates.
    const datasetId = await newDataset(alice.id);
    const orphan = await createPipeline(db, alice.actor, {
      name: 'p',
      datasetId,
      definition: splitPipeline(0.2),
    });
    await withTenant(db, alice.scope, (trx) =>
      trx.updateTable('datasets').set({ deleted_at: new Date() }).where('id', '=', datasetId).execute(),
    );
    const afterDelete = await validateStoredPipeline({ db, clock }, alice.actor, orphan.id);
    expect(afterDelete.issues.map((i) => i.field)).toContain('datasetId');
  });

  it("checks node modalities against the dataset's modality", async () => {
    const alice = await newUser();
    const images = await newDataset(alice.id, 'image');
    const result = await withTenant(db, alice.scope, (trx) =>
      validatePipelineForOwner(trx, { ownerId: alice.id, datasetId: images, definition: splitPipeline(0.2) }),
    );
    // Every node in today's catalog works on every modality.
    expect(result.issues).toEqual([]);
    if (!result.valid) throw new Error('expected valid');
    expect(result.definition.nodes[0]?.params).toEqual({ datasetId: images, version: 'current' });
  });
});

describe('tenancy', () => {
  it("answers 404 to another user's reads and writes, and changes nothing", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const pipeline = await createPipeline(db, alice.actor, {
      name: 'secret',
      definition: splitPipeline(0.2),
    });

    await expectRejected(getPipeline(db, bob.scope, pipeline.id), NotFoundError, 'PIPELINE.NOT_FOUND');
    await expectRejected(
      updatePipeline(db, bob.actor, pipeline.id, { name: 'mine' }),
      NotFoundError,
      'PIPELINE.NOT_FOUND',
    );
    await expectRejected(
      deletePipeline({ db, clock }, bob.actor, pipeline.id),
      NotFoundError,
      'PIPELINE.NOT_FOUND',
    );
    await expectRejected(
      validateStoredPipeline({ db, clock }, bob.actor, pipeline.id),
      NotFoundError,
      'PIPELINE.NOT_FOUND',
    );
    await expectRejected(clonePipeline(db, bob.actor, pipeline.id, {}), NotFoundError, 'PIPELINE.NOT_FOUND');
    const page = await findPipelines(db, bob.scope, { limit: 100 });
    expect(page.items.map((p) => p.id)).not.toContain(pipeline.id);

    expect(await getPipeline(db, alice.scope, pipeline.id)).toMatchObject({
      name: 'secret',
      status: 'draft',
      version: 1,
    });
  });

  it("answers 404 to an admin asking for another user's pipeline through the user operations", async () => {
    const alice = await newUser();
    const admin = await newUser('admin');
    const pipeline = await createPipeline(db, alice.actor, {
      name: 'audited',
      definition: splitPipeline(0.2),
    });

    await expect(getPipeline(db, admin.scope, pipeline.id)).rejects.toBeInstanceOf(NotFoundError);
    const page = await findPipelines(db, admin.scope, { limit: 50 });
    expect(page.items.map((p) => p.id)).not.toContain(pipeline.id);
  });

  it('row-level security alone hides other tenants’ pipelines but shows templates', async () => {
    const alice = await newUser();
    const bob = await newUser();
    await createPipeline(db, alice.actor, { name: 'a', definition: splitPipeline(0.2) });

    // No owner filter in this query: only the policies stand between bob and alice's rows.
    const visible = await withTenant(db, bob.scope, (trx) =>
      trx.selectFrom('pipelines').select(['user_id', 'is_template']).execute(),
    );
    expect(visible.length).toBe(PIPELINE_TEMPLATES.length);
    expect(visible.every((row) => row.is_template && row.user_id === null)).toBe(true);
    // Nor can bob write to a template behind the repository's back.
    const changed = await withTenant(db, bob.scope, (trx) =>
      trx
        .updateTable('pipelines')
        .set({ name: 'hijacked' })
        .where('is_template', '=', true)
        .executeTakeFirst(),
    );
    expect(changed.numUpdatedRows).toBe(0n);
  });
});

describe('listing', () => {
  it('pages newest first with a cursor and filters by status, dataset and name', async () => {
    const alice = await newUser();
    const datasetId = await newDataset(alice.id);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const p = await createPipeline(db, alice.actor, {
        name: `Pipeline ${i}`,
        datasetId: i % 2 === 0 ? datasetId : null,
        definition: splitPipeline(0.2),
      });
      ids.push(p.id);
    }
    await updatePipeline(db, alice.actor, ids[1] ?? '', { status: 'archived' });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await findPipelines(db, alice.scope, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const archived = await findPipelines(db, alice.scope, { limit: 10, status: ['archived'] });
    expect(archived.items.map((p) => p.id)).toEqual([ids[1]]);
    const onDataset = await findPipelines(db, alice.scope, { limit: 10, datasetId });
    expect(onDataset.items.map((p) => p.id)).toEqual([ids[4], ids[2], ids[0]]);
    const byName = await findPipelines(db, alice.scope, { limit: 10, search: 'line 3' });
    expect(byName.items.map((p) => p.id)).toEqual([ids[3]]);
    const literal = await findPipelines(db, alice.scope, { limit: 10, search: '%' });
    expect(literal.items).toEqual([]);
  });

  it('rejects a cursor it did not issue', async () => {
    const alice = await newUser();
    await expectRejected(
      findPipelines(db, alice.scope, { limit: 2, cursor: 'bm9wZQ' }),
      Error,
      'REQUEST.INVALID_CURSOR',
    );
  });
});

describe('templates', () => {
  it('ships the templates, readable and cloneable by everyone but changeable by no one', async () => {
    const carol = await newUser();
    const templates = await findPipelines(db, carol.scope, { template: true, limit: 50 });
    expect(templates.items.map((t) => t.templateKey).sort()).toEqual(
      PIPELINE_TEMPLATES.map((t) => t.key).sort(),
    );
    expect(templates.items.map((t) => t.templateKey)).toEqual(
      expect.arrayContaining([
        'tabular.classification',
        'text.classification',
        'image.classification',
        'audio.classification',
      ]),
    );
    const classification = templates.items.find((t) => t.templateKey === 'tabular.classification');
    if (!classification) throw new Error('no classification template');
    expect(classification).toMatchObject({ ownerId: null, isTemplate: true, mlTaskId: expect.any(String) });
    // The caller's own list does not mix templates in.
    expect((await findPipelines(db, carol.scope, { limit: 50 })).items).toEqual([]);

    await expectRejected(
      updatePipeline(db, carol.actor, classification.id, { name: 'mine' }),
      ConflictError,
      'PIPELINE.TEMPLATE_READ_ONLY',
    );
    await expectRejected(
      deletePipeline({ db, clock }, carol.actor, classification.id),
      ConflictError,
      'PIPELINE.TEMPLATE_READ_ONLY',
    );

    // Checking a template tells what is missing without changing it.
    const check = await validateStoredPipeline({ db, clock }, carol.actor, classification.id);
    expect(check.issues.map((i) => i.field)).toEqual(['nodes[source].params.datasetId']);
    expect(check.pipeline).toMatchObject({
      status: 'draft',
      validationErrors: null,
      version: classification.version,
    });

    const datasetId = await newDataset(carol.id);
    const copy = await clonePipeline(db, carol.actor, classification.id, { datasetId });
    expect(copy).toMatchObject({
      ownerId: carol.id,
      isTemplate: false,
      templateKey: null,
      status: 'draft',
      version: 1,
      datasetId,
      mlTaskId: classification.mlTaskId,
      name: `${classification.name} (copy)`,
      definition: classification.definition,
    });
    expect((await validateStoredPipeline({ db, clock }, carol.actor, copy.id)).valid).toBe(true);
  });

  it('clones your own pipeline with its dataset, under a new name', async () => {
    const alice = await newUser();
    const datasetId = await newDataset(alice.id);
    const original = await createPipeline(db, alice.actor, {
      name: 'orig',
      datasetId,
      definition: splitPipeline(0.2),
    });

    const copy = await clonePipeline(db, alice.actor, original.id, { name: 'experiment' });

    expect(copy).toMatchObject({
      name: 'experiment',
      datasetId,
      definition: original.definition,
      status: 'draft',
    });
    expect(copy.id).not.toBe(original.id);
  });

  it('keeps the templates as they are when reference data is seeded again', async () => {
    const templates = () =>
      withSystemScope(db, 'admin.test-fixture', (trx) =>
        trx
          .selectFrom('pipelines')
          .selectAll()
          .where('is_template', '=', true)
          .orderBy('template_key')
          .execute(),
      );
    const before = await templates();
    expect(before.length).toBeGreaterThan(0);
    const { seedReferenceData } = await import('../../../../../shared/domain/pipelines/reference-data');

    await seedReferenceData(db);

    const after = await templates();
    expect(after.map(({ updated_at: _u, ...rest }) => rest)).toEqual(
      before.map(({ updated_at: _u, ...rest }) => rest),
    );
  });
});

describe('deletion', () => {
  it('hides the pipeline, updates the counter, and leaves snapshots and jobs that used it readable', async () => {
    const alice = await newUser();
    const pipeline = await createPipeline(db, alice.actor, {
      name: 'doomed',
      definition: splitPipeline(0.2),
    });
    const { snapshot, job } = await withTenant(db, alice.scope, async (trx) => {
      const snapshotRow = await trx
        .insertInto('pipeline_snapshots')
        .values({
          user_id: alice.id,
          pipeline_id: pipeline.id,
          pipeline_version: 1,
          name: 'doomed',
          definition: jsonb(splitPipeline(0.2)),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const jobRow = await trx
        .insertInto('jobs')
        .values({ user_id: alice.id, snapshot_id: snapshotRow.id, pipeline_id: pipeline.id })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { snapshot: snapshotRow, job: jobRow };
    });
    const pipelineCount = () =>
      withSystemScope(db, 'admin.test-fixture', (trx) =>
        trx.selectFrom('users').select('pipeline_count').where('id', '=', alice.id).executeTakeFirstOrThrow(),
      );
    const countBefore = await pipelineCount();

    await deletePipeline({ db, clock }, alice.actor, pipeline.id);

    await expectRejected(getPipeline(db, alice.scope, pipeline.id), NotFoundError, 'PIPELINE.NOT_FOUND');
    await expectRejected(
      deletePipeline({ db, clock }, alice.actor, pipeline.id),
      NotFoundError,
      'PIPELINE.NOT_FOUND',
    );
    expect((await findPipelines(db, alice.scope, { limit: 10 })).items).toEqual([]);
    const row = await withSystemScope(db, 'admin.test-fixture', (trx) =>
      trx
        .selectFrom('pipelines')
        .select('deleted_at')
        .where('id', '=', pipeline.id)
        .executeTakeFirstOrThrow(),
    );
    expect(row.deleted_at).toEqual(clock.now());
    const countAfter = await pipelineCount();
    expect(countAfter.pipeline_count).toBe(countBefore.pipeline_count - 1);

    const survivors = await withTenant(db, alice.scope, async (trx) => ({
      snapshot: await trx
        .selectFrom('pipeline_snapshots')
        .select(['id', 'definition'])
        .where('id', '=', snapshot.id)
        .executeTakeFirst(),
      job: await trx
        .selectFrom('jobs')
        .select(['id', 'snapshot_id'])
        .where('id', '=', job.id)
        .executeTakeFirst(),
    }));
    expect(survivors.snapshot?.definition).toEqual(splitPipeline(0.2));
    expect(survivors.job?.snapshot_id).toBe(snapshot.id);
  });
});
