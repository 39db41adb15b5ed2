import * as z from 'zod';
import { quoteIdentifier, SqlParams } from '../table-sql';

/**
 * The row filter's structured conditions compiled to a parameterized SQL predicate. Users never
 * write SQL: a column is a quoted identifier that must exist, an operator comes from a fixed set,
 * and every value is a bound parameter.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const FILTER_OPERATORS = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'not_in',
  'is_null',
  'not_null',
  'contains',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export const filterConditionSchema = z
  .object({
    column: z.string().min(1).max(255),
    operator: z.enum(FILTER_OPERATORS),
    value: z
      .union([scalar, z.array(scalar), z.null()])
      .optional()
      .describe('Compared value; an array for in/not_in; absent for is_null/not_null.'),
  })
  .strict()
  .superRefine((condition, ctx) => {
    const { operator, value } = condition;
    if (operator === 'is_null' || operator === 'not_null') {
      if (value !== undefined && value !== null)
        ctx.addIssue({ code: 'custom', path: ['value'], message: `"${operator}" takes no value` });
    } else if (operator === 'in' || operator === 'not_in') {
      if (!Array.isArray(value) || value.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['value'],
          message: `"${operator}" needs a non-empty list of values`,
        });
      }
    } else if (operator === 'contains') {
      if (typeof value !== 'string')
        ctx.addIssue({ code: 'custom', path: ['value'], message: '"contains" needs a text value' });
    } else if (value === undefined || value === null || Array.isArray(value)) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `"${operator}" needs one value (use is_null to match missing values)`,
      });
    }
  });

export type FilterCondition = z.infer<typeof filterConditionSchema>;

export interface CompiledPredicate {
  sql: string;
  params: (string | number | boolean | null)[];
}

const COMPARISON: Partial<Record<FilterOperator, string>> = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

export function compileRowFilter(
  conditions: readonly FilterCondition[],
  combine: 'and' | 'or',
  params = new SqlParams(),
): CompiledPredicate {
  const parts = conditions.map((condition) => compileCondition(condition, params));
  const joined = parts.map((p) => `(${p})`).join(combine === 'and' ? ' AND ' : ' OR ');
  return { sql: joined, params: params.values };
}

function compileCondition(condition: FilterCondition, params: SqlParams): string {
  const column = quoteIdentifier(condition.column);
  const { operator, value } = condition;
  switch (operator) {
    case 'is_null':
      return `${column} IS NULL`;
    case 'not_null':
      return `${column} IS NOT NULL`;
    case 'in':
    case 'not_in': {
      const values = Array.isArray(value) ? value : [];
      const list = values.map((v) => params.add(v)).join(', ');
      // NOT IN with a NULL column value is unknown in SQL; a user expects such rows to be kept.
      return operator === 'in'
        ? `${column} IN (${list})`
        : `(${column} IS NULL OR ${column} NOT IN (${list}))`;
    }
    case 'contains':
      return `contains(CAST(${column} AS VARCHAR), ${params.add(typeof value === 'string' ? value : '')})`;
    default: {
      const sqlOperator = COMPARISON[operator];
      if (!sqlOperator || value === undefined || Array.isArray(value))
        throw new Error(`Unsupported filter condition: ${operator}`);
      const bound = params.add(value);
      // `!=` keeps rows whose value is missing, as a person reading "is not x" expects.
      return operator === '!='
        ? `(${column} IS NULL OR ${column} <> ${bound})`
        : `${column} ${sqlOperator} ${bound}`;
    }
  }
}
