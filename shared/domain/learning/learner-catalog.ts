/**
 * The learner catalog: every learner the platform trains, by key, with the problem types it
 * supports, its default hyperparameters, the space the AutoML random search draws from, a rough
 * cost estimate, what input it accepts natively, and fit / restore dispatch. `GET /ml-tasks`
 * lists exactly these keys.
 *
 * Cost estimates are seconds on one core of a current x86 server (calibrated on 2,000–10,000
 * rows × 10–20 features); they are deliberately rough: the AutoML search corrects them by the
 * speed it observes as trials finish.
 */
import type {
  ClassTarget,
  FeatureMatrix,
  FitOptions,
  FittedModel,
  LearnerState,
  ProblemType,
} from './learner';
import {
  DEFAULT_DECISION_TREE_PARAMS,
  fitDecisionTreeClassifier,
  fitDecisionTreeRegressor,
  restoreDecisionTree,
  type DecisionTreeParams,
} from './learners/decision-tree';
import {
  DEFAULT_HIST_GRADIENT_BOOSTING_PARAMS,
  fitHistGradientBoostingClassifier,
  fitHistGradientBoostingRegressor,
  restoreHistGradientBoosting,
  type HistGradientBoostingParams,
} from './learners/hist-gradient-boosting';
import { DEFAULT_KMEANS_PARAMS, fitKMeans, restoreKMeans, type KMeansParams } from './learners/kmeans';
import {
  DEFAULT_RIDGE_PARAMS,
  fitLinearRegression,
  fitRidge,
  restoreLinearRegression,
} from './learners/linear-regression';
import {
  DEFAULT_LOGISTIC_REGRESSION_PARAMS,
  fitLogisticRegression,
  restoreLogisticRegression,
  type LogisticRegressionParams,
} from './learners/logistic-regression';
import {
  DEFAULT_MULTINOMIAL_NB_PARAMS,
  fitMultinomialNb,
  restoreMultinomialNb,
} from './learners/naive-bayes';
import {
  DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS,
  DEFAULT_RANDOM_FOREST_REGRESSOR_PARAMS,
  fitRandomForestClassifier,
  fitRandomForestRegressor,
  restoreRandomForest,
  type RandomForestParams,
} from './learners/random-forest';

export const LEARNER_KEYS = [
  'hist_gradient_boosting',
  'random_forest',
  'decision_tree',
  'logistic_regression',
  'multinomial_nb',
  'linear_regression',
  'ridge',
  'kmeans',
] as const;

export type LearnerKey = (typeof LEARNER_KEYS)[number];

/** A hyperparameter value: hyperparameters are plain JSON scalars. */
export type ParamValue = number | string | boolean | null;
export type HyperParams = Readonly<Record<string, ParamValue>>;

/** Where the random search draws one hyperparameter from. */
export type ParamSpace =
  /** A real number in [low, high]; `log` draws uniformly in log space (low > 0). */
  | { readonly kind: 'float'; readonly low: number; readonly high: number; readonly log?: boolean }
  /** An integer in [low, high]; `log` draws uniformly in log space (low ≥ 1). */
  | { readonly kind: 'int'; readonly low: number; readonly high: number; readonly log?: boolean }
  /** One of a list of values. */
  | { readonly kind: 'choice'; readonly values: readonly ParamValue[] };

export type SearchSpace = Readonly<Record<string, ParamSpace>>;

/** The shape of the data a learner is about to be fitted on. */
export interface DataShape {
  readonly nRows: number;
  readonly nFeatures: number;
  /** Class count for classification, 0 otherwise. */
  readonly nClasses: number;
}

/** The target a learner is fitted on, by problem type (clustering has none). */
export type TrainingTarget =
  | { readonly problemType: 'classification'; readonly y: ClassTarget }
  | { readonly problemType: 'regression'; readonly y: Float64Array }
  | { readonly problemType: 'clustering' };

export interface LearnerSpec {
  readonly key: string;
  /** One line for people (the ML task list). */
  readonly summary: string;
  readonly problemTypes: readonly ProblemType[];
  /** True when NaN features are handled natively (else impute first). */
  readonly handlesMissing: boolean;
  /** True when categorical codes are split on natively (else one-hot encode first). */
  readonly handlesCategorical: boolean;
  /** True when every feature must be ≥ 0 (counts, TF-IDF weights): AutoML skips it otherwise. */
  readonly nonNegativeInput?: boolean;
  /** The defaults: the first trial of every search. */
  defaults(problemType: ProblemType, shape: DataShape): HyperParams;
  /** What the random search draws from, around the defaults. */
  searchSpace(problemType: ProblemType, shape: DataShape): SearchSpace;
  /** A rough fitting time in seconds for `params` on data of `shape`. */
  estimateSeconds(shape: DataShape, params: HyperParams): number;
  /** Fits the learner; `params` are merged over the defaults. */
  fit(x: FeatureMatrix, target: TrainingTarget, params: HyperParams, options: FitOptions): FittedModel;
  /** Rebuilds a fitted model from its `toState()` output. */
  restore(state: LearnerState): FittedModel;
}

export type LearnerCatalog = Readonly<Record<string, LearnerSpec>>;

/** A learner was asked for a problem type it does not support, or is not in the catalog. */
export class LearnerCatalogError extends Error {
  override readonly name = 'LearnerCatalogError';
}

function num(params: HyperParams, name: string, fallback: number): number {
  const v = params[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function nullableNum(params: HyperParams, name: string, fallback: number | null): number | null {
  const v = params[name];
  if (v === null) return null;
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function str<T extends string>(params: HyperParams, name: string, allowed: readonly T[], fallback: T): T {
  const v = params[name];
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

function unsupported(key: string, problemType: ProblemType): never {
  throw new LearnerCatalogError(`Learner "${key}" does not support ${problemType}.`);
}

/** Checks that every parameter name is known and every value a JSON scalar. */
function checkParamNames(key: string, params: HyperParams, known: readonly string[]): void {
  for (const [name, value] of Object.entries(params)) {
    if (!known.includes(name))
      throw new LearnerCatalogError(
        `Learner "${key}" has no hyperparameter "${name}". Hyperparameters: ${known.join(', ') || '(none)'}.`,
      );
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new LearnerCatalogError(`Hyperparameter "${name}" of "${key}" must be a finite number.`);
  }
}

function log2(n: number): number {
  return Math.log2(Math.max(2, n));
}

// ---------------------------------------------------------------------------------------------
// Trees
// ---------------------------------------------------------------------------------------------

const TREE_PARAM_NAMES = [
  'criterion',
  'maxDepth',
  'minSamplesSplit',
  'minSamplesLeaf',
  'maxFeatures',
] as const;

function treeParams(params: HyperParams, criterionFallback: DecisionTreeParams['criterion']) {
  const maxFeatures = params['maxFeatures'];
  return {
    criterion: str(params, 'criterion', ['gini', 'entropy', 'squared_error'] as const, criterionFallback),
    maxDepth: nullableNum(params, 'maxDepth', null),
    minSamplesSplit: num(params, 'minSamplesSplit', DEFAULT_DECISION_TREE_PARAMS.minSamplesSplit),
    minSamplesLeaf: num(params, 'minSamplesLeaf', DEFAULT_DECISION_TREE_PARAMS.minSamplesLeaf),
    maxFeatures:
      maxFeatures === 'sqrt' ||
      maxFeatures === 'log2' ||
      maxFeatures === 'all' ||
      typeof maxFeatures === 'number'
        ? maxFeatures
        : DEFAULT_DECISION_TREE_PARAMS.maxFeatures,
  } satisfies DecisionTreeParams;
}

function resolvedMaxFeatures(value: ParamValue | undefined, nFeatures: number): number {
  if (value === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (value === 'log2') return Math.max(1, Math.floor(Math.log2(nFeatures)));
  if (typeof value === 'number' && value > 0 && value < 1) return Math.max(1, Math.floor(value * nFeatures));
  if (typeof value === 'number' && value >= 1) return Math.min(nFeatures, value);
  return nFeatures;
}

/**
 * Seconds to grow one exact (CART) tree: every level of the tree walks the rows of every
 * feature's presorted order, plus a little per feature scored and per class.
 */
function exactTreeSeconds(shape: DataShape, params: HyperParams): number {
  const n = Math.max(1, shape.nRows);
  const depth = nullableNum(params, 'maxDepth', null);
  const leaf = Math.max(1, num(params, 'minSamplesLeaf', 1));
  const levels = Math.min(depth ?? Infinity, log2(n / leaf) + 2);
  const scored = resolvedMaxFeatures(params['maxFeatures'], shape.nFeatures);
  const outputs = Math.max(1, shape.nClasses);
  return 1e-3 + n * levels * (shape.nFeatures * 6e-8 + scored * outputs * 5e-9);
}

const decisionTree: LearnerSpec = {
  key: 'decision_tree',
  summary: 'CART decision tree (gini/entropy or squared error), native missing values and categories.',
  problemTypes: ['classification', 'regression'],
  handlesMissing: true,
  handlesCategorical: true,
  defaults: (problemType) => ({
    ...DEFAULT_DECISION_TREE_PARAMS,
    criterion: problemType === 'regression' ? 'squared_error' : 'gini',
  }),
  searchSpace: (problemType) => ({
    ...(problemType === 'classification'
      ? { criterion: { kind: 'choice', values: ['gini', 'entropy'] } }
      : {}),
    maxDepth: { kind: 'choice', values: [null, 3, 5, 8, 12, 20] },
    minSamplesSplit: { kind: 'int', low: 2, high: 40, log: true },
    minSamplesLeaf: { kind: 'int', low: 1, high: 50, log: true },
    maxFeatures: { kind: 'choice', values: ['all', 'sqrt', 0.5] },
  }),
  estimateSeconds: (shape, params) =>
    0.002 + shape.nRows * shape.nFeatures * log2(shape.nRows) * 2e-8 + exactTreeSeconds(shape, params),
  fit(x, target, params, options) {
    checkParamNames('decision_tree', params, TREE_PARAM_NAMES);
    if (target.problemType === 'classification')
      return fitDecisionTreeClassifier(x, target.y, treeParams(params, 'gini'), options);
    if (target.problemType === 'regression')
      return fitDecisionTreeRegressor(x, target.y, treeParams(params, 'squared_error'), options);
    return unsupported('decision_tree', target.problemType);
  },
  restore: (state) => restoreDecisionTree(state),
};

const FOREST_PARAM_NAMES = [...TREE_PARAM_NAMES, 'nEstimators', 'bootstrap'] as const;

function forestParams(params: HyperParams, defaults: Readonly<RandomForestParams>): RandomForestParams {
  const tree = treeParams({ maxFeatures: defaults.maxFeatures, ...params }, defaults.criterion);
  const bootstrap = params['bootstrap'];
  return {
    ...tree,
    nEstimators: num(params, 'nEstimators', defaults.nEstimators),
    bootstrap: typeof bootstrap === 'boolean' ? bootstrap : defaults.bootstrap,
  };
}

const randomForest: LearnerSpec = {
  key: 'random_forest',
  summary: 'Random forest of bootstrapped CART trees with random feature subsets at each split.',
  problemTypes: ['classification', 'regression'],
  handlesMissing: true,
  handlesCategorical: true,
  defaults: (problemType) =>
    problemType === 'regression'
      ? { ...DEFAULT_RANDOM_FOREST_REGRESSOR_PARAMS }
      : { ...DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS },
  searchSpace: (problemType) => ({
    nEstimators: { kind: 'int', low: 20, high: 300, log: true },
    ...(problemType === 'classification'
      ? { criterion: { kind: 'choice', values: ['gini', 'entropy'] } }
      : {}),
    maxDepth: { kind: 'choice', values: [null, 6, 10, 16, 24] },
    minSamplesLeaf: { kind: 'int', low: 1, high: 20, log: true },
    maxFeatures: {
      kind: 'choice',
      values: problemType === 'regression' ? ['all', 0.5, 'sqrt'] : ['sqrt', 'log2', 0.5],
    },
  }),
  estimateSeconds(shape, params) {
    const nEstimators = num(params, 'nEstimators', 100);
    // A bootstrap sample holds about 63 % distinct rows.
    const perTree = exactTreeSeconds({ ...shape, nRows: Math.ceil(shape.nRows * 0.63) }, params);
    return 0.002 + shape.nRows * shape.nFeatures * log2(shape.nRows) * 2e-8 + nEstimators * perTree;
  },
  fit(x, target, params, options) {
    checkParamNames('random_forest', params, FOREST_PARAM_NAMES);
    if (target.problemType === 'classification')
      return fitRandomForestClassifier(
        x,
        target.y,
        forestParams(params, DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS),
        options,
      );
    if (target.problemType === 'regression')
      return fitRandomForestRegressor(
        x,
        target.y,
        forestParams(params, DEFAULT_RANDOM_FOREST_REGRESSOR_PARAMS),
        options,
      );
    return unsupported('random_forest', target.problemType);
  },
  restore: (state) => restoreRandomForest(state),
};

const HGB_DEFAULTS = DEFAULT_HIST_GRADIENT_BOOSTING_PARAMS;

function boostingParams(params: HyperParams): HistGradientBoostingParams {
  const earlyStopping = params['earlyStopping'];
  return {
    learningRate: num(params, 'learningRate', HGB_DEFAULTS.learningRate),
    maxIter: num(params, 'maxIter', HGB_DEFAULTS.maxIter),
    maxLeafNodes: nullableNum(params, 'maxLeafNodes', HGB_DEFAULTS.maxLeafNodes),
    maxDepth: nullableNum(params, 'maxDepth', HGB_DEFAULTS.maxDepth),
    minSamplesLeaf: num(params, 'minSamplesLeaf', HGB_DEFAULTS.minSamplesLeaf),
    l2Regularization: num(params, 'l2Regularization', HGB_DEFAULTS.l2Regularization),
    maxBins: num(params, 'maxBins', HGB_DEFAULTS.maxBins),
    earlyStopping:
      typeof earlyStopping === 'boolean' || earlyStopping === 'auto'
        ? earlyStopping
        : HGB_DEFAULTS.earlyStopping,
    validationFraction: nullableNum(params, 'validationFraction', HGB_DEFAULTS.validationFraction),
    nIterNoChange: num(params, 'nIterNoChange', HGB_DEFAULTS.nIterNoChange),
    tol: num(params, 'tol', HGB_DEFAULTS.tol),
  };
}

const histGradientBoosting: LearnerSpec = {
  key: 'hist_gradient_boosting',
  summary: 'Histogram gradient boosting (LightGBM-style), native missing values and categories.',
  problemTypes: ['classification', 'regression'],
  handlesMissing: true,
  handlesCategorical: true,
  defaults: () => ({ ...HGB_DEFAULTS }),
  searchSpace: () => ({
    learningRate: { kind: 'float', low: 0.01, high: 0.3, log: true },
    maxIter: { kind: 'int', low: 50, high: 500, log: true },
    maxLeafNodes: { kind: 'int', low: 7, high: 127, log: true },
    maxDepth: { kind: 'choice', values: [null, 3, 5, 8] },
    minSamplesLeaf: { kind: 'int', low: 5, high: 100, log: true },
    l2Regularization: { kind: 'choice', values: [0, 0.01, 0.1, 1, 10] },
  }),
  estimateSeconds(shape, params) {
    const maxIter = num(params, 'maxIter', HGB_DEFAULTS.maxIter);
    const treesPerIteration = shape.nClasses > 2 ? shape.nClasses : 1;
    const leaves = Math.min(
      nullableNum(params, 'maxLeafNodes', 31) ?? 127,
      Math.max(2, shape.nRows / Math.max(1, num(params, 'minSamplesLeaf', 20))),
    );
    // Binning, then per tree a histogram pass over the rows plus split finding over every
    // feature's bins in every leaf.
    const binning = shape.nRows * shape.nFeatures * 1e-7;
    const perTree = 1e-3 + shape.nRows * shape.nFeatures * 3e-8 + leaves * shape.nFeatures * 1e-5;
    return 0.005 + binning + maxIter * treesPerIteration * perTree;
  },
  fit(x, target, params, options) {
    checkParamNames('hist_gradient_boosting', params, Object.keys(HGB_DEFAULTS));
    if (target.problemType === 'classification')
      return fitHistGradientBoostingClassifier(x, target.y, boostingParams(params), options);
    if (target.problemType === 'regression')
      return fitHistGradientBoostingRegressor(x, target.y, boostingParams(params), options);
    return unsupported('hist_gradient_boosting', target.problemType);
  },
  restore: (state) => restoreHistGradientBoosting(state),
};

// ---------------------------------------------------------------------------------------------
// Linear models and k-means (complete numeric input)
// ---------------------------------------------------------------------------------------------

const logisticRegression: LearnerSpec = {
  key: 'logistic_regression',
  summary: 'L2-regularised logistic regression (binary or multinomial); needs imputed, one-hot input.',
  problemTypes: ['classification'],
  handlesMissing: false,
  handlesCategorical: false,
  defaults: () => ({ ...DEFAULT_LOGISTIC_REGRESSION_PARAMS }),
  searchSpace: () => ({
    C: { kind: 'float', low: 1e-3, high: 1e3, log: true },
    maxIter: { kind: 'choice', values: [100, 300] },
  }),
  estimateSeconds(shape, params) {
    const iterations = num(params, 'maxIter', 100);
    const outputs = shape.nClasses > 2 ? shape.nClasses : 1;
    return 0.003 + shape.nRows * (shape.nFeatures + 1) * outputs * iterations * 2e-9;
  },
  fit(x, target, params, options) {
    checkParamNames('logistic_regression', params, Object.keys(DEFAULT_LOGISTIC_REGRESSION_PARAMS));
    if (target.problemType !== 'classification')
      return unsupported('logistic_regression', target.problemType);
    const p: LogisticRegressionParams = {
      C: num(params, 'C', DEFAULT_LOGISTIC_REGRESSION_PARAMS.C),
      solver: str(params, 'solver', ['lbfgs', 'newton'] as const, DEFAULT_LOGISTIC_REGRESSION_PARAMS.solver),
      maxIter: num(params, 'maxIter', DEFAULT_LOGISTIC_REGRESSION_PARAMS.maxIter),
      tol: num(params, 'tol', DEFAULT_LOGISTIC_REGRESSION_PARAMS.tol),
    };
    return fitLogisticRegression(x, target.y, p, options);
  },
  restore: (state) => restoreLogisticRegression(state),
};

const multinomialNb: LearnerSpec = {
  key: 'multinomial_nb',
  summary: 'Multinomial naive Bayes for counts or TF-IDF weights (text); needs non-negative, complete input.',
  problemTypes: ['classification'],
  handlesMissing: false,
  handlesCategorical: false,
  nonNegativeInput: true,
  defaults: () => ({ ...DEFAULT_MULTINOMIAL_NB_PARAMS }),
  searchSpace: () => ({
    alpha: { kind: 'float', low: 1e-3, high: 10, log: true },
    fitPrior: { kind: 'choice', values: [true, false] },
  }),
  estimateSeconds: (shape) => 0.001 + shape.nRows * shape.nFeatures * Math.max(2, shape.nClasses) * 2e-9,
  fit(x, target, params, options) {
    checkParamNames('multinomial_nb', params, Object.keys(DEFAULT_MULTINOMIAL_NB_PARAMS));
    if (target.problemType !== 'classification') return unsupported('multinomial_nb', target.problemType);
    const fitPrior = params['fitPrior'];
    return fitMultinomialNb(
      x,
      target.y,
      {
        alpha: num(params, 'alpha', DEFAULT_MULTINOMIAL_NB_PARAMS.alpha),
        fitPrior: typeof fitPrior === 'boolean' ? fitPrior : DEFAULT_MULTINOMIAL_NB_PARAMS.fitPrior,
      },
      options,
    );
  },
  restore: (state) => restoreMultinomialNb(state),
};

function normalEquationSeconds(shape: DataShape): number {
  return 0.002 + shape.nRows * shape.nFeatures * (shape.nFeatures + 2) * 3e-9 + shape.nFeatures ** 3 * 1e-9;
}

const linearRegression: LearnerSpec = {
  key: 'linear_regression',
  summary: 'Ordinary least squares with an intercept; needs imputed, one-hot input.',
  problemTypes: ['regression'],
  handlesMissing: false,
  handlesCategorical: false,
  defaults: () => ({}),
  searchSpace: () => ({}),
  estimateSeconds: (shape) => normalEquationSeconds(shape),
  fit(x, target, params, options) {
    checkParamNames('linear_regression', params, []);
    if (target.problemType !== 'regression') return unsupported('linear_regression', target.problemType);
    return fitLinearRegression(x, target.y, {}, options);
  },
  restore: (state) => restoreLinearRegression(state),
};

const ridge: LearnerSpec = {
  key: 'ridge',
  summary: 'Ridge regression (least squares with an L2 penalty); needs imputed, one-hot input.',
  problemTypes: ['regression'],
  handlesMissing: false,
  handlesCategorical: false,
  defaults: () => ({ ...DEFAULT_RIDGE_PARAMS }),
  searchSpace: () => ({ alpha: { kind: 'float', low: 1e-3, high: 1e3, log: true } }),
  estimateSeconds: (shape) => normalEquationSeconds(shape),
  fit(x, target, params, options) {
    checkParamNames('ridge', params, ['alpha']);
    if (target.problemType !== 'regression') return unsupported('ridge', target.problemType);
    return fitRidge(x, target.y, { alpha: num(params, 'alpha', DEFAULT_RIDGE_PARAMS.alpha) }, options);
  },
  restore: (state) => restoreLinearRegression(state),
};

function kmeansParams(params: HyperParams, nRows: number): KMeansParams {
  const nInit = params['nInit'];
  return {
    nClusters: Math.min(num(params, 'nClusters', DEFAULT_KMEANS_PARAMS.nClusters), Math.max(1, nRows)),
    nInit: nInit === 'auto' || typeof nInit === 'number' ? nInit : DEFAULT_KMEANS_PARAMS.nInit,
    maxIter: num(params, 'maxIter', DEFAULT_KMEANS_PARAMS.maxIter),
    tol: num(params, 'tol', DEFAULT_KMEANS_PARAMS.tol),
  };
}

const kmeans: LearnerSpec = {
  key: 'kmeans',
  summary: 'k-means clustering (k-means++ seeding, best of nInit runs); needs imputed, one-hot input.',
  problemTypes: ['clustering'],
  handlesMissing: false,
  handlesCategorical: false,
  defaults: () => ({ ...DEFAULT_KMEANS_PARAMS }),
  searchSpace: (_problemType, shape) => ({
    nClusters: { kind: 'int', low: 2, high: Math.max(2, Math.min(20, shape.nRows - 1)), log: true },
    nInit: { kind: 'choice', values: [1, 3, 10] },
  }),
  estimateSeconds(shape, params) {
    const nInit = params['nInit'] === 'auto' ? 1 : num(params, 'nInit', 10);
    const k = num(params, 'nClusters', 8);
    // About 50 Lloyd iterations per run on typical data, each n·k·d distance terms.
    const iterations = Math.min(num(params, 'maxIter', 300), 50);
    return 0.002 + nInit * shape.nRows * k * shape.nFeatures * iterations * 7e-9;
  },
  fit(x, target, params, options) {
    checkParamNames('kmeans', params, Object.keys(DEFAULT_KMEANS_PARAMS));
    if (target.problemType !== 'clustering') return unsupported('kmeans', target.problemType);
    return fitKMeans(x, kmeansParams(params, x.nRows), options);
  },
  restore: (state) => restoreKMeans(state),
};

/** Every learner, by key. */
export const LEARNER_CATALOG: Readonly<Record<LearnerKey, LearnerSpec>> = Object.freeze({
  hist_gradient_boosting: histGradientBoosting,
  random_forest: randomForest,
  decision_tree: decisionTree,
  logistic_regression: logisticRegression,
  multinomial_nb: multinomialNb,
  linear_regression: linearRegression,
  ridge,
  kmeans,
});

/** The catalog's entry for `key`, or a clear error listing the keys. */
export function learnerSpec(key: string, catalog: LearnerCatalog = LEARNER_CATALOG): LearnerSpec {
  const spec = Object.hasOwn(catalog, key) ? catalog[key] : undefined;
  if (!spec)
    throw new LearnerCatalogError(`Unknown learner "${key}". Learners: ${Object.keys(catalog).join(', ')}.`);
  return spec;
}

/** The learners that support `problemType`, in catalog order. */
export function learnersFor(
  problemType: ProblemType,
  catalog: LearnerCatalog = LEARNER_CATALOG,
): LearnerSpec[] {
  return Object.values(catalog).filter((spec) => spec.problemTypes.includes(problemType));
}

/** Fits learner `key` after checking that it supports the target's problem type. */
export function fitLearner(
  key: string,
  x: FeatureMatrix,
  target: TrainingTarget,
  params: HyperParams,
  options: FitOptions,
  catalog: LearnerCatalog = LEARNER_CATALOG,
): FittedModel {
  const spec = learnerSpec(key, catalog);
  if (!spec.problemTypes.includes(target.problemType)) unsupported(key, target.problemType);
  return spec.fit(x, target, params, options);
}

/** Restores a learner state by its `kind` (the learner's key). */
export function restoreLearner(state: LearnerState, catalog: LearnerCatalog = LEARNER_CATALOG): FittedModel {
  if (typeof state !== 'object' || state === null || typeof state.kind !== 'string')
    throw new LearnerCatalogError('A learner state must be an object with a "kind".');
  return learnerSpec(state.kind, catalog).restore(state);
}
