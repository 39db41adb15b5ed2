import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { isDatabaseError, SqlState } from '../../../../../shared/db/database-error';
import { withOwner } from '../../../../../shared/db/owner-filter';
import { ROW_JSON_BUDGET_BYTES, dataApiJsonBytes } from '../../../../../shared/kernel/bounded-json';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { NotFoundError } from '../../../../../shared/kernel/app-error';
import { findModel } from '../../../../../shared/domain/models/model-repository';
import { databaseLearningRecords } from '../../../../../shared/domain/runs/learning-records';
import { getExperimentWithRuns } from '../../../../../shared/domain/experiments/experiment-use-cases';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { inSystemScope } from '../../../support/fixtures';
import { createLearningJob, modelRegistration, type LearningJob } from './learning-job';

/**
 * The LearningRecords of a training node over a real PostgreSQL: the job's own experiment is
 * created once however many callers race for it, run numbers count 1…n under concurrency, models
 * are written under the node's id with their lineage, and nothing reaches another tenant's rows.
 */

let testDb: TestDatabase;
let db: Database;
let alice: LearningJob;
let bob: LearningJob;

const recordsOf = (job: LearningJob, nodeId = 'train') =>
  databaseLearningRecords(db, {
    userId: job.userId,
    jobId: job.jobId,
    pipelineId: job.pipelineId,
    pipelineName: job.pipelineName,
    nodeId,
    datasetVersionId: job.datasetVersionId,
    clock: fixedClock('2026-12-01T10:00:00.000Z'),
  });

const run = (experimentId: string, learner = 'random_forest') => ({
  experimentId,
  learner,
  hyperparameters: { nEstimators: 100 },
  metrics: { 'validation.accuracy': 0.9 },
  durationSeconds: 2.5,
  status: 'completed' as const,
});

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  [alice, bob] = await Promise.all([createLearningJob(db), createLearningJob(db)]);
});
afterAll(async () => {
  await testDb?.drop();
});

describe('databaseLearningRecords', () => {
  it('creates the job’s own experiment once when its nodes ask at the same time', async () => {
    const job = await createLearningJob(db);
    const asks = Array.from({ length: 8 }, (_, i) =>
      recordsOf(job, `train-${i}`).experiment({
        objectiveMetric: 'validation.accuracy',
        direction: 'maximize',
      }),
    );
    const ids = new Set((await Promise.all(asks)).map((answer) => answer.experimentId));
    expect(ids.size).toBe(1);

    const rows = await inSystemScope(db, (trx) =>
      trx.selectFrom('experiments').selectAll().where('job_id', '=', job.jobId).execute(),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      user_id: job.userId,
      pipeline_id: job.pipelineId,
      dataset_id: job.datasetId,
      name: `${job.pipelineName} — job ${job.jobId.slice(0, 8)}`,
      objective_metric: 'validation.accuracy',
      objective_direction: 'maximize',
    });
  });

  it('numbers concurrent runs of one experiment 1…n without gaps or repeats', async () => {
    const { experimentId } = await recordsOf(alice).experiment({
      objectiveMetric: 'rmse',
      direction: 'minimize',
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => recordsOf(alice, `trial-${i}`).recordRun(run(experimentId))),
    );
    expect(answers.map((a) => a.runNumber).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(new Set(answers.map((a) => a.runId)).size).toBe(20);
  });

  it('keeps learner, status, stop reason, error, duration and timings of each run', async () => {
    const { experimentId } = await recordsOf(alice).experiment({
      name: 'budgeted search',
      objectiveMetric: 'validation.accuracy',
      direction: 'maximize',
    });
    const experiment = await withOwner(db, { userId: alice.userId }, (trx) =>
      trx.selectFrom('experiments').select(['id', 'name']).where('id', '=', experimentId).executeTakeFirst(),
    );
    // The job already has its experiment: the name asked for later does not rename it.
    expect(experiment?.name).not.toBe('budgeted search');

    const { runId } = await recordsOf(alice).recordRun({
      ...run(experimentId, 'hist_gradient_boosting'),
      status: 'timeout',
      stopReason: 'time budget of 60 s reached after 40 of 100 iterations',
      errorMessage: 'x'.repeat(10_000),
      durationSeconds: 60,
    });
    const { runs } = await getExperimentWithRuns(db, { userId: alice.userId }, experimentId, { limit: 500 });
    const stored = runs.find((r) => r.id === runId);
    expect(stored).toMatchObject({
      learner: 'hist_gradient_boosting',
      status: 'timeout',
      stopReason: 'time budget of 60 s reached after 40 of 100 iterations',
      durationSeconds: 60,
      nodeId: 'train',
      jobId: alice.jobId,
      startedAt: new Date('2026-12-01T09:59:00.000Z'),
      completedAt: new Date('2026-12-01T10:00:00.000Z'),
    });
    expect(stored?.errorMessage?.length).toBe(4_000);
  });

  it('bounds what a node hands over so every row stays readable through the Data API', async () => {
    const { experimentId } = await recordsOf(alice).experiment({
      objectiveMetric: 'm0',
      direction: 'maximize',
    });
    const metrics = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`m${i}`, i / 7]));
    const hyperparameters = { grid: Array.from({ length: 10_000 }, (_, i) => i), note: 'é'.repeat(50_000) };
    const { runId } = await recordsOf(alice).recordRun({ ...run(experimentId), metrics, hyperparameters });
    const { runs } = await getExperimentWithRuns(db, { userId: alice.userId }, experimentId, { limit: 500 });
    const stored = runs.find((r) => r.id === runId);
    expect(stored?.metrics['m0']).toBe(0);
    expect(stored?.metrics['_omitted']).toBeGreaterThan(0);
    expect((stored?.hyperparameters['grid'] as unknown[]).length).toBeGreaterThan(0);
    expect(stored?.hyperparameters['_truncated']).toEqual({ grid: 10_000 });
    expect(stored?.hyperparameters['_omitted']).toBe(1);
    expect(dataApiJsonBytes(stored?.metrics) + dataApiJsonBytes(stored?.hyperparameters)).toBeLessThanOrEqual(
      ROW_JSON_BUDGET_BYTES / 2,
    );

    const columns = Array.from({ length: 20_000 }, (_, i) => ({ name: `feature_${i}`, type: 'number' }));
    const model = modelRegistration(alice.userId, { featureSchema: { columns, labelClasses: ['a', 'b'] } });
    await recordsOf(alice).registerModel(model);
    const read = await withOwner(db, { userId: alice.userId }, (trx) =>
      findModel(trx, alice.userId, model.modelId),
    );
    expect(read?.featureSchema?.['_truncated']).toEqual({ columns: 20_000 });
    expect(read?.featureSchema?.['labelClasses']).toEqual(['a', 'b']);
    expect(
      dataApiJsonBytes(read?.featureSchema) +
        dataApiJsonBytes(read?.metrics) +
        dataApiJsonBytes(read?.hyperparameters),
    ).toBeLessThanOrEqual(ROW_JSON_BUDGET_BYTES);
  });

  it('marks the best run, and refuses a run of another experiment', async () => {
    const records = recordsOf(alice);
    const { experimentId } = await records.experiment({ objectiveMetric: 'acc', direction: 'maximize' });
    const { runId } = await records.recordRun(run(experimentId));
    await records.setBestRun(experimentId, runId);
    const { experiment } = await getExperimentWithRuns(db, { userId: alice.userId }, experimentId, {
      limit: 1,
    });
    expect(experiment.bestRunId).toBe(runId);

    const bobsExperiment = await recordsOf(bob).experiment({ objectiveMetric: 'acc', direction: 'maximize' });
    const bobsRun = await recordsOf(bob).recordRun(run(bobsExperiment.experimentId));
    await expect(records.setBestRun(experimentId, bobsRun.runId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(records.setBestRun(bobsExperiment.experimentId, bobsRun.runId)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('reaches no experiment of another tenant', async () => {
    const bobsExperiment = await recordsOf(bob).experiment({ objectiveMetric: 'acc', direction: 'maximize' });
    const records = recordsOf(alice);
    await expect(
      records.experiment({
        experimentId: bobsExperiment.experimentId,
        objectiveMetric: 'acc',
        direction: 'maximize',
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(records.recordRun(run(bobsExperiment.experimentId))).rejects.toBeInstanceOf(NotFoundError);
    await expect(records.recordRun(run(randomUUID()))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('registers a model under the node’s id with its lineage, once, and links the run to it', async () => {
    const records = recordsOf(alice);
    const { experimentId } = await records.experiment({ objectiveMetric: 'acc', direction: 'maximize' });
    const { runId } = await records.recordRun(run(experimentId));
    const first = modelRegistration(alice.userId, { experimentRunId: runId });
    const registered = await records.registerModel(first);
    expect(registered.modelId).toBe(first.modelId);

    // A retried node writes the same model again: nothing new, the same version.
    expect(await records.registerModel(first)).toEqual(registered);
    const second = await records.registerModel(modelRegistration(alice.userId));
    expect(second.version).toBe(registered.version + 1);

    const model = await withOwner(db, { userId: alice.userId }, (trx) =>
      findModel(trx, alice.userId, first.modelId),
    );
    expect(model).toMatchObject({
      algorithm: 'random_forest',
      problemType: 'classification',
      frameworkVersion: 'pipeweave-learning 1',
      artifactSizeBytes: 12_345,
      artifactSha256: first.artifactSha256,
      metrics: first.metrics,
      hyperparameters: first.hyperparameters,
      featureSchema: first.featureSchema,
      lineage: {
        jobId: alice.jobId,
        nodeId: 'train',
        pipelineId: alice.pipelineId,
        experimentRunId: runId,
        experimentId,
        datasetVersionId: alice.datasetVersionId,
        datasetId: alice.datasetId,
        datasetVersionNumber: 1,
        datasetVersionSha256: alice.datasetSha256,
        seed: 42,
      },
    });
    const { runs } = await getExperimentWithRuns(db, { userId: alice.userId }, experimentId, { limit: 500 });
    expect(runs.find((r) => r.id === runId)?.modelId).toBe(first.modelId);
  });

  it('refuses a model id taken by another tenant, and lineage that points at another tenant’s rows', async () => {
    const bobsModel = modelRegistration(bob.userId);
    await recordsOf(bob).registerModel(bobsModel);
    await expect(
      recordsOf(alice).registerModel(modelRegistration(alice.userId, { modelId: bobsModel.modelId })),
    ).rejects.toThrow(/already taken/);

    const bobsExperiment = await recordsOf(bob).experiment({ objectiveMetric: 'acc', direction: 'maximize' });
    const bobsRun = await recordsOf(bob).recordRun(run(bobsExperiment.experimentId));
    await expect(
      recordsOf(alice).registerModel(modelRegistration(alice.userId, { experimentRunId: bobsRun.runId })),
    ).rejects.toSatisfy((error) => isDatabaseError(error, SqlState.foreignKeyViolation));
    await expect(
      recordsOf(alice).registerModel(
        modelRegistration(alice.userId, { datasetVersionId: bob.datasetVersionId }),
      ),
    ).rejects.toSatisfy((error) => isDatabaseError(error, SqlState.foreignKeyViolation));

    // The database refuses it whoever writes: system scope sees every tenant, the trigger still checks owners.
    const forged = inSystemScope(db, (trx) =>
      trx
        .insertInto('models')
        .values({
          user_id: alice.userId,
          name: 'forged',
          algorithm: 'x',
          artifact_key: 'models/x',
          experiment_run_id: bobsRun.runId,
        })
        .execute(),
    );
    await expect(forged).rejects.toSatisfy((error) => isDatabaseError(error, SqlState.foreignKeyViolation));
  });
});
