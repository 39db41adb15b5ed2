/**
 * Evaluates a parsed expression over whole columns at once (one pass per tree node rather than
 * a tree walk per row). Semantics:
 * - a missing operand makes the result missing, except coalesce() (first present value) and
 *   'and'/'or', which follow SQL: false and missing = false, true or missing = true;
 * - an arithmetic result that is not finite (1/0, log(0), sqrt(−1)) is missing;
 * - % is the remainder with the sign of the dividend (as SQL and JavaScript), ^ is a power;
 * - round(x, digits) rounds halves away from zero; strings compare by code point;
 * - length() counts code points; year(), month(), day() read dates in UTC;
 * - if(condition, a, b) is missing when the condition is.
 */
import { compareCodePoints, getColumn, type Table, type TableColumn } from '../table';
import { datePart } from './date-parts';
import {
  FUNCTION_NAMES,
  MAX_EXPRESSION_TREE_DEPTH,
  type ExprNode,
  type FunctionName,
  type ValueType,
} from './parse-expression';
import { parseIsoDate } from './parse-iso-date';
import { TransformApplyError, TransformStateError } from './transform-state';

export type Vector =
  | { readonly type: 'string'; readonly values: readonly (string | null)[] }
  | { readonly type: Exclude<ValueType, 'string'>; readonly values: Float64Array };

const NAME = 'derived_column';

function numbers(v: Vector, n: number): Float64Array {
  return v.type === 'string' ? new Float64Array(n).fill(NaN) : v.values;
}

function strings(v: Vector, n: number): readonly (string | null)[] {
  return v.type === 'string' ? v.values : new Array<string | null>(n).fill(null);
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : NaN;
}

function map1(a: Float64Array, f: (x: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i += 1) out[i] = finite(f(a[i] ?? NaN));
  return out;
}

function map2(a: Float64Array, b: Float64Array, f: (x: number, y: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i += 1) out[i] = f(a[i] ?? NaN, b[i] ?? NaN);
  return out;
}

function roundHalfAway(x: number, digits: number): number {
  const d = Math.trunc(digits);
  if (Number.isNaN(x) || Number.isNaN(d) || Math.abs(d) > 15) return NaN;
  const factor = 10 ** d;
  return (Math.sign(x) * Math.round(Math.abs(x) * factor)) / factor;
}

function arithmetic(op: string, x: number, y: number): number {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    case '%':
      return x % y;
    default:
      return x ** y;
  }
}

function compareResult(op: string, c: number): number {
  switch (op) {
    case '==':
      return c === 0 ? 1 : 0;
    case '!=':
      return c !== 0 ? 1 : 0;
    case '<':
      return c < 0 ? 1 : 0;
    case '<=':
      return c <= 0 ? 1 : 0;
    case '>':
      return c > 0 ? 1 : 0;
    default:
      return c >= 0 ? 1 : 0;
  }
}

function evaluateBinary(
  node: Extract<ExprNode, { left: ExprNode }>,
  l: Vector,
  r: Vector,
  n: number,
): Vector {
  const { op } = node;
  if (op === 'and' || op === 'or') {
    const a = numbers(l, n);
    const b = numbers(r, n);
    const values = map2(a, b, (x, y) => {
      if (op === 'and') return x === 0 || y === 0 ? 0 : Number.isNaN(x) || Number.isNaN(y) ? NaN : 1;
      return x === 1 || y === 1 ? 1 : Number.isNaN(x) || Number.isNaN(y) ? NaN : 0;
    });
    return { type: 'boolean', values };
  }
  if (op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
    const values = new Float64Array(n);
    if (l.type === 'string' || r.type === 'string') {
      const a = strings(l, n);
      const b = strings(r, n);
      for (let i = 0; i < n; i += 1) {
        const x = a[i] ?? null;
        const y = b[i] ?? null;
        values[i] = x === null || y === null ? NaN : compareResult(op, compareCodePoints(x, y));
      }
    } else {
      const a = numbers(l, n);
      const b = numbers(r, n);
      for (let i = 0; i < n; i += 1) {
        const x = a[i] ?? NaN;
        const y = b[i] ?? NaN;
        values[i] = Number.isNaN(x) || Number.isNaN(y) ? NaN : compareResult(op, x < y ? -1 : x > y ? 1 : 0);
      }
    }
    return { type: 'boolean', values };
  }
  if (node.type === 'string') {
    const a = strings(l, n);
    const b = strings(r, n);
    const values = new Array<string | null>(n);
    for (let i = 0; i < n; i += 1) {
      const x = a[i] ?? null;
      const y = b[i] ?? null;
      values[i] = x === null || y === null ? null : x + y;
    }
    return { type: 'string', values };
  }
  const values = map2(numbers(l, n), numbers(r, n), (x, y) => finite(arithmetic(op, x, y)));
  return { type: 'number', values };
}

function dateValues(v: Vector, n: number): Float64Array {
  if (v.type !== 'string') return v.values;
  const out = new Float64Array(n);
  v.values.forEach((s, i) => (out[i] = s === null ? NaN : parseIsoDate(s)));
  return out;
}

function pick(args: readonly Vector[], type: ValueType, n: number, choose: (i: number) => number): Vector {
  if (type === 'string') {
    const values = new Array<string | null>(n);
    const all = args.map((a) => strings(a, n));
    for (let i = 0; i < n; i += 1) {
      const k = choose(i);
      values[i] = k < 0 ? null : (all[k]?.[i] ?? null);
    }
    return { type, values };
  }
  const values = new Float64Array(n);
  const all = args.map((a) => numbers(a, n));
  for (let i = 0; i < n; i += 1) {
    const k = choose(i);
    values[i] = k < 0 ? NaN : (all[k]?.[i] ?? NaN);
  }
  return { type, values };
}

function isPresent(v: Vector, i: number): boolean {
  return v.type === 'string' ? v.values[i] != null : !Number.isNaN(v.values[i]);
}

function evaluateCall(fn: FunctionName, type: ValueType, args: readonly Vector[], n: number): Vector {
  const [a, b] = args;
  const first = a ? numbers(a, n) : new Float64Array(n).fill(NaN);
  switch (fn) {
    case 'abs':
      return { type: 'number', values: map1(first, Math.abs) };
    case 'sqrt':
      return { type: 'number', values: map1(first, Math.sqrt) };
    case 'log':
      return { type: 'number', values: map1(first, Math.log) };
    case 'exp':
      return { type: 'number', values: map1(first, Math.exp) };
    case 'floor':
      return { type: 'number', values: map1(first, Math.floor) };
    case 'ceil':
      return { type: 'number', values: map1(first, Math.ceil) };
    case 'round': {
      const digits = b ? numbers(b, n) : new Float64Array(n);
      return { type: 'number', values: map2(first, digits, (x, d) => finite(roundHalfAway(x, d))) };
    }
    case 'min':
    case 'max': {
      const all = args.map((v) => numbers(v, n));
      const values = new Float64Array(n);
      for (let i = 0; i < n; i += 1) {
        let best = fn === 'min' ? Infinity : -Infinity;
        for (const column of all) {
          const x = column[i] ?? NaN;
          best =
            Number.isNaN(x) || Number.isNaN(best)
              ? NaN
              : fn === 'min'
                ? Math.min(best, x)
                : Math.max(best, x);
        }
        values[i] = best;
      }
      return { type: type === 'datetime' ? 'datetime' : 'number', values };
    }
    case 'coalesce':
      return pick(args, type, n, (i) => args.findIndex((v) => isPresent(v, i)));
    case 'if': {
      const condition = first;
      return pick(args.slice(1), type, n, (i) => {
        const c = condition[i] ?? NaN;
        return Number.isNaN(c) ? -1 : c === 1 ? 0 : 1;
      });
    }
    case 'lower':
    case 'upper': {
      const values = (a ? strings(a, n) : []).map((s) =>
        s === null ? null : fn === 'lower' ? s.toLowerCase() : s.toUpperCase(),
      );
      return { type: 'string', values };
    }
    case 'length': {
      const values = new Float64Array(n);
      (a ? strings(a, n) : []).forEach((s, i) => {
        let count = 0;
        if (s !== null) for (const _ of s) count += 1;
        values[i] = s === null ? NaN : count;
      });
      return { type: 'number', values };
    }
    case 'year':
    case 'month':
    case 'day': {
      const ms = a ? dateValues(a, n) : new Float64Array(n).fill(NaN);
      return { type: 'number', values: map1(ms, (x) => datePart(x, fn)) };
    }
  }
}

function literal(node: Extract<ExprNode, { op: 'literal' }>, n: number): Vector {
  if (node.type === 'string')
    return { type: 'string', values: new Array<string | null>(n).fill(String(node.value)) };
  const v =
    node.value === null ? NaN : typeof node.value === 'boolean' ? (node.value ? 1 : 0) : Number(node.value);
  return { type: node.type, values: new Float64Array(n).fill(v) };
}

function columnVector(column: TableColumn): Vector {
  return column.kind === 'string'
    ? { type: 'string', values: column.values }
    : { type: column.kind, values: column.values };
}

/** Evaluates `node` over every row of `table`. The tree must have passed `checkExpressionTree`. */
export function evaluateExpression(node: ExprNode, table: Table): Vector {
  const n = table.nRows;
  switch (node.op) {
    case 'literal':
      return literal(node, n);
    case 'column': {
      const column = getColumn(table, node.name, NAME);
      if (column.kind !== node.type)
        throw new TransformApplyError(
          NAME,
          `column "${node.name}" is ${column.kind} but the expression was checked with it as ${node.type}; cast it back first.`,
          node.name,
        );
      return columnVector(column);
    }
    case 'neg':
      return { type: 'number', values: map1(numbers(evaluateExpression(node.arg, table), n), (x) => -x) };
    case 'not': {
      const values = map1(numbers(evaluateExpression(node.arg, table), n), (x) =>
        Number.isNaN(x) ? NaN : 1 - x,
      );
      return { type: 'boolean', values };
    }
    case 'call':
      return evaluateCall(
        node.fn,
        node.type,
        node.args.map((a) => evaluateExpression(a, table)),
        n,
      );
    default:
      return evaluateBinary(
        node,
        evaluateExpression(node.left, table),
        evaluateExpression(node.right, table),
        n,
      );
  }
}

const VALUE_TYPES: readonly string[] = ['number', 'string', 'boolean', 'datetime', 'null'];
const BINARY_OPS: readonly string[] = [
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'and',
  'or',
];

/**
 * Checks a tree read back from a stored state: known operators and functions, well-formed
 * children and a bounded depth, so that a corrupted or crafted artifact fails clearly.
 */
export function checkExpressionTree(node: unknown, depth = 1): asserts node is ExprNode {
  const bad = (why: string): never => {
    throw new TransformStateError(`derived_column state has a malformed expression tree: ${why}.`);
  };
  if (depth > MAX_EXPRESSION_TREE_DEPTH) bad(`deeper than ${MAX_EXPRESSION_TREE_DEPTH} levels`);
  if (typeof node !== 'object' || node === null || Array.isArray(node)) bad('a node is not an object');
  const n = node as Record<string, unknown>;
  if (typeof n.type !== 'string' || !VALUE_TYPES.includes(n.type))
    bad(`unknown value type ${JSON.stringify(n.type)}`);
  switch (n.op) {
    case 'literal': {
      const ok =
        n.value === null ||
        typeof n.value === 'string' ||
        typeof n.value === 'boolean' ||
        (typeof n.value === 'number' && Number.isFinite(n.value));
      if (!ok) bad('a literal has an invalid value');
      return;
    }
    case 'column':
      if (typeof n.name !== 'string' || n.type === 'null') bad('a column reference is invalid');
      return;
    case 'neg':
    case 'not':
      checkExpressionTree(n.arg, depth + 1);
      return;
    case 'call':
      if (typeof n.fn !== 'string' || !(FUNCTION_NAMES as readonly string[]).includes(n.fn))
        bad(`unknown function ${JSON.stringify(n.fn)}`);
      if (!Array.isArray(n.args)) bad('a call has no argument list');
      for (const a of n.args as unknown[]) checkExpressionTree(a, depth + 1);
      return;
    default:
      if (typeof n.op !== 'string' || !BINARY_OPS.includes(n.op))
        bad(`unknown operator ${JSON.stringify(n.op)}`);
      checkExpressionTree(n.left, depth + 1);
      checkExpressionTree(n.right, depth + 1);
  }
}
