import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runAutoMl } from '../../../../../shared/domain/learning/automl';
import type { LearnerState, ProblemType } from '../../../../../shared/domain/learning/learner';
import { fitLearner } from '../../../../../shared/domain/learning/learner-catalog';
import {
  createModelArtifact,
  inferSignature,
  loadPredictor,
  MODEL_ARTIFACT_FORMAT,
  ModelArtifactError,
  parseArtifact,
  PredictionInputError,
  serializeArtifact,
  type ModelArtifact,
} from '../../../../../shared/domain/learning/model-artifact';
import { SeededRandom } from '../../../../../shared/domain/learning/random';
import {
  booleanColumn,
  createTable,
  datetimeColumn,
  encodeLabels,
  numberColumn,
  selectRows,
  stringColumn,
  toFeatureMatrix,
  type Table,
} from '../../../../../shared/domain/learning/table';
import { fitTransformChain } from '../../../../../shared/domain/learning/transforms/transform-chain';

const COLOURS = ['red', 'green', 'blue'] as const;

/** Rows with a numeric input (some missing), a text category, a flag, a date and a label. */
function rowsTable(n: number, seed: number): Table {
  const random = new SeededRandom(seed);
  const size: (number | null)[] = [];
  const colour: (string | null)[] = [];
  const flag: boolean[] = [];
  const day: number[] = [];
  const label: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const s = random.nextGaussian();
    const c = COLOURS[random.nextInt(3)] ?? 'red';
    const f = random.next() < 0.5;
    size.push(random.next() < 0.1 ? null : s);
    colour.push(random.next() < 0.05 ? null : c);
    flag.push(f);
    day.push(Date.UTC(2024, 0, 1 + random.nextInt(300)));
    const score =
      s + (c === 'blue' ? 1.5 : c === 'red' ? -1 : 0) + (f ? 0.5 : 0) + 0.3 * random.nextGaussian();
    label.push(score > 0.8 ? 'high' : score > -0.5 ? 'mid' : 'low');
  }
  return createTable([
    numberColumn('size', size),
    stringColumn('colour', colour),
    booleanColumn('flag', flag),
    datetimeColumn('day', day),
    stringColumn('label', label),
  ]);
}

interface Trained {
  readonly artifact: ModelArtifact;
  readonly table: Table;
}

function train(
  problemType: ProblemType,
  learner?: (x: ReturnType<typeof toFeatureMatrix>) => LearnerState,
): Trained {
  const table = rowsTable(400, 1);
  const chain = fitTransformChain([{ kind: 'ordinal_encode' }], table, { passthrough: ['label'] });
  const names = chain.table.columns.map((c) => c.name).filter((name) => name !== 'label');
  const x = toFeatureMatrix(chain.table, names, chain.categoricalEncodings);
  const { target, classes } = encodeLabels(chain.table, 'label');
  let state: LearnerState;
  if (learner) state = learner(x);
  else {
    const result = runAutoMl({
      problemType: 'classification',
      train: x,
      target,
      timeBudgetSeconds: 600,
      maxTrials: 6,
      learners: ['hist_gradient_boosting', 'logistic_regression', 'decision_tree'],
      ensemble: { topK: 4 },
      initialSampleRows: 100,
    });
    if (!result.model) throw new Error(result.reason);
    state = result.model.state;
  }
  const artifact = createModelArtifact({
    problemType,
    target:
      problemType === 'clustering'
        ? null
        : { name: 'label', ...(problemType === 'classification' ? { classes: [...classes] } : {}) },
    signature: inferSignature(table, { exclude: ['label'] }),
    transforms: chain.states,
    features: { names, categoricalEncodings: chain.categoricalEncodings },
    learner: state,
    trainedAt: '2026-01-02T03:04:05.000Z',
    seed: 7,
    frameworkVersion: '0.1.0',
    metrics: { validation_log_loss: 0.5 },
  });
  return { artifact, table };
}

describe('model artifact', () => {
  const trained = train('classification');

  it('records the signature of the inputs, with the categories of text inputs', () => {
    expect(trained.artifact.signature.inputs).toEqual([
      { name: 'size', type: 'number' },
      { name: 'colour', type: 'string', categories: ['blue', 'green', 'red'] },
      { name: 'flag', type: 'boolean' },
      { name: 'day', type: 'datetime' },
    ]);
    expect(trained.artifact.format).toBe(MODEL_ARTIFACT_FORMAT);
    expect(trained.artifact.version).toBe(1);
  });

  it('predicts identically after a JSON round trip, with the original labels', () => {
    const fresh = rowsTable(150, 2);
    const before = loadPredictor(trained.artifact).predictTable(fresh);
    const json = serializeArtifact(trained.artifact);
    const after = loadPredictor(parseArtifact(json)).predictTable(fresh);
    expect(after).toEqual(before);
    expect(new Set(before.predictions)).toEqual(new Set(['high', 'mid', 'low']));
    expect(before.classes).toEqual(['high', 'low', 'mid']);
    const probabilities = before.probabilities ?? {};
    expect(Object.keys(probabilities)).toEqual(['high', 'low', 'mid']);
    for (let row = 0; row < fresh.nRows; row += 1) {
      const sum =
        (probabilities['high']?.[row] ?? 0) +
        (probabilities['low']?.[row] ?? 0) +
        (probabilities['mid']?.[row] ?? 0);
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it('predicts a single row exactly as the same row of a batch', () => {
    const fresh = rowsTable(40, 3);
    const predictor = loadPredictor(serializeArtifact(trained.artifact));
    const batch = predictor.predictTable(fresh);
    for (const row of [0, 7, 39]) {
      const one = predictor.predictTable(selectRows(fresh, [row]));
      expect(one.predictions).toEqual([batch.predictions[row]]);
      for (const [label, column] of Object.entries(batch.probabilities ?? {}))
        expect(one.probabilities?.[label]?.[0]).toBe(column[row]);
    }
  });

  it('serialises canonically: the same text and sha256 every time, whatever the key order', () => {
    const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
    const first = serializeArtifact(trained.artifact);
    const reversed = Object.fromEntries(
      Object.entries(trained.artifact).reverse(),
    ) as unknown as ModelArtifact;
    expect(serializeArtifact(reversed)).toBe(first);
    expect(serializeArtifact(parseArtifact(first))).toBe(first);
    expect(sha(serializeArtifact(parseArtifact(JSON.parse(first) as unknown)))).toBe(sha(first));
    expect(first).not.toMatch(/\n/);
  });

  it('ignores extra columns and refuses rows that lack an input or have the wrong type', () => {
    const predictor = loadPredictor(trained.artifact);
    const fresh = rowsTable(5, 4);
    const withExtra = createTable([...fresh.columns, numberColumn('extra', [1, 2, 3, 4, 5])]);
    expect(predictor.predictTable(withExtra)).toEqual(predictor.predictTable(fresh));
    const withoutSize = createTable(fresh.columns.filter((c) => c.name !== 'size'));
    expect(() => predictor.predictTable(withoutSize)).toThrow(PredictionInputError);
    expect(() => predictor.predictTable(withoutSize)).toThrow(/lack the input "size"/);
    const wrongType = createTable(
      fresh.columns.map((c) => (c.name === 'flag' ? stringColumn('flag', ['y', 'n', 'y', 'n', 'y']) : c)),
    );
    expect(() => predictor.predictTable(wrongType)).toThrow(
      /Input "flag" is string; the model expects boolean/,
    );
  });

  it('says what is wrong with a malformed artifact', () => {
    const good = JSON.parse(serializeArtifact(trained.artifact)) as Record<string, unknown>;
    const broken = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });
    expect(() => parseArtifact('{')).toThrow(/not valid JSON/);
    expect(() => parseArtifact(broken({ format: 'other' }))).toThrow(/format must be "pipeweave.model"/);
    expect(() => parseArtifact(broken({ version: 2 }))).toThrow(/version 2 is newer/);
    expect(() => parseArtifact(broken({ learner: {} }))).toThrow(ModelArtifactError);
    expect(() => parseArtifact(broken({ target: { name: 'label' } }))).toThrow(/target.classes must list/);
    expect(() => parseArtifact(broken({ signature: { inputs: [{ name: 'a', type: 'blob' }] } }))).toThrow(
      /signature.inputs\[0\].type must be one of/,
    );
    expect(() => parseArtifact(broken({ trainedAt: 'yesterday' }))).toThrow(/trainedAt/);
    expect(() => loadPredictor(broken({ learner: { kind: 'mystery', format: 1 } }))).toThrow(
      /learner state cannot be restored/,
    );
    expect(() => loadPredictor(broken({ target: { name: 'label', classes: ['a', 'b'] } }))).toThrow(
      /3 classes but target.classes lists 2/,
    );
    expect(() => serializeArtifact({ ...trained.artifact, metrics: { auc: NaN } })).toThrow(
      /\$.metrics.auc is NaN/,
    );
  });

  it('serves regression and clustering models the same way', () => {
    const regression = train('regression', (x) =>
      fitLearner(
        'random_forest',
        x,
        {
          problemType: 'regression',
          y: Float64Array.from({ length: x.nRows }, (_, i) => x.columns[0]?.[i] || 0),
        },
        { nEstimators: 10 },
        { seed: 1 },
      ).toState(),
    );
    const fresh = rowsTable(20, 5);
    const values = loadPredictor(serializeArtifact(regression.artifact)).predictTable(fresh);
    expect(values.predictions.every((v) => typeof v === 'number')).toBe(true);
    expect(values.probabilities).toBeUndefined();
    expect(loadPredictor(parseArtifact(serializeArtifact(regression.artifact))).predictTable(fresh)).toEqual(
      values,
    );

    const clustering = train('clustering', (x) => {
      const result = runAutoMl({ problemType: 'clustering', train: x, timeBudgetSeconds: 600, maxTrials: 3 });
      if (!result.model) throw new Error(result.reason);
      return result.model.state;
    });
    expect(clustering.artifact.target).toBeNull();
    const clusters = loadPredictor(serializeArtifact(clustering.artifact)).predictTable(fresh);
    expect(clusters.predictions.every((v) => Number.isInteger(v))).toBe(true);
  });
});
