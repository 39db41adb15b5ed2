import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { isDatabaseError, SqlState } from '../../../../../shared/db/database-error';
import { withTenant } from '../../../../../shared/db/tenant';
import { getModel } from '../../../../../shared/domain/models/get-model';
import { listCallerModels } from '../../../../../shared/domain/models/list-models';
import {
  deleteModel,
  removeModelAlias,
  resolveModelAlias,
  setModelAlias,
  updateModel,
} from '../../../../../shared/domain/models/model-registry';
import { modelView } from '../../../../../shared/domain/models/model-view';
import { databaseLearningRecords } from '../../../../../shared/domain/runs/learning-records';
import type { SignedInContext } from '../../../../../shared/kernel/request-context';
import { createLogger } from '../../../../../shared/observability/logger';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { inSystemScope } from '../../../support/fixtures';
import { MemoryBlobs } from '../../../support/memory-blobs';
import { createLearningJob, modelRegistration, type LearningJob } from '../runs/learning-job';

/**
 * The model registry: versions numbered per (owner, name) whatever the pipeline, also when many
 * are registered at once; aliases set, moved and removed with an audit entry each; a deleted
 * version takes its aliases and objects with it; another tenant sees and changes none of it.
 */

let testDb: TestDatabase;
let db: Database;
let alice: LearningJob;
let bob: LearningJob;
const logger = createLogger({ serviceName: 'model-registry-test', logLevel: 'SILENT' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  [alice, bob] = await Promise.all([createLearningJob(db), createLearningJob(db)]);
});
afterAll(async () => {
  await testDb?.drop();
});

function actor(userId: string): SignedInContext {
  return {
    caller: { userId, role: 'user', via: 'jwt', scopes: [] },
    sourceIp: '203.0.113.7',
    userAgent: 'vitest',
    requestId: randomUUID(),
  };
}

async function register(job: LearningJob, name: string, pipelineId: string | null = job.pipelineId) {
  const registration = modelRegistration(job.userId, { name });
  await databaseLearningRecords(db, {
    userId: job.userId,
    jobId: job.jobId,
    pipelineId,
    pipelineName: job.pipelineName,
  }).registerModel(registration);
  return getModel(db, { userId: job.userId }, registration.modelId);
}

async function auditOf(userId: string, action: string) {
  return inSystemScope(db, (trx) =>
    trx
      .selectFrom('audit_logs')
      .select(['resource_id', 'changes'])
      .where('user_id', '=', userId)
      .where('action', '=', action)
      .orderBy('created_at')
      .execute(),
  );
}

describe('model registry', () => {
  it('numbers versions per owner and name, across pipelines, with no gaps or repeats under concurrency', async () => {
    const name = `churn ${randomUUID().slice(0, 8)}`;
    const first = await register(alice, name);
    const fromNoPipeline = await register(alice, name, null);
    expect([first.version, fromNoPipeline.version]).toEqual([1, 2]);

    const concurrent = await Promise.all(Array.from({ length: 8 }, () => register(alice, name)));
    expect(concurrent.map((m) => m.version).sort((x, y) => x - y)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);

    // Another name, and another owner's same name, start at 1.
    expect((await register(alice, `${name} b`)).version).toBe(1);
    expect((await register(bob, name)).version).toBe(1);

    // A version's name and number never change.
    const rename = withTenant(db, { userId: alice.userId, role: 'user' }, (trx) =>
      trx.updateTable('models').set({ name: 'other' }).where('id', '=', first.id).execute(),
    );
    await expect(rename).rejects.toSatisfy((e) => isDatabaseError(e, SqlState.checkViolation));
  });

  it('sets, moves and removes an alias, auditing each with where it pointed', async () => {
    const name = `alias ${randomUUID().slice(0, 8)}`;
    const v1 = await register(alice, name);
    const v2 = await register(alice, name);
    const context = actor(alice.userId);

    const set = await setModelAlias(db, context, { name, alias: 'production', version: 1 });
    expect(set).toMatchObject({ name, alias: 'production', modelId: v1.id, version: 1 });
    expect(await resolveModelAlias(db, context.caller, name, 'production')).toBe(v1.id);
    const view1 = modelView(await getModel(db, context.caller, v1.id));
    expect(view1).toMatchObject({
      aliases: ['production'],
      isProduction: true,
      deployedAt: expect.any(String),
    });

    await setModelAlias(db, context, { name, alias: 'production', version: 2 });
    expect(await resolveModelAlias(db, context.caller, name, 'production')).toBe(v2.id);
    expect(modelView(await getModel(db, context.caller, v1.id))).toMatchObject({
      aliases: [],
      isProduction: false,
      deployedAt: null,
    });
    const listed = await listCallerModels(db, context.caller, { name, alias: 'production', limit: 10 });
    expect(listed.items.map((m) => m.id)).toEqual([v2.id]);

    const audits = (await auditOf(alice.userId, 'model.alias.set')).filter(
      (a) => (a.changes as { name?: string } | null)?.name === name,
    );
    expect(audits.map((a) => a.changes)).toEqual([
      { name, alias: 'production', version: { from: null, to: 1 }, modelId: { from: null, to: v1.id } },
      { name, alias: 'production', version: { from: 1, to: 2 }, modelId: { from: v1.id, to: v2.id } },
    ]);

    await removeModelAlias(db, context, { name, alias: 'production' });
    await expect(resolveModelAlias(db, context.caller, name, 'production')).rejects.toMatchObject({
      status: 404,
    });
    await expect(removeModelAlias(db, context, { name, alias: 'production' })).rejects.toMatchObject({
      status: 404,
    });
    expect((await auditOf(alice.userId, 'model.alias.delete')).at(-1)?.changes).toEqual({
      name,
      alias: 'production',
      version: 2,
    });

    // Unknown names and versions are 404s, naming what is missing.
    await expect(setModelAlias(db, context, { name, alias: 'staging', version: 9 })).rejects.toMatchObject({
      status: 404,
      code: 'MODEL_VERSION.NOT_FOUND',
    });
    await expect(
      setModelAlias(db, context, { name: 'no such name', alias: 'staging', version: 1 }),
    ).rejects.toMatchObject({ status: 404, code: 'MODEL_NAME.NOT_FOUND' });
  });

  it('keeps aliases to their tenant: another owner can neither see, use nor move them', async () => {
    const name = `tenant ${randomUUID().slice(0, 8)}`;
    await register(alice, name);
    await setModelAlias(db, actor(alice.userId), { name, alias: 'production', version: 1 });
    const bobContext = actor(bob.userId);
    await expect(resolveModelAlias(db, bobContext.caller, name, 'production')).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      setModelAlias(db, bobContext, { name, alias: 'production', version: 1 }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(removeModelAlias(db, bobContext, { name, alias: 'production' })).rejects.toMatchObject({
      status: 404,
    });
    const seen = await withTenant(db, { userId: bob.userId, role: 'user' }, async (trx) => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from model_aliases where user_id = ${alice.userId}::uuid`.execute(trx);
      return rows[0]?.n;
    });
    expect(seen).toBe(0);
    // Nor can Bob write an alias row for Alice's model.
    const forged = withTenant(db, { userId: bob.userId, role: 'user' }, (trx) =>
      trx
        .insertInto('model_aliases')
        .values({ user_id: alice.userId, name, alias: 'forged', model_id: randomUUID() })
        .execute(),
    );
    await expect(forged).rejects.toSatisfy((e) => isDatabaseError(e, SqlState.insufficientPrivilege));
    expect(await resolveModelAlias(db, actor(alice.userId).caller, name, 'production')).toEqual(
      expect.any(String),
    );
  });

  it('edits description and tags, and deletes a version with its aliases and objects', async () => {
    const name = `edit ${randomUUID().slice(0, 8)}`;
    const v1 = await register(alice, name);
    const v2 = await register(alice, name);
    const context = actor(alice.userId);
    const updated = await updateModel(db, context, v1.id, { description: 'first cut', tags: ['baseline'] });
    expect(modelView(updated)).toMatchObject({ description: 'first cut', tags: ['baseline'] });
    expect((await auditOf(alice.userId, 'model.update')).at(-1)).toMatchObject({
      resource_id: v1.id,
      changes: { description: { from: null, to: 'first cut' }, tags: { from: [], to: ['baseline'] } },
    });
    await expect(updateModel(db, actor(bob.userId), v1.id, { description: 'mine' })).rejects.toMatchObject({
      status: 404,
    });

    await setModelAlias(db, context, { name, alias: 'production', version: 2 });
    const blobs = new MemoryBlobs();
    await blobs.put(v2.artifactKey, 'artifact');
    await blobs.put(`models/${alice.userId}/${v2.id}/metadata/report.json`, '{}');
    await blobs.put(v1.artifactKey, 'other artifact');

    await expect(deleteModel({ db, blobs, logger }, actor(bob.userId), v2.id)).rejects.toMatchObject({
      status: 404,
    });
    await deleteModel({ db, blobs, logger }, context, v2.id);
    await expect(getModel(db, context.caller, v2.id)).rejects.toMatchObject({ status: 404 });
    await expect(resolveModelAlias(db, context.caller, name, 'production')).rejects.toMatchObject({
      status: 404,
    });
    expect([...blobs.objects.keys()]).toEqual([v1.artifactKey]);
    expect((await auditOf(alice.userId, 'model.delete')).at(-1)).toMatchObject({
      resource_id: v2.id,
      changes: { name, version: 2, aliases: ['production'] },
    });
    // The remaining version keeps its number, and the deleted one's is never handed out again.
    expect((await getModel(db, context.caller, v1.id)).version).toBe(1);
    expect((await register(alice, name)).version).toBe(3);
  });
});
