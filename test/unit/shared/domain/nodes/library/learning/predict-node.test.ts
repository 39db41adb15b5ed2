import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor, parseArtifact } from '../../../../../../../shared/domain/learning/model-artifact';
import { predictParams } from '../../../../../../../shared/domain/nodes/library/learning/predict-node';
import type { NodeInputs, NodePortOutput } from '../../../../../../../shared/domain/nodes/node-definition';
import { rowsToTable } from '../../../../../../../shared/domain/models/prediction-rows';
import {
  createNodeHarness,
  recordingSession,
  type NodeHarness,
} from '../../../../../support/node-test-context';

/**
 * model.predict as a pipeline runs it: the rows of a table with a registered model's predictions
 * appended, the same ones online prediction gives for the same rows, read and written in batches.
 */
let harness: NodeHarness;
let model: NodePortOutput;
let modelId: string;
let test: NodePortOutput;
const MODEL_NAME = 'colour score';

// 400 rows: two numbers, a category with a missing value now and then, an id and a label.
const ROWS = `SELECT range AS id, (range * 37 % 101) / 10.0 AS x1, (range * 17 % 89) / 9.0 AS x2,
    CASE WHEN range % 13 = 0 THEN NULL ELSE ['red', 'green', 'blue'][range % 3 + 1] END AS colour,
    CASE WHEN (range * 37 % 101) / 10.0 + (range * 17 % 89) / 9.0 + CASE WHEN range % 3 = 0 THEN 4 ELSE 0 END > 10
         THEN 'yes' ELSE 'no' END AS label
  FROM range(400)`;

beforeAll(async () => {
  harness = await createNodeHarness();
  const source = await harness.table('jobs/source.parquet', ROWS);
  const split = await harness.run('table.split', { table: { key: source } }, { testFraction: 0.25, seed: 3 });
  const train = split.outputs['train'];
  const held = split.outputs['test'];
  if (!train || !held) throw new Error('split produced no tables');
  test = held;
  const trained = await harness.run(
    'model.train',
    { train },
    {
      target: 'label',
      problemType: 'classification',
      learner: 'logistic_regression',
      modelName: MODEL_NAME,
      seed: 1,
    },
  );
  model = trained.outputs['model'] as NodePortOutput;
  modelId = String(trained.metrics['modelId']);
});
afterAll(async () => {
  await harness.close();
});

async function artifact() {
  return parseArtifact(Buffer.from(await harness.blobs.getBytes(model.key)).toString('utf8'));
}

describe('model.predict', () => {
  it('appends a prediction and one probability column per class, as online prediction gives them', async () => {
    const result = await harness.run('model.predict', { model, table: test } as NodeInputs, {});
    const table = result.outputs['table'];
    expect(table?.rows).toBe(test.rows);
    expect(table?.columns).toEqual([
      'id',
      'x1',
      'x2',
      'colour',
      'label',
      'prediction',
      'probability_no',
      'probability_yes',
    ]);

    const input = await harness.rows(test.key);
    const output = await harness.rows(table?.key ?? '');
    // Same rows in the same order, untouched.
    expect(output.map(({ id, x1, x2, colour, label }) => ({ id, x1, x2, colour, label }))).toEqual(input);

    // What POST /models/{id}/predict does with the same rows: rows → signature table → predictor.
    const loaded = await artifact();
    const online = loadPredictor(loaded).predictTable(rowsToTable(loaded.signature, input));
    expect(output.map((row) => row['prediction'])).toEqual(online.predictions);
    output.forEach((row, i) => {
      expect(row['probability_no']).toBe(online.probabilities?.['no']?.[i]);
      expect(row['probability_yes']).toBe(online.probabilities?.['yes']?.[i]);
    });

    const correct = output.filter((row) => row['prediction'] === row['label']).length;
    expect(result.metrics).toMatchObject({
      modelId,
      modelName: MODEL_NAME,
      rowsPredicted: test.rows,
      rowsScored: test.rows,
      accuracy: correct / output.length,
      batches: 1,
    });
    expect(Number(result.metrics['accuracy'])).toBeGreaterThan(0.7);
  });

  it('reads, predicts and writes the table in batches, keeping every row in order', async () => {
    const whole = await harness.run('model.predict', { model, table: test } as NodeInputs, {});
    const session = recordingSession(harness.tables);
    const batched = await harness.run(
      'model.predict',
      { model, table: test } as NodeInputs,
      { batchRows: 7 },
      {
        tables: session,
      },
    );
    const rows = test.rows ?? 0;
    const batches = Math.ceil(rows / 7);
    expect(batches).toBeGreaterThan(10);
    expect(batched.metrics['batches']).toBe(batches);
    // Each batch is its own read of a row range, never the whole table.
    const reads = session.statements.filter((sql) =>
      /file_row_number >= \d+ AND file_row_number < \d+/.test(sql),
    );
    expect(reads).toHaveLength(batches);
    expect(await harness.rows(batched.outputs['table']?.key ?? '')).toEqual(
      await harness.rows(whole.outputs['table']?.key ?? ''),
    );
    expect(batched.metrics['accuracy']).toBe(whole.metrics['accuracy']);
  });

  it('finds the model by name@alias and by name with a version', async () => {
    harness.models.setAlias(MODEL_NAME, 'production', modelId);
    const byAlias = await harness.run(
      'model.predict',
      { table: test },
      { model: `${MODEL_NAME}@production` },
    );
    expect(byAlias.metrics).toMatchObject({ modelId, modelVersion: 1 });
    const byVersion = await harness.run('model.predict', { table: test }, { model: MODEL_NAME, version: 1 });
    expect(byVersion.metrics).toMatchObject({ modelId, modelVersion: 1 });
    const byId = await harness.run('model.predict', { table: test }, { model: modelId.toUpperCase() });
    expect(byId.metrics['modelId']).toBe(modelId);
  });

  it('refuses a model its owner does not have, naming the parameter', async () => {
    const stranger = '9b2f6a52-5d1e-4f34-9a77-2b1d2cf1d9e0';
    await expect(harness.run('model.predict', { table: test }, { model: stranger })).rejects.toMatchObject({
      name: 'PipeWeave.NodeError',
      field: 'params.model',
      message: expect.stringMatching(/No model of yours has the id 9b2f6a52/),
    });
    await expect(
      harness.run('model.predict', { table: test }, { model: `${MODEL_NAME}@staging` }),
    ).rejects.toMatchObject({
      field: 'params.model',
      message: expect.stringMatching(/has the alias "staging"/),
    });
  });

  it('fails naming the column the model was trained on that the table lacks', async () => {
    const key = await harness.table(
      'jobs/without-x2.parquet',
      `SELECT range AS id, 1.5 AS x1, 'red' AS colour FROM range(3)`,
    );
    await expect(
      harness.run('model.predict', { model, table: { key } } as NodeInputs, {}),
    ).rejects.toMatchObject({
      field: 'inputs.table',
      message: expect.stringMatching(
        /lacks the column "x2" that model "colour score" v1 was trained on \(the table has: id, x1, colour\)/,
      ),
    });
  });

  it('names its columns around the ones the table has', async () => {
    const key = await harness.table(
      'jobs/with-prediction.parquet',
      `SELECT id, x1, x2, colour, 'old' AS Prediction, 0 AS probability_yes FROM (${ROWS}) LIMIT 5`,
    );
    const result = await harness.run('model.predict', { model, table: { key } } as NodeInputs, {});
    expect(result.outputs['table']?.columns).toEqual([
      'id',
      'x1',
      'x2',
      'colour',
      'Prediction',
      'probability_yes',
      'prediction_2',
      'probability_no',
      'probability_yes_2',
    ]);
    expect(result.metrics['predictionColumn']).toBe('prediction_2');
    // No label column: nothing to score.
    expect(result.metrics['rowsScored']).toBeUndefined();
  });

  it('refuses an artifact whose bytes no longer match their SHA-256', async () => {
    const original = await harness.blobs.getBytes(model.key);
    const tampered = JSON.parse(Buffer.from(original).toString('utf8')) as { seed: number };
    tampered.seed += 1;
    await harness.blobs.put(model.key, JSON.stringify(tampered));
    try {
      await expect(harness.run('model.predict', { model, table: test } as NodeInputs, {})).rejects.toThrow(
        /SHA-256 does not match/,
      );
    } finally {
      await harness.blobs.put(model.key, original);
    }
  });

  it('records its result and asks for the output to become a dataset version', async () => {
    const before = harness.results.records.length;
    const result = await harness.run('model.predict', { model, table: test } as NodeInputs, {
      outputDataset: { name: 'scored colours' },
    });
    const record = harness.results.records[before];
    expect(record).toMatchObject({
      outputKey: result.outputs['table']?.key,
      rowCount: test.rows,
      metrics: { rowsPredicted: test.rows, modelId, accuracy: result.metrics['accuracy'] },
      outputDataset: { target: { name: 'scored colours' }, fileName: 'predictions.parquet' },
    });
    expect(record?.outputDataset?.sizeBytes).toBe(result.outputs['table']?.bytes);
    expect(result.metrics['outputDatasetVersion']).toBe(1);
  });

  it('takes the model from its input or from its params, never both or neither', async () => {
    await expect(
      harness.run('model.predict', { model, table: test } as NodeInputs, { model: modelId }),
    ).rejects.toMatchObject({ field: 'params.model', message: expect.stringMatching(/keep one of them/) });
    await expect(harness.run('model.predict', { table: test }, {})).rejects.toMatchObject({
      field: 'params.model',
      message: expect.stringMatching(/Name the model to predict with/),
    });
  });

  it('checks how the model is named before the job runs', () => {
    const issues = (params: unknown) =>
      predictParams.safeParse(params).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ model: 'churn' })).toEqual([
      'model: say which version of "churn": add "version", or name an alias as "churn@production"',
    ]);
    expect(issues({ model: 'churn@Prod' })[0]).toMatch(/^model: "Prod" is not an alias/);
    expect(issues({ version: 2 })).toEqual(['version: goes with a registered name in "model"']);
    expect(issues({ model: 'churn@prod' })).toEqual([]);
    expect(issues({ model: 'team@home', version: 3 })).toEqual([]);
    expect(
      issues({ outputDataset: { name: 'x', datasetId: '9b2f6a52-5d1e-4f34-9a77-2b1d2cf1d9e0' } }),
    ).not.toEqual([]);
  });
});
