import { describe, expect, it } from 'vitest';
import { findOversized, findTooDeep } from '../../../../shared/kernel/json-depth';

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

describe('findOversized', () => {
  const limits = { stringChars: 5, arrayItems: 3, objectKeys: 2 };
  it.each<[string, unknown, ReturnType<typeof findOversized>]>([
    ['values within the limits', { a: 'abcde', b: [1, 2, 3] }, undefined],
    [
      'a long string, by its path',
      { a: [{ b: 'abcdef' }] },
      { path: ['a', 0, 'b'], kind: 'string', size: 6, limit: 5 },
    ],
    ['a long array', { rows: [1, 2, 3, 4] }, { path: ['rows'], kind: 'array', size: 4, limit: 3 }],
    [
      'an object with too many keys',
      { row: { a: 1, b: 2, c: 3 } },
      { path: ['row'], kind: 'object', size: 3, limit: 2 },
    ],
    ['a long key', { abcdefgh: 1 }, { path: ['abcdefgh'], kind: 'key', size: 8, limit: 5 }],
    [
      'the first in document order',
      { b: 'toolong', c: [1, 2, 3, 4] },
      { path: ['b'], kind: 'string', size: 7, limit: 5 },
    ],
    ['a top-level string', 'abcdefg', { path: [], kind: 'string', size: 7, limit: 5 }],
  ])('%s', (_name, value, expected) => {
    expect(findOversized(value, limits)).toEqual(expected);
  });
});
