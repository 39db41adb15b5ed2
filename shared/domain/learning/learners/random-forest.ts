/**
 * Random forests as scikit-learn builds them: each tree grows fully (by default) on a bootstrap
 * sample, drawing a fresh random subset of features at every split (sqrt of the feature count for
 * classification, all features for regression). Probabilities are the mean of the trees' leaf
 * class fractions. The deadline is checked between trees: past it, the trees already grown are
 * kept (stopReason 'deadline'); with none grown yet, DeadlineExceededError is thrown.
 */
import {
  DeadlineExceededError,
  type ClassTarget,
  type FeatureMatrix,
  type FitOptions,
  type LearnerState,
} from '../learner';
import { SeededRandom } from '../random';
import {
  categoryCounts,
  checkClassTarget,
  checkInteger,
  checkRegressionTarget,
  checkTrainingData,
  featureNames,
} from './check-training-data';
import { checkTreeParams, type DecisionTreeParams } from './decision-tree';
import { growExactTree, presortFeatures, resolveMaxFeatures, type ExactTarget } from './grow-exact-tree';
import {
  normaliseImportance,
  restoreTreeModel,
  treeClassifier,
  treeRegressor,
  type StopReason,
  type Tree,
  type TreeClassifier,
  type TreeRegressor,
} from './tree-model';

export interface RandomForestParams extends DecisionTreeParams {
  nEstimators: number;
  /** Each tree sees a bootstrap sample (drawn with replacement) of the rows; false: all rows. */
  bootstrap: boolean;
}

export const DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS: Readonly<RandomForestParams> = Object.freeze({
  nEstimators: 100,
  criterion: 'gini',
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 'sqrt',
  bootstrap: true,
});

export const DEFAULT_RANDOM_FOREST_REGRESSOR_PARAMS: Readonly<RandomForestParams> = Object.freeze({
  ...DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS,
  criterion: 'squared_error',
  maxFeatures: 'all',
});

export function fitRandomForestClassifier(
  x: FeatureMatrix,
  y: ClassTarget,
  params: Partial<RandomForestParams>,
  options: FitOptions,
): TreeClassifier {
  const p: RandomForestParams = { ...DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS, ...params };
  if (p.criterion !== 'gini' && p.criterion !== 'entropy') {
    throw new RangeError('A classification forest uses the gini or entropy criterion');
  }
  checkTrainingData(x, y.labels.length);
  checkClassTarget(y);
  const target: ExactTarget = {
    kind: 'classification',
    labels: y.labels,
    nClasses: y.nClasses,
    criterion: p.criterion,
  };
  const fitted = fitForest(x, target, p, options);
  return treeClassifier({
    ...fitted,
    problemType: 'classification',
    nClasses: y.nClasses,
    nOutputs: y.nClasses,
  });
}

export function fitRandomForestRegressor(
  x: FeatureMatrix,
  y: Float64Array,
  params: Partial<RandomForestParams>,
  options: FitOptions,
): TreeRegressor {
  const p: RandomForestParams = { ...DEFAULT_RANDOM_FOREST_REGRESSOR_PARAMS, ...params };
  if (p.criterion !== 'squared_error')
    throw new RangeError('A regression forest uses the squared_error criterion');
  checkTrainingData(x, y.length);
  checkRegressionTarget(y);
  const fitted = fitForest(x, { kind: 'regression', y }, p, options);
  return treeRegressor({ ...fitted, problemType: 'regression', nClasses: 0, nOutputs: 1 });
}

/** Rebuilds a fitted random forest from `toState()` output. */
export function restoreRandomForest(state: LearnerState): TreeClassifier | TreeRegressor {
  return restoreTreeModel(state, 'random_forest');
}

function fitForest(x: FeatureMatrix, target: ExactTarget, p: RandomForestParams, options: FitOptions) {
  checkTreeParams(p);
  checkInteger('nEstimators', p.nEstimators, 1);
  const nFeatures = x.columns.length;
  const maxFeatures = resolveMaxFeatures(p.maxFeatures, nFeatures);
  const presorted = presortFeatures(x);
  const random = new SeededRandom(options.seed);
  const n = x.nRows;
  const weights = new Float64Array(n);
  const trees: Tree[] = [];
  const importance = new Float64Array(nFeatures);
  let stopReason: StopReason = 'completed';
  const settings = {
    maxDepth: p.maxDepth ?? Infinity,
    minSamplesSplit: p.minSamplesSplit,
    minSamplesLeaf: p.minSamplesLeaf,
    maxFeatures,
  };
  for (let t = 0; t < p.nEstimators; t += 1) {
    const deadline = options.deadline;
    if (deadline && deadline.now() >= deadline.atMs) {
      if (trees.length === 0) throw new DeadlineExceededError(0);
      stopReason = 'deadline';
      break;
    }
    // One stream per tree, so a tree depends only on the seed and its position.
    const treeRandom = random.fork();
    if (p.bootstrap) {
      weights.fill(0);
      for (let i = 0; i < n; i += 1) {
        const row = treeRandom.nextInt(n);
        weights[row] = (weights[row] as number) + 1;
      }
    }
    const grown = growExactTree(x, presorted, target, p.bootstrap ? weights : null, settings, treeRandom);
    trees.push(grown.tree);
    // As scikit-learn: each tree's importances are normalised before averaging.
    const own = normaliseImportance(grown.importance);
    for (let f = 0; f < nFeatures; f += 1) importance[f] = (importance[f] as number) + (own[f] as number);
    options.onProgress?.((t + 1) / p.nEstimators);
  }
  return {
    kind: 'random_forest' as const,
    featureNames: featureNames(x),
    categories: categoryCounts(x),
    treesPerIteration: 1,
    aggregation: 'average' as const,
    postTransform: 'none' as const,
    baseline: new Float64Array(target.kind === 'classification' ? target.nClasses : 1),
    learningRate: 1,
    trees,
    featureImportance: normaliseImportance(importance),
    params: { ...p },
    nIter: trees.length,
    stopReason,
  };
}
