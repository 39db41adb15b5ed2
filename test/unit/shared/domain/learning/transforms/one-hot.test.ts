import { describe, expect, it } from 'vitest';
import {
  booleanColumn,
  createTable,
  numberColumn,
  selectRows,
  stringColumn,
} from '../../../../../../shared/domain/learning/table';
import {
  applyOneHot,
  fitOneHot,
  oneHotWarnings,
} from '../../../../../../shared/domain/learning/transforms/one-hot';
import { expectReplayable, plain, valuesOf } from './transform-test-support';

const colors = ['red', 'blue', 'red', 'green', null, 'red', 'blue', 'violet', 'pink'];
const table = createTable([
  numberColumn(
    'n',
    colors.map((_, i) => i),
  ),
  stringColumn('color', colors),
]);
const train = selectRows(table, [0, 1, 2, 3, 4, 5, 6]);
const test = selectRows(table, [7, 8, 0]);

describe('fitOneHot', () => {
  it('creates one boolean column per category, in place, sorted, missing as its own category', () => {
    const state = fitOneHot(train);
    const out = applyOneHot(state, train);
    expect(out.columns.map((c) => `${c.name}:${c.kind}`)).toEqual([
      'n:number',
      'color=blue:boolean',
      'color=green:boolean',
      'color=red:boolean',
      'color=(missing):boolean',
    ]);
    expect(valuesOf(out, 'color=red')).toEqual([1, 0, 1, 0, 0, 1, 0]);
    expect(valuesOf(out, 'color=(missing)')).toEqual([0, 0, 0, 0, 1, 0, 0]);
  });

  it('encodes unseen categories as all zeros by default', () => {
    const out = applyOneHot(fitOneHot(train), test);
    for (const name of ['color=blue', 'color=green', 'color=red', 'color=(missing)'])
      expect(valuesOf(out, name).slice(0, 2)).toEqual([0, 0]);
    expect(valuesOf(out, 'color=red')[2]).toBe(1);
  });

  it('encodes unseen categories as other when configured', () => {
    const state = fitOneHot(train, { unseen: 'other' });
    const out = applyOneHot(state, test);
    expect(valuesOf(out, 'color=(other)')).toEqual([1, 1, 0]);
  });

  it('groups categories beyond the top maxCategories (ties by value) and rarer than minFrequency', () => {
    const top = fitOneHot(train, { maxCategories: 2 });
    expect(top.columns[0]?.categories).toEqual(['blue', 'red']);
    expect(top.columns[0]?.infrequent).toEqual(['green', null]);
    const out = applyOneHot(top, train);
    expect(valuesOf(out, 'color=(other)')).toEqual([0, 0, 0, 1, 1, 0, 0]);
    // Seen-but-rare values map to other; never-seen ones stay zeros.
    expect(valuesOf(applyOneHot(top, test), 'color=(other)')).toEqual([0, 0, 0]);
    expect(fitOneHot(train, { minFrequency: 2 }).columns[0]?.categories).toEqual(['blue', 'red']);
    expect(fitOneHot(train, { minFrequency: 0.4 }).columns[0]?.categories).toEqual(['red']);
    expect(oneHotWarnings(top)).toEqual([
      'Column "color" has 4 categories; 2 (rarer than minFrequency or beyond the top 2) grouped as "color=(other)".',
    ]);
  });

  it('collapses a high-cardinality column to the top k plus other', () => {
    const ids = Array.from({ length: 600 }, (_, i) => `id${i % 300}`);
    const state = fitOneHot(createTable([stringColumn('id', ids)]), { maxCategories: 20 });
    expect(state.columns[0]?.names).toHaveLength(21);
    expect(oneHotWarnings(state)[0]).toContain(
      '300 categories; 280 (rarer than minFrequency or beyond the top 20)',
    );
  });

  it('makes safe, unique, deterministic names', () => {
    const odd = createTable([stringColumn('c', ['a\nb', 'a\rb', 'x'.repeat(100), '(other)', 'y'])]);
    const state = fitOneHot(odd, { maxCategories: 4 });
    expect(state.columns[0]?.names).toEqual([
      'c=(other)#2',
      'c=a\ufffdb',
      'c=a\ufffdb#2',
      `c=${'x'.repeat(64)}…`,
      'c=(other)',
    ]);
  });

  it('encodes boolean columns when listed', () => {
    const flags = createTable([booleanColumn('ok', [true, false, null])]);
    const out = applyOneHot(fitOneHot(flags, { columns: ['ok'] }), flags);
    expect(plain(out).columns.map((c) => c.name)).toEqual(['ok=false', 'ok=true', 'ok=(missing)']);
  });

  it.each([
    [{ maxCategories: 0 }, 'one_hot: maxCategories must be at least 1; got 0.'],
    [{ minFrequency: 2.5 }, 'one_hot: minFrequency must be a whole count'],
    [{ unseen: 'error' }, 'one_hot: unseen must be one of "zeros", "other"'],
    [{ columns: ['n'] }, 'one_hot: columns lists "n", a number column'],
  ])('rejects %j', (params, message) => {
    expect(() => fitOneHot(train, params as never)).toThrow(message);
  });

  it('rejects output names that already exist', () => {
    const clash = createTable([stringColumn('c', ['a']), numberColumn('c=a', [1])]);
    expect(() => fitOneHot(clash)).toThrow('would create the column "c=a", which already exists');
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    expectReplayable(fitOneHot(train), applyOneHot, table);
    expectReplayable(fitOneHot(train, { maxCategories: 1, unseen: 'other' }), applyOneHot, table);
  });
});
