import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { NotFoundError } from '../../../../../shared/kernel/app-error';
import { getModel } from '../../../../../shared/domain/models/get-model';
import { modelView } from '../../../../../shared/domain/models/model-view';
import { databaseLearningRecords } from '../../../../../shared/domain/runs/learning-records';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { inSystemScope } from '../../../support/fixtures';
import { createLearningJob, modelRegistration, type LearningJob } from '../runs/learning-job';

/** Reading a trained model: its row and lineage for its owner, not found for anyone else. */

let testDb: TestDatabase;
let db: Database;
let alice: LearningJob;
let bob: LearningJob;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  [alice, bob] = await Promise.all([createLearningJob(db), createLearningJob(db)]);
});
afterAll(async () => {
  await testDb?.drop();
});

describe('getModel', () => {
  it('shows the owner the model with its lineage, and answers anyone else not found', async () => {
    const records = databaseLearningRecords(db, {
      userId: alice.userId,
      jobId: alice.jobId,
      pipelineId: alice.pipelineId,
      pipelineName: alice.pipelineName,
      datasetVersionId: alice.datasetVersionId,
    });
    const registration = modelRegistration(alice.userId, { seed: 7 });
    await records.registerModel(registration);

    const view = modelView(await getModel(db, { userId: alice.userId }, registration.modelId));
    expect(view).toMatchObject({
      id: registration.modelId,
      algorithm: 'random_forest',
      problemType: 'classification',
      artifact: { key: registration.artifactKey, sizeBytes: 12_345, sha256: registration.artifactSha256 },
      lineage: {
        jobId: alice.jobId,
        pipelineId: alice.pipelineId,
        experimentRunId: null,
        datasetVersion: { id: alice.datasetVersionId, version: 1, sha256: alice.datasetSha256 },
        seed: 7,
      },
    });

    await expect(getModel(db, { userId: bob.userId }, registration.modelId)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(getModel(db, { userId: alice.userId }, randomUUID())).rejects.toMatchObject({
      status: 404,
      code: 'MODEL.NOT_FOUND',
    });
  });

  it('keeps the model when its dataset version goes, without the version in its lineage', async () => {
    const job = await createLearningJob(db);
    const registration = modelRegistration(job.userId);
    await databaseLearningRecords(db, {
      userId: job.userId,
      jobId: job.jobId,
      pipelineId: job.pipelineId,
      pipelineName: job.pipelineName,
      datasetVersionId: job.datasetVersionId,
    }).registerModel(registration);
    await inSystemScope(db, async (trx) => {
      await trx.deleteFrom('jobs').where('id', '=', job.jobId).execute();
      await trx.deleteFrom('dataset_versions').where('id', '=', job.datasetVersionId).execute();
    });
    const model = await getModel(db, { userId: job.userId }, registration.modelId);
    expect(model.lineage).toMatchObject({ datasetVersionId: null, jobId: null, seed: 42 });
    expect(modelView(model).lineage.datasetVersion).toBeNull();
  });
});
