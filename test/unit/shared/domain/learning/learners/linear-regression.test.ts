import { describe, expect, it } from 'vitest';
import {
  fitLinearRegression,
  fitRidge,
  restoreLinearRegression,
} from '../../../../../../shared/domain/learning/learners/linear-regression';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import { matrix, viaJson, withMissing } from './synthetic-data';

const options = { seed: 0 };
const rng = new SeededRandom(21);
const n = 200;
const a = Float64Array.from({ length: n }, () => rng.nextGaussian() * 10 + 50);
const b = Float64Array.from({ length: n }, () => rng.nextGaussian() * 0.01);
const x = matrix([a, b], ['size', 'ratio']);
const exact = a.map((v, i) => 3 + 2 * v - 400 * (b[i] ?? 0));
const noisy = exact.map((v) => v + rng.nextGaussian());

describe('fitLinearRegression', () => {
  it('recovers an exact linear relation, whatever the features’ scales', () => {
    const model = fitLinearRegression(x, exact, {}, options);
    expect(model.coefficients[0]).toBeCloseTo(2, 10);
    expect(model.coefficients[1]).toBeCloseTo(-400, 7);
    expect(model.intercept).toBeCloseTo(3, 8);
  });

  it('reports |coefficient| on standardised inputs as importance', () => {
    const model = fitLinearRegression(x, noisy, {}, options);
    const state = model.toState();
    const importance = model.featureImportance();
    expect(importance[0]).toBeCloseTo(Math.abs((model.coefficients[0] ?? 0) * (state.scale[0] ?? 0)), 12);
    // 2 × sd 10 outweighs 400 × sd 0.01.
    expect(importance[0]).toBeGreaterThan(importance[1] ?? 0);
  });

  it('gives the minimum-norm solution for collinear features', () => {
    const twice = matrix([a, a.map((v) => 2 * v)]);
    const model = fitLinearRegression(
      twice,
      exact.map((_, i) => 1 + (a[i] ?? 0)),
      {},
      options,
    );
    expect(Number.isFinite(model.coefficients[0])).toBe(true);
    const predicted = model.predict(twice);
    predicted.forEach((p, i) => expect(p).toBeCloseTo(1 + (a[i] ?? 0), 6));
    // Min-norm in the standardised space splits the effect equally: β₀·sd₀ = β₁·sd₁.
    expect(model.featureImportance()[0]).toBeCloseTo(model.featureImportance()[1] ?? 0, 6);
  });

  it('predicts identically after a JSON round trip, and is deterministic', () => {
    const model = fitLinearRegression(x, noisy, {}, options);
    const restored = restoreLinearRegression(viaJson(model.toState()));
    expect(restored.predict(x)).toEqual(model.predict(x));
    expect(fitLinearRegression(x, noisy, {}, { seed: 5 }).toState()).toEqual(model.toState());
  });

  it('names the feature with missing values and checks the target', () => {
    expect(() => fitLinearRegression(withMissing(x, 1, 3), noisy, {}, options)).toThrow(
      /feature 'ratio' has missing values/,
    );
    expect(() => fitLinearRegression(x, noisy.subarray(1), {}, options)).toThrow(/199 values for 200 rows/);
    const bad = Float64Array.from(noisy);
    bad[0] = Number.NaN;
    expect(() => fitLinearRegression(x, bad, {}, options)).toThrow(/finite/);
  });
});

describe('fitRidge', () => {
  it('equals the closed form β = Sxy / (Sxx + alpha) for one feature', () => {
    const one = matrix([a]);
    const alpha = 5000;
    const meanA = a.reduce((s, v) => s + v, 0) / n;
    const meanY = noisy.reduce((s, v) => s + v, 0) / n;
    let sxx = 0;
    let sxy = 0;
    a.forEach((v, i) => {
      sxx += (v - meanA) ** 2;
      sxy += (v - meanA) * ((noisy[i] ?? 0) - meanY);
    });
    const model = fitRidge(one, noisy, { alpha }, options);
    expect(model.coefficients[0]).toBeCloseTo(sxy / (sxx + alpha), 10);
    expect(model.intercept).toBeCloseTo(meanY - (sxy / (sxx + alpha)) * meanA, 8);
  });

  it('shrinks with alpha and equals least squares at alpha 0', () => {
    const ols = fitLinearRegression(x, noisy, {}, options);
    const zero = fitRidge(x, noisy, { alpha: 0 }, options);
    zero.coefficients.forEach((c, j) => expect(c).toBeCloseTo(ols.coefficients[j] ?? 0, 9));
    const norm = (alpha: number): number =>
      fitRidge(x, noisy, { alpha }, options).coefficients.reduce((s, c) => s + c * c, 0);
    expect(norm(10)).toBeLessThan(norm(0));
    expect(norm(1e6)).toBeLessThan(norm(10));
  });

  it('round-trips its state with its kind and alpha', () => {
    const model = fitRidge(x, noisy, {}, options);
    const state = viaJson(model.toState());
    expect(state.kind).toBe('ridge');
    expect(state.params).toEqual({ alpha: 1 });
    expect(restoreLinearRegression(state).predict(x)).toEqual(model.predict(x));
    expect(() => fitRidge(x, noisy, { alpha: -1 }, options)).toThrow(/alpha/);
  });
});
