/**
 * Converts columns to another kind. With `strict` (default false) a value that cannot be
 * converted is an error naming the column, the row and the value; otherwise it becomes missing.
 *
 * - to number: numeric text ("42", "-1.5e3", surrounding spaces allowed), booleans as 0/1,
 *   datetimes as epoch milliseconds;
 * - to string: numbers in JavaScript's shortest form ("3", "0.1"), booleans "true"/"false",
 *   datetimes as ISO 8601 in UTC;
 * - to boolean: text true/false, yes/no, y/n, t/f, 1/0 (any case), numbers 0 and 1;
 * - to datetime: ISO 8601 text (UTC when no offset), numbers as epoch milliseconds.
 * Missing stays missing.
 */
import { getColumn, type ColumnKind, type Table, type TableColumn } from '../table';
import { ParamsReader } from './params-reader';
import { formatIsoDate, parseIsoDate } from './parse-iso-date';
import { mapColumns, TransformApplyError, type TransformState } from './transform-state';

const NAME = 'cast';
const TARGETS = ['number', 'string', 'boolean', 'datetime'] as const;

export interface CastParams {
  readonly columns: readonly string[];
  readonly to: ColumnKind;
  readonly strict?: boolean;
}

export interface CastState extends TransformState {
  readonly kind: 'cast';
  readonly format: 1;
  readonly columns: readonly string[];
  readonly to: ColumnKind;
  readonly strict: boolean;
}

export function resolveCastParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  if (!columns) r.fail('columns', 'is required: list the columns to convert.');
  if (!r.has('to')) r.fail('to', `is required: one of ${TARGETS.join(', ')}.`);
  const to = r.enumValue('to', TARGETS, 'number');
  const strict = r.boolean('strict', false);
  r.finish();
  return { columns, to, strict };
}

export function fitCast(table: Table, params: CastParams): CastState {
  const p = resolveCastParams(params);
  for (const name of p.columns) getColumn(table, name, `${NAME} columns`);
  return { kind: 'cast', format: 1, columns: p.columns, to: p.to, strict: p.strict };
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const TRUE = new Set(['true', 'yes', 'y', 't', '1']);
const FALSE = new Set(['false', 'no', 'n', 'f', '0']);

function numberFromText(text: string): number {
  const t = text.trim();
  return NUMERIC.test(t) ? Number(t) : NaN;
}

function booleanFromText(text: string): number {
  const t = text.trim().toLowerCase();
  return TRUE.has(t) ? 1 : FALSE.has(t) ? 0 : NaN;
}

/** Converts one present value; NaN (or null for text) means "cannot be converted". */
function convertNumeric(column: TableColumn, row: number, to: Exclude<ColumnKind, 'string'>): number {
  if (column.kind === 'string') {
    const text = column.values[row] ?? '';
    if (to === 'number') return numberFromText(text);
    if (to === 'boolean') return booleanFromText(text);
    return parseIsoDate(text);
  }
  const v = column.values[row] ?? NaN;
  if (to === column.kind) return v;
  if (to === 'number') return v;
  if (to === 'datetime') return column.kind === 'number' && Number.isFinite(v) ? v : NaN;
  // to boolean
  return column.kind === 'number' && (v === 0 || v === 1) ? v : NaN;
}

function textOf(column: TableColumn, row: number): string | null {
  if (column.kind === 'string') return column.values[row] ?? null;
  const v = column.values[row] ?? NaN;
  if (Number.isNaN(v)) return null;
  if (column.kind === 'boolean') return v === 1 ? 'true' : 'false';
  if (column.kind === 'datetime') return Number.isFinite(v) ? formatIsoDate(v) : null;
  return String(v);
}

function present(column: TableColumn, row: number): boolean {
  return column.kind === 'string' ? column.values[row] !== null : !Number.isNaN(column.values[row]);
}

function castColumn(state: CastState, column: TableColumn): TableColumn {
  if (column.kind === state.to) return column;
  const n = column.values.length;
  const fail = (row: number): never => {
    const shown = textOf(column, row);
    throw new TransformApplyError(
      NAME,
      `column "${column.name}" row ${row}: ${JSON.stringify(shown)} cannot be read as ${state.to}; ` +
        'fix the value, or set strict to false to make such values missing.',
      column.name,
      row,
    );
  };
  if (state.to === 'string') {
    const values: (string | null)[] = new Array<string | null>(n);
    for (let row = 0; row < n; row += 1) values[row] = textOf(column, row);
    return { name: column.name, kind: 'string', values };
  }
  const values = new Float64Array(n);
  for (let row = 0; row < n; row += 1) {
    if (!present(column, row)) {
      values[row] = NaN;
      continue;
    }
    const v = convertNumeric(column, row, state.to);
    if (Number.isNaN(v) && state.strict) fail(row);
    values[row] = v;
  }
  return { name: column.name, kind: state.to, values };
}

export function applyCast(state: CastState, table: Table): Table {
  const targets = new Set(state.columns);
  for (const name of state.columns) getColumn(table, name, NAME);
  return mapColumns(NAME, table, (column) =>
    targets.has(column.name) ? [castColumn(state, column)] : [column],
  );
}

export function describeCast(state: CastState): string {
  return `Cast ${state.columns.join(', ')} to ${state.to}${state.strict ? ' (strict)' : ''}.`;
}
