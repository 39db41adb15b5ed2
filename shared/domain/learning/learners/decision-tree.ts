/**
 * A CART decision tree (classification with gini or entropy, regression with squared error), with
 * scikit-learn's exact splitting and its defaults. Missing values are tried on both sides of every
 * split and follow the side learned at fit time; where a node saw none, they follow the child
 * with more training weight.
 */
import {
  checkDeadline,
  type ClassTarget,
  type FeatureMatrix,
  type FitOptions,
  type LearnerState,
} from '../learner';
import { SeededRandom } from '../random';
import {
  checkClassTarget,
  checkInteger,
  checkRegressionTarget,
  checkTrainingData,
  categoryCounts,
  featureNames,
} from './check-training-data';
import {
  growExactTree,
  presortFeatures,
  resolveMaxFeatures,
  type ExactTarget,
  type MaxFeatures,
} from './grow-exact-tree';
import {
  normaliseImportance,
  restoreTreeModel,
  treeClassifier,
  treeRegressor,
  type TreeClassifier,
  type TreeRegressor,
} from './tree-model';

export type { MaxFeatures } from './grow-exact-tree';

export interface DecisionTreeParams {
  /** gini or entropy for classification, squared_error for regression. */
  criterion: 'gini' | 'entropy' | 'squared_error';
  /** null grows until leaves are pure or too small. */
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /**
   * Features scored per split: sqrt, log2 or all of them, a fraction in (0, 1), or a whole count
   * (1 means one feature; use 'all' for every feature).
   */
  maxFeatures: MaxFeatures;
}

/** scikit-learn's defaults; the regressor uses squared_error unless told otherwise. */
export const DEFAULT_DECISION_TREE_PARAMS: Readonly<DecisionTreeParams> = Object.freeze({
  criterion: 'gini',
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 'all',
});

/** Checks tree-shape parameters shared by the decision tree and the random forest. */
export function checkTreeParams(p: Omit<DecisionTreeParams, 'criterion'>): void {
  checkInteger('maxDepth', p.maxDepth, 1, true);
  checkInteger('minSamplesSplit', p.minSamplesSplit, 2);
  checkInteger('minSamplesLeaf', p.minSamplesLeaf, 1);
}

export function fitDecisionTreeClassifier(
  x: FeatureMatrix,
  y: ClassTarget,
  params: Partial<DecisionTreeParams>,
  options: FitOptions,
): TreeClassifier {
  const p: DecisionTreeParams = { ...DEFAULT_DECISION_TREE_PARAMS, ...params };
  if (p.criterion !== 'gini' && p.criterion !== 'entropy') {
    throw new RangeError('A classification tree uses the gini or entropy criterion');
  }
  checkTrainingData(x, y.labels.length);
  checkClassTarget(y);
  const fitted = fitTree(
    x,
    { kind: 'classification', labels: y.labels, nClasses: y.nClasses, criterion: p.criterion },
    p,
    options,
  );
  return treeClassifier({
    ...fitted,
    problemType: 'classification',
    nClasses: y.nClasses,
    nOutputs: y.nClasses,
  });
}

export function fitDecisionTreeRegressor(
  x: FeatureMatrix,
  y: Float64Array,
  params: Partial<DecisionTreeParams>,
  options: FitOptions,
): TreeRegressor {
  const p: DecisionTreeParams = { ...DEFAULT_DECISION_TREE_PARAMS, criterion: 'squared_error', ...params };
  if (p.criterion !== 'squared_error')
    throw new RangeError('A regression tree uses the squared_error criterion');
  checkTrainingData(x, y.length);
  checkRegressionTarget(y);
  const fitted = fitTree(x, { kind: 'regression', y }, p, options);
  return treeRegressor({ ...fitted, problemType: 'regression', nClasses: 0, nOutputs: 1 });
}

/** Rebuilds a fitted decision tree from `toState()` output. */
export function restoreDecisionTree(state: LearnerState): TreeClassifier | TreeRegressor {
  return restoreTreeModel(state, 'decision_tree');
}

function fitTree(x: FeatureMatrix, target: ExactTarget, p: DecisionTreeParams, options: FitOptions) {
  checkTreeParams(p);
  const maxFeatures = resolveMaxFeatures(p.maxFeatures, x.columns.length);
  checkDeadline(options.deadline, 0);
  const random = new SeededRandom(options.seed);
  const { tree, importance } = growExactTree(
    x,
    presortFeatures(x),
    target,
    null,
    {
      maxDepth: p.maxDepth ?? Infinity,
      minSamplesSplit: p.minSamplesSplit,
      minSamplesLeaf: p.minSamplesLeaf,
      maxFeatures,
    },
    random,
    options.deadline,
  );
  options.onProgress?.(1);
  return {
    kind: 'decision_tree' as const,
    featureNames: featureNames(x),
    categories: categoryCounts(x),
    treesPerIteration: 1,
    aggregation: 'average' as const,
    postTransform: 'none' as const,
    baseline: new Float64Array(target.kind === 'classification' ? target.nClasses : 1),
    learningRate: 1,
    trees: [tree],
    featureImportance: normaliseImportance(importance),
    params: { ...p },
    nIter: 1,
    stopReason: 'completed' as const,
  };
}
