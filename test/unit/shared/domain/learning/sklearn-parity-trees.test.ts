/**
 * Parity of the tree learners with scikit-learn 1.2 on the split and folds of the reference
 * fixture (scripts/learning-reference/make-reference.py): accuracy within 0.01 and ROC AUC
 * within 0.005 (classification), R² within 0.01 (regression) of scikit-learn's range over its
 * random_states, a range that is a single point for the deterministic boosting.
 */
import { describe, expect, it } from 'vitest';
import type { FitOptions } from '../../../../../shared/domain/learning/learner';
import {
  fitDecisionTreeClassifier,
  fitDecisionTreeRegressor,
  type DecisionTreeParams,
} from '../../../../../shared/domain/learning/learners/decision-tree';
import {
  fitHistGradientBoostingClassifier,
  fitHistGradientBoostingRegressor,
  type HistGradientBoostingParams,
} from '../../../../../shared/domain/learning/learners/hist-gradient-boosting';
import {
  fitRandomForestClassifier,
  fitRandomForestRegressor,
  type RandomForestParams,
} from '../../../../../shared/domain/learning/learners/random-forest';
import {
  booleanParam,
  loadReference,
  nullableNumberParam,
  numberParam,
  parityFailures,
  scoreClassifier,
  scoreRegressor,
  stringParam,
  type ReferenceCase,
  type Scores,
} from './reference-fixture';

const reference = loadReference();
const options: FitOptions = { seed: 0 };
// Boosting 10 classes over 5 folds of digits takes seconds on a busy machine.
const SLOW = 120_000;

function criterionOf(c: ReferenceCase): DecisionTreeParams['criterion'] {
  const criterion = stringParam(c, 'criterion');
  if (criterion !== 'gini' && criterion !== 'entropy' && criterion !== 'squared_error') {
    throw new Error(`Unknown criterion '${criterion}'`);
  }
  return criterion;
}

function maxFeaturesOf(c: ReferenceCase): DecisionTreeParams['maxFeatures'] {
  const value = c.params['maxFeatures'];
  if (value === undefined) return 'all';
  if (value === 'sqrt' || value === 'log2' || value === 'all' || typeof value === 'number') return value;
  throw new Error(`Unknown maxFeatures '${String(value)}'`);
}

function treeParams(c: ReferenceCase): Partial<DecisionTreeParams> {
  return {
    criterion: criterionOf(c),
    maxDepth: nullableNumberParam(c, 'maxDepth'),
    minSamplesLeaf: numberParam(c, 'minSamplesLeaf'),
    minSamplesSplit: numberParam(c, 'minSamplesSplit'),
    maxFeatures: maxFeaturesOf(c),
  };
}

function forestParams(c: ReferenceCase): Partial<RandomForestParams> {
  return {
    ...treeParams(c),
    nEstimators: numberParam(c, 'nEstimators'),
    bootstrap: booleanParam(c, 'bootstrap'),
  };
}

function boostingParams(c: ReferenceCase): Partial<HistGradientBoostingParams> {
  return {
    learningRate: numberParam(c, 'learningRate'),
    maxIter: numberParam(c, 'maxIter'),
    maxLeafNodes: nullableNumberParam(c, 'maxLeafNodes'),
    maxDepth: nullableNumberParam(c, 'maxDepth'),
    minSamplesLeaf: numberParam(c, 'minSamplesLeaf'),
    l2Regularization: numberParam(c, 'l2Regularization'),
    maxBins: numberParam(c, 'maxBins'),
    earlyStopping: booleanParam(c, 'earlyStopping'),
  };
}

type Override = Partial<RandomForestParams & HistGradientBoostingParams>;

/** Our score for a reference case, with some hyperparameters overridden when asked. */
function score(c: ReferenceCase, override: Override = {}): Scores {
  switch (c.learner) {
    case 'decision_tree_gini':
    case 'decision_tree_entropy':
      return scoreClassifier(c.dataset, (x, y) =>
        fitDecisionTreeClassifier(x, y, { ...treeParams(c), ...override }, options),
      );
    case 'decision_tree_regressor':
      return scoreRegressor(c.dataset, (x, y) =>
        fitDecisionTreeRegressor(x, y, { ...treeParams(c), ...override }, options),
      );
    case 'random_forest_classifier':
      return scoreClassifier(c.dataset, (x, y) =>
        fitRandomForestClassifier(x, y, { ...forestParams(c), ...override }, options),
      );
    case 'random_forest_regressor':
      return scoreRegressor(c.dataset, (x, y) =>
        fitRandomForestRegressor(x, y, { ...forestParams(c), ...override }, options),
      );
    case 'hist_gradient_boosting_classifier':
      return scoreClassifier(c.dataset, (x, y) =>
        fitHistGradientBoostingClassifier(x, y, { ...boostingParams(c), ...override }, options),
      );
    case 'hist_gradient_boosting_regressor':
      return scoreRegressor(c.dataset, (x, y) =>
        fitHistGradientBoostingRegressor(x, y, { ...boostingParams(c), ...override }, options),
      );
    default:
      throw new Error(`No tree learner '${c.learner}'`);
  }
}

const TREE_LEARNERS = [
  'decision_tree_gini',
  'decision_tree_entropy',
  'decision_tree_regressor',
  'random_forest_classifier',
  'random_forest_regressor',
  'hist_gradient_boosting_classifier',
  'hist_gradient_boosting_regressor',
];

const cases = reference.cases.filter((c) => TREE_LEARNERS.includes(c.learner));

describe('tree learners at parity with scikit-learn', () => {
  it('the fixture has every tree learner on every data set of its task', () => {
    expect(new Set(cases.map((c) => c.learner))).toEqual(new Set(TREE_LEARNERS));
    // 5 classification sets × 4 learners, 2 regression sets × 3.
    expect(cases).toHaveLength(26);
  });

  it.each(cases.map((c) => [`${c.learner} on ${c.dataset}`, c] as const))(
    '%s',
    (_name, c) => {
      expect(parityFailures(c, score(c))).toEqual([]);
    },
    SLOW,
  );

  describe('the tolerance catches a broken learner', () => {
    it('stumps (maxDepth 1) fail on every multiclass data set', () => {
      for (const c of cases.filter((t) => t.learner === 'decision_tree_gini')) {
        if ((reference.datasets[c.dataset]?.nClasses ?? 0) < 3) continue;
        const broken = score(c, { maxDepth: 1 });
        expect(parityFailures(c, broken).length, c.dataset).toBeGreaterThan(0);
      }
    });

    it('boosting with a tenth of its learning rate fails', () => {
      const c = cases.find(
        (t) => t.learner === 'hist_gradient_boosting_regressor' && t.dataset === 'regression',
      );
      if (!c) throw new Error('The fixture lacks boosting on the regression set');
      expect(parityFailures(c, score(c, { learningRate: numberParam(c, 'learningRate') / 10 }))).not.toEqual(
        [],
      );
    });
  });
});
