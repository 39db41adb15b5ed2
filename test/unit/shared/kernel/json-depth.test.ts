import { describe, expect, it } from 'vitest';
import { findTooDeep } from '../../../../shared/kernel/json-depth';

const nestedArrays = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

describe('findTooDeep', () => {
  it.each<[string, unknown, number, (string | number)[] | undefined]>([
    ['a scalar', 'text', 1, undefined],
    ['an empty object at the limit', {}, 1, undefined],
    ['one level past the limit', { a: {} }, 1, ['a']],
    ['arrays name their index', { rows: [1, [2, [3]]] }, 2, ['rows', 1]],
    [
      'the first branch that is too deep, in document order',
      { a: { b: 1 }, c: { d: { e: {} } } },
      2,
      ['c', 'd'],
    ],
    [
      'wide but shallow values pass',
      { items: Array.from({ length: 10_000 }, (_, i) => ({ i })) },
      3,
      undefined,
    ],
  ])('%s', (_name, value, maxDepth, path) => {
    expect(findTooDeep(value, maxDepth)?.path).toEqual(path);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const found = findTooDeep(nestedArrays(100_000), 64);
    expect(found?.depth).toBe(65);
    expect(found?.path).toHaveLength(64);
  });
});
