import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../../../../../../shared/domain/learning/learner';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import {
  DEFAULT_HIST_GRADIENT_BOOSTING_PARAMS,
  fitHistGradientBoostingClassifier,
  fitHistGradientBoostingRegressor,
  restoreHistGradientBoosting,
} from '../../../../../../shared/domain/learning/learners/hist-gradient-boosting';
import {
  accuracy,
  advancingDeadline,
  categoricalData,
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

describe('fitHistGradientBoostingClassifier', () => {
  it('learns XOR with noise features (binary log loss)', () => {
    const { x, y } = xorData(2500, 1);
    const model = fitHistGradientBoostingClassifier(
      rows(x, 0, 2000),
      { labels: y.labels.slice(0, 2000), nClasses: 2 },
      {},
      { seed: 1 },
    );
    expect(model.nIter).toBe(100);
    expect(model.stopReason).toBe('completed');
    expect(accuracy(model.predict(rows(x, 2000, 2500)), y.labels.slice(2000))).toBeGreaterThan(0.95);
  });

  it('learns three classes with one tree per class per iteration', () => {
    const { x, y } = threeClassData(2000, 2);
    const model = fitHistGradientBoostingClassifier(
      rows(x, 0, 1500),
      { labels: y.labels.slice(0, 1500), nClasses: 3 },
      { maxIter: 30 },
      { seed: 1 },
    );
    expect(model.toState().trees).toHaveLength(90);
    const test = rows(x, 1500, 2000);
    expect(accuracy(model.predict(test), y.labels.slice(1500))).toBeGreaterThan(0.9);
    expect(probabilitySumError(model.predictProba(test), test.nRows)).toBeLessThan(1e-12);
  });

  it('starts from the log-odds of the training classes', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 25 ? 1 : 0));
    const x = matrix([Float64Array.from({ length: 100 }, () => 1)]);
    const state = fitHistGradientBoostingClassifier(
      x,
      { labels, nClasses: 2 },
      { maxIter: 1 },
      { seed: 1 },
    ).toState();
    expect(state.baseline[0]).toBeCloseTo(Math.log(0.25 / 0.75), 12);
    expect(state.postTransform).toBe('logistic');
  });

  it('learns a direction for missing values', () => {
    const { x, y } = missingInformativeData(3000, 3);
    const model = fitHistGradientBoostingClassifier(
      rows(x, 0, 2500),
      { labels: y.labels.slice(0, 2500), nClasses: 2 },
      { maxIter: 20 },
      { seed: 1 },
    );
    expect(accuracy(model.predict(rows(x, 2500, 3000)), y.labels.slice(2500))).toBeGreaterThan(0.85);
    const proba = model.predictProba(matrix([Float64Array.of(NaN, 0.3), Float64Array.of(0, 0)]));
    expect(proba[1]?.[0]).toBeGreaterThan(0.7);
    expect(proba[1]?.[1]).toBeLessThan(0.3);
  });

  it('splits categorical features on sets of categories, beating ordinal splits', () => {
    const { x, y } = categoricalData(3000, 4);
    const train = rows(x, 0, 2000);
    const test = rows(x, 2000, 3000);
    const labels = { labels: y.labels.slice(0, 2000), nClasses: 2 };
    const params = { maxIter: 3, maxDepth: 1 };
    const categorical = fitHistGradientBoostingClassifier(train, labels, params, { seed: 1 });
    const ordinal = fitHistGradientBoostingClassifier({ ...train, categories: [] }, labels, params, {
      seed: 1,
    });
    const categoricalAccuracy = accuracy(categorical.predict(test), y.labels.slice(2000));
    expect(categoricalAccuracy).toBe(1);
    expect(categoricalAccuracy).toBeGreaterThan(
      accuracy(ordinal.predict({ ...test, categories: [] }), y.labels.slice(2000)) + 0.1,
    );
    const root = categorical.toState().trees[0];
    expect(root?.categorySet[0]).toBe(0);
    // Unseen category codes go right, like scikit-learn.
    expect(() =>
      categorical.predict(matrix([Float64Array.of(99), Float64Array.of(0.5)], [24, undefined])),
    ).not.toThrow();
  });

  it('stops early on a validation loss plateau', () => {
    const random = new SeededRandom(5);
    const n = 3000;
    const x = matrix([
      Float64Array.from({ length: n }, () => random.next()),
      Float64Array.from({ length: n }, () => random.next()),
    ]);
    const labels = Int32Array.from({ length: n }, () => (random.next() < 0.5 ? 1 : 0));
    const model = fitHistGradientBoostingClassifier(
      x,
      { labels, nClasses: 2 },
      { earlyStopping: true },
      { seed: 1 },
    );
    expect(model.stopReason).toBe('early_stopping');
    expect(model.nIter).toBeLessThan(100);
    expect(model.toState().trees).toHaveLength(model.nIter);
  });

  it('turns early stopping on automatically only above 10,000 rows', () => {
    const { x, y } = xorData(500, 6);
    const model = fitHistGradientBoostingClassifier(x, y, { maxIter: 15 }, { seed: 1 });
    expect(model.nIter).toBe(15);
    expect(DEFAULT_HIST_GRADIENT_BOOSTING_PARAMS.earlyStopping).toBe('auto');
  });

  it('keeps the iterations completed before the deadline', () => {
    const { x, y } = xorData(500, 7);
    const model = fitHistGradientBoostingClassifier(x, y, {}, { seed: 1, deadline: advancingDeadline(6, 1) });
    expect(model.stopReason).toBe('deadline');
    expect(model.nIter).toBe(5);
    expect(model.toState().trees).toHaveLength(5);
    expect(() =>
      fitHistGradientBoostingClassifier(x, y, {}, { seed: 1, deadline: advancingDeadline(0, 1) }),
    ).toThrow(DeadlineExceededError);
  });

  it('is deterministic and predicts identically after a JSON round trip', () => {
    const { x, y } = threeClassData(800, 8);
    const model = fitHistGradientBoostingClassifier(x, y, { maxIter: 10 }, { seed: 3 });
    expect(fitHistGradientBoostingClassifier(x, y, { maxIter: 10 }, { seed: 3 }).toState()).toEqual(
      model.toState(),
    );
    const restored = restoreHistGradientBoosting(viaJson(model.toState()));
    expect(restored.problemType === 'classification' && restored.predictProba(x)).toEqual(
      model.predictProba(x),
    );
  });

  it('rejects invalid parameters', () => {
    const { x, y } = xorData(50, 9);
    expect(() => fitHistGradientBoostingClassifier(x, y, { maxBins: 256 }, { seed: 1 })).toThrow(RangeError);
    expect(() => fitHistGradientBoostingClassifier(x, y, { learningRate: 0 }, { seed: 1 })).toThrow(
      RangeError,
    );
    expect(() =>
      fitHistGradientBoostingClassifier(x, { labels: new Int32Array(50), nClasses: 1 }, {}, { seed: 1 }),
    ).toThrow(RangeError);
  });
});

describe('fitHistGradientBoostingRegressor', () => {
  it('fits a noisy function with a good R²', () => {
    const { x, y } = noisyFunction(3000, 10);
    const model = fitHistGradientBoostingRegressor(rows(x, 0, 2500), y.slice(0, 2500), {}, { seed: 1 });
    const test = rows(x, 2500, 3000);
    expect(rSquared(model.predict(test), y.slice(2500))).toBeGreaterThan(0.9);
    const importance = model.featureImportance();
    expect(importance.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(importance[2]).toBeLessThan(0.1);
    const restored = restoreHistGradientBoosting(viaJson(model.toState()));
    expect(restored.problemType === 'regression' && restored.predict(test)).toEqual(model.predict(test));
  });

  it('starts from the mean and scales leaves by the learning rate', () => {
    const x = matrix([Float64Array.of(0, 0, 0, 0, 1, 1, 1, 1)]);
    const y = Float64Array.of(0, 0, 0, 0, 4, 4, 4, 4);
    const model = fitHistGradientBoostingRegressor(
      x,
      y,
      { maxIter: 1, minSamplesLeaf: 1, learningRate: 0.5 },
      { seed: 1 },
    );
    expect(model.toState().baseline).toEqual([2]);
    model.predict(x).forEach((v, i) => expect(v).toBeCloseTo(i < 4 ? 1 : 3, 12));
  });
});
