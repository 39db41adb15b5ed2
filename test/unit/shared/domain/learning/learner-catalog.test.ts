import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../../../../../shared/domain/learning/learner';
import {
  fitLearner,
  LEARNER_CATALOG,
  LEARNER_KEYS,
  LearnerCatalogError,
  learnersFor,
  restoreLearner,
  type TrainingTarget,
} from '../../../../../shared/domain/learning/learner-catalog';
import { SeededRandom } from '../../../../../shared/domain/learning/random';

function data(n: number, seed: number): { x: FeatureMatrix; labels: Int32Array; values: Float64Array } {
  const random = new SeededRandom(seed);
  const columns = Array.from({ length: 3 }, () =>
    Float64Array.from({ length: n }, () => random.nextGaussian()),
  );
  const values = Float64Array.from(
    { length: n },
    (_, i) => (columns[0]?.[i] ?? 0) - 2 * (columns[1]?.[i] ?? 0),
  );
  const labels = Int32Array.from(values, (v) => (v > 0 ? 1 : 0));
  return { x: { nRows: n, columns, names: ['a', 'b', 'c'] }, labels, values };
}

/** The same features shifted to be ≥ 0, for learners of counts and weights. */
function nonNegative(x: FeatureMatrix): FeatureMatrix {
  return { ...x, columns: x.columns.map((column) => column.map((v) => Math.abs(v))) };
}

function targetFor(
  problemType: TrainingTarget['problemType'],
  labels: Int32Array,
  values: Float64Array,
): TrainingTarget {
  if (problemType === 'classification') return { problemType, y: { labels, nClasses: 2 } };
  if (problemType === 'regression') return { problemType, y: values };
  return { problemType };
}

describe('the learner catalog', () => {
  it('lists exactly the learners GET /ml-tasks shows', () => {
    expect(Object.keys(LEARNER_CATALOG)).toEqual([...LEARNER_KEYS]);
    expect(LEARNER_KEYS).toEqual([
      'hist_gradient_boosting',
      'random_forest',
      'decision_tree',
      'logistic_regression',
      'multinomial_nb',
      'linear_regression',
      'ridge',
      'kmeans',
    ]);
    for (const [key, spec] of Object.entries(LEARNER_CATALOG)) expect(spec.key).toBe(key);
  });

  it('says which learners need imputed, one-hot input', () => {
    const native = Object.values(LEARNER_CATALOG)
      .filter((s) => s.handlesMissing && s.handlesCategorical)
      .map((s) => s.key);
    expect(native).toEqual(['hist_gradient_boosting', 'random_forest', 'decision_tree']);
    expect(learnersFor('clustering').map((s) => s.key)).toEqual(['kmeans']);
    expect(learnersFor('regression').map((s) => s.key)).toEqual([
      'hist_gradient_boosting',
      'random_forest',
      'decision_tree',
      'linear_regression',
      'ridge',
    ]);
  });

  it('fits every learner with its defaults for each problem type and restores it from JSON', () => {
    const { x: signed, labels, values } = data(120, 1);
    for (const spec of Object.values(LEARNER_CATALOG)) {
      const x = spec.nonNegativeInput ? nonNegative(signed) : signed;
      for (const problemType of spec.problemTypes) {
        const shape = { nRows: x.nRows, nFeatures: 3, nClasses: problemType === 'classification' ? 2 : 0 };
        const params = spec.defaults(problemType, shape);
        const model = fitLearner(spec.key, x, targetFor(problemType, labels, values), params, { seed: 1 });
        expect(model.problemType).toBe(problemType);
        const state = model.toState();
        expect(state.kind).toBe(spec.key);
        const restored = restoreLearner(JSON.parse(JSON.stringify(state)));
        expect(restored.predict(x)).toEqual(model.predict(x));
      }
    }
  });

  it('has search spaces whose draws the learners accept', () => {
    const { x: signed, labels, values } = data(80, 2);
    const random = new SeededRandom(3);
    for (const spec of Object.values(LEARNER_CATALOG)) {
      const x = spec.nonNegativeInput ? nonNegative(signed) : signed;
      for (const problemType of spec.problemTypes) {
        const shape = { nRows: x.nRows, nFeatures: 3, nClasses: problemType === 'classification' ? 2 : 0 };
        const defaults = spec.defaults(problemType, shape);
        const space = spec.searchSpace(problemType, shape);
        const params: Record<string, unknown> = { ...defaults };
        for (const [name, dimension] of Object.entries(space)) {
          expect(Object.keys(defaults)).toContain(name);
          if (dimension.kind === 'choice') {
            params[name] = dimension.values[random.nextInt(dimension.values.length)];
          } else {
            expect(dimension.low).toBeLessThan(dimension.high);
            const value = dimension.low + random.next() * (dimension.high - dimension.low);
            params[name] = dimension.kind === 'int' ? Math.round(value) : value;
          }
        }
        const target = targetFor(problemType, labels, values);
        expect(() =>
          fitLearner(spec.key, x, target, params as Record<string, number | string | null>, { seed: 1 }),
        ).not.toThrow();
      }
    }
  });

  it('estimates more time for more rows, features and work', () => {
    for (const spec of Object.values(LEARNER_CATALOG)) {
      const problemType = spec.problemTypes[0] ?? 'regression';
      const small = { nRows: 1000, nFeatures: 10, nClasses: problemType === 'classification' ? 2 : 0 };
      const defaults = spec.defaults(problemType, small);
      const base = spec.estimateSeconds(small, defaults);
      expect(base).toBeGreaterThan(0);
      expect(spec.estimateSeconds({ ...small, nRows: 100_000 }, defaults)).toBeGreaterThan(base);
      expect(spec.estimateSeconds({ ...small, nFeatures: 100 }, defaults)).toBeGreaterThan(base);
    }
    const forest = LEARNER_CATALOG.random_forest;
    const shape = { nRows: 5000, nFeatures: 20, nClasses: 2 };
    expect(forest.estimateSeconds(shape, { nEstimators: 300 })).toBeGreaterThan(
      forest.estimateSeconds(shape, { nEstimators: 30 }),
    );
  });

  it('refuses unknown learners, unsupported problem types and unknown hyperparameters', () => {
    const { x, labels, values } = data(40, 4);
    expect(() => fitLearner('xgboost', x, { problemType: 'regression', y: values }, {}, { seed: 0 })).toThrow(
      /Unknown learner "xgboost". Learners: hist_gradient_boosting/,
    );
    expect(() => fitLearner('kmeans', x, { problemType: 'regression', y: values }, {}, { seed: 0 })).toThrow(
      LearnerCatalogError,
    );
    expect(() =>
      fitLearner('ridge', x, { problemType: 'regression', y: values }, { lambda: 2 }, { seed: 0 }),
    ).toThrow(/no hyperparameter "lambda". Hyperparameters: alpha/);
    expect(() =>
      fitLearner(
        'logistic_regression',
        x,
        { problemType: 'classification', y: { labels, nClasses: 2 } },
        { C: Infinity },
        { seed: 0 },
      ),
    ).toThrow(/finite number/);
  });
});
