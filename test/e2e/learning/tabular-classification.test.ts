import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { callApi } from '../../support/api-client';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { TEST_FIXTURES } from '../../support/repo-paths';
import { runJobToEnd } from '../../support/job-runs';
import { createLearningDataset } from '../../support/learning-dataset';

/**
 * The classification template as a new user runs it on the local runtime: upload scikit-learn's
 * breast cancer data, clone the template, run the job, then read the leaderboard, the experiment
 * with one run per trial, and the registered model with its artifact and test metrics.
 */
type Body = Record<string, unknown>;

describe('learning end to end: the tabular classification template', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;
  const api = (method: string, pathname: string, body?: unknown) =>
    callApi(platform.url, user.authHeader, method, pathname, body);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-learning-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    user = await registerUser(platform.url);
  });
  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('trains, records every trial and registers a model as accurate as scikit-learn on the same split', async () => {
    const { datasetId, version } = await createLearningDataset(platform.url, user.authHeader, {
      file: 'breast_cancer.csv',
      name: 'breast cancer',
      targetColumn: 'target',
    });

    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'tabular.classification');
    expect(template, JSON.stringify(templates.body)).toBeDefined();
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'cancer',
      datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    const validated = await api('POST', `/pipelines/${String(clone.body.id)}/validate`);
    expect(validated.body.valid, JSON.stringify(validated.body)).toBe(true);

    const job = await runJobToEnd(platform.url, user.authHeader, {
      pipelineId: clone.body.id,
      datasetVersionId: version.id,
    });
    expect(job.status, JSON.stringify(job)).toBe('completed');
    const jobId = String(job.id);
    const nodes = new Map((job.nodes as Body[]).map((n) => [String(n.nodeId), n]));
    const automl = nodes.get('automl');
    const metrics = (automl?.metrics ?? {}) as Body;
    const modelId = String(metrics.modelId);
    const experimentId = String(metrics.experimentId);

    // The leaderboard: every trial, ranked.
    const leaderboards = await api('GET', `/jobs/${jobId}/leaderboard`);
    expect(leaderboards.status).toBe(200);
    const board = ((leaderboards.body.items as Body[])[0]?.leaderboard ?? {}) as {
      rows: Body[];
      metric: string;
    };
    expect(board.rows.length).toBeGreaterThan(1);
    expect(board.rows.length).toBeLessThanOrEqual(20);
    expect(board.rows[0]).toMatchObject({ rank: 1, status: 'ok' });
    for (const row of board.rows)
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          'rank',
          'learner',
          'hyperparameters',
          'validationScore',
          'testScore',
          'fitSeconds',
          'predictMsPer1000Rows',
          'artifactBytes',
          'status',
          'stopReason',
        ]),
      );

    // The experiment: one run per trial.
    const experiment = await api('GET', `/experiments/${experimentId}`);
    expect(experiment.status).toBe(200);
    expect((experiment.body.runs as Body[]).length).toBe(board.rows.length);

    // The model: its row, lineage and test metrics, and an artifact whose bytes match its sha256.
    const model = await api('GET', `/models/${modelId}`);
    expect(model.status, JSON.stringify(model.body)).toBe(200);
    const outputs = (automl?.outputs ?? {}) as Record<string, { key: string }>;
    const artifact = await platform.services.blobs.getBytes(outputs.model?.key ?? '');
    expect(createHash('sha256').update(artifact).digest('hex')).toBe((model.body.artifact as Body).sha256);
    expect((model.body.metrics as Body).test_accuracy).toBeTypeOf('number');
    expect(model.body.problemType).toBe('classification');

    // As accurate as scikit-learn's best learner on the same split (the reference is computed by
    // scripts/learning-reference/make-reference.py on the indices our split node produces).
    const reference = JSON.parse(
      await readFile(path.join(TEST_FIXTURES, 'learning/sklearn-reference.json'), 'utf8'),
    ) as { templateSplits: { breast_cancer: { bestAccuracy: number } } };
    const evaluate = nodes.get('evaluate');
    const accuracy = Number((evaluate?.metrics as Body).accuracy);
    expect(accuracy).toBeGreaterThanOrEqual(reference.templateSplits.breast_cancer.bestAccuracy - 0.02);
    expect(Number(metrics.test_accuracy)).toBeCloseTo(accuracy, 10);
  });
});
