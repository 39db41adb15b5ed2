import { describe, expect, it } from 'vitest';
import { argsort, ArgsortScratch } from '../../../../../../shared/domain/learning/learners/argsort';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';

describe('argsort', () => {
  it('orders values ascending, ties by index, missing values last', () => {
    const values = Float64Array.of(3, NaN, -1, 3, 0, -0, -Infinity, NaN, 1e300, -2.5);
    expect(Array.from(argsort(values, values.length))).toEqual([6, 9, 2, 4, 5, 0, 3, 8, 1, 7]);
  });

  it('agrees with a comparator sort on random data, reusing its scratch buffers', () => {
    const random = new SeededRandom(1);
    const scratch = new ArgsortScratch(5000);
    for (let round = 0; round < 3; round += 1) {
      const values = Float64Array.from(
        { length: 5000 },
        () => (random.nextGaussian() * 10 ** random.nextInt(8)) | 0,
      );
      const expected = Array.from({ length: 5000 }, (_, i) => i).sort(
        (a, b) => (values[a] ?? 0) - (values[b] ?? 0) || a - b,
      );
      expect(Array.from(argsort(values, 5000, scratch))).toEqual(expected);
    }
  });

  it('refuses a scratch smaller than the input', () => {
    expect(() => argsort(new Float64Array(4), 4, new ArgsortScratch(2))).toThrow(RangeError);
  });
});
