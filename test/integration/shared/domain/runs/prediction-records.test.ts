import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { isDatabaseError, SqlState } from '../../../../../shared/db/database-error';
import { withOwner } from '../../../../../shared/db/owner-filter';
import { NotFoundError } from '../../../../../shared/kernel/app-error';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { upsertAlias } from '../../../../../shared/domain/models/model-repository';
import { PredictorCache } from '../../../../../shared/domain/models/model-predictors';
import type { NodeInputs, NodePortOutput } from '../../../../../shared/domain/nodes/node-definition';
import type { ModelReference } from '../../../../../shared/domain/nodes/registered-models.port';
import { databaseJobResults } from '../../../../../shared/domain/runs/job-result-records';
import { databaseLearningRecords } from '../../../../../shared/domain/runs/learning-records';
import { listCallerJobResults } from '../../../../../shared/domain/runs/query-jobs';
import { databaseRegisteredModels } from '../../../../../shared/domain/runs/registered-models';
import { createNodeHarness, type NodeHarness } from '../../../../unit/support/node-test-context';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { inSystemScope } from '../../../support/fixtures';
import { createLearningJob, type LearningJob } from './learning-job';

/**
 * What model.predict reads and records, over a real PostgreSQL: a job's node loads only its
 * owner's models (by id, alias, version or artifact), records one result per node, and registers
 * its output as a dataset version once, through the arrival path an upload takes.
 */
let testDb: TestDatabase;
let db: Database;
let harness: NodeHarness;
let alice: LearningJob;
let bob: LearningJob;
let aliceModelId: string;
let test: NodePortOutput;
const MODEL_NAME = 'pets';
const logger = { error: () => undefined };

const modelsOf = (job: LearningJob) =>
  databaseRegisteredModels(
    { db, blobs: harness.blobs, logger },
    { userId: job.userId },
    new PredictorCache(),
  );
const resultsOf = (job: LearningJob, nodeId = 'predict', tierLimits = {}) =>
  databaseJobResults(
    { db, blobs: harness.blobs, clock: fixedClock('2026-12-01T10:00:00.000Z'), tierLimits },
    { userId: job.userId, jobId: job.jobId, nodeId },
  );

/** Runs model.predict as a node of `job` (again, when the node id repeats), with the database's models and results. */
const predictAs = (
  job: LearningJob,
  params: unknown,
  options: { nodeId?: string; tierLimits?: object } = {},
) => {
  const nodeId = options.nodeId ?? 'predict';
  return harness.run('model.predict', { table: test }, params, {
    nodeId,
    userId: job.userId,
    models: modelsOf(job),
    results: resultsOf(job, nodeId, options.tierLimits),
  });
};

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  harness = await createNodeHarness();
  [alice, bob] = await Promise.all([createLearningJob(db), createLearningJob(db)]);

  // A classifier trained by a node, its artifact stored and registered as Alice's.
  const source = await harness.table(
    'jobs/pets.parquet',
    `SELECT range % 7 AS age, CASE WHEN range % 7 > 3 THEN 'cat' ELSE 'dog' END AS kind FROM range(120)`,
  );
  const split = await harness.run('table.split', { table: { key: source } }, { testFraction: 0.25, seed: 1 });
  test = split.outputs['test'] as NodePortOutput;
  const trained = await harness.run('model.train', { train: split.outputs['train'] } as NodeInputs, {
    target: 'kind',
    learner: 'decision_tree',
    seed: 1,
  });
  const registration = harness.learning.models.at(-1);
  if (!registration) throw new Error('no model was registered');
  aliceModelId = randomUUID();
  const artifactKey = `models/${alice.userId}/${aliceModelId}/model.json`;
  await harness.blobs.put(artifactKey, await harness.blobs.getBytes(trained.outputs['model']?.key ?? ''));
  await databaseLearningRecords(db, {
    userId: alice.userId,
    jobId: alice.jobId,
    pipelineId: alice.pipelineId,
    pipelineName: alice.pipelineName,
  }).registerModel({
    ...registration,
    modelId: aliceModelId,
    name: MODEL_NAME,
    artifactKey,
    // The harness's experiment runs are not in the database.
    experimentRunId: undefined,
  });
  await withOwner(db, { userId: alice.userId }, (trx) =>
    upsertAlias(trx, { ownerId: alice.userId, name: MODEL_NAME, alias: 'production', modelId: aliceModelId }),
  );
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await testDb?.drop();
});

describe('registered models of a job’s owner', () => {
  /** Every way a node may name Alice's model. */
  const references = (): readonly ModelReference[] => [
    { kind: 'id', modelId: aliceModelId },
    { kind: 'alias', name: MODEL_NAME, alias: 'production' },
    { kind: 'version', name: MODEL_NAME, version: 1 },
    { kind: 'artifact', artifactKey: `models/${alice.userId}/${aliceModelId}/model.json` },
  ];

  it('load by id, alias, version and artifact, the artifact checked against its SHA-256', async () => {
    for (const reference of references()) {
      const loaded = await modelsOf(alice).load(reference);
      expect(loaded, reference.kind).toMatchObject({ modelId: aliceModelId, name: MODEL_NAME, version: 1 });
      expect(loaded.predictor.classes).toEqual(['cat', 'dog']);
    }
  });

  it('never load another tenant’s model, however it is named', async () => {
    for (const reference of references())
      await expect(modelsOf(bob).load(reference), reference.kind).rejects.toBeInstanceOf(NotFoundError);
    // As a node of Bob's job, Alice's model id fails the node on its parameter.
    await expect(predictAs(bob, { model: aliceModelId })).rejects.toMatchObject({
      name: 'PipeWeave.NodeError',
      field: 'params.model',
    });
  });

  it('refuse a registered model whose stored artifact was changed', async () => {
    const artifactKey = `models/${alice.userId}/${aliceModelId}/model.json`;
    const original = await harness.blobs.getBytes(artifactKey);
    await harness.blobs.put(artifactKey, Buffer.concat([Buffer.from(original), Buffer.from(' ')]));
    try {
      await expect(predictAs(alice, { model: `${MODEL_NAME}@production` })).rejects.toThrow(
        /SHA-256 does not match the one recorded when it was trained/,
      );
    } finally {
      await harness.blobs.put(artifactKey, original);
    }
  });
});

describe('job results', () => {
  it('register the output as a new dataset by name once per node, through the raw arrival path', async () => {
    const first = await predictAs(alice, { model: aliceModelId, outputDataset: { name: 'Scored pets' } });
    const again = await predictAs(alice, { model: aliceModelId, outputDataset: { name: 'Scored pets' } });
    expect(again.metrics['resultId']).toBe(first.metrics['resultId']);
    expect(again.metrics['outputDatasetVersionId']).toBe(first.metrics['outputDatasetVersionId']);

    const { items } = await listCallerJobResults(db, { userId: alice.userId }, alice.jobId, { limit: 10 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      jobId: alice.jobId,
      nodeId: 'predict',
      outputKey: first.outputs['table']?.key,
      rowCount: test.rows,
      metrics: { rowsPredicted: test.rows, modelId: aliceModelId, modelName: MODEL_NAME, modelVersion: 1 },
      outputDataset: {
        datasetId: first.metrics['outputDatasetId'],
        datasetVersionId: first.metrics['outputDatasetVersionId'],
        versionNumber: 1,
        status: 'uploading',
      },
    });
    expect(Number(items[0]?.metrics['accuracy'])).toBeGreaterThan(0.9);

    const dataset = await inSystemScope(db, (trx) =>
      trx
        .selectFrom('datasets')
        .selectAll()
        .where('id', '=', String(first.metrics['outputDatasetId']))
        .executeTakeFirst(),
    );
    expect(dataset).toMatchObject({
      user_id: alice.userId,
      name: 'Scored pets',
      modality: 'tabular',
      source_type: 'pipeline',
    });
    const version = await inSystemScope(db, (trx) =>
      trx
        .selectFrom('dataset_versions')
        .selectAll()
        .where('dataset_id', '=', dataset?.id ?? '')
        .execute(),
    );
    expect(version).toHaveLength(1);
    const rawKey = `raw/${alice.userId}/${dataset?.id}/1/predictions.parquet`;
    expect(version[0]).toMatchObject({
      source_type: 'pipeline',
      original_format: 'parquet',
      raw_object_key: rawKey,
      original_size_bytes: first.outputs['table']?.bytes,
    });
    // The table itself waits under the version's raw key: its arrival starts ingestion.
    expect(Buffer.from(await harness.blobs.getBytes(rawKey))).toEqual(
      Buffer.from(await harness.blobs.getBytes(first.outputs['table']?.key ?? '')),
    );
  });

  it('add the next version to a dataset named by id, and refuse another tenant’s dataset', async () => {
    const added = await predictAs(
      alice,
      { model: aliceModelId, outputDataset: { datasetId: alice.datasetId } },
      {
        nodeId: 'predict-into-existing',
      },
    );
    expect(added.metrics).toMatchObject({ outputDatasetId: alice.datasetId, outputDatasetVersion: 2 });

    await expect(
      predictAs(
        alice,
        { model: aliceModelId, outputDataset: { datasetId: bob.datasetId } },
        { nodeId: 'stolen' },
      ),
    ).rejects.toMatchObject({
      field: 'params.outputDataset',
      message: expect.stringMatching(/was not found/),
    });
  });

  it('respect the tier’s dataset count when the dataset has to be created', async () => {
    await expect(
      predictAs(
        alice,
        { model: aliceModelId, outputDataset: { name: 'one too many' } },
        {
          nodeId: 'over-limit',
          tierLimits: { free: { maxDatasets: 1 } },
        },
      ),
    ).rejects.toMatchObject({
      field: 'params.outputDataset',
      message: expect.stringMatching(/The free tier allows 1 datasets/),
    });
  });

  it('are listed to their owner only', async () => {
    await expect(
      listCallerJobResults(db, { userId: bob.userId }, alice.jobId, { limit: 10 }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await resultsOf(bob).record({ outputKey: 'jobs/x/table.parquet', rowCount: 0, metrics: {} });
    const { items } = await listCallerJobResults(db, { userId: bob.userId }, bob.jobId, { limit: 10 });
    expect(items.map((r) => r.jobId)).toEqual([bob.jobId]);
  });

  it('keep a result’s job and dataset version to its owner’s', async () => {
    const error = await inSystemScope(db, (trx) =>
      trx
        .insertInto('results')
        .values({ user_id: alice.userId, job_id: bob.jobId, node_id: 'forged' })
        .execute(),
    ).catch((e: unknown) => e);
    expect(isDatabaseError(error, SqlState.foreignKeyViolation)).toBe(true);
    const version = await inSystemScope(db, (trx) =>
      trx
        .selectFrom('dataset_versions')
        .select('id')
        .where('user_id', '=', bob.userId)
        .executeTakeFirstOrThrow(),
    );
    const forged = await inSystemScope(db, (trx) =>
      trx
        .insertInto('results')
        .values({
          user_id: alice.userId,
          job_id: alice.jobId,
          node_id: 'forged',
          output_dataset_version_id: version.id,
        })
        .execute(),
    ).catch((e: unknown) => e);
    expect(isDatabaseError(forged, SqlState.foreignKeyViolation)).toBe(true);
  });
});
