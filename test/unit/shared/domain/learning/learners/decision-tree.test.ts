import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../../../../../../shared/domain/learning/learner';
import {
  DEFAULT_DECISION_TREE_PARAMS,
  fitDecisionTreeClassifier,
  fitDecisionTreeRegressor,
  restoreDecisionTree,
} from '../../../../../../shared/domain/learning/learners/decision-tree';
import {
  accuracy,
  advancingDeadline,
  matrix,
  missingInformativeData,
  noisyFunction,
  probabilitySumError,
  rows,
  rSquared,
  threeClassData,
  viaJson,
  xorData,
} from './tree-test-data';

describe('fitDecisionTreeClassifier', () => {
  it('learns XOR, which no single split separates', () => {
    const { x, y } = xorData(1200, 1, 0);
    const model = fitDecisionTreeClassifier(
      rows(x, 0, 1000),
      { labels: y.labels.slice(0, 1000), nClasses: 2 },
      {},
      { seed: 1 },
    );
    expect(accuracy(model.predict(rows(x, 1000, 1200)), y.labels.slice(1000))).toBeGreaterThan(0.95);
  });

  it('fits its training data exactly when grown without limits', () => {
    const { x, y } = threeClassData(300, 2);
    const model = fitDecisionTreeClassifier(x, y, {}, { seed: 1 });
    expect(accuracy(model.predict(x), y.labels)).toBe(1);
  });

  it('gives probabilities that sum to 1, with either criterion', () => {
    const { x, y } = threeClassData(500, 3);
    for (const criterion of ['gini', 'entropy'] as const) {
      const model = fitDecisionTreeClassifier(
        x,
        y,
        { criterion, maxDepth: 4, minSamplesLeaf: 5 },
        { seed: 1 },
      );
      expect(model.nClasses).toBe(3);
      expect(probabilitySumError(model.predictProba(x), x.nRows)).toBeLessThan(1e-12);
      expect(accuracy(model.predict(x), y.labels)).toBeGreaterThan(0.85);
    }
  });

  it('respects maxDepth and minSamplesLeaf', () => {
    const { x, y } = xorData(1000, 4);
    const state = fitDecisionTreeClassifier(x, y, { maxDepth: 2, minSamplesLeaf: 50 }, { seed: 1 }).toState();
    const tree = state.trees[0];
    expect(tree).toBeDefined();
    const depth = (node: number): number =>
      (tree?.feature[node] ?? -1) < 0
        ? 0
        : 1 + Math.max(depth(tree?.left[node] ?? 0), depth(tree?.right[node] ?? 0));
    expect(depth(0)).toBeLessThanOrEqual(2);
    tree?.feature.forEach((f, node) => {
      if (f < 0) expect(tree.cover[node]).toBeGreaterThanOrEqual(50);
    });
  });

  it('splits at the midpoint between consecutive distinct values', () => {
    const x = matrix([Float64Array.of(1, 2, 3, 4)]);
    const model = fitDecisionTreeClassifier(
      x,
      { labels: Int32Array.of(0, 0, 1, 1), nClasses: 2 },
      {},
      { seed: 1 },
    );
    expect(model.toState().trees[0]?.threshold[0]).toBe(2.5);
  });

  it('routes missing values to the side learned at fit time', () => {
    const { x, y } = missingInformativeData(2000, 5);
    const model = fitDecisionTreeClassifier(
      rows(x, 0, 1500),
      { labels: y.labels.slice(0, 1500), nClasses: 2 },
      { maxDepth: 3 },
      { seed: 1 },
    );
    expect(accuracy(model.predict(rows(x, 1500, 2000)), y.labels.slice(1500))).toBeGreaterThan(0.85);
    expect(
      Array.from(model.predict(matrix([Float64Array.of(NaN, NaN), Float64Array.of(-0.5, 0.5)]))),
    ).toEqual([1, 1]);
  });

  it('is deterministic for a seed', () => {
    const { x, y } = xorData(400, 6);
    const params = { maxFeatures: 'sqrt' as const };
    const a = fitDecisionTreeClassifier(x, y, params, { seed: 9 }).toState();
    const b = fitDecisionTreeClassifier(x, y, params, { seed: 9 }).toState();
    expect(b).toEqual(a);
  });

  it('predicts identically after a JSON round trip', () => {
    const { x, y } = threeClassData(400, 7);
    const model = fitDecisionTreeClassifier(x, y, { maxDepth: 6 }, { seed: 1 });
    const restored = restoreDecisionTree(viaJson(model.toState()));
    expect(restored.problemType).toBe('classification');
    if (restored.problemType !== 'classification') return;
    expect(restored.predictProba(x)).toEqual(model.predictProba(x));
    expect(restored.toState()).toEqual(model.toState());
  });

  it('reports gain-based feature importance summing to 1, led by the informative features', () => {
    const { x, y } = threeClassData(1000, 8);
    const importance = fitDecisionTreeClassifier(x, y, { maxDepth: 4 }, { seed: 1 }).featureImportance();
    expect(importance.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect((importance[0] ?? 0) + (importance[1] ?? 0)).toBeGreaterThan(0.9);
  });

  it('stops at the deadline', () => {
    const { x, y } = xorData(200, 9);
    expect(() => fitDecisionTreeClassifier(x, y, {}, { seed: 1, deadline: advancingDeadline(0, 1) })).toThrow(
      DeadlineExceededError,
    );
  });

  it('rejects invalid parameters and data', () => {
    const { x, y } = xorData(50, 10);
    expect(() => fitDecisionTreeClassifier(x, y, { minSamplesLeaf: 0 }, { seed: 1 })).toThrow(RangeError);
    expect(() => fitDecisionTreeClassifier(x, y, { criterion: 'squared_error' }, { seed: 1 })).toThrow(
      RangeError,
    );
    expect(() =>
      fitDecisionTreeClassifier(x, { labels: Int32Array.of(0, 1), nClasses: 2 }, {}, { seed: 1 }),
    ).toThrow(RangeError);
    expect(DEFAULT_DECISION_TREE_PARAMS.maxFeatures).toBe('all');
  });
});

describe('fitDecisionTreeRegressor', () => {
  it('fits a noisy function with a good R²', () => {
    const { x, y } = noisyFunction(3000, 11);
    const model = fitDecisionTreeRegressor(
      rows(x, 0, 2500),
      y.slice(0, 2500),
      { minSamplesLeaf: 10 },
      { seed: 1 },
    );
    expect(rSquared(model.predict(rows(x, 2500, 3000)), y.slice(2500))).toBeGreaterThan(0.85);
  });

  it('predicts the leaf mean and survives a JSON round trip', () => {
    const x = matrix([Float64Array.of(0, 1, 2, 3, 10, 11, 12, 13)]);
    const y = Float64Array.of(1, 1, 3, 3, 5, 5, 7, 7);
    const model = fitDecisionTreeRegressor(x, y, { maxDepth: 1 }, { seed: 1 });
    expect(Array.from(model.predict(x))).toEqual([2, 2, 2, 2, 6, 6, 6, 6]);
    const restored = restoreDecisionTree(viaJson(model.toState()));
    expect(restored.problemType === 'regression' && restored.predict(x)).toEqual(model.predict(x));
  });

  it('rejects a classification criterion', () => {
    const { x, y } = noisyFunction(20, 12);
    expect(() => fitDecisionTreeRegressor(x, y, { criterion: 'gini' }, { seed: 1 })).toThrow(RangeError);
  });
});
