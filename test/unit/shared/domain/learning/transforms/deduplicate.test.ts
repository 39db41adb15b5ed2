import { describe, expect, it } from 'vitest';
import { createTable, numberColumn, stringColumn } from '../../../../../../shared/domain/learning/table';
import {
  applyDeduplicate,
  fitDeduplicate,
} from '../../../../../../shared/domain/learning/transforms/deduplicate';
import { expectReplayable, plain, valuesOf } from './transform-test-support';

const table = createTable([
  numberColumn('x', [1, 1, 1, null, null, 0]),
  stringColumn('s', ['a', 'a', 'b', null, null, 'a']),
  numberColumn('y', [0, 0, 0, 1, 1, 0]),
]);

describe('deduplicate', () => {
  it('keeps the first of each repeated row, missing equal to missing', () => {
    const out = applyDeduplicate(fitDeduplicate(table), table);
    expect(out.nRows).toBe(4);
    expect(valuesOf(out, 'x')).toEqual([1, 1, null, 0]);
    expect(valuesOf(out, 's')).toEqual(['a', 'b', null, 'a']);
  });

  it('compares only the listed columns', () => {
    const out = applyDeduplicate(fitDeduplicate(table, { columns: ['y'] }), table);
    expect(valuesOf(out, 'y')).toEqual([0, 1]);
  });

  it('does not confuse values that print alike', () => {
    const tricky = createTable([stringColumn('a', ['x|', 'x', '1']), stringColumn('b', ['y', '|y', null])]);
    expect(applyDeduplicate(fitDeduplicate(tricky), tricky).nRows).toBe(3);
    const numbers = createTable([numberColumn('a', [0, -0, 1]), stringColumn('b', ['0', '0', '1'])]);
    expect(applyDeduplicate(fitDeduplicate(numbers), numbers).nRows).toBe(2);
  });

  it('is a no-op at prediction time, so every input row gets a prediction', () => {
    const state = fitDeduplicate(table);
    expect(plain(applyDeduplicate(state, table, { mode: 'prediction' }))).toEqual(plain(table));
    expectReplayable(state, applyDeduplicate, table, { mode: 'prediction' });
  });

  it('replays exactly after a JSON round trip', () => {
    expectReplayable(fitDeduplicate(table), applyDeduplicate, table);
  });
});
