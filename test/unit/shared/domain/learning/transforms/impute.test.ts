import { describe, expect, it } from 'vitest';
import {
  booleanColumn,
  createTable,
  datetimeColumn,
  numberColumn,
  selectRows,
  stringColumn,
} from '../../../../../../shared/domain/learning/table';
import {
  applyImpute,
  fitImpute,
  imputeWarnings,
} from '../../../../../../shared/domain/learning/transforms/impute';
import { TransformParamsError } from '../../../../../../shared/domain/learning/transforms/params-reader';
import { expectReplayable, valuesOf } from './transform-test-support';

const table = createTable([
  numberColumn('x', [1, null, 3, 4, 100, null]),
  stringColumn('city', ['b', 'a', null, 'b', 'a', 'c']),
  booleanColumn('flag', [true, null, false, false, true, false]),
  datetimeColumn('when', [0, 10, null, 20, 1000, 30]),
]);
const train = selectRows(table, [0, 1, 2, 3]);
const test = selectRows(table, [4, 5]);

describe('fitImpute', () => {
  it.each([
    ['mean', (1 + 3 + 4) / 3],
    ['median', 3],
    ['most_frequent', 1],
    ['constant', 0],
  ] as const)('fits %s on the training rows only', (strategy, fill) => {
    const state = fitImpute(train, { strategy, columns: ['x'] });
    expect(state.columns).toEqual([
      { column: 'x', columnKind: 'number', strategy, fill, indicator: null, empty: false },
    ]);
    // The test rows (100) would have moved the mean and median.
    expect(valuesOf(applyImpute(state, test), 'x')).toEqual([100, fill]);
  });

  it('uses most_frequent for strings and booleans by default, ties to the smallest value', () => {
    const state = fitImpute(train);
    const fills = Object.fromEntries(state.columns.map((c) => [c.column, c.fill]));
    expect(fills).toEqual({ x: 8 / 3, city: 'b', flag: 0, when: 10 });
    expect(valuesOf(applyImpute(state, train), 'city')).toEqual(['b', 'a', 'b', 'b']);
    const tie = createTable([stringColumn('s', ['b', 'a', null]), numberColumn('n', [7, 5, null])]);
    const tieState = fitImpute(tie, { strategy: 'most_frequent' });
    expect(tieState.columns.map((c) => c.fill)).toEqual(['a', 5]);
  });

  it('fills constants of each kind', () => {
    const state = fitImpute(train, {
      strategy: 'constant',
      categoricalStrategy: 'constant',
      columns: ['x', 'city'],
      columnStrategies: [
        { column: 'flag', strategy: 'constant', fillValue: true },
        { column: 'when', strategy: 'constant', fillValue: '1970-01-01T00:00:01Z' },
      ],
    });
    const out = applyImpute(state, train);
    expect(valuesOf(out, 'x')).toEqual([1, 0, 3, 4]);
    expect(valuesOf(out, 'city')).toEqual(['b', 'a', 'missing_value', 'b']);
    expect(valuesOf(out, 'flag')).toEqual([1, 1, 0, 0]);
    expect(valuesOf(out, 'when')).toEqual([0, 10, 1000, 20]);
  });

  it('adds indicators only for columns with missing training values', () => {
    const state = fitImpute(train, { addIndicator: true, columns: ['x', 'when'] });
    const out = applyImpute(state, createTable([...train.columns]));
    expect(out.columns.map((c) => c.name)).toEqual([
      'x',
      'x__missing',
      'city',
      'flag',
      'when',
      'when__missing',
    ]);
    expect(valuesOf(out, 'x__missing')).toEqual([0, 1, 0, 0]);
    expect(out.columns[1]?.kind).toBe('boolean');
  });

  it('reports a column with no training values', () => {
    const empty = createTable([numberColumn('x', [null, null])]);
    const state = fitImpute(empty);
    expect(state.columns[0]).toMatchObject({ fill: 0, empty: true });
    expect(imputeWarnings(state)).toEqual([
      'Column "x" has no values in the training rows; its missing values are filled with 0.',
    ]);
  });

  it('skips passthrough columns by default', () => {
    const state = fitImpute(train, {}, { passthrough: ['x'] });
    expect(state.columns.map((c) => c.column)).toEqual(['city', 'flag', 'when']);
  });

  it.each([
    [
      { strategy: 'average' },
      'impute: strategy must be one of "mean", "median", "most_frequent", "constant"; got "average".',
    ],
    [{ columns: ['city'], categoricalStrategy: 'mean' }, 'impute: categoricalStrategy must be one of'],
    [
      { columnStrategies: [{ column: 'city', strategy: 'mean' }] },
      '"mean" cannot impute the string column "city"',
    ],
    [
      { strategy: 'constant', columns: ['x'], fillValue: 'zero' },
      'fillValue "zero" cannot fill the number column "x"',
    ],
    [{ stratgy: 'mean' }, 'impute: stratgy is not a parameter of impute. Did you mean "strategy"?'],
    [{ columns: [] }, 'impute: columns must be a non-empty list of column names'],
  ])('rejects %j with a message naming the field', (params, message) => {
    expect(() => fitImpute(train, params as never)).toThrow(TransformParamsError);
    expect(() => fitImpute(train, params as never)).toThrow(message);
  });

  it('names a missing column and rejects a column whose kind changed', () => {
    const state = fitImpute(train, { columns: ['x'] });
    expect(() => applyImpute(state, createTable([stringColumn('x', ['1'])]))).toThrow(
      'column "x" is string but was fitted as number',
    );
    expect(() => applyImpute(state, createTable([numberColumn('y', [1])]))).toThrow('no column "x"');
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    expectReplayable(fitImpute(train, { addIndicator: true }), applyImpute, test);
    expectReplayable(fitImpute(train, { strategy: 'median' }), applyImpute, table);
  });
});
