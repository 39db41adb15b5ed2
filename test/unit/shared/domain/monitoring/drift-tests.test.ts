import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../../shared/domain/learning/random';
import {
  benjaminiHochberg,
  featureDrift,
  featureReference,
  jensenShannon,
  ksPValue,
  ksStatistic,
  upperGamma,
  wasserstein1,
} from '../../../../../shared/domain/monitoring/drift-tests';
import {
  calibrateThreshold,
  quantile,
  severityLevel,
} from '../../../../../shared/domain/monitoring/thresholds';

const normal = (seed: number, n: number, shift = 0, scale = 1) => {
  const random = new SeededRandom(seed);
  return Float64Array.from({ length: n }, () => shift + scale * random.nextGaussian());
};
const sorted = (values: Float64Array) => Float64Array.from(values).sort();

describe('distribution tests', () => {
  it('KS statistic and its p-value match the Kolmogorov distribution’s known points', () => {
    expect(ksStatistic(Float64Array.from([1, 2, 3]), Float64Array.from([4, 5, 6]))).toBe(1);
    expect(ksStatistic(Float64Array.from([1, 2, 3, 4]), Float64Array.from([1, 2, 3, 4]))).toBe(0);
    expect(ksStatistic(Float64Array.from([1, 2, 3, 4]), Float64Array.from([3, 4, 5, 6]))).toBe(0.5);
    // P(K > 1.358) = 0.05 and P(K > 1.628) = 0.01 for the limiting distribution (huge samples).
    const n = 1e8;
    const d = (lambda: number) => lambda / Math.sqrt(n / 2);
    expect(ksPValue(d(1.358), n, n)).toBeCloseTo(0.05, 3);
    expect(ksPValue(d(1.628), n, n)).toBeCloseTo(0.01, 3);
  });

  it('chi² survival function matches the tables: 3.841 with 1 df and 5.991 with 2 df at 5 %', () => {
    expect(upperGamma(0.5, 3.841 / 2)).toBeCloseTo(0.05, 4);
    expect(upperGamma(1, 5.991 / 2)).toBeCloseTo(0.05, 4);
    expect(upperGamma(5, 18.307 / 2)).toBeCloseTo(0.05, 4);
  });

  it('Wasserstein-1 is the mean shift for a shifted copy; Jensen–Shannon is 0 for the same sample and as computed by hand for a sample beyond every decile', () => {
    const a = sorted(normal(1, 500));
    const b = a.map((v) => v + 0.7);
    expect(wasserstein1(a, b)).toBeCloseTo(0.7, 9);
    expect(jensenShannon(a, a)).toBeCloseTo(0, 12);
    // 10 % of the baseline in each decile; everything current in the last one (m = 0.05 … 0.55).
    const expected = 0.5 * (0.9 + 0.1 * Math.log2(0.1 / 0.55)) + 0.5 * Math.log2(1 / 0.55);
    expect(
      jensenShannon(
        a,
        a.map((v) => v + 1000),
      ),
    ).toBeCloseTo(expected, 9);
  });

  it('Benjamini–Hochberg adjusts p-values for the number of tests', () => {
    // Sorted 0.01, 0.03, 0.04, 0.5 → 0.04, 0.06, 0.0533…, 0.5, then made monotone from the top.
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.5]);
    expect(adjusted[0]).toBeCloseTo(0.04, 12);
    expect(adjusted[1]).toBeCloseTo(0.16 / 3, 12);
    expect(adjusted[2]).toBeCloseTo(0.16 / 3, 12);
    expect(adjusted[3]).toBeCloseTo(0.5, 12);
  });
});

describe('per-feature drift', () => {
  it('up to 1,000 rows: KS on continuous features and chi² on discrete ones, with effect sizes; only the moved features drift', () => {
    const references = [
      normal(1, 400),
      normal(2, 400),
      Float64Array.from({ length: 400 }, (_, i) => i % 3),
    ].map(featureReference);
    const current = [
      normal(11, 300),
      normal(12, 300, 1),
      Float64Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? 2 : i % 3)),
    ];
    const drift = featureDrift(['steady', 'moved', 'category'], references, current);
    expect(drift.map((d) => d.test)).toEqual(['ks', 'ks', 'chi2']);
    expect(drift.map((d) => d.drifted)).toEqual([false, true, true]);
    expect(drift[1]?.effectSize).toBeGreaterThan(0.3);
    expect(drift[1]?.pValue).toBeLessThan(1e-6);
    expect(drift[0]?.pValue).toBeGreaterThan(0.01);
    expect(drift[2]?.effectSize).toBeGreaterThan(0.1);
  });

  it('above 1,000 rows: Wasserstein over the baseline σ and Jensen–Shannon beside a seeded p-value, the same on every run', () => {
    const references = [normal(1, 3000, 0, 2), normal(2, 3000)].map(featureReference);
    const current = [normal(3, 2500, 0, 2), normal(4, 2500, 0.5)];
    const first = featureDrift(['steady', 'moved'], references, current);
    const again = featureDrift(['steady', 'moved'], references, current);
    expect(first).toEqual(again);
    expect(first.map((d) => d.test)).toEqual(['wasserstein', 'wasserstein']);
    expect(first[1]?.effectSize).toBeCloseTo(0.5, 1);
    expect(first[1]?.jensenShannon).toBeGreaterThan(first[0]?.jensenShannon ?? 1);
    expect(first.map((d) => d.drifted)).toEqual([false, true]);
  });
});

describe('thresholds and severity', () => {
  it('calibrates by quantile (linear interpolation) or mean + k·σ', () => {
    const scores = [1, 2, 3, 4, 5];
    expect(quantile(scores, 0.5)).toBe(3);
    expect(quantile(scores, 0.9)).toBeCloseTo(4.6, 12);
    expect(calibrateThreshold(scores, { method: 'quantile', quantile: 0.9 })).toBeCloseTo(4.6, 12);
    expect(calibrateThreshold(scores, { method: 'sigma', k: 2 })).toBeCloseTo(3 + 2 * Math.sqrt(2.5), 12);
    expect(severityLevel(1.2)).toBe('low');
    expect(severityLevel(1.7)).toBe('medium');
    expect(severityLevel(2.5)).toBe('high');
    expect(severityLevel(4)).toBe('critical');
  });
});
