import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../../../../../shared/kernel/app-error';
import type { ModelSignature, SignatureType } from '../../../../../shared/domain/learning/model-artifact';
import type { TableColumn } from '../../../../../shared/domain/learning/table';
import {
  checkPredictionLimits,
  MAX_PREDICTION_BYTES,
  MAX_PREDICTION_ROWS,
  rowField,
  rowsToTable,
} from '../../../../../shared/domain/models/prediction-rows';

const single = (type: SignatureType): ModelSignature => ({ inputs: [{ name: 'v', type }] });

/** The one value row 0 of column `v` holds, as the learners see it (NaN/null for missing). */
function cast(type: SignatureType, value: unknown): number | string | null {
  const table = rowsToTable(single(type), [{ v: value }]);
  const column: TableColumn | undefined = table.columns[0];
  if (!column) throw new Error('no column');
  return column.values[0] ?? null;
}

function failure(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('rowsToTable: values cast safely to the input’s type', () => {
  const iso = '2024-03-05T06:07:08.000Z';
  it.each<[SignatureType, unknown, number | string | null]>([
    ['number', 3.5, 3.5],
    ['number', -2, -2],
    ['number', '42', 42],
    ['number', ' 1e3 ', 1000],
    ['number', '.5', 0.5],
    ['number', null, NaN],
    ['string', 'red', 'red'],
    ['string', '', ''],
    ['string', 7, '7'],
    ['string', null, null],
    ['boolean', true, 1],
    ['boolean', false, 0],
    ['boolean', 1, 1],
    ['boolean', 0, 0],
    ['boolean', 'TRUE', 1],
    ['boolean', 'false', 0],
    ['boolean', null, NaN],
    ['datetime', iso, Date.parse(iso)],
    ['datetime', '2024-03-05', Date.UTC(2024, 2, 5)],
    ['datetime', '2024-03-05T06:07:08+02:00', Date.parse('2024-03-05T04:07:08Z')],
    ['datetime', 1_700_000_000_000, 1_700_000_000_000],
    ['datetime', null, NaN],
  ])('%s accepts %j as %j', (type, value, expected) => {
    expect(cast(type, value)).toEqual(expected);
  });

  it.each<[SignatureType, unknown]>([
    ['number', 'abc'],
    ['number', ''],
    ['number', '12px'],
    ['number', true],
    ['number', [1]],
    ['number', { value: 1 }],
    ['string', true],
    ['string', ['a']],
    ['string', { a: 1 }],
    ['boolean', 'yes'],
    ['boolean', 2],
    ['boolean', ''],
    ['datetime', 'yesterday'],
    ['datetime', '2024-13-45'],
    ['datetime', '5'],
    ['datetime', true],
  ])('%s refuses %j, naming the row and column', (type, value) => {
    const error = failure(() => rowsToTable(single(type), [{ v: null }, { v: value }]));
    const row = 1;
    expect(error.status).toBe(400);
    expect(error.field).toBe(`body.rows[${row}].v`);
    expect(error.message).toContain(`Row ${row}, column "v"`);
    expect(error.message).toContain(type);
  });
});

describe('rowsToTable: the signature', () => {
  const signature: ModelSignature = {
    inputs: [
      { name: 'size', type: 'number' },
      { name: 'colour', type: 'string' },
      { name: 'flag', type: 'boolean' },
      { name: 'day', type: 'datetime' },
    ],
  };
  const row = { size: 1, colour: 'red', flag: true, day: '2024-01-01' };

  it('builds the inputs in the signature’s order and types, ignoring extra keys', () => {
    const table = rowsToTable(signature, [
      { extra: 'ignored', ...row },
      { day: null, flag: null, colour: null, size: null },
    ]);
    expect(table.nRows).toBe(2);
    expect(table.columns.map((c) => [c.name, c.kind])).toEqual([
      ['size', 'number'],
      ['colour', 'string'],
      ['flag', 'boolean'],
      ['day', 'datetime'],
    ]);
    expect(table.columns[1]?.values).toEqual(['red', null]);
    expect([...(table.columns[3]?.values ?? [])]).toEqual([Date.UTC(2024, 0, 1), NaN]);
  });

  it('names an input a row lacks, and says to send null for a missing value', () => {
    const { colour: _colour, ...withoutColour } = row;
    const error = failure(() => rowsToTable(signature, [row, row, withoutColour]));
    expect(error.field).toBe('body.rows[2].colour');
    expect(error.code).toBe('PREDICTION.INVALID_ROWS');
    expect(error.message).toMatch(/Row 2 lacks the input "colour" \(string\).*null for a missing value/);
  });

  it('lists every issue (up to 20) and counts the rest', () => {
    const rows = Array.from({ length: 30 }, () => ({ ...row, size: 'big' }));
    const error = failure(() => rowsToTable(signature, rows));
    expect(error.issues).toHaveLength(20);
    expect(error.issues[19]?.field).toBe('body.rows[19].size');
    expect(error.message).toMatch(/^30 values do not fit the model's inputs \(and 10 more\)/);
    expect(error.details).toEqual({ issueCount: 30 });
  });

  it('quotes column names that are not identifiers in the field', () => {
    expect(rowField(4, 'mean radius')).toBe('body.rows[4]["mean radius"]');
    expect(rowField(0, 'mean_radius')).toBe('body.rows[0].mean_radius');
  });
});

describe('checkPredictionLimits', () => {
  it(`allows ${MAX_PREDICTION_ROWS} rows and refuses one more, naming body.rows`, () => {
    const rows = Array.from({ length: MAX_PREDICTION_ROWS }, () => ({ a: 1 }));
    expect(() => checkPredictionLimits(rows)).not.toThrow();
    const error = failure(() => checkPredictionLimits([...rows, { a: 1 }]));
    expect(error).toMatchObject({ status: 400, field: 'body.rows', code: 'PREDICTION.TOO_MANY_ROWS' });
  });

  it('refuses more than 1 MB with a 413 naming body.rows, by the declared or the measured size', () => {
    const big = [{ text: 'x'.repeat(MAX_PREDICTION_BYTES) }];
    expect(() => checkPredictionLimits(big)).toThrow(PayloadTooLargeError);
    expect(() => checkPredictionLimits([{ a: 1 }], MAX_PREDICTION_BYTES + 1)).toThrow(
      expect.objectContaining({ status: 413, field: 'body.rows', code: 'PREDICTION.TOO_LARGE' }),
    );
    expect(() => checkPredictionLimits([{ a: 1 }], 100)).not.toThrow();
  });
});
