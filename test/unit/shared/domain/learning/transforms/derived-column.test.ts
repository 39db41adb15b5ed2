import { describe, expect, it } from 'vitest';
import {
  booleanColumn,
  createTable,
  datetimeColumn,
  numberColumn,
  stringColumn,
  type ColumnKind,
} from '../../../../../../shared/domain/learning/table';
import {
  applyDerivedColumn,
  fitDerivedColumn,
  type DerivedColumnState,
} from '../../../../../../shared/domain/learning/transforms/derived-column';
import {
  ExpressionError,
  parseExpression,
} from '../../../../../../shared/domain/learning/transforms/parse-expression';
import { TransformParamsError } from '../../../../../../shared/domain/learning/transforms/params-reader';
import { TransformStateError } from '../../../../../../shared/domain/learning/transforms/transform-state';
import { expectReplayable, valuesOf } from './transform-test-support';

const table = createTable([
  numberColumn('price', [10, 2.5, null, -4]),
  numberColumn('qty', [3, 0, 1, 2]),
  stringColumn('name', ['Apple', 'pear', null, 'Ünïcode']),
  stringColumn('unit price', ['1', '2', '3', '4']),
  booleanColumn('member', [true, false, null, true]),
  datetimeColumn('at', [Date.UTC(2024, 2, 2), Date.UTC(2023, 11, 31), null, Date.UTC(2020, 1, 29)]),
  datetimeColumn('until', [Date.UTC(2024, 2, 3), Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1), null]),
]);

function derive(expression: string): unknown[] {
  return valuesOf(applyDerivedColumn(fitDerivedColumn(table, { name: 'out', expression }), table), 'out');
}

function kindOf(expression: string): ColumnKind | undefined {
  const out = applyDerivedColumn(fitDerivedColumn(table, { name: 'out', expression }), table);
  return out.columns.find((c) => c.name === 'out')?.kind;
}

describe('derived column expressions', () => {
  it.each([
    ['price * qty', [30, 0, null, -8]],
    ['price + qty * 2', [16, 2.5, null, 0]],
    ['(price + qty) * 2', [26, 5, null, -4]],
    ['-price', [-10, -2.5, null, 4]],
    ['2 ^ 3 ^ 2', [512, 512, 512, 512]],
    ['-2 ^ 2', [-4, -4, -4, -4]],
    ['price / qty', [10 / 3, null, null, -2]],
    ['7 % qty', [1, null, 0, 1]],
    ['-7 % 3', [-1, -1, -1, -1]],
    ['abs(price)', [10, 2.5, null, 4]],
    ['sqrt(price)', [Math.sqrt(10), Math.sqrt(2.5), null, null]],
    ['log(qty)', [Math.log(3), null, 0, Math.log(2)]],
    ['exp(qty)', [Math.exp(3), 1, Math.E, Math.exp(2)]],
    ['round(price / 3, 2)', [3.33, 0.83, null, -1.33]],
    ['round(2.5) + round(-2.5)', [0, 0, 0, 0]],
    ['round(-2.5)', [-3, -3, -3, -3]],
    ['floor(price / 3)', [3, 0, null, -2]],
    ['ceil(price / 3)', [4, 1, null, -1]],
    ['min(price, qty, 5)', [3, 0, null, -4]],
    ['max(price, qty)', [10, 2.5, null, 2]],
    ['coalesce(price, qty, 0)', [10, 2.5, 1, -4]],
    ['if(price > 5, 1, 0)', [1, 0, null, 0]],
    ['length(name)', [5, 4, null, 7]],
    ['year(at) * 100 + month(at)', [202403, 202312, null, 202002]],
    ['day(at)', [2, 31, null, 29]],
    ["year('2021-06-01')", [2021, 2021, 2021, 2021]],
    ['(until - at) / 86400000', [1, 1, null, null]],
    ['"unit price"', ['1', '2', '3', '4']],
    ["lower(name) + '!'", ['apple!', 'pear!', null, 'ünïcode!']],
    ['upper(name)', ['APPLE', 'PEAR', null, 'ÜNÏCODE']],
    ["'it''s'", ["it's", "it's", "it's", "it's"]],
    ["if(member, name, 'guest')", ['Apple', 'guest', null, 'Ünïcode']],
    ['coalesce(name, "unit price")', ['Apple', 'pear', '3', 'Ünïcode']],
  ])('%s', (expression, expected) => {
    const got = derive(expression);
    expected.forEach((v, i) => {
      if (typeof v === 'number') expect(got[i]).toBeCloseTo(v, 10);
      else expect(got[i]).toEqual(v);
    });
  });

  it.each([
    ['price > 5', [1, 0, null, 0]],
    ['price = 10 or qty == 1', [1, 0, 1, 0]],
    ['price != 10 and qty >= 0', [0, 1, null, 1]],
    ['not member', [0, 1, null, 0]],
    ['member and price > 100', [0, 0, null, 0]],
    ['member and qty > 5', [0, 0, 0, 0]],
    ['qty < 5 or member', [1, 1, 1, 1]],
    ['member or price > 100', [1, 0, null, 1]],
    ["name < 'b'", [1, 0, null, 0]],
    ["name <> 'pear'", [1, 0, null, 1]],
    ["at >= '2024-01-01'", [1, 0, null, 0]],
    ['member == true', [1, 0, null, 1]],
    ['price > null', [null, null, null, null]],
  ])('%s (boolean, missing propagates as in SQL)', (expression, expected) => {
    expect(kindOf(expression)).toBe('boolean');
    expect(derive(expression)).toEqual(expected);
  });

  it.each([
    ['price', 'number'],
    ['name', 'string'],
    ['coalesce(at, until)', 'datetime'],
    ['max(at, until)', 'datetime'],
    ['if(member, 1, null)', 'number'],
  ] as const)('%s gives a %s column', (expression, kind) => {
    expect(kindOf(expression)).toBe(kind);
  });

  it('keywords and functions are case-insensitive, column names are not', () => {
    expect(derive('ABS(price) > 3 AND NOT member')).toEqual([0, 0, null, 0]);
    expect(() => derive('PRICE')).toThrow('unknown column "PRICE"');
  });
});

describe('derived column errors', () => {
  function errorOf(expression: string): ExpressionError {
    try {
      parseExpression(expression, new Map(table.columns.map((c) => [c.name, c.kind] as const)));
    } catch (error) {
      if (error instanceof ExpressionError) return error;
      throw error;
    }
    throw new Error(`${expression} parsed`);
  }

  it.each([
    ['constructor', 1, 'unknown column "constructor"'],
    ['__proto__', 1, 'unknown column "__proto__"'],
    ['"__proto__" + 1', 1, 'unknown column "__proto__"'],
    ['process.exit()', 8, `unexpected character "."`],
    ['process(1)', 1, 'unknown function "process"; functions: abs, sqrt, log, exp, min, max, round'],
    ['constructor(1)', 1, 'unknown function "constructor"'],
    ["eval('1')", 1, 'unknown function "eval"'],
    [
      'price +',
      8,
      "expected a value (number, 'string', column or function call), found the end of the expression.",
    ],
    ['(price', 7, "expected ')' to close the '(' at position 1, found the end of the expression."],
    ['price qty', 7, 'expected an operator or the end of the expression, found identifier "qty".'],
    ['abs(price, qty)', 1, 'abs() takes 1 argument(s); got 2.'],
    ["price + 'a'", 7, "'+' joins two strings or adds two numbers; got number and string."],
    ['price - at', 7, "'-' needs numbers; the operand at position 9 is a datetime."],
    ['name > 3', 6, "'>' compares values of one kind; got string and number."],
    ['1 < 2 < 3', 7, "comparisons do not chain; combine them with 'and'."],
    ['not price', 5, "'not' needs a true/false value; this is a number."],
    ['if(price, 1, 2)', 4, 'if() needs a true/false condition first; this is a number.'],
    ['coalesce(price, name)', 17, 'coalesce() needs values of one kind; got number and string.'],
    ["at > 'soon'", 6, '"soon" is not an ISO date'],
    ["'open", 1, "the string starting here has no closing '."],
    ['"open', 1, 'the column name starting here has no closing ".'],
    ['price @ 2', 7, 'unexpected character "@"'],
    ['1e999', 1, 'the number 1e999 is too large.'],
    ['and', 1, "expected a value, found the keyword 'and'."],
  ])('%s → position %i: %s', (expression, position, detail) => {
    const error = errorOf(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(`position ${position}: `);
    expect(error.message).toContain(detail);
  });

  it.each([
    ['10,000 nested parentheses', `${'('.repeat(10_000)}1${')'.repeat(10_000)}`],
    ['10,000 unary minuses', `${'-'.repeat(10_000)}1`],
    ['10,000 nots', `${'not '.repeat(10_000)}true`],
    ['10,000 nested calls', `${'abs('.repeat(10_000)}1${')'.repeat(10_000)}`],
    ['10,000 chained powers', `${'2^'.repeat(10_000)}1`],
  ])('rejects %s with a clear error, not a stack overflow', (_, expression) => {
    const error = errorOf(expression);
    expect(error.message).toMatch(/nests deeper than 64 levels/);
  });

  it('rejects a tree too deep to evaluate safely', () => {
    const error = errorOf(Array.from({ length: 10_000 }, () => 'price').join(' + '));
    expect(error.message).toContain('more than 256 operations deep');
  });

  it('rejects an overly long expression', () => {
    expect(errorOf('1'.repeat(100_001)).message).toContain('longer than 100000 characters');
  });

  it('reports parse errors as a params error on the expression field', () => {
    expect(() => fitDerivedColumn(table, { name: 'out', expression: 'price +' })).toThrow(
      TransformParamsError,
    );
    expect(() => fitDerivedColumn(table, { name: 'out', expression: 'price +' })).toThrow(
      'derived_column: expression is invalid: Expression error at position 8:',
    );
  });

  it.each([
    [
      { name: 'price', expression: '1' },
      'name "price" is already a column; choose another name, or set replace to true',
    ],
    [{ name: 'out', expression: 'null' }, 'expression is always missing (null)'],
    [{ name: '', expression: '1' }, 'name is required: a non-empty string'],
    [{ name: 'out' }, 'expression is required'],
  ])('rejects %j', (params, message) => {
    expect(() => fitDerivedColumn(table, params as never)).toThrow(message);
  });

  it('replaces a column in place when asked', () => {
    const state = fitDerivedColumn(table, { name: 'price', expression: 'price * 2', replace: true });
    const out = applyDerivedColumn(state, table);
    expect(out.columns.map((c) => c.name)).toEqual(table.columns.map((c) => c.name));
    expect(valuesOf(out, 'price')).toEqual([20, 5, null, -8]);
  });

  it('rejects a stored tree that is malformed or too deep', () => {
    const state = fitDerivedColumn(table, { name: 'out', expression: 'price + 1' });
    const tampered = JSON.parse(
      JSON.stringify(state).replace('"op":"+"', '"op":"eval"'),
    ) as DerivedColumnState;
    expect(() => applyDerivedColumn(tampered, table)).toThrow(TransformStateError);
    let deep: unknown = { op: 'literal', type: 'number', value: 1, at: 1 };
    for (let i = 0; i < 10_000; i += 1) deep = { op: 'neg', type: 'number', arg: deep, at: 1 };
    expect(() => applyDerivedColumn({ ...state, tree: deep as DerivedColumnState['tree'] }, table)).toThrow(
      'deeper than 256 levels',
    );
  });

  it('rejects a referenced column whose kind changed', () => {
    const state = fitDerivedColumn(table, { name: 'out', expression: 'price + 1' });
    expect(() => applyDerivedColumn(state, createTable([stringColumn('price', ['1'])]))).toThrow(
      'column "price" is string but the expression was checked with it as number',
    );
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    for (const expression of [
      'round(price * qty, 1)',
      "if(member, upper(name), 'x')",
      "at > '2024-01-01' or not member",
    ])
      expectReplayable(fitDerivedColumn(table, { name: 'out', expression }), applyDerivedColumn, table);
  });
});
