import { describe, expect, it } from 'vitest';
import {
  createTable,
  numberColumn,
  selectRows,
  stringColumn,
} from '../../../../../../shared/domain/learning/table';
import {
  applyScale,
  describeScale,
  fitScale,
} from '../../../../../../shared/domain/learning/transforms/scale';
import { expectReplayable, valuesOf } from './transform-test-support';

const table = createTable([
  numberColumn('x', [1, 2, 3, 4, null, 1000]),
  numberColumn('same', [5, 5, 5, 5, 5, 7]),
  stringColumn('label', ['a', 'b', 'c', 'd', 'e', 'f']),
]);
const train = selectRows(table, [0, 1, 2, 3, 4]);
const test = selectRows(table, [5]);

describe('fitScale', () => {
  it.each([
    // mean 2.5, population std sqrt(1.25); the test row (1000) would change both.
    ['standard', 2.5, Math.sqrt(1.25)],
    ['minmax', 1, 3],
    // np.percentile([1, 2, 3, 4], [25, 50, 75]) = 1.75, 2.5, 3.25
    ['robust', 2.5, 1.5],
  ] as const)(
    '%s fits center %d and scale %d on the training rows, ignoring missing',
    (method, center, scale) => {
      const state = fitScale(train, { method, columns: ['x'] });
      expect(state.columns).toEqual([{ column: 'x', center, scale }]);
      const out = applyScale(state, train);
      expect(valuesOf(out, 'x')[4]).toBeNull();
      expect(valuesOf(out, 'x')[0]).toBeCloseTo((1 - center) / scale, 12);
    },
  );

  it('maps minmax onto the feature range', () => {
    const state = fitScale(train, { method: 'minmax', columns: ['x'], featureRange: [-1, 1] });
    const out = valuesOf(applyScale(state, train), 'x');
    [-1, -1 / 3, 1 / 3, 1].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));
    expect(out[4]).toBeNull();
  });

  it('gives a constant column scale 1', () => {
    for (const method of ['standard', 'minmax', 'robust'] as const) {
      const state = fitScale(train, { method, columns: ['same'] });
      expect(state.columns[0]?.scale).toBe(1);
      expect(valuesOf(applyScale(state, test), 'same')).toEqual([2]);
    }
  });

  it('scales every number column except passthrough ones by default', () => {
    expect(fitScale(train, {}, { passthrough: ['same'] }).columns.map((c) => c.column)).toEqual(['x']);
  });

  it.each([
    [{ method: 'zscore' }, 'scale: method must be one of "standard", "minmax", "robust"'],
    [{ columns: ['label'] }, 'scale: columns lists "label", a string column; scale handles number columns.'],
    [{ featureRange: [1, 0] }, 'scale: featureRange must have low < high; got [1, 0].'],
    [{ quantileRange: [10, 120] }, 'scale: quantileRange must lie within [0, 100]'],
    [{ columns: ['X'] }, 'Did you mean "x"?'],
  ])('rejects %j', (params, message) => {
    expect(() => fitScale(train, params as never)).toThrow(message);
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    for (const method of ['standard', 'minmax', 'robust'] as const)
      expectReplayable(fitScale(train, { method }), applyScale, table);
  });

  it('describes itself', () => {
    expect(describeScale(fitScale(train, { columns: ['same'] }))).toBe(
      'Scale (x − mean) / std: same (center 5, scale 1).',
    );
  });
});
