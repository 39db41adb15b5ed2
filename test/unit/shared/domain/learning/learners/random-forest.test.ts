import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../../../../../../shared/domain/learning/learner';
import {
  DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS,
  DEFAULT_RANDOM_FOREST_REGRESSOR_PARAMS,
  fitRandomForestClassifier,
  fitRandomForestRegressor,
  restoreRandomForest,
} from '../../../../../../shared/domain/learning/learners/random-forest';
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

describe('fitRandomForestClassifier', () => {
  it('learns XOR with noise features', () => {
    const { x, y } = xorData(1500, 1);
    const model = fitRandomForestClassifier(
      rows(x, 0, 1000),
      { labels: y.labels.slice(0, 1000), nClasses: 2 },
      { nEstimators: 30 },
      { seed: 1 },
    );
    expect(accuracy(model.predict(rows(x, 1000, 1500)), y.labels.slice(1000))).toBeGreaterThan(0.9);
  });

  it('averages the trees’ leaf class fractions into probabilities that sum to 1', () => {
    const { x, y } = threeClassData(600, 2);
    const model = fitRandomForestClassifier(x, y, { nEstimators: 20 }, { seed: 1 });
    const proba = model.predictProba(x);
    expect(proba).toHaveLength(3);
    expect(probabilitySumError(proba, x.nRows)).toBeLessThan(1e-12);
    // Fractional probabilities: the trees disagree somewhere.
    expect(proba.some((column) => column.some((p) => p > 0 && p < 1))).toBe(true);
  });

  it('gives identical models for a seed and different ones for another seed', () => {
    const { x, y } = xorData(400, 3);
    const a = fitRandomForestClassifier(x, y, { nEstimators: 5 }, { seed: 7 }).toState();
    const b = fitRandomForestClassifier(x, y, { nEstimators: 5 }, { seed: 7 }).toState();
    const c = fitRandomForestClassifier(x, y, { nEstimators: 5 }, { seed: 8 }).toState();
    expect(b).toEqual(a);
    expect(c.trees).not.toEqual(a.trees);
  });

  it('routes missing values sensibly', () => {
    const { x, y } = missingInformativeData(2000, 4);
    const model = fitRandomForestClassifier(
      rows(x, 0, 1500),
      { labels: y.labels.slice(0, 1500), nClasses: 2 },
      { nEstimators: 20, minSamplesLeaf: 5 },
      { seed: 1 },
    );
    expect(accuracy(model.predict(rows(x, 1500, 2000)), y.labels.slice(1500))).toBeGreaterThan(0.8);
    const proba = model.predictProba(matrix([Float64Array.of(NaN), Float64Array.of(0)]));
    expect(proba[1]?.[0]).toBeGreaterThan(0.7);
  });

  it('predicts identically after a JSON round trip', () => {
    const { x, y } = threeClassData(300, 5);
    const model = fitRandomForestClassifier(x, y, { nEstimators: 10 }, { seed: 1 });
    const restored = restoreRandomForest(viaJson(model.toState()));
    expect(restored.problemType === 'classification' && restored.predictProba(x)).toEqual(
      model.predictProba(x),
    );
  });

  it('keeps the trees grown before the deadline', () => {
    const { x, y } = xorData(200, 6);
    // Each tree reads the clock once: three readings fit before the deadline.
    const model = fitRandomForestClassifier(
      x,
      y,
      { nEstimators: 50 },
      { seed: 1, deadline: advancingDeadline(4, 1) },
    );
    expect(model.stopReason).toBe('deadline');
    expect(model.nIter).toBe(3);
    expect(model.toState().trees).toHaveLength(3);
    expect(() => fitRandomForestClassifier(x, y, {}, { seed: 1, deadline: advancingDeadline(0, 1) })).toThrow(
      DeadlineExceededError,
    );
  });

  it('reports progress per tree', () => {
    const { x, y } = xorData(100, 7);
    const seen: number[] = [];
    fitRandomForestClassifier(x, y, { nEstimators: 4 }, { seed: 1, onProgress: (f) => seen.push(f) });
    expect(seen).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('has scikit-learn defaults', () => {
    expect(DEFAULT_RANDOM_FOREST_CLASSIFIER_PARAMS).toMatchObject({
      nEstimators: 100,
      maxFeatures: 'sqrt',
      bootstrap: true,
    });
    expect(DEFAULT_RANDOM_FOREST_REGRESSOR_PARAMS).toMatchObject({
      maxFeatures: 'all',
      criterion: 'squared_error',
    });
  });
});

describe('fitRandomForestRegressor', () => {
  it('fits a noisy function better than one tree would', () => {
    const { x, y } = noisyFunction(2500, 8);
    const train = rows(x, 0, 2000);
    const test = rows(x, 2000, 2500);
    const model = fitRandomForestRegressor(train, y.slice(0, 2000), { nEstimators: 30 }, { seed: 1 });
    expect(rSquared(model.predict(test), y.slice(2000))).toBeGreaterThan(0.9);
    const restored = restoreRandomForest(viaJson(model.toState()));
    expect(restored.problemType === 'regression' && restored.predict(test)).toEqual(model.predict(test));
  });

  it('without bootstrap and with every feature, every tree is the same tree', () => {
    const { x, y } = noisyFunction(300, 9);
    const state = fitRandomForestRegressor(
      x,
      y,
      { nEstimators: 3, bootstrap: false, maxDepth: 3 },
      { seed: 1 },
    ).toState();
    expect(state.trees[1]?.threshold).toEqual(state.trees[0]?.threshold);
  });
});
