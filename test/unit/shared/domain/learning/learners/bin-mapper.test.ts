import { describe, expect, it } from 'vitest';
import { binRows, fitBinMapper } from '../../../../../../shared/domain/learning/learners/bin-mapper';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import { matrix } from './tree-test-data';

const all = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('fitBinMapper', () => {
  it('gives each distinct value its own bin when there are few, cut at midpoints', () => {
    const x = matrix([Float64Array.of(1, 2, 2, 4, NaN)]);
    const { mapper, codes } = fitBinMapper(x, all(5), 255, [0], new SeededRandom(1));
    expect(Array.from(mapper.thresholds[0] ?? [])).toEqual([1.5, 3]);
    expect(Array.from(codes)).toEqual([0, 1, 1, 2, 255]);
    expect(mapper.nBins[0]).toBe(3);
  });

  it('cuts many distinct values at quantiles into at most maxBins bins', () => {
    const random = new SeededRandom(2);
    const x = matrix([Float64Array.from({ length: 10000 }, () => random.nextGaussian())]);
    const { mapper, codes } = fitBinMapper(x, all(10000), 255, [0], new SeededRandom(1));
    expect(mapper.thresholds[0]).toHaveLength(254);
    const counts = new Int32Array(256);
    for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
    // Quantile bins hold about 10000 / 255 ≈ 39 rows each.
    expect(Math.max(...counts)).toBeLessThan(60);
  });

  it('bins the fitting rows exactly as binRows bins any rows', () => {
    const random = new SeededRandom(3);
    const column = Float64Array.from({ length: 3000 }, () =>
      random.next() < 0.1 ? NaN : Math.round(random.nextGaussian() * 500),
    );
    const x = matrix([column]);
    const { mapper, codes } = fitBinMapper(x, all(3000), 64, [0], new SeededRandom(1));
    expect(binRows(x, all(3000), mapper)).toEqual(codes);
    expect(mapper.missingBin).toBe(64);
  });

  it('uses category codes as bins and sends unknown codes to the missing bin', () => {
    const x = matrix([Float64Array.of(0, 2, 1, 7, NaN)], [3]);
    const { mapper, codes } = fitBinMapper(x, all(5), 255, [3], new SeededRandom(1));
    expect(mapper.categorical[0]).toBe(1);
    expect(Array.from(codes)).toEqual([0, 2, 1, 255, 255]);
  });

  it('bins a categorical feature with more categories than bins as numeric', () => {
    const x = matrix([Float64Array.from({ length: 20 }, (_, i) => i)], [20]);
    const { mapper } = fitBinMapper(x, all(20), 8, [20], new SeededRandom(1));
    expect(mapper.categorical[0]).toBe(0);
    expect(mapper.nBins[0]).toBe(8);
  });
});
