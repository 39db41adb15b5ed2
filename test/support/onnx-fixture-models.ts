/**
 * Small trained models for the ONNX export tests, one per exportable kind, each fitted on a
 * fixture data set (test/fixtures/learning/datasets) behind the transforms a pipeline would put in
 * front of it, plus the raw rows to predict: every row of the data set (and, for the small wine
 * set, a jittered copy of each), with a text and a boolean input derived from the data, about
 * one value in twelve missing and a few text values the training rows never had.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  applyInputPreparation,
  ensembleModel,
  fitInputPreparation,
  preparedModel,
} from '../../shared/domain/learning/automl/composite-models';
import type {
  FeatureMatrix,
  FittedClassifier,
  FittedModel,
  LearnerState,
  ProblemType,
} from '../../shared/domain/learning/learner';
import {
  fitLearner,
  type HyperParams,
  type TrainingTarget,
} from '../../shared/domain/learning/learner-catalog';
import {
  createModelArtifact,
  inferSignature,
  type ModelArtifact,
} from '../../shared/domain/learning/model-artifact';
import { SeededRandom } from '../../shared/domain/learning/random';
import {
  booleanColumn,
  createTable,
  encodeLabels,
  getColumn,
  numberColumn,
  selectRows,
  stringColumn,
  toFeatureMatrix,
  type Table,
} from '../../shared/domain/learning/table';
import {
  fitTransformChain,
  type TransformStep,
} from '../../shared/domain/learning/transforms/transform-chain';
import { TEST_FIXTURES } from './repo-paths';

export const TARGET = 'target';

type DatasetName = 'breast_cancer' | 'wine' | 'diabetes';

const DATASETS: Record<DatasetName, { features: readonly string[]; problemType: ProblemType }> = {
  breast_cancer: {
    features: [
      'mean_radius',
      'mean_texture',
      'mean_smoothness',
      'mean_concavity',
      'worst_area',
      'worst_symmetry',
    ],
    problemType: 'classification',
  },
  wine: {
    features: ['alcohol', 'malic_acid', 'flavanoids', 'color_intensity', 'hue', 'proline'],
    problemType: 'classification',
  },
  diabetes: { features: ['age', 'bmi', 'bp', 's1', 's3', 's5'], problemType: 'regression' },
};

/** Wine's classes as text, so that one fixture has text labels. */
const WINE_CLASSES = ['barolo', 'grignolino', 'barbera'];

function readDataset(name: DatasetName): { columns: Map<string, number[]>; nRows: number } {
  const [header = '', ...lines] = readFileSync(
    path.join(TEST_FIXTURES, 'learning/datasets', `${name}.csv`),
    'utf8',
  )
    .trim()
    .split(/\r?\n/);
  const names = header.split(',');
  const columns = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const line of lines)
    line.split(',').forEach((value, j) => columns.get(names[j] ?? '')?.push(Number(value)));
  return { columns, nRows: lines.length };
}

/**
 * The data set's features with some values missing, a text column `grade` (tertiles of the first
 * feature, plus two rare grades) and a boolean `large` (second feature above its median), and the
 * target. `copies` > 1 adds jittered copies of every row.
 */
function fixtureTable(name: DatasetName, copies: number): Table {
  const spec = DATASETS[name];
  const data = readDataset(name);
  const random = new SeededRandom(7);
  const first = data.columns.get(spec.features[0] ?? '') ?? [];
  const second = data.columns.get(spec.features[1] ?? '') ?? [];
  const sorted = [...first].sort((a, b) => a - b);
  const low = sorted[Math.floor(sorted.length / 3)] ?? 0;
  const high = sorted[Math.floor((2 * sorted.length) / 3)] ?? 0;
  const median = [...second].sort((a, b) => a - b)[Math.floor(second.length / 2)] ?? 0;
  const n = data.nRows * copies;
  const missing = () => random.next() < 1 / 12;
  const features = spec.features.map((feature) => {
    const values = data.columns.get(feature) ?? [];
    return numberColumn(
      feature,
      Array.from({ length: n }, (_, i) => {
        const v = values[i % data.nRows] ?? 0;
        const jittered = i < data.nRows ? v : v * (1 + (random.next() - 0.5) * 0.02);
        return missing() ? null : jittered;
      }),
    );
  });
  const grade = Array.from({ length: n }, (_, i): string | null => {
    if (missing()) return null;
    if (i % 97 === 5) return 'rare-a';
    if (i % 89 === 7) return 'rare-b';
    const v = first[i % data.nRows] ?? 0;
    return v < low ? 'low' : v < high ? 'mid' : 'high';
  });
  const large = Array.from({ length: n }, (_, i) =>
    missing() ? null : (second[i % data.nRows] ?? 0) > median,
  );
  const target = Array.from({ length: n }, (_, i) => data.columns.get(TARGET)?.[i % data.nRows] ?? 0);
  return createTable([
    ...features,
    stringColumn('grade', grade),
    booleanColumn('large', large),
    name === 'wine'
      ? stringColumn(
          TARGET,
          target.map((t) => WINE_CLASSES[t] ?? 'unknown'),
        )
      : numberColumn(TARGET, target),
  ]);
}

/** The prediction rows: the table without its target, a few grades replaced by one never seen. */
function predictionRows(table: Table): Table {
  const columns = table.columns
    .filter((c) => c.name !== TARGET)
    .map((c) =>
      c.name === 'grade' && c.kind === 'string'
        ? stringColumn(
            c.name,
            c.values.map((v, i) => (i % 23 === 11 ? 'never-seen' : v)),
          )
        : c,
    );
  return createTable(columns, table.nRows);
}

type Learn = (x: FeatureMatrix, target: TrainingTarget) => LearnerState;

const fitModel = (
  key: string,
  x: FeatureMatrix,
  target: TrainingTarget,
  params: HyperParams = {},
): FittedModel => fitLearner(key, x, target, params, { seed: 3 });

const learner =
  (key: string, params: HyperParams = {}): Learn =>
  (x, target) =>
    fitModel(key, x, target, params).toState();

/** Logistic regression behind the input preparation AutoML gives it (median fill, one-hot codes). */
function preparedLogistic(x: FeatureMatrix, target: TrainingTarget): FittedModel {
  const preparation = fitInputPreparation(x, { impute: true, oneHot: true });
  return preparedModel(
    preparation,
    fitModel('logistic_regression', applyInputPreparation(preparation, x), target),
  );
}

export interface FixtureSpec {
  readonly dataset: DatasetName;
  readonly transforms: readonly TransformStep[];
  readonly learn: Learn;
}

const IMPUTE_SCALE_ONE_HOT: readonly TransformStep[] = [
  { kind: 'impute', params: { addIndicator: true } },
  { kind: 'scale' },
  { kind: 'one_hot', params: { minFrequency: 5, unseen: 'other' } },
];

export const FIXTURE_SPECS = {
  decision_tree: {
    dataset: 'breast_cancer',
    transforms: IMPUTE_SCALE_ONE_HOT,
    learn: learner('decision_tree'),
  },
  random_forest: {
    dataset: 'breast_cancer',
    transforms: [{ kind: 'scale', params: { method: 'robust' } }, { kind: 'one_hot' }],
    learn: learner('random_forest', { nEstimators: 30 }),
  },
  random_forest_multiclass: {
    dataset: 'wine',
    transforms: [{ kind: 'impute' }, { kind: 'one_hot', params: { minFrequency: 5 } }],
    learn: learner('random_forest', { nEstimators: 20 }),
  },
  hgb_binary: {
    dataset: 'breast_cancer',
    transforms: [{ kind: 'clip_outliers' }, { kind: 'ordinal_encode' }],
    learn: learner('hist_gradient_boosting', { maxIter: 60, minSamplesLeaf: 5 }),
  },
  hgb_multiclass: {
    dataset: 'wine',
    transforms: [
      { kind: 'impute', params: { strategy: 'median', columns: ['alcohol', 'malic_acid', 'large'] } },
      { kind: 'scale', params: { method: 'minmax', featureRange: [-1, 1] } },
      { kind: 'ordinal_encode' },
    ],
    learn: learner('hist_gradient_boosting', { maxIter: 40, minSamplesLeaf: 5 }),
  },
  logistic_binary: {
    dataset: 'breast_cancer',
    transforms: IMPUTE_SCALE_ONE_HOT,
    learn: learner('logistic_regression'),
  },
  logistic_multiclass: {
    dataset: 'wine',
    transforms: IMPUTE_SCALE_ONE_HOT,
    learn: learner('logistic_regression'),
  },
  linear_regression: {
    dataset: 'diabetes',
    transforms: IMPUTE_SCALE_ONE_HOT,
    learn: learner('linear_regression'),
  },
  ridge: {
    dataset: 'diabetes',
    transforms: [{ kind: 'impute' }, { kind: 'one_hot', params: { unseen: 'other' } }],
    learn: learner('ridge', { alpha: 0.5 }),
  },
  hgb_regression: {
    dataset: 'diabetes',
    transforms: [{ kind: 'ordinal_encode' }],
    learn: learner('hist_gradient_boosting', { maxIter: 50 }),
  },
  random_forest_regression: {
    dataset: 'diabetes',
    transforms: [{ kind: 'impute', params: { strategy: 'median' } }, { kind: 'ordinal_encode' }],
    learn: learner('random_forest', { nEstimators: 15, maxDepth: 8 }),
  },
  prepared_logistic: {
    dataset: 'breast_cancer',
    transforms: [{ kind: 'ordinal_encode' }],
    learn: (x, target) => preparedLogistic(x, target).toState(),
  },
  ensemble: {
    dataset: 'wine',
    transforms: [{ kind: 'ordinal_encode' }],
    learn: (x, target) => {
      const members = [
        {
          model: fitModel('hist_gradient_boosting', x, target, { maxIter: 20, minSamplesLeaf: 5 }),
          weight: 2,
        },
        { model: preparedLogistic(x, target), weight: 1 },
        { model: fitModel('random_forest', x, target, { nEstimators: 10 }), weight: 1 },
      ];
      return ensembleModel(
        members.map((m) => ({ model: m.model as FittedClassifier, weight: m.weight })),
      ).toState();
    },
  },
} satisfies Record<string, FixtureSpec>;

export type FixtureKind = keyof typeof FIXTURE_SPECS;
export const FIXTURE_KINDS = Object.keys(FIXTURE_SPECS) as FixtureKind[];

export interface FixtureModel {
  readonly kind: FixtureKind;
  readonly artifact: ModelArtifact;
  /** Raw rows to predict, the inputs of the signature only. */
  readonly rows: Table;
}

/** Trains the fixture on three rows in four of its data set. */
export function trainFixture(kind: FixtureKind, spec: FixtureSpec = FIXTURE_SPECS[kind]): FixtureModel {
  const { problemType } = DATASETS[spec.dataset];
  const table = fixtureTable(spec.dataset, spec.dataset === 'wine' ? 2 : 1);
  const trainRows = Array.from({ length: table.nRows }, (_, i) => i).filter((i) => i % 4 !== 0);
  const train = selectRows(table, trainRows);
  const chain = fitTransformChain(spec.transforms, train, { passthrough: [TARGET] });
  const names = chain.table.columns.map((c) => c.name).filter((name) => name !== TARGET);
  const x = toFeatureMatrix(chain.table, names, chain.categoricalEncodings);
  let classes: readonly (string | number | boolean)[] | undefined;
  let target: TrainingTarget;
  if (problemType === 'classification') {
    const encoded = encodeLabels(chain.table, TARGET);
    classes = encoded.classes;
    target = { problemType, y: encoded.target };
  } else {
    const column = getColumn(chain.table, TARGET);
    target = { problemType: 'regression', y: column.kind === 'string' ? new Float64Array(0) : column.values };
  }
  const artifact = createModelArtifact({
    problemType,
    target: { name: TARGET, ...(classes ? { classes: [...classes] } : {}) },
    signature: inferSignature(train, { exclude: [TARGET] }),
    transforms: chain.states,
    features: { names, categoricalEncodings: chain.categoricalEncodings },
    learner: spec.learn(x, target),
    trainedAt: '2026-12-07T10:00:00.000Z',
    seed: 3,
    frameworkVersion: '0.1.0',
    metrics: {},
  });
  return { kind, artifact, rows: predictionRows(table) };
}
