import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { withTenant } from '../../../../../shared/db/tenant';
import { NotFoundError, ValidationError } from '../../../../../shared/kernel/app-error';
import {
  compareExperimentRuns,
  createExperiment,
  findCallerExperiments,
  getExperimentWithRuns,
} from '../../../../../shared/domain/experiments/experiment-use-cases';
import type { ExperimentRunRecord } from '../../../../../shared/domain/nodes/learning-records.port';
import { databaseLearningRecords } from '../../../../../shared/domain/runs/learning-records';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createLearningJob, modelRegistration, type LearningJob } from '../runs/learning-job';

/** Experiments as the API reads them: tenant-scoped, paged newest first, runs in order, side by side. */

let testDb: TestDatabase;
let db: Database;
let alice: LearningJob;
let bob: LearningJob;
let searchId: string;
const runIds: string[] = [];

const recordsOf = (job: LearningJob) =>
  databaseLearningRecords(db, {
    userId: job.userId,
    jobId: job.jobId,
    pipelineId: job.pipelineId,
    pipelineName: job.pipelineName,
    nodeId: 'train',
    datasetVersionId: job.datasetVersionId,
  });

function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  [alice, bob] = await Promise.all([createLearningJob(db), createLearningJob(db)]);
  const records = recordsOf(alice);
  searchId = (await records.experiment({ objectiveMetric: 'validation.f1', direction: 'maximize' }))
    .experimentId;
  const trials: Pick<ExperimentRunRecord, 'learner' | 'hyperparameters' | 'metrics'>[] = [
    {
      learner: 'logistic_regression',
      hyperparameters: { c: 1 },
      metrics: { 'validation.f1': 0.81, fitSeconds: 0.4 },
    },
    {
      learner: 'random_forest',
      hyperparameters: { nEstimators: 100, maxDepth: 8 },
      metrics: { 'validation.f1': 0.88 },
    },
    {
      learner: 'random_forest',
      hyperparameters: { nEstimators: 300, maxDepth: 8 },
      metrics: { 'validation.f1': 0.9, 'test.f1': 0.87 },
    },
  ];
  for (const trial of trials) {
    const { runId } = await records.recordRun({
      experimentId: searchId,
      ...trial,
      durationSeconds: 1,
      status: 'completed',
    });
    runIds.push(runId);
  }
  await records.recordRun({
    experimentId: searchId,
    learner: 'hist_gradient_boosting',
    hyperparameters: { maxIter: 1_000 },
    metrics: {},
    durationSeconds: 30,
    status: 'timeout',
    stopReason: 'time budget reached',
  });
  await records.setBestRun(searchId, runIds[2] ?? '');
  await records.registerModel(modelRegistration(alice.userId, { experimentRunId: runIds[2] }));
});
afterAll(async () => {
  await testDb?.drop();
});

describe('experiments', () => {
  it('creates an experiment on one of the caller’s datasets, and not on another tenant’s', async () => {
    const created = await createExperiment(
      db,
      { userId: alice.userId },
      {
        name: 'learners on churn',
        datasetId: alice.datasetId,
        objectiveMetric: 'rmse',
        objectiveDirection: 'minimize',
      },
    );
    expect(created).toMatchObject({
      ownerId: alice.userId,
      datasetId: alice.datasetId,
      jobId: null,
      objectiveDirection: 'minimize',
      runCount: 0,
    });
    const error = await rejectionOf(
      createExperiment(db, { userId: alice.userId }, { name: 'stolen', datasetId: bob.datasetId }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ field: 'body.datasetId', code: 'DATASET.NOT_FOUND' });
  });

  it('lists the caller’s experiments newest first in stable pages, filtered by dataset or pipeline', async () => {
    const owner = { userId: alice.userId };
    for (let i = 0; i < 5; i++) await createExperiment(db, owner, { name: `page ${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await findCallerExperiments(db, owner, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await findCallerExperiments(db, owner, { limit: 100 });
    expect(seen).toEqual(all.items.map((e) => e.id));
    expect(all.items.length).toBeGreaterThanOrEqual(6);
    const times = all.items.map((e) => e.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(all.items.every((e) => e.ownerId === alice.userId)).toBe(true);

    const byPipeline = await findCallerExperiments(db, owner, { pipelineId: alice.pipelineId, limit: 100 });
    expect(byPipeline.items.map((e) => e.id)).toEqual([searchId]);
    expect(byPipeline.items[0]?.runCount).toBe(4);
    const byDataset = await findCallerExperiments(db, owner, { datasetId: alice.datasetId, limit: 100 });
    expect(byDataset.items.map((e) => e.id)).toContain(searchId);
    expect((await findCallerExperiments(db, owner, { datasetId: bob.datasetId, limit: 100 })).items).toEqual(
      [],
    );
  });

  it('reads an experiment with its runs in run-number order, page by page', async () => {
    const owner = { userId: alice.userId };
    const first = await getExperimentWithRuns(db, owner, searchId, { limit: 3 });
    expect(first.experiment.bestRunId).toBe(runIds[2]);
    expect(first.runs.map((r) => r.runNumber)).toEqual([1, 2, 3]);
    expect(first.nextAfterRunNumber).toBe(3);
    const rest = await getExperimentWithRuns(db, owner, searchId, { afterRunNumber: 3, limit: 3 });
    expect(rest.runs.map((r) => [r.runNumber, r.status, r.stopReason])).toEqual([
      [4, 'timeout', 'time budget reached'],
    ]);
    expect(rest.nextAfterRunNumber).toBeNull();
    expect(first.runs[2]?.modelId).not.toBeNull();
  });

  it('answers another tenant’s experiment as not found', async () => {
    const bobs = { userId: bob.userId };
    await expect(getExperimentWithRuns(db, bobs, searchId, { limit: 10 })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(compareExperimentRuns(db, bobs, searchId, undefined)).rejects.toBeInstanceOf(NotFoundError);
    await expect(compareExperimentRuns(db, bobs, searchId, runIds)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getExperimentWithRuns(db, bobs, randomUUID(), { limit: 10 })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('puts runs side by side: the union of keys as rows, one column per run in the order asked', async () => {
    const order = [runIds[2] ?? '', runIds[0] ?? ''];
    const { comparison } = await compareExperimentRuns(db, { userId: alice.userId }, searchId, order);
    expect(comparison.runs.map((r) => r.id)).toEqual(order);
    expect(comparison.metrics).toEqual([
      { key: 'validation.f1', values: [0.9, 0.81], differs: true },
      { key: 'fitSeconds', values: [null, 0.4], differs: true },
      { key: 'test.f1', values: [0.87, null], differs: true },
    ]);
    expect(comparison.hyperparameters).toEqual([
      { key: 'c', values: [null, 1], differs: true },
      { key: 'maxDepth', values: [8, null], differs: true },
      { key: 'nEstimators', values: [300, null], differs: true },
    ]);

    const all = await compareExperimentRuns(db, { userId: alice.userId }, searchId, undefined);
    expect(all.comparison.runs.map((r) => r.runNumber)).toEqual([1, 2, 3, 4]);
    const same = await compareExperimentRuns(db, { userId: alice.userId }, searchId, [
      runIds[1] ?? '',
      runIds[2] ?? '',
    ]);
    expect(same.comparison.hyperparameters.find((row) => row.key === 'maxDepth')).toEqual({
      key: 'maxDepth',
      values: [8, 8],
      differs: false,
    });
  });

  it('refuses runs that are not this experiment’s, and more than 20, naming query.runs', async () => {
    const owner = { userId: alice.userId };
    const bobsExperiment = await recordsOf(bob).experiment({ objectiveMetric: 'f1', direction: 'maximize' });
    const bobsRun = await recordsOf(bob).recordRun({
      experimentId: bobsExperiment.experimentId,
      learner: 'x',
      hyperparameters: {},
      metrics: {},
      durationSeconds: 0,
      status: 'failed',
      errorMessage: 'boom',
    });
    const otherOfAlice = await createExperiment(db, owner, { name: 'other' });
    for (const foreign of [bobsRun.runId, randomUUID()]) {
      const error = await rejectionOf(compareExperimentRuns(db, owner, searchId, [runIds[0] ?? '', foreign]));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'query.runs', code: 'EXPERIMENT.UNKNOWN_RUNS' });
      expect((error as Error).message).toContain(foreign);
    }
    await expect(compareExperimentRuns(db, owner, otherOfAlice.id, [runIds[0] ?? ''])).rejects.toMatchObject({
      field: 'query.runs',
    });
    const tooMany = Array.from({ length: 21 }, () => randomUUID());
    await expect(compareExperimentRuns(db, owner, searchId, tooMany)).rejects.toMatchObject({
      status: 400,
      field: 'query.runs',
    });
  });

  it('row-level security keeps each tenant’s experiments, runs and models to themselves', async () => {
    const counts = await withTenant(db, { userId: bob.userId, role: 'user' }, async (trx) => {
      const { rows } = await sql<{ experiments: number; runs: number; models: number }>`
        select (select count(*)::int from experiments where user_id = ${alice.userId}::uuid) as experiments,
               (select count(*)::int from experiment_runs where user_id = ${alice.userId}::uuid) as runs,
               (select count(*)::int from models where user_id = ${alice.userId}::uuid) as models`.execute(
        trx,
      );
      return rows[0];
    });
    expect(counts).toEqual({ experiments: 0, runs: 0, models: 0 });
    const own = await withTenant(db, { userId: alice.userId, role: 'user' }, async (trx) => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from experiment_runs where experiment_id = ${searchId}::uuid`.execute(trx);
      return rows[0]?.n;
    });
    expect(own).toBe(4);
  });
});
