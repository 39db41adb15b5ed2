/**
 * Reads the scikit-learn reference fixtures (test/fixtures/learning): the data sets as
 * column-major feature matrices and sklearn-reference.json, written by
 * scripts/learning-reference/make-reference.py.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_FIXTURES } from '../../../../support/repo-paths';
import type {
  ClassTarget,
  FeatureMatrix,
  FittedClassifier,
  FittedRegressor,
} from '../../../../../shared/domain/learning/learner';
import { accuracy, rocAuc } from '../../../../../shared/domain/learning/metrics/classification-metrics';
import { r2 } from '../../../../../shared/domain/learning/metrics/regression-metrics';

export const FIXTURES = path.join(TEST_FIXTURES, 'learning');

export type Task = 'classification' | 'regression';
export type Params = Record<string, number | string | boolean | null>;

export interface ReferenceDataset {
  file: string;
  task: Task;
  nRows: number;
  nFeatures: number;
  nClasses?: number;
  evaluation: 'folds' | 'holdout';
  split: { train: number[]; test: number[] };
  /** Test rows of each fold; a fold's training rows are all the others. */
  folds: number[][];
}

export interface ReferenceCase {
  dataset: string;
  learner: string;
  params: Params;
  evaluation: 'folds' | 'holdout';
  /** scikit-learn's score with random_state 0 (mean over folds under 'folds'). */
  metrics: { accuracy?: number; rocAuc?: number; r2?: number };
  /** Lowest and highest score over `seeds` random_states (one point for deterministic learners). */
  seedRange: Record<string, [number, number]>;
  seeds: number;
  byFold?: Record<string, number>[];
}

export interface KMeansReference {
  dataset: string;
  learner: 'kmeans';
  params: { nClusters: number; nInit: number; maxIter: number; tol: number };
  inertia: number;
  seedRange: { inertia: [number, number] };
}

export interface PcaReference {
  dataset: string;
  learner: 'pca';
  params: { nComponents: number; whiten: boolean };
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  components: number[][];
  mean: number[];
}

export interface ClassificationGolden {
  name: string;
  nClasses: number;
  yTrue: number[];
  yPred: number[];
  proba: number[][];
  values: Record<string, number> & { confusionMatrix: number[][] };
}

export interface RegressionGolden {
  name: string;
  yTrue: number[];
  yPred: number[];
  values: { rmse: number; mae: number; r2: number; mape: number };
}

export interface ClusteringGolden {
  name: string;
  dataset: string;
  labels: number[];
  values: { silhouette: number; inertia: number };
}

export interface Reference {
  sklearnVersion: string;
  seed: number;
  datasets: Record<string, ReferenceDataset>;
  cases: ReferenceCase[];
  clustering: KMeansReference[];
  decomposition: PcaReference[];
  metrics: {
    classification: ClassificationGolden[];
    regression: RegressionGolden[];
    clustering: ClusteringGolden[];
  };
}

let cached: Reference | undefined;

export function loadReference(): Reference {
  cached ??= JSON.parse(readFileSync(path.join(FIXTURES, 'sklearn-reference.json'), 'utf8')) as Reference;
  return cached;
}

export interface LoadedDataset {
  x: FeatureMatrix;
  /** The target column as numbers. */
  target: Float64Array;
}

const datasets = new Map<string, LoadedDataset>();

/** A fixture CSV (header, numeric cells, `target` last) as a feature matrix and a target. */
export function loadDataset(name: string): LoadedDataset {
  const known = datasets.get(name);
  if (known) return known;
  const info = loadReference().datasets[name];
  if (!info) throw new Error(`No data set '${name}' in the reference`);
  const lines = readFileSync(path.join(FIXTURES, info.file), 'utf8').trimEnd().split('\n');
  const header = (lines[0] ?? '').split(',');
  const nFeatures = header.length - 1;
  const n = lines.length - 1;
  const columns = Array.from({ length: nFeatures }, () => new Float64Array(n));
  const target = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const cells = (lines[i + 1] ?? '').split(',');
    for (let j = 0; j < nFeatures; j += 1) {
      const column = columns[j];
      if (column) column[i] = Number(cells[j]);
    }
    target[i] = Number(cells[nFeatures]);
  }
  const loaded = { x: { nRows: n, columns, names: header.slice(0, nFeatures) }, target };
  datasets.set(name, loaded);
  return loaded;
}

/** The rows `rows` of a feature matrix. */
export function takeRows(x: FeatureMatrix, rows: readonly number[]): FeatureMatrix {
  return {
    nRows: rows.length,
    names: x.names,
    columns: x.columns.map((column) => Float64Array.from(rows, (r) => column[r] ?? Number.NaN)),
  };
}

export function takeValues(values: Float64Array, rows: readonly number[]): Float64Array {
  return Float64Array.from(rows, (r) => values[r] ?? Number.NaN);
}

export function classTarget(values: Float64Array, nClasses: number): ClassTarget {
  return { labels: Int32Array.from(values), nClasses };
}

/** The train/test row lists a case is evaluated on: each fold, or the one hold-out split. */
export function evaluationParts(dataset: ReferenceDataset): { train: number[]; test: number[] }[] {
  if (dataset.evaluation === 'holdout') return [dataset.split];
  return dataset.folds.map((test) => {
    const inTest = new Uint8Array(dataset.nRows);
    for (const r of test) inTest[r] = 1;
    const train: number[] = [];
    for (let r = 0; r < dataset.nRows; r += 1) if (!inTest[r]) train.push(r);
    return { train, test };
  });
}

/** The parity tolerances: how far our score may lie from scikit-learn's. */
export const TOLERANCE: Readonly<Record<string, number>> = { accuracy: 0.01, rocAuc: 0.005, r2: 0.01 };

export type Scores = Record<string, number>;

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Accuracy and ROC AUC (one-vs-rest macro for multiclass), averaged over the case's folds. */
export function scoreClassifier(
  datasetName: string,
  fitModel: (x: FeatureMatrix, y: ClassTarget) => FittedClassifier,
): Scores {
  const dataset = loadReference().datasets[datasetName];
  if (!dataset?.nClasses) throw new Error(`'${datasetName}' is not a classification data set`);
  const { x, target } = loadDataset(datasetName);
  const accuracies: number[] = [];
  const aucs: number[] = [];
  for (const { train, test } of evaluationParts(dataset)) {
    const model = fitModel(takeRows(x, train), classTarget(takeValues(target, train), dataset.nClasses));
    const xTest = takeRows(x, test);
    const yTest = Int32Array.from(takeValues(target, test));
    accuracies.push(accuracy(yTest, model.predict(xTest)));
    aucs.push(rocAuc(yTest, model.predictProba(xTest)));
  }
  return { accuracy: mean(accuracies), rocAuc: mean(aucs) };
}

/** R², averaged over the case's folds. */
export function scoreRegressor(
  datasetName: string,
  fitModel: (x: FeatureMatrix, y: Float64Array) => FittedRegressor,
): Scores {
  const dataset = loadReference().datasets[datasetName];
  if (!dataset) throw new Error(`No data set '${datasetName}'`);
  const { x, target } = loadDataset(datasetName);
  const values = evaluationParts(dataset).map(({ train, test }) => {
    const model = fitModel(takeRows(x, train), takeValues(target, train));
    return r2(takeValues(target, test), model.predict(takeRows(x, test)));
  });
  return { r2: mean(values) };
}

export interface ParityGap {
  metric: string;
  ours: number;
  sklearn: [number, number];
  gap: number;
  tolerance: number;
}

/**
 * How far each of our scores lies outside scikit-learn's range over its random_states (a single
 * point for deterministic learners): 0 inside the range.
 */
export function parityGaps(reference: ReferenceCase, ours: Scores): ParityGap[] {
  return Object.entries(reference.seedRange).map(([metric, [low, high]]) => {
    const value = ours[metric] ?? Number.NaN;
    const gap = value < low ? low - value : value > high ? value - high : Number.isNaN(value) ? Infinity : 0;
    return { metric, ours: value, sklearn: [low, high], gap, tolerance: TOLERANCE[metric] ?? 0 };
  });
}

/** The gaps beyond tolerance (an empty list when the learner is at parity). */
export function parityFailures(reference: ReferenceCase, ours: Scores): ParityGap[] {
  return parityGaps(reference, ours).filter((g) => !(g.gap <= g.tolerance));
}

/** A numeric hyperparameter of a case (throws when the fixture lacks it). */
export function numberParam(reference: ReferenceCase, name: string): number {
  const value = reference.params[name];
  if (typeof value !== 'number')
    throw new Error(`${reference.learner}: '${name}' is not a number in the fixture`);
  return value;
}

/** A hyperparameter that is a number or null (scikit-learn's None). */
export function nullableNumberParam(reference: ReferenceCase, name: string): number | null {
  const value = reference.params[name];
  return value === null ? null : numberParam(reference, name);
}

export function stringParam(reference: ReferenceCase, name: string): string {
  const value = reference.params[name];
  if (typeof value !== 'string')
    throw new Error(`${reference.learner}: '${name}' is not a string in the fixture`);
  return value;
}

export function booleanParam(reference: ReferenceCase, name: string): boolean {
  const value = reference.params[name];
  if (typeof value !== 'boolean')
    throw new Error(`${reference.learner}: '${name}' is not a boolean in the fixture`);
  return value;
}
