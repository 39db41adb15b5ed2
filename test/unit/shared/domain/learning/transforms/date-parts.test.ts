import { describe, expect, it } from 'vitest';
import { createTable, datetimeColumn, stringColumn } from '../../../../../../shared/domain/learning/table';
import { applyDateParts, fitDateParts } from '../../../../../../shared/domain/learning/transforms/date-parts';
import { parseIsoDate } from '../../../../../../shared/domain/learning/transforms/parse-iso-date';
import { expectReplayable, plain, valuesOf } from './transform-test-support';

// Saturday 2024-03-02 13:45 UTC; Monday 2023-01-02; the last day of a leap year.
const table = createTable([
  datetimeColumn('at', [
    Date.UTC(2024, 2, 2, 13, 45),
    Date.UTC(2023, 0, 2),
    Date.UTC(2024, 11, 31, 23),
    null,
  ]),
  stringColumn('text', ['2024-03-02T15:45:00+02:00', '2023-01-02', 'not a date', null]),
]);

describe('fitDateParts', () => {
  it('derives every part in UTC from datetime columns, in place of the source', () => {
    const out = applyDateParts(fitDateParts(table), table);
    expect(plain(out).columns.map((c) => c.name)).toEqual([
      'at__year',
      'at__month',
      'at__day',
      'at__day_of_week',
      'at__hour',
      'at__day_of_year',
      'at__is_weekend',
      'text',
    ]);
    expect(valuesOf(out, 'at__year')).toEqual([2024, 2023, 2024, null]);
    expect(valuesOf(out, 'at__month')).toEqual([3, 1, 12, null]);
    expect(valuesOf(out, 'at__day')).toEqual([2, 2, 31, null]);
    expect(valuesOf(out, 'at__day_of_week')).toEqual([5, 0, 1, null]);
    expect(valuesOf(out, 'at__hour')).toEqual([13, 0, 23, null]);
    expect(valuesOf(out, 'at__day_of_year')).toEqual([62, 2, 366, null]);
    expect(valuesOf(out, 'at__is_weekend')).toEqual([1, 0, 0, null]);
    expect(out.columns.find((c) => c.name === 'at__is_weekend')?.kind).toBe('boolean');
  });

  it('parses ISO date strings when the column is listed, text that is not a date as missing', () => {
    const out = applyDateParts(
      fitDateParts(table, { columns: ['text'], parts: ['hour', 'day'], keepOriginal: true }),
      table,
    );
    expect(plain(out).columns.map((c) => c.name)).toEqual(['at', 'text', 'text__hour', 'text__day']);
    expect(valuesOf(out, 'text__hour')).toEqual([13, 0, null, null]);
  });

  it.each([
    [
      { parts: ['week'] },
      'date_parts: parts lists "week"; choose among year, month, day, dayOfWeek, hour, dayOfYear, isWeekend.',
    ],
    [{ parts: ['year', 'year'] }, 'date_parts: parts lists a part twice'],
    [{ columns: ['missing'] }, 'no column "missing"'],
  ])('rejects %j', (params, message) => {
    expect(() => fitDateParts(table, params as never)).toThrow(message);
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    expectReplayable(fitDateParts(table, { columns: ['at', 'text'] }), applyDateParts, table);
  });
});

describe('parseIsoDate', () => {
  it.each([
    ['2024-01-31', Date.UTC(2024, 0, 31)],
    ['2024-01-31T10:20', Date.UTC(2024, 0, 31, 10, 20)],
    ['2024-01-31 10:20:30.5', Date.UTC(2024, 0, 31, 10, 20, 30, 500)],
    ['2024-01-31T10:20:30Z', Date.UTC(2024, 0, 31, 10, 20, 30)],
    ['2024-01-31T10:20:30-0130', Date.UTC(2024, 0, 31, 11, 50, 30)],
    ['0099-01-01', -59042995200000],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('reads %s (offset-less times as UTC)', (text, ms) => {
    expect(parseIsoDate(text)).toBe(ms);
  });

  it.each(['2023-02-29', '2024-13-01', '2024-01-01T24:00', '31/01/2024', '2024-1-1', '', 'tomorrow'])(
    'rejects %j',
    (text) => {
      expect(parseIsoDate(text)).toBeNaN();
    },
  );
});
