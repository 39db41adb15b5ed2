import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArtifact, loadPredictor } from '../../../../../../../shared/domain/learning/model-artifact';
import { createTable, numberColumn } from '../../../../../../../shared/domain/learning/table';
import { TEST_FIXTURES } from '../../../../../../support/repo-paths';
import { createNodeHarness, type NodeHarness } from '../../../../../support/node-test-context';

/**
 * The training nodes as a pipeline runs them: split rows, an impute transform fitted on the
 * training rows, AutoML, and evaluation on raw test rows the model replays its transforms on.
 */
let harness: NodeHarness;
beforeAll(async () => {
  harness = await createNodeHarness();
});
afterAll(async () => {
  await harness.close();
});

const breastCancer = path.join(TEST_FIXTURES, 'learning/datasets/breast_cancer.csv');

async function splitTables() {
  // The harness's SQL engine reads only its own directory.
  const csv = path.join(harness.dir, 'breast_cancer.csv');
  await copyFile(breastCancer, csv);
  const source = await harness.table(
    'jobs/source.parquet',
    `SELECT * EXCLUDE (target), CASE WHEN target = 1 THEN 'benign' ELSE 'malignant' END AS diagnosis
       FROM read_csv('${csv}')`,
  );
  const split = await harness.run('table.split', { table: { key: source } }, { testFraction: 0.25, seed: 7 });
  const train = split.outputs['train'];
  const test = split.outputs['test'];
  if (!train || !test) throw new Error('split produced no tables');
  return { train, test };
}

describe('training nodes', () => {
  it('train a classifier whose artifact replays the upstream transforms on raw rows', async () => {
    const { train, test } = await splitTables();
    const impute = await harness.run(
      'transform.impute',
      { train, test },
      { strategy: 'median', target: 'diagnosis', columns: ['mean_radius', 'mean_texture'] },
    );
    expect(impute.outputs['train']?.transformsKey).toBeDefined();
    const automl = await harness.run(
      'model.automl',
      { train: impute.outputs['train'] ?? train, test: impute.outputs['test'] ?? test },
      { target: 'diagnosis', problemType: 'classification', maxTrials: 4, timeBudgetSeconds: 60, seed: 1 },
    );
    const leaderboardKey = automl.outputs['leaderboard']?.key ?? '';
    const leaderboard = JSON.parse(Buffer.from(await harness.blobs.getBytes(leaderboardKey)).toString()) as {
      rows: { status: string; learner: string }[];
    };
    expect(leaderboard.rows.length).toBe(4);
    expect(harness.learning.runs).toHaveLength(4);
    expect(harness.learning.models).toHaveLength(1);
    const model = harness.learning.models[0];
    expect(model?.artifactSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(automl.metrics['test_accuracy'])).toBeGreaterThan(0.9);

    const artifact = parseArtifact(
      Buffer.from(await harness.blobs.getBytes(automl.outputs['model']?.key ?? '')).toString(),
    );
    expect(artifact.transforms[0]?.kind).toBe('impute');
    expect(artifact.signature.inputs.map((i) => i.name)).toContain('mean_radius');
    expect(artifact.signature.inputs.map((i) => i.name)).not.toContain('diagnosis');

    const evaluation = await harness.run(
      'model.evaluate',
      { model: automl.outputs['model'] ?? train, table: test },
      { importanceBudgetSeconds: 5 },
    );
    expect(Number(evaluation.metrics['accuracy'])).toBeGreaterThan(0.9);
    expect(evaluation.metrics['rows']).toBe(test.rows);
    const report = JSON.parse(
      Buffer.from(await harness.blobs.getBytes(evaluation.outputs['report']?.key ?? '')).toString(),
    ) as {
      confusionMatrix: number[][];
      featureImportance: { learner: { feature: string }[]; permutation: { column: string; mean: number }[] };
    };
    expect(report.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(test.rows);
    expect(report.featureImportance.learner.length).toBeGreaterThan(0);
    expect(report.featureImportance.permutation.map((p) => p.column)).toEqual(
      expect.arrayContaining(artifact.signature.inputs.slice(0, 3).map((i) => i.name)),
    );

    // A raw row with a missing value is imputed by the artifact, exactly as in training.
    const predictor = loadPredictor(artifact);
    const names = artifact.signature.inputs.map((i) => i.name);
    const row = createTable(
      names.map((name) => (name === 'mean_radius' ? numberColumn(name, [NaN]) : numberColumn(name, [1]))),
      1,
    );
    expect(predictor.predictTable(row).predictions[0]).toMatch(/benign|malignant/);
  });

  it('name the columns that exist and the closest match for a missing target', async () => {
    const { train } = await splitTables();
    await expect(
      harness.run('model.automl', { train }, { target: 'diagnosys', maxTrials: 1, timeBudgetSeconds: 10 }),
    ).rejects.toThrow(/"diagnosys" does not exist.*did you mean "diagnosis"/s);
  });

  it('refuse a target with one class and a non-numeric regression target', async () => {
    const one = await harness.table('jobs/one.parquet', `SELECT range AS x, 'a' AS label FROM range(50)`);
    await expect(
      harness.run(
        'model.automl',
        { train: { key: one } },
        { target: 'label', maxTrials: 1, timeBudgetSeconds: 10 },
      ),
    ).rejects.toThrow(/only one class/);
    await expect(
      harness.run(
        'model.automl',
        { train: { key: one } },
        { target: 'label', problemType: 'regression', maxTrials: 1, timeBudgetSeconds: 10 },
      ),
    ).rejects.toThrow(/not numeric/);
  });

  it('drop constant features with a warning and still train', async () => {
    const key = await harness.table(
      'jobs/constant.parquet',
      `SELECT range::DOUBLE AS x, 5 AS constant, CASE WHEN range % 2 = 0 THEN 'even' ELSE 'odd' END AS parity,
              CASE WHEN range < 100 THEN 'low' ELSE 'high' END AS label FROM range(200)`,
    );
    const result = await harness.run(
      'model.train',
      { train: { key } },
      { target: 'label', learner: 'decision_tree', hyperparameters: { maxDepth: 3 } },
    );
    expect(String(result.metrics['warnings'])).toMatch(/constant/);
    expect(result.metrics['algorithm']).toBe('decision_tree');
  });
});
