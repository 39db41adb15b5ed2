import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../../shared/domain/learning/random';
import { dinsightConfigSchema } from '../../../../../shared/domain/monitoring/dinsight-config';
import { fitBaselineMap, projectRow } from '../../../../../shared/domain/monitoring/dinsight-map';
import { featureMatrix, matrixFromRows } from '../../../../../shared/domain/monitoring/feature-matrix';
import { fitMahalanobis, mahalanobis } from '../../../../../shared/domain/monitoring/mahalanobis-2d';
import {
  distanceRange,
  nearestOtherDistances,
  pairIndex,
  pairwiseDistances,
} from '../../../../../shared/domain/monitoring/pairwise-distances';
import { normaliseDistance, similarity } from '../../../../../shared/domain/monitoring/similarity';

const config = dinsightConfigSchema.parse({ imax: 300 });

/** Two tight groups of rows, far apart, in 8 features. */
function twoGroups(seed: number, perGroup = 20) {
  const random = new SeededRandom(seed);
  const rows: number[][] = [];
  for (let g = 0; g < 2; g += 1)
    for (let i = 0; i < perGroup; i += 1)
      rows.push(Array.from({ length: 8 }, () => g * 10 + random.nextGaussian() * 0.5));
  return matrixFromRows(rows);
}

const dist = (c: Float64Array, i: number, j: number) =>
  Math.hypot((c[2 * i] ?? 0) - (c[2 * j] ?? 0), (c[2 * i + 1] ?? 0) - (c[2 * j + 1] ?? 0));

/** The widest distance inside a group and the narrowest between the two groups, on the map. */
function separation(coordinates: Float64Array): { within: number; between: number } {
  let within = 0;
  let between = Infinity;
  for (let i = 0; i < 40; i += 1)
    for (let j = i + 1; j < 40; j += 1) {
      const d = dist(coordinates, i, j);
      if (i < 20 === j < 20) within = Math.max(within, d);
      else between = Math.min(between, d);
    }
  return { within, between };
}

describe('DInsight similarity and distances', () => {
  it('f(0) = 1 with the seed defaults and falls with distance; distances normalise with the smallest positive and largest distance', () => {
    const s = { a: 0.8, w1: 0.04, w2: 1 };
    expect(similarity(s, 0)).toBeCloseTo(1, 12);
    expect(similarity(s, 0.5)).toBeCloseTo(0.8 * Math.exp(-0.25 / 0.04) + 0.2 * 0.75, 12);
    expect(similarity(s, 0.2)).toBeGreaterThan(similarity(s, 0.4));
    expect(normaliseDistance(2, { min: 2, max: 6 })).toBe(0);
    expect(normaliseDistance(6, { min: 2, max: 6 })).toBe(1);
    // A far-away row keeps its distance beyond the baseline's largest one.
    expect(normaliseDistance(10, { min: 2, max: 6 })).toBe(2);
  });

  it('computes the pairwise distances of the upper triangle and each row’s nearest other row', () => {
    const m = matrixFromRows([
      [0, 0],
      [3, 4],
      [6, 8],
    ]);
    const d = pairwiseDistances(m);
    expect(Array.from(d.values)).toEqual([5, 10, 5]);
    expect(d.values[pairIndex(3, 1, 2)]).toBe(5);
    expect(distanceRange(d)).toEqual({ min: 5, max: 10 });
    expect(Array.from(nearestOtherDistances(d))).toEqual([5, 5, 5]);
  });
});

describe('baseline map', () => {
  it('keeps groups apart on the map: every row is nearer its own group than the other group', () => {
    const map = fitBaselineMap(pairwiseDistances(twoGroups(3)), config);
    expect(map.coordinates).toHaveLength(80);
    const { within, between } = separation(map.coordinates);
    expect(within).toBeLessThan(between);
    expect(map.cost).toBeLessThan(0.05);
  });

  it('is reproducible for a seed, and another seed starts elsewhere', () => {
    const d = pairwiseDistances(twoGroups(4));
    const a = fitBaselineMap(d, config);
    const b = fitBaselineMap(d, config);
    const c = fitBaselineMap(d, { ...config, seed: 99 });
    expect(Array.from(a.coordinates)).toEqual(Array.from(b.coordinates));
    expect(Array.from(a.coordinates)).not.toEqual(Array.from(c.coordinates));
  });

  it('stops at imax, or earlier once the cost changes by less than gamma0; w1 is the mean normalised distance when auto', () => {
    const d = pairwiseDistances(twoGroups(5));
    const capped = fitBaselineMap(d, { ...config, imax: 7 });
    expect(capped.iterations).toBe(7);
    expect(capped.stopReason).toBe('max_iterations');
    const early = fitBaselineMap(d, { ...config, imax: 1000, gamma0: 1e-3 });
    expect(early.stopReason).toBe('converged');
    expect(early.iterations).toBeLessThan(1000);
    const range = distanceRange(d);
    const meanNormalised =
      Array.from(d.values).reduce((s, v) => s + normaliseDistance(v, range), 0) / d.values.length;
    expect(early.similarity.w1).toBeCloseTo(meanNormalised, 6);
    expect(fitBaselineMap(d, { ...config, imax: 5, whichW1: 'fixed' }).similarity.w1).toBe(0.04);
  });

  it('fits with momentum gradient descent too', () => {
    const map = fitBaselineMap(pairwiseDistances(twoGroups(6)), { ...config, optimizer: 'sgd' });
    const { within, between } = separation(map.coordinates);
    expect(within).toBeLessThan(between);
  });
});

describe('projection of new rows on a fixed map', () => {
  const baseline = twoGroups(8);
  const map = fitBaselineMap(pairwiseDistances(baseline), config);

  it('places a row like a baseline row next to that row’s group', () => {
    const row = featureMatrix(1, 8, Float64Array.from(baseline.values.subarray(0, 8)));
    const { position } = projectRow(map, baseline, row, 0, config);
    const toGroup = (g: number) => {
      let best = Infinity;
      for (let j = g * 20; j < g * 20 + 20; j += 1)
        best = Math.min(
          best,
          Math.hypot(
            (position[0] ?? 0) - (map.coordinates[2 * j] ?? 0),
            (position[1] ?? 0) - (map.coordinates[2 * j + 1] ?? 0),
          ),
        );
      return best;
    };
    expect(toGroup(0)).toBeLessThan(toGroup(1));
  });

  it('places a far-away row away from every baseline row, not on its nearest neighbour (distances normalised by the baseline)', () => {
    const far = featureMatrix(1, 8, new Float64Array(8).fill(60));
    const { position } = projectRow(map, baseline, far, 0, config);
    const m = fitMahalanobis(map.coordinates, 2, 3);
    expect(mahalanobis(m, position)).toBeGreaterThan(m.threshold);
    let nearest = Infinity;
    let spread = 0;
    for (let j = 0; j < 40; j += 1) {
      nearest = Math.min(
        nearest,
        Math.hypot(
          (position[0] ?? 0) - (map.coordinates[2 * j] ?? 0),
          (position[1] ?? 0) - (map.coordinates[2 * j + 1] ?? 0),
        ),
      );
      for (let k = j + 1; k < 40; k += 1) spread = Math.max(spread, dist(map.coordinates, j, k));
    }
    expect(nearest).toBeGreaterThan(spread / 4);
  });
});

describe('DInsight Mahalanobis score', () => {
  it('measures distance in units of the baseline spread with threshold mean + k·σ of the baseline distances', () => {
    // Positions spread 2 along x and 0.5 along y: a step of 2 in x is like a step of 0.5 in y.
    const coordinates = Float64Array.from([-2, 0, 2, 0, 0, -0.5, 0, 0.5]);
    const model = fitMahalanobis(coordinates, 2, 3);
    expect(mahalanobis(model, [2, 0])).toBeCloseTo(mahalanobis(model, [0, 0.5]), 4);
    expect(mahalanobis(model, [0, 0])).toBeCloseTo(0, 9);
    const own = [0, 1, 2, 3].map((i) => mahalanobis(model, coordinates.subarray(2 * i, 2 * i + 2)));
    const m = own.reduce((s, v) => s + v, 0) / 4;
    const sd = Math.sqrt(own.reduce((s, v) => s + (v - m) ** 2, 0) / 3);
    expect(model.threshold).toBeCloseTo(m + 3 * sd, 9);
  });
});
