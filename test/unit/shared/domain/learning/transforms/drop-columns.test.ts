import { describe, expect, it } from 'vitest';
import {
  booleanColumn,
  createTable,
  numberColumn,
  selectRows,
  stringColumn,
} from '../../../../../../shared/domain/learning/table';
import {
  applyDropColumns,
  droppedColumns,
  dropColumnsWarnings,
  fitDropColumns,
} from '../../../../../../shared/domain/learning/transforms/drop-columns';
import { expectReplayable, plain } from './transform-test-support';

const n = 40;
const table = createTable([
  numberColumn(
    'useful',
    Array.from({ length: n }, (_, i) => i),
  ),
  stringColumn(
    'constant',
    Array.from({ length: n }, () => 'same'),
  ),
  numberColumn(
    'sparse',
    Array.from({ length: n }, (_, i) => (i === 0 ? 1 : null)),
  ),
  booleanColumn(
    'oneValueAndMissing',
    Array.from({ length: n }, (_, i) => (i % 2 ? true : null)),
  ),
  numberColumn(
    'empty',
    Array.from({ length: n }, () => null),
  ),
  stringColumn(
    'target',
    Array.from({ length: n }, () => 'yes'),
  ),
]);

describe('fitDropColumns', () => {
  it('drops constant and mostly-missing columns with a reason each, sparing passthrough columns', () => {
    const state = fitDropColumns(table, {}, { passthrough: ['target'] });
    expect(droppedColumns(state).map((d) => [d.column, d.reason])).toEqual([
      ['constant', 'constant'],
      ['sparse', 'mostly_missing'],
      ['empty', 'mostly_missing'],
    ]);
    expect(dropColumnsWarnings(state)).toEqual([
      'Dropped column "constant": every training row has the same value.',
      'Dropped column "sparse": 97.5% of the training values are missing (more than 95%).',
      'Dropped column "empty": 100% of the training values are missing (more than 95%).',
    ]);
    expect(plain(applyDropColumns(state, table)).columns.map((c) => c.name)).toEqual([
      'useful',
      'oneValueAndMissing',
      'target',
    ]);
  });

  it('follows maxMissingFraction and dropConstant', () => {
    const state = fitDropColumns(table, {
      maxMissingFraction: 0.4,
      dropConstant: false,
      columns: ['oneValueAndMissing', 'constant'],
    });
    expect(droppedColumns(state).map((d) => d.column)).toEqual(['oneValueAndMissing']);
  });

  it('tolerates rows that already lack a dropped column', () => {
    const state = fitDropColumns(table);
    const row = createTable([numberColumn('useful', [3])]);
    expect(plain(applyDropColumns(state, row))).toEqual(plain(row));
  });

  it('rejects a fraction outside [0, 1]', () => {
    expect(() => fitDropColumns(table, { maxMissingFraction: 1.5 })).toThrow(
      'drop_columns: maxMissingFraction must be at most 1; got 1.5.',
    );
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    expectReplayable(fitDropColumns(selectRows(table, [0, 1, 2])), applyDropColumns, table);
  });
});
