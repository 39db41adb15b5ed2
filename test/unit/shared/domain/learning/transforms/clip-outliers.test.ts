import { describe, expect, it } from 'vitest';
import { createTable, numberColumn, selectRows } from '../../../../../../shared/domain/learning/table';
import {
  applyClipOutliers,
  fitClipOutliers,
} from '../../../../../../shared/domain/learning/transforms/clip-outliers';
import { expectReplayable, valuesOf } from './transform-test-support';

const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null, -500, 500];
const table = createTable([
  numberColumn('x', values),
  numberColumn(
    'empty',
    values.map(() => null),
  ),
]);
const train = selectRows(table, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
const test = selectRows(table, [11, 12, 10]);

describe('fitClipOutliers', () => {
  it('fits Tukey fences (k = 1.5) on the training rows', () => {
    // Q1 = 3.25, Q3 = 7.75, IQR = 4.5 → [−3.5, 14.5]
    const state = fitClipOutliers(train, { columns: ['x'] });
    expect(state.columns).toEqual([{ column: 'x', low: -3.5, high: 14.5 }]);
    expect(valuesOf(applyClipOutliers(state, test), 'x')).toEqual([-3.5, 14.5, null]);
  });

  it('fits quantile bounds with linear interpolation', () => {
    const state = fitClipOutliers(train, { method: 'quantile', lower: 0.1, upper: 0.9, columns: ['x'] });
    expect(state.columns[0]?.low).toBeCloseTo(1.9, 12);
    expect(state.columns[0]?.high).toBeCloseTo(9.1, 12);
  });

  it('leaves a column without training values as it is', () => {
    const state = fitClipOutliers(train, { columns: ['empty'] });
    expect(state.columns).toEqual([{ column: 'empty', low: null, high: null }]);
    expect(valuesOf(applyClipOutliers(state, test), 'empty')).toEqual([null, null, null]);
  });

  it.each([
    [{ method: 'quantile', lower: 0.9, upper: 0.1 }, 'clip_outliers: lower must be below upper'],
    [{ k: 3, method: 'quantile' }, 'clip_outliers: k applies to method "iqr"'],
    [{ lower: 0.05 }, 'clip_outliers: lower and upper apply to method "quantile"'],
    [{ k: -1 }, 'clip_outliers: k must be at least 0; got -1.'],
  ])('rejects %j', (params, message) => {
    expect(() => fitClipOutliers(train, params as never)).toThrow(message);
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    expectReplayable(fitClipOutliers(train), applyClipOutliers, table);
    expectReplayable(fitClipOutliers(train, { method: 'quantile' }), applyClipOutliers, table);
  });
});
