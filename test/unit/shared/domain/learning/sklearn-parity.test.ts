/**
 * Parity with scikit-learn 1.2 on its bundled data sets and two generated ones, on the split and
 * folds the reference fixture stores (scripts/learning-reference/make-reference.py): the linear
 * learners, k-means and PCA. The tree learners are compared in sklearn-parity-trees.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fitKMeans } from '../../../../../shared/domain/learning/learners/kmeans';
import {
  fitLinearRegression,
  fitRidge,
} from '../../../../../shared/domain/learning/learners/linear-regression';
import {
  fitLogisticRegression,
  type LogisticRegressionParams,
} from '../../../../../shared/domain/learning/learners/logistic-regression';
import { fitPca } from '../../../../../shared/domain/learning/learners/pca';
import {
  loadDataset,
  loadReference,
  numberParam,
  parityFailures,
  scoreClassifier,
  scoreRegressor,
  type ReferenceCase,
} from './reference-fixture';

const reference = loadReference();
const options = { seed: 0 };
// Five folds of digits (10 classes × 64 features) take seconds on a busy machine.
const SLOW = 120_000;

function logisticParams(c: ReferenceCase): Partial<LogisticRegressionParams> {
  return {
    C: numberParam(c, 'C'),
    maxIter: numberParam(c, 'maxIter'),
    tol: numberParam(c, 'tol'),
    solver: 'lbfgs',
  };
}

function casesOf(learner: string): (readonly [string, ReferenceCase])[] {
  const found = reference.cases.filter((c) => c.learner === learner);
  if (found.length === 0) throw new Error(`The reference has no ${learner} case`);
  return found.map((c) => [c.dataset, c] as const);
}

describe('parity with scikit-learn', () => {
  it('reads the fixture of scikit-learn 1.2', () => {
    expect(reference.sklearnVersion).toMatch(/^1\.2\./);
  });

  describe('logistic regression (accuracy ± 0.01, ROC AUC ± 0.005)', () => {
    it.each(casesOf('logistic_regression'))(
      '%s',
      (dataset, c) => {
        const ours = scoreClassifier(dataset, (x, y) =>
          fitLogisticRegression(x, y, logisticParams(c), options),
        );
        expect(parityFailures(c, ours)).toEqual([]);
      },
      SLOW,
    );

    it(
      'the Newton solver reaches the same scores',
      () => {
        for (const [dataset, c] of casesOf('logistic_regression').filter(([name]) => name !== 'digits')) {
          const params = { ...logisticParams(c), solver: 'newton' as const };
          const ours = scoreClassifier(dataset, (x, y) => fitLogisticRegression(x, y, params, options));
          expect(parityFailures(c, ours), dataset).toEqual([]);
        }
      },
      SLOW,
    );
  });

  describe('linear regression (R² ± 0.01)', () => {
    it.each(casesOf('linear_regression'))('%s', (dataset, c) => {
      const ours = scoreRegressor(dataset, (x, y) => fitLinearRegression(x, y, {}, options));
      expect(parityFailures(c, ours)).toEqual([]);
      // A closed-form solution: far closer than the tolerance.
      expect(Math.abs((ours['r2'] ?? 0) - (c.metrics.r2 ?? 0))).toBeLessThan(1e-9);
    });
  });

  describe('ridge (R² ± 0.01)', () => {
    it.each(casesOf('ridge'))('%s', (dataset, c) => {
      const ours = scoreRegressor(dataset, (x, y) =>
        fitRidge(x, y, { alpha: numberParam(c, 'alpha') }, options),
      );
      expect(parityFailures(c, ours)).toEqual([]);
      expect(Math.abs((ours['r2'] ?? 0) - (c.metrics.r2 ?? 0))).toBeLessThan(1e-9);
    });
  });

  describe('k-means (inertia within 1 % of scikit-learn best run over its seeds)', () => {
    it.each(reference.clustering.map((c) => [c.dataset, c] as const))('%s', (dataset, c) => {
      const { x } = loadDataset(dataset);
      const model = fitKMeans(x, c.params, options);
      const [best, worst] = c.seedRange.inertia;
      expect(model.inertia).toBeGreaterThan(best * 0.99);
      expect(model.inertia).toBeLessThan(worst * 1.01);
    });
  });

  describe('PCA (explained variance and components to 1e-8)', () => {
    it.each(reference.decomposition.map((c) => [c.dataset, c] as const))('%s', (dataset, c) => {
      const { x } = loadDataset(dataset);
      const model = fitPca(x, c.params, options);
      expect(model.nComponents).toBe(c.params.nComponents);
      c.explainedVarianceRatio.forEach((ratio, k) => {
        expect(Math.abs((model.explainedVarianceRatio[k] ?? 0) - ratio)).toBeLessThan(1e-8);
        const variance = c.explainedVariance[k] ?? 0;
        expect(Math.abs((model.explainedVariance[k] ?? 0) - variance) / variance).toBeLessThan(1e-8);
      });
      // Same axes with the same signs (svd_flip), not only the same subspace.
      c.components.forEach((row, k) => {
        row.forEach((weight, j) =>
          expect(Math.abs((model.components[k]?.[j] ?? 0) - weight)).toBeLessThan(1e-8),
        );
      });
      c.mean.forEach((mu, j) =>
        expect(Math.abs((model.mean[j] ?? 0) - mu)).toBeLessThan(1e-9 * Math.max(1, Math.abs(mu))),
      );
    });
  });

  describe('the tolerance catches a broken learner', () => {
    it(
      'an over-regularised logistic regression (C / 1000) fails',
      () => {
        const failing = casesOf('logistic_regression').filter(([dataset, c]) => {
          const broken = { ...logisticParams(c), C: numberParam(c, 'C') / 1000 };
          return (
            parityFailures(
              c,
              scoreClassifier(dataset, (x, y) => fitLogisticRegression(x, y, broken, options)),
            ).length > 0
          );
        });
        // With 3,750 training rows and 20 features the generated set barely notices the penalty;
        // every smaller set moves beyond the tolerance.
        expect(failing.map(([dataset]) => dataset).sort()).toEqual([
          'breast_cancer',
          'digits',
          'iris',
          'wine',
        ]);
      },
      SLOW,
    );

    it('a ridge with a 1000-fold penalty fails', () => {
      for (const [dataset, c] of casesOf('ridge')) {
        const ours = scoreRegressor(dataset, (x, y) =>
          fitRidge(x, y, { alpha: numberParam(c, 'alpha') * 1000 }, options),
        );
        expect(parityFailures(c, ours).length, dataset).toBeGreaterThan(0);
      }
    });
  });
});
