import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '../../../../../shared/db/database';
import { jsonb } from '../../../../../shared/db/schema';
import { withSystemScope } from '../../../../../shared/db/tenant';
import type { ModelRegistration } from '../../../../../shared/domain/nodes/learning-records.port';
import { createTestUser } from '../../../support/fixtures';

/**
 * A user with a dataset, a validated version (with its SHA-256), a pipeline and a job of it: what a
 * training node's learning records hang off. Written in system scope, as fixtures are.
 */
export interface LearningJob {
  userId: string;
  datasetId: string;
  datasetVersionId: string;
  datasetSha256: string;
  pipelineId: string;
  pipelineName: string;
  jobId: string;
}

export async function createLearningJob(db: Database): Promise<LearningJob> {
  const user = await createTestUser(db);
  const datasetSha256 = createHash('sha256').update(randomUUID()).digest('hex');
  const pipelineName = `churn ${randomUUID().slice(0, 8)}`;
  return withSystemScope(db, 'admin.test-fixture', async (trx) => {
    const dataset = await trx
      .insertInto('datasets')
      .values({ user_id: user.id, name: `ds-${randomUUID()}`, modality: 'tabular' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const version = await trx
      .insertInto('dataset_versions')
      .values({
        dataset_id: dataset.id,
        user_id: user.id,
        version_number: 1,
        original_filename: 'churn.csv',
        status: 'validated',
        sha256: datasetSha256,
        row_count: 100,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const definition = jsonb({ nodes: [{ id: 'train', type: 'learn.train', params: {} }], edges: [] });
    const pipeline = await trx
      .insertInto('pipelines')
      .values({ user_id: user.id, dataset_id: dataset.id, name: pipelineName, definition })
      .returning('id')
      .executeTakeFirstOrThrow();
    const snapshot = await trx
      .insertInto('pipeline_snapshots')
      .values({ user_id: user.id, pipeline_id: pipeline.id, name: pipelineName, definition })
      .returning('id')
      .executeTakeFirstOrThrow();
    const job = await trx
      .insertInto('jobs')
      .values({
        user_id: user.id,
        snapshot_id: snapshot.id,
        pipeline_id: pipeline.id,
        dataset_version_id: version.id,
        status: 'running',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return {
      userId: user.id,
      datasetId: dataset.id,
      datasetVersionId: version.id,
      datasetSha256,
      pipelineId: pipeline.id,
      pipelineName,
      jobId: job.id,
    };
  });
}

/** A model registration as a training node would send it. */
export function modelRegistration(
  userId: string,
  overrides: Partial<ModelRegistration> = {},
): ModelRegistration {
  const modelId = overrides.modelId ?? randomUUID();
  return {
    modelId,
    name: 'churn classifier',
    algorithm: 'random_forest',
    problemType: 'classification',
    frameworkVersion: 'pipeweave-learning 1',
    artifactKey: `models/${userId}/${modelId}/model.json`,
    artifactSizeBytes: 12_345,
    artifactSha256: createHash('sha256').update(modelId).digest('hex'),
    metrics: { 'validation.accuracy': 0.91, 'test.accuracy': 0.89 },
    hyperparameters: { nEstimators: 100, maxDepth: 8 },
    featureSchema: {
      columns: [
        { name: 'age', type: 'number' },
        { name: 'plan', type: 'category', categories: ['basic', 'pro'] },
      ],
      labelClasses: ['no', 'yes'],
    },
    seed: 42,
    ...overrides,
  };
}
