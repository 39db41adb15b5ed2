import type { DecisionTreeParams } from '../../shared/domain/learning/learners/decision-tree';
import type { HistGradientBoostingParams } from '../../shared/domain/learning/learners/hist-gradient-boosting';
import type { KMeansParams } from '../../shared/domain/learning/learners/kmeans';
import type { LogisticRegressionParams } from '../../shared/domain/learning/learners/logistic-regression';
import type { RandomForestParams } from '../../shared/domain/learning/learners/random-forest';

/**
 * The training cases: each learner with the same hyperparameters on both sides (ours, and the
 * scikit-learn estimator bench/learning/sklearn_baseline.py builds from `sklearn`), its goal as
 * a ratio of median training times (ours / scikit-learn), and how many repetitions each size gets.
 */
export type LearnerKey =
  'hist_gradient_boosting' | 'decision_tree' | 'random_forest' | 'logistic_regression' | 'kmeans';

export type SklearnParams = Record<string, string | number | boolean | null>;

export type OurParams =
  | { learner: 'hist_gradient_boosting'; params: Partial<HistGradientBoostingParams> }
  | { learner: 'decision_tree'; params: Partial<DecisionTreeParams> }
  | { learner: 'random_forest'; params: Partial<RandomForestParams> }
  | { learner: 'logistic_regression'; params: Partial<LogisticRegressionParams> }
  | { learner: 'kmeans'; params: Partial<KMeansParams> };

export interface TrainingCase {
  readonly label: string;
  readonly rows: number;
  readonly repetitions: number;
  readonly ours: OurParams;
  readonly sklearn: SklearnParams;
  /** Ours / scikit-learn, median training time. */
  readonly goalRatio: number;
  /** What differs from the learner's usual setting at this size, printed with the case. */
  readonly note?: string;
}

export const TRAINING_ROWS = [1_000, 10_000, 100_000] as const;

/** Repetitions per size: medians of at least five, except where a note says otherwise. */
const REPETITIONS: Record<(typeof TRAINING_ROWS)[number], number> = { 1_000: 9, 10_000: 5, 100_000: 5 };

/** Our parameters and scikit-learn's, for the same model. */
export const HGB_PARAMS = {
  ours: {
    learningRate: 0.1,
    maxIter: 100,
    maxLeafNodes: 31,
    maxDepth: null,
    minSamplesLeaf: 20,
    l2Regularization: 0,
    maxBins: 255,
    earlyStopping: false,
  } satisfies Partial<HistGradientBoostingParams>,
  sklearn: {
    learning_rate: 0.1,
    max_iter: 100,
    max_leaf_nodes: 31,
    max_depth: null,
    min_samples_leaf: 20,
    l2_regularization: 0,
    max_bins: 255,
    early_stopping: false,
    random_state: 0,
  } satisfies SklearnParams,
};

/** Trees of the forest at 100k rows on both sides: 100 would take minutes per repetition. */
const FOREST_TREES_AT_100K = 20;
const FOREST_REPETITIONS_AT_100K = 3;

export function trainingCases(): TrainingCase[] {
  const cases: TrainingCase[] = [];
  for (const rows of TRAINING_ROWS) {
    const repetitions = REPETITIONS[rows];
    cases.push({
      label: 'hist gradient boosting',
      rows,
      repetitions,
      ours: { learner: 'hist_gradient_boosting', params: HGB_PARAMS.ours },
      sklearn: HGB_PARAMS.sklearn,
      goalRatio: 1.5,
    });
  }
  for (const rows of TRAINING_ROWS) {
    cases.push({
      label: 'decision tree',
      rows,
      repetitions: REPETITIONS[rows],
      ours: {
        learner: 'decision_tree',
        params: {
          criterion: 'gini',
          maxDepth: null,
          minSamplesSplit: 2,
          minSamplesLeaf: 1,
          maxFeatures: 'all',
        },
      },
      sklearn: {
        criterion: 'gini',
        max_depth: null,
        min_samples_split: 2,
        min_samples_leaf: 1,
        max_features: null,
        random_state: 0,
      },
      goalRatio: 2,
    });
  }
  for (const rows of TRAINING_ROWS) {
    const large = rows === 100_000;
    const trees = large ? FOREST_TREES_AT_100K : 100;
    cases.push({
      label: 'random forest',
      rows,
      repetitions: large ? FOREST_REPETITIONS_AT_100K : REPETITIONS[rows],
      ours: {
        learner: 'random_forest',
        params: {
          nEstimators: trees,
          criterion: 'gini',
          maxDepth: null,
          minSamplesSplit: 2,
          minSamplesLeaf: 1,
          maxFeatures: 'sqrt',
          bootstrap: true,
        },
      },
      sklearn: {
        n_estimators: trees,
        criterion: 'gini',
        max_depth: null,
        min_samples_split: 2,
        min_samples_leaf: 1,
        max_features: 'sqrt',
        bootstrap: true,
        n_jobs: 1,
        random_state: 0,
      },
      goalRatio: 3,
      ...(large
        ? { note: `${trees} trees (not 100) and ${FOREST_REPETITIONS_AT_100K} repetitions on both sides` }
        : {}),
    });
  }
  for (const rows of TRAINING_ROWS) {
    cases.push({
      label: 'logistic regression',
      rows,
      repetitions: REPETITIONS[rows],
      // Ours standardises the features inside the fit; scikit-learn gets a StandardScaler in front.
      ours: { learner: 'logistic_regression', params: { C: 1, solver: 'lbfgs', maxIter: 100, tol: 1e-4 } },
      sklearn: { C: 1, solver: 'lbfgs', max_iter: 100, tol: 1e-4 },
      goalRatio: 3,
    });
  }
  for (const rows of TRAINING_ROWS) {
    cases.push({
      label: 'k-means',
      rows,
      repetitions: REPETITIONS[rows],
      ours: { learner: 'kmeans', params: { nClusters: 8, nInit: 10, maxIter: 300, tol: 1e-4 } },
      sklearn: {
        n_clusters: 8,
        n_init: 10,
        max_iter: 300,
        tol: 1e-4,
        algorithm: 'lloyd',
        random_state: 0,
      },
      goalRatio: 3,
    });
  }
  return cases;
}
