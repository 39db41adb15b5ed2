import { describe, expect, it } from 'vitest';
import {
  booleanColumn,
  createTable,
  datetimeColumn,
  numberColumn,
  stringColumn,
} from '../../../../../../shared/domain/learning/table';
import { applyCast, fitCast } from '../../../../../../shared/domain/learning/transforms/cast';
import { TransformApplyError } from '../../../../../../shared/domain/learning/transforms/transform-state';
import { expectReplayable, valuesOf } from './transform-test-support';

const table = createTable([
  stringColumn('text', [' 42 ', '-1.5e3', 'yes', null, '2024-01-31']),
  numberColumn('num', [1, 0, 2.5, null, 86_400_000]),
  booleanColumn('flag', [true, false, true, null, false]),
  datetimeColumn('when', [0, 86_400_000, 1, null, Date.UTC(2024, 0, 31)]),
]);

describe('cast', () => {
  it.each([
    ['text', 'number', [42, -1500, null, null, null]],
    ['text', 'boolean', [null, null, 1, null, null]],
    ['text', 'datetime', [null, null, null, null, Date.UTC(2024, 0, 31)]],
    ['num', 'string', ['1', '0', '2.5', null, '86400000']],
    ['num', 'boolean', [1, 0, null, null, null]],
    ['num', 'datetime', [1, 0, 2.5, null, 86_400_000]],
    ['flag', 'number', [1, 0, 1, null, 0]],
    ['flag', 'string', ['true', 'false', 'true', null, 'false']],
    [
      'when',
      'string',
      [
        '1970-01-01T00:00:00.000Z',
        '1970-01-02T00:00:00.000Z',
        '1970-01-01T00:00:00.001Z',
        null,
        '2024-01-31T00:00:00.000Z',
      ],
    ],
    ['when', 'number', [0, 86_400_000, 1, null, Date.UTC(2024, 0, 31)]],
    ['when', 'boolean', [null, null, null, null, null]],
  ] as const)('%s to %s (lenient: impossible values become missing)', (column, to, expected) => {
    const out = applyCast(fitCast(table, { columns: [column], to }), table);
    expect(out.columns.find((c) => c.name === column)?.kind).toBe(to);
    expect(valuesOf(out, column)).toEqual(expected);
  });

  it('names the column, row and value in strict mode', () => {
    const state = fitCast(table, { columns: ['text'], to: 'number', strict: true });
    let error: unknown;
    try {
      applyCast(state, table);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransformApplyError);
    expect(error).toMatchObject({ column: 'text', row: 2 });
    expect((error as Error).message).toBe(
      'cast: column "text" row 2: "yes" cannot be read as number; fix the value, or set strict to false to make such values missing.',
    );
  });

  it.each([
    [{ to: 'number' }, 'cast: columns is required: list the columns to convert.'],
    [{ columns: ['text'] }, 'cast: to is required: one of number, string, boolean, datetime.'],
    [
      { columns: ['text'], to: 'integer' },
      'cast: to must be one of "number", "string", "boolean", "datetime"; got "integer".',
    ],
    [{ columns: ['txt'], to: 'number' }, 'Did you mean "text"?'],
  ])('rejects %j', (params, message) => {
    expect(() => fitCast(table, params as never)).toThrow(message);
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    expectReplayable(fitCast(table, { columns: ['text', 'num'], to: 'string' }), applyCast, table);
    expectReplayable(fitCast(table, { columns: ['text'], to: 'number' }), applyCast, table);
  });
});
