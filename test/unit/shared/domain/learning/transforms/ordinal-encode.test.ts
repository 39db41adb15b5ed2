import { describe, expect, it } from 'vitest';
import {
  createTable,
  numberColumn,
  selectRows,
  stringColumn,
  toFeatureMatrix,
} from '../../../../../../shared/domain/learning/table';
import {
  applyOrdinalEncode,
  fitOrdinalEncode,
  ordinalCategoryCounts,
  ordinalEncodeWarnings,
} from '../../../../../../shared/domain/learning/transforms/ordinal-encode';
import { expectReplayable, valuesOf } from './transform-test-support';

const table = createTable([
  stringColumn('size', ['M', 'S', 'L', null, 'M', 'XL']),
  numberColumn('price', [1, 2, 3, 4, 5, 6]),
]);
const train = selectRows(table, [0, 1, 2, 3, 4]);
const test = selectRows(table, [5, 0]);

describe('fitOrdinalEncode', () => {
  it('codes sorted categories 0…n−1, missing and unseen as NaN, and reports the category count', () => {
    const state = fitOrdinalEncode(train);
    expect(state.columns).toEqual([
      { column: 'size', categories: ['L', 'M', 'S'], other: [], categoryCount: 3, distinct: 3 },
    ]);
    const out = applyOrdinalEncode(state, train);
    expect(out.columns[0]?.kind).toBe('number');
    expect(valuesOf(out, 'size')).toEqual([1, 2, 0, null, 1]);
    expect(valuesOf(applyOrdinalEncode(state, test), 'size')).toEqual([null, 1]);
    expect(ordinalCategoryCounts(state)).toEqual({ size: 3 });
    const matrix = toFeatureMatrix(out, ['size', 'price'], ordinalCategoryCounts(state));
    expect(matrix.categories).toEqual([3, undefined]);
  });

  it('collapses more than maxCategories categories to the top k − 1 plus one other code', () => {
    const values = Array.from({ length: 1000 }, (_, i) => `c${String(i % 300).padStart(3, '0')}`);
    for (let i = 0; i < 50; i += 1) values.push('c299');
    const state = fitOrdinalEncode(createTable([stringColumn('id', values)]));
    const column = state.columns[0];
    expect(column?.categories).toHaveLength(254);
    expect(column?.categoryCount).toBe(255);
    expect(column?.categories).toContain('c299');
    expect(column?.other).toHaveLength(46);
    const out = applyOrdinalEncode(
      state,
      createTable([stringColumn('id', [column?.other[0] ?? '', 'never'])]),
    );
    expect(valuesOf(out, 'id')).toEqual([254, null]);
    expect(ordinalEncodeWarnings(state)).toEqual([
      'Column "id" has 300 categories, more than 255; the 254 most frequent keep their codes and 46 share one "other" code.',
    ]);
  });

  it('rejects non-text columns and bad limits', () => {
    expect(() => fitOrdinalEncode(train, { columns: ['price'] })).toThrow('Cast it to string first.');
    expect(() => fitOrdinalEncode(train, { maxCategories: 1 })).toThrow(
      'ordinal_encode: maxCategories must be at least 2; got 1.',
    );
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    expectReplayable(fitOrdinalEncode(train), applyOrdinalEncode, table);
  });
});
