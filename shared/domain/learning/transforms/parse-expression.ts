/**
 * The expression language of derived columns, parsed without eval or Function: a hand-written
 * tokenizer and a recursive-descent parser that also type-checks against the table's columns.
 *
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := additive (('==' | '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') additive)?
 *   additive:= term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '%') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := primary ('^' unary)?            (right-associative: 2^3^2 = 2^9, -2^2 = -4)
 *   primary := number | 'string' | "column name" | identifier | true | false | null
 *            | function '(' [or (',' or)*] ')' | '(' or ')'
 *
 * Strings use single quotes and column names with other characters double quotes; a quote is
 * doubled inside them ('it''s'). Keywords and function names are case-insensitive; column
 * names are not. Nesting (parentheses, calls, unary chains) is limited to 64 levels and the
 * tree to 256, so hostile input ends in an ExpressionError, never a stack overflow.
 */
import type { ColumnKind } from '../table';
import { parseIsoDate } from './parse-iso-date';

export const MAX_EXPRESSION_NESTING = 64;
export const MAX_EXPRESSION_TREE_DEPTH = 256;
export const MAX_EXPRESSION_LENGTH = 100_000;

export type ValueType = ColumnKind | 'null';

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicOp = 'and' | 'or';
export type BinaryOp = ArithmeticOp | CompareOp | LogicOp;

export const FUNCTION_NAMES = [
  'abs',
  'sqrt',
  'log',
  'exp',
  'min',
  'max',
  'round',
  'floor',
  'ceil',
  'coalesce',
  'if',
  'lower',
  'upper',
  'length',
  'year',
  'month',
  'day',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** A node of the typed syntax tree; `at` is the 1-based position in the source text. */
export type ExprNode =
  | {
      readonly op: 'literal';
      readonly type: ValueType;
      readonly value: number | string | boolean | null;
      readonly at: number;
    }
  | { readonly op: 'column'; readonly type: ColumnKind; readonly name: string; readonly at: number }
  | { readonly op: 'neg' | 'not'; readonly type: ValueType; readonly arg: ExprNode; readonly at: number }
  | {
      readonly op: BinaryOp;
      readonly type: ValueType;
      readonly left: ExprNode;
      readonly right: ExprNode;
      readonly at: number;
    }
  | {
      readonly op: 'call';
      readonly type: ValueType;
      readonly fn: FunctionName;
      readonly args: readonly ExprNode[];
      readonly at: number;
    };

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    /** 1-based character position. */
    readonly position: number,
    readonly detail: string,
  ) {
    super(`Expression error at position ${position}: ${detail}`);
  }
}

type TokenKind = 'number' | 'string' | 'name' | 'identifier' | 'operator' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** The number, the unquoted string or name, or the operator. */
  readonly value: string | number;
  readonly at: number;
}

const OPERATORS = ['==', '!=', '<>', '<=', '>=', '+', '-', '*', '/', '%', '^', '(', ')', ',', '<', '>', '='];
const NUMBER = /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[\p{L}_][\p{L}\p{N}_]*/uy;

function describeToken(t: Token): string {
  if (t.kind === 'end') return 'the end of the expression';
  const text = t.text.length > 20 ? `${t.text.slice(0, 20)}…` : t.text;
  return `${t.kind === 'operator' ? '' : `${t.kind} `}${JSON.stringify(text)}`;
}

function readQuoted(text: string, start: number, quote: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const q = text.indexOf(quote, i);
    if (q < 0)
      throw new ExpressionError(
        start + 1,
        `the ${quote === "'" ? 'string' : 'column name'} starting here has no closing ${quote}.`,
      );
    value += text.slice(i, q);
    if (text[q + 1] === quote) {
      value += quote;
      i = q + 2;
    } else return { value, end: q + 1 };
  }
}

export function tokenize(text: string): Token[] {
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(1, `the expression is longer than ${MAX_EXPRESSION_LENGTH} characters.`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const at = i + 1;
    if (c === "'" || c === '"') {
      const { value, end } = readQuoted(text, i, c);
      tokens.push({ kind: c === "'" ? 'string' : 'name', text: text.slice(i, end), value, at });
      i = end;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) throw new ExpressionError(at, `the number ${number[0]} is too large.`);
      tokens.push({ kind: 'number', text: number[0], value, at });
      i += number[0].length;
      continue;
    }
    IDENTIFIER.lastIndex = i;
    const identifier = IDENTIFIER.exec(text);
    if (identifier) {
      tokens.push({ kind: 'identifier', text: identifier[0], value: identifier[0], at });
      i += identifier[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) {
      const shown = String.fromCodePoint(text.codePointAt(i) ?? 0);
      throw new ExpressionError(
        at,
        `unexpected character ${JSON.stringify(shown)}; expected a number, 'string', "column", name, function or operator.`,
      );
    }
    tokens.push({ kind: 'operator', text: op, value: op, at });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', value: '', at: text.length + 1 });
  return tokens;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null']);
const COMPARE: ReadonlyMap<string, CompareOp> = new Map([
  ['==', '=='],
  ['=', '=='],
  ['!=', '!='],
  ['<>', '!='],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
]);

function isFunctionName(name: string): name is FunctionName {
  return (FUNCTION_NAMES as readonly string[]).includes(name);
}

class Parser {
  private index = 0;
  private nesting = 0;
  private readonly depths = new WeakMap<ExprNode, number>();
  private readonly tokens: Token[];

  constructor(
    text: string,
    private readonly columns: ReadonlyMap<string, ColumnKind>,
  ) {
    this.tokens = tokenize(text);
  }

  parse(): ExprNode {
    const node = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'end')
      throw new ExpressionError(
        next.at,
        `expected an operator or the end of the expression, found ${describeToken(next)}.`,
      );
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'end', text: '', value: '', at: 0 };
  }

  private advance(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.index += 1;
    return t;
  }

  private isOperator(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'operator' && ops.includes(t.text);
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'identifier' && t.text.toLowerCase() === word;
  }

  private expectOperator(op: string, what: string): Token {
    const t = this.peek();
    if (t.kind !== 'operator' || t.text !== op)
      throw new ExpressionError(t.at, `expected ${what}, found ${describeToken(t)}.`);
    return this.advance();
  }

  private enter(at: number): void {
    this.nesting += 1;
    if (this.nesting > MAX_EXPRESSION_NESTING)
      throw new ExpressionError(
        at,
        `the expression nests deeper than ${MAX_EXPRESSION_NESTING} levels; simplify it.`,
      );
  }

  private leave(): void {
    this.nesting -= 1;
  }

  /** Records a node's tree depth, refusing trees too deep to evaluate safely. */
  private node<N extends ExprNode>(node: N, ...children: ExprNode[]): N {
    let depth = 1;
    for (const c of children) depth = Math.max(depth, (this.depths.get(c) ?? 1) + 1);
    if (depth > MAX_EXPRESSION_TREE_DEPTH)
      throw new ExpressionError(
        node.at,
        `the expression is more than ${MAX_EXPRESSION_TREE_DEPTH} operations deep; split it into several derived columns.`,
      );
    this.depths.set(node, depth);
    return node;
  }

  private parseOr(): ExprNode {
    this.enter(this.peek().at);
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      const op = this.advance();
      left = this.logic('or', left, this.parseAnd(), op.at);
    }
    this.leave();
    return left;
  }

  private parseAnd(): ExprNode {
    let left = this.parseNot();
    while (this.isKeyword('and')) {
      const op = this.advance();
      left = this.logic('and', left, this.parseNot(), op.at);
    }
    return left;
  }

  private parseNot(): ExprNode {
    if (!this.isKeyword('not')) return this.parseCompare();
    const op = this.advance();
    this.enter(op.at);
    const arg = this.parseNot();
    this.leave();
    this.expectType(arg, ['boolean'], `'not' needs a true/false value`);
    return this.node({ op: 'not', type: 'boolean', arg, at: op.at }, arg);
  }

  private parseCompare(): ExprNode {
    const left = this.parseAdditive();
    const t = this.peek();
    const op = t.kind === 'operator' ? COMPARE.get(t.text) : undefined;
    if (op === undefined) return left;
    this.advance();
    const right = this.parseAdditive();
    const after = this.peek();
    if (after.kind === 'operator' && COMPARE.has(after.text))
      throw new ExpressionError(after.at, `comparisons do not chain; combine them with 'and'.`);
    return this.compare(op, left, right, t.at);
  }

  private parseAdditive(): ExprNode {
    let left = this.parseTerm();
    while (this.isOperator('+', '-')) {
      const op = this.advance();
      left = this.arithmetic(op.text === '+' ? '+' : '-', left, this.parseTerm(), op.at);
    }
    return left;
  }

  private parseTerm(): ExprNode {
    let left = this.parseUnary();
    while (this.isOperator('*', '/', '%')) {
      const op = this.advance();
      const kind = op.text === '*' ? '*' : op.text === '/' ? '/' : '%';
      left = this.arithmetic(kind, left, this.parseUnary(), op.at);
    }
    return left;
  }

  private parseUnary(): ExprNode {
    if (!this.isOperator('-', '+')) return this.parsePower();
    const op = this.advance();
    this.enter(op.at);
    const arg = this.parseUnary();
    this.leave();
    this.expectType(arg, ['number'], `'${op.text}' before a value needs a number`);
    if (op.text === '+') return arg;
    return this.node({ op: 'neg', type: 'number', arg, at: op.at }, arg);
  }

  private parsePower(): ExprNode {
    const base = this.parsePrimary();
    if (!this.isOperator('^')) return base;
    const op = this.advance();
    this.enter(op.at);
    const exponent = this.parseUnary();
    this.leave();
    return this.arithmetic('^', base, exponent, op.at);
  }

  private parsePrimary(): ExprNode {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.advance();
        return this.node({ op: 'literal', type: 'number', value: Number(t.value), at: t.at });
      case 'string':
        this.advance();
        return this.node({ op: 'literal', type: 'string', value: String(t.value), at: t.at });
      case 'name':
        this.advance();
        return this.column(String(t.value), t.at);
      case 'identifier':
        return this.parseIdentifier();
      case 'operator':
        if (t.text === '(') {
          this.advance();
          const inner = this.parseOr();
          this.expectOperator(')', `')' to close the '(' at position ${t.at}`);
          return inner;
        }
        break;
      case 'end':
        break;
    }
    throw new ExpressionError(
      t.at,
      `expected a value (number, 'string', column or function call), found ${describeToken(t)}.`,
    );
  }

  private parseIdentifier(): ExprNode {
    const t = this.advance();
    const word = t.text.toLowerCase();
    if (this.isOperator('(')) return this.parseCall(t);
    if (KEYWORDS.has(word)) {
      if (word === 'true' || word === 'false')
        return this.node({ op: 'literal', type: 'boolean', value: word === 'true', at: t.at });
      if (word === 'null') return this.node({ op: 'literal', type: 'null', value: null, at: t.at });
      throw new ExpressionError(t.at, `expected a value, found the keyword '${t.text}'.`);
    }
    return this.column(t.text, t.at);
  }

  private column(name: string, at: number): ExprNode {
    const kind = this.columns.get(name);
    if (kind === undefined) {
      const known = [...this.columns.keys()];
      throw new ExpressionError(
        at,
        `unknown column ${JSON.stringify(name)}; columns: ${known.map((k) => JSON.stringify(k)).join(', ') || '(none)'}` +
          ` (quote names with other characters: "my column").`,
      );
    }
    return this.node({ op: 'column', type: kind, name, at });
  }

  private parseCall(nameToken: Token): ExprNode {
    const fn = nameToken.text.toLowerCase();
    if (!isFunctionName(fn))
      throw new ExpressionError(
        nameToken.at,
        `unknown function ${JSON.stringify(nameToken.text)}; functions: ${FUNCTION_NAMES.join(', ')}.`,
      );
    const open = this.advance();
    this.enter(open.at);
    const args: ExprNode[] = [];
    if (!this.isOperator(')')) {
      args.push(this.parseOr());
      while (this.isOperator(',')) {
        this.advance();
        args.push(this.parseOr());
      }
    }
    this.expectOperator(')', `',' or ')' to close ${fn}(`);
    this.leave();
    return this.node(
      { op: 'call', fn, args, type: this.callType(fn, args, nameToken.at), at: nameToken.at },
      ...args,
    );
  }

  private expectType(node: ExprNode, types: readonly ValueType[], what: string): void {
    if (node.type !== 'null' && !types.includes(node.type))
      throw new ExpressionError(node.at, `${what}; this is ${article(node.type)}.`);
  }

  private arithmetic(op: ArithmeticOp, left: ExprNode, right: ExprNode, at: number): ExprNode {
    const l = left.type;
    const r = right.type;
    let type: ValueType = 'number';
    if (op === '+' && (l === 'string' || r === 'string')) {
      if (!(l === 'string' || l === 'null') || !(r === 'string' || r === 'null'))
        throw new ExpressionError(at, `'+' joins two strings or adds two numbers; got ${l} and ${r}.`);
      type = 'string';
    } else if (op === '-' && l === 'datetime' && (r === 'datetime' || r === 'null')) {
      type = 'number'; // the difference in milliseconds
    } else {
      for (const side of [left, right])
        if (side.type !== 'null' && side.type !== 'number')
          throw new ExpressionError(
            at,
            `'${op}' needs numbers; the operand at position ${side.at} is ${article(side.type)}.` +
              (op === '-' && side.type === 'datetime' ? ' Subtract two dates to get milliseconds.' : ''),
          );
    }
    return this.node({ op, type, left, right, at }, left, right);
  }

  private compare(op: CompareOp, left: ExprNode, right: ExprNode, at: number): ExprNode {
    // A string literal compared with a date is read as an ISO date once, at parse time.
    const l = this.dateLiteral(left, right);
    const r = this.dateLiteral(right, l);
    if (l.type !== 'null' && r.type !== 'null' && l.type !== r.type)
      throw new ExpressionError(at, `'${op}' compares values of one kind; got ${l.type} and ${r.type}.`);
    if ((l.type === 'boolean' || r.type === 'boolean') && op !== '==' && op !== '!=')
      throw new ExpressionError(at, `true/false values can only be compared with '==' or '!='.`);
    return this.node({ op, type: 'boolean', left: l, right: r, at }, l, r);
  }

  private dateLiteral(node: ExprNode, other: ExprNode): ExprNode {
    if (other.type !== 'datetime' || node.op !== 'literal' || node.type !== 'string') return node;
    const ms = parseIsoDate(String(node.value));
    if (Number.isNaN(ms))
      throw new ExpressionError(
        node.at,
        `${JSON.stringify(node.value)} is not an ISO date such as '2024-01-31'.`,
      );
    return this.node({ op: 'literal', type: 'datetime', value: ms, at: node.at });
  }

  private logic(op: LogicOp, left: ExprNode, right: ExprNode, at: number): ExprNode {
    this.expectType(left, ['boolean'], `'${op}' needs true/false values`);
    this.expectType(right, ['boolean'], `'${op}' needs true/false values`);
    return this.node({ op, type: 'boolean', left, right, at }, left, right);
  }

  private callType(fn: FunctionName, args: readonly ExprNode[], at: number): ValueType {
    const count = (min: number, max: number): void => {
      if (args.length < min || args.length > max) {
        const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} or ${max}`;
        throw new ExpressionError(at, `${fn}() takes ${expected} argument(s); got ${args.length}.`);
      }
    };
    const each = (types: readonly ValueType[], what: string): void => {
      for (const a of args) this.expectType(a, types, `${fn}() needs ${what}`);
    };
    switch (fn) {
      case 'abs':
      case 'sqrt':
      case 'log':
      case 'exp':
      case 'floor':
      case 'ceil':
        count(1, 1);
        each(['number'], 'a number');
        return 'number';
      case 'round':
        count(1, 2);
        each(['number'], 'numbers');
        return 'number';
      case 'min':
      case 'max': {
        count(1, Infinity);
        each(['number', 'datetime'], 'numbers or dates');
        return this.commonType(fn, args, at, 'number');
      }
      case 'coalesce':
        count(1, Infinity);
        return this.commonType(fn, args, at, 'null');
      case 'if': {
        count(3, 3);
        const [condition, whenTrue, whenFalse] = args;
        if (condition) this.expectType(condition, ['boolean'], 'if() needs a true/false condition first');
        return this.commonType(
          fn,
          [whenTrue, whenFalse].filter((a) => a !== undefined),
          at,
          'null',
        );
      }
      case 'lower':
      case 'upper':
        count(1, 1);
        each(['string'], 'a string');
        return 'string';
      case 'length':
        count(1, 1);
        each(['string'], 'a string');
        return 'number';
      case 'year':
      case 'month':
      case 'day':
        count(1, 1);
        each(['datetime', 'string'], 'a date or an ISO date string');
        return 'number';
    }
  }

  /** The one kind shared by `args` (missing literals aside), or an error naming the mismatch. */
  private commonType(fn: string, args: readonly ExprNode[], at: number, fallback: ValueType): ValueType {
    let type: ValueType = 'null';
    for (const a of args) {
      if (a.type === 'null') continue;
      if (type === 'null') type = a.type;
      else if (a.type !== type)
        throw new ExpressionError(a.at, `${fn}() needs values of one kind; got ${type} and ${a.type}.`);
    }
    return type === 'null' ? fallback : type;
  }
}

function article(type: ValueType): string {
  switch (type) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'a true/false value';
    default:
      return `a ${type}`;
  }
}

/**
 * Parses and type-checks `text` against the columns available (name → kind). Throws an
 * ExpressionError naming the position and what was expected.
 */
export function parseExpression(text: string, columns: ReadonlyMap<string, ColumnKind>): ExprNode {
  return new Parser(text, columns).parse();
}
