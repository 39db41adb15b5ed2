/**
 * Just enough of a PostgreSQL lexer to work on compiled SQL safely: Kysely emits `$1` placeholders,
 * the Data API wants named `:p1` ones, and `$1` inside a string literal, a quoted identifier, a
 * comment or a dollar-quoted body must stay as it is.
 */

export interface ScannedSql {
  /** The SQL with `$n` replaced by `:pn`. */
  sql: string;
  /** The statement's verb (`select`, `insert`, …; for `WITH …` the verb after the list), lower-cased. */
  command: string | undefined;
  /** Whether a data-changing verb appears anywhere (a `WITH` part, `FOR UPDATE`): such a query is not read through a cursor. */
  writes: boolean;
}

const COMMANDS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'merge',
  'values',
  'table',
  'with',
  'declare',
  'fetch',
  'move',
  'close',
  'explain',
  'show',
  'set',
  'create',
  'alter',
  'drop',
  'truncate',
  'grant',
  'revoke',
  'copy',
  'call',
  'do',
  'lock',
  'vacuum',
  'analyze',
  'comment',
  'savepoint',
  'release',
  'rollback',
  'begin',
  'commit',
]);

/** Statement verbs after a `WITH` list that decide what the statement is. */
const MAIN_VERBS = new Set(['select', 'insert', 'update', 'delete', 'merge', 'values', 'table']);

const WRITE_VERBS = new Set(['insert', 'update', 'delete', 'merge']);

export function parameterName(index: number): string {
  return `p${index}`;
}

export function scanSql(input: string): ScannedSql {
  let out = '';
  let i = 0;
  let depth = 0;
  let first: string | undefined;
  let main: string | undefined;
  let writes = false;
  const n = input.length;

  while (i < n) {
    const ch = input[i] as string;
    const next = input[i + 1];

    if (ch === '-' && next === '-') {
      const end = input.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += input.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === '/' && next === '*') {
      // PostgreSQL block comments nest.
      let level = 1;
      let j = i + 2;
      while (j < n && level > 0) {
        if (input[j] === '/' && input[j + 1] === '*') {
          level++;
          j += 2;
        } else if (input[j] === '*' && input[j + 1] === '/') {
          level--;
          j += 2;
        } else j++;
      }
      out += input.slice(i, j);
      i = j;
      continue;
    }
    if (ch === "'") {
      const escapes = i > 0 && /[eE]/.test(input[i - 1] as string) && !/[\w$]/.test(input[i - 2] ?? ' ');
      const j = skipQuoted(input, i, "'", escapes);
      out += input.slice(i, j);
      i = j;
      continue;
    }
    if (ch === '"') {
      const j = skipQuoted(input, i, '"', false);
      out += input.slice(i, j);
      i = j;
      continue;
    }
    if (ch === '$') {
      const placeholder = /^\$(\d+)/.exec(input.slice(i, i + 12));
      const prev = input[i - 1];
      if (placeholder && !(prev && /[\w$]/.test(prev))) {
        out += `:${parameterName(Number(placeholder[1]))}`;
        i += placeholder[0].length;
        continue;
      }
      const tag = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(input.slice(i, i + 64));
      if (tag && !(prev && /[\w$]/.test(prev))) {
        const end = input.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? n : end + tag[0].length;
        out += input.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (/[A-Za-z_]/.test(ch) && !/[\w$]/.test(input[i - 1] ?? ' ')) {
      const word = /^[A-Za-z_][A-Za-z_0-9$]*/.exec(input.slice(i, i + 64));
      if (word) {
        const lower = word[0].toLowerCase();
        if (first === undefined && COMMANDS.has(lower)) first = lower;
        if (WRITE_VERBS.has(lower)) writes = true;
        if (first === 'with' && main === undefined && depth === 0 && MAIN_VERBS.has(lower)) main = lower;
        out += word[0];
        i += word[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }

  return { sql: out, command: first === 'with' ? (main ?? 'with') : first, writes };
}

function skipQuoted(input: string, start: number, quote: string, backslashEscapes: boolean): number {
  let j = start + 1;
  while (j < input.length) {
    const c = input[j];
    if (backslashEscapes && c === '\\') {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (input[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return input.length;
}

/** Statements whose result can be read through a cursor (`DECLARE … CURSOR FOR <query>`). */
export function isCursorable(scanned: ScannedSql): boolean {
  const { command } = scanned;
  return !scanned.writes && (command === 'select' || command === 'values' || command === 'table');
}

/** Statements for which Kysely expects `numAffectedRows`. */
export function isDataChange(command: string | undefined): boolean {
  return command === 'insert' || command === 'update' || command === 'delete' || command === 'merge';
}
