/**
 * Derives calendar features from datetime columns (or string columns holding ISO dates, which
 * are parsed; text that is not a date is missing). All parts are in UTC:
 * year, month (1–12), day (1–31), dayOfWeek (0 = Monday … 6 = Sunday, as pandas), hour (0–23),
 * dayOfYear (1–366) and isWeekend (boolean). Output columns are `<column>__<part>` with the
 * part in snake case (`date__day_of_week`), placed where the source column was; the source
 * column is dropped unless `keepOriginal` is true.
 */
import { getColumn, type Table, type TableColumn } from '../table';
import { ParamsReader } from './params-reader';
import { parseIsoDate } from './parse-iso-date';
import { assertNewColumnNames, selectColumns } from './select-columns';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';

const NAME = 'date_parts';
export const DATE_PARTS = ['year', 'month', 'day', 'dayOfWeek', 'hour', 'dayOfYear', 'isWeekend'] as const;
export type DatePart = (typeof DATE_PARTS)[number];

const SUFFIX: Readonly<Record<DatePart, string>> = {
  year: 'year',
  month: 'month',
  day: 'day',
  dayOfWeek: 'day_of_week',
  hour: 'hour',
  dayOfYear: 'day_of_year',
  isWeekend: 'is_weekend',
};

export interface DatePartsParams {
  /** Datetime or ISO-date string columns; default every datetime column except passthrough ones. */
  readonly columns?: readonly string[];
  /** Default all parts. */
  readonly parts?: readonly DatePart[];
  readonly keepOriginal?: boolean;
}

export interface DatePartsState extends TransformState {
  readonly kind: 'date_parts';
  readonly format: 1;
  readonly columns: readonly { readonly column: string; readonly columnKind: 'datetime' | 'string' }[];
  readonly parts: readonly DatePart[];
  readonly keepOriginal: boolean;
}

export function resolveDatePartsParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  const keepOriginal = r.boolean('keepOriginal', false);
  const rawParts = r.value('parts');
  let parts: DatePart[] = [...DATE_PARTS];
  if (rawParts !== undefined) {
    if (!Array.isArray(rawParts) || rawParts.length === 0)
      r.fail('parts', `must be a non-empty list of ${DATE_PARTS.join(', ')}; omit it for all of them.`);
    parts = rawParts.map((p: unknown) => {
      const found = DATE_PARTS.find((d) => d === p);
      if (!found) r.fail('parts', `lists ${JSON.stringify(p)}; choose among ${DATE_PARTS.join(', ')}.`);
      return found;
    });
    if (new Set(parts).size !== parts.length) r.fail('parts', 'lists a part twice; list each part once.');
  }
  r.finish();
  return { columns, parts, keepOriginal };
}

export function fitDateParts(
  table: Table,
  params: DatePartsParams = {},
  context: FitContext = {},
): DatePartsState {
  const p = resolveDatePartsParams(params);
  const selected = selectColumns(table, p.columns, {
    transform: NAME,
    kinds: p.columns ? ['datetime', 'string'] : ['datetime'],
    context,
    fix: 'Cast it to datetime first.',
  });
  const columns = selected.map((c) => ({ column: c.name, columnKind: c.kind }));
  const created = columns.flatMap((c) => p.parts.map((part) => `${c.column}__${SUFFIX[part]}`));
  assertNewColumnNames(
    NAME,
    table,
    created,
    p.keepOriginal ? new Set() : new Set(columns.map((c) => c.column)),
  );
  return { kind: 'date_parts', format: 1, columns, parts: p.parts, keepOriginal: p.keepOriginal };
}

const DAY_MS = 86_400_000;

/** One part of a UTC timestamp. */
export function datePart(ms: number, part: DatePart): number {
  if (!Number.isFinite(ms)) return NaN;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return NaN;
  switch (part) {
    case 'year':
      return d.getUTCFullYear();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'day':
      return d.getUTCDate();
    case 'hour':
      return d.getUTCHours();
    case 'dayOfWeek':
      return (d.getUTCDay() + 6) % 7;
    case 'isWeekend':
      return d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 1 : 0;
    case 'dayOfYear': {
      const start = new Date(0);
      start.setUTCFullYear(d.getUTCFullYear(), 0, 1);
      return Math.floor((ms - start.getTime()) / DAY_MS) + 1;
    }
  }
}

function timestamps(column: TableColumn): Float64Array {
  if (column.kind === 'string') {
    const out = new Float64Array(column.values.length);
    column.values.forEach((v, i) => (out[i] = v === null ? NaN : parseIsoDate(v)));
    return out;
  }
  return column.values;
}

export function applyDateParts(state: DatePartsState, table: Table): Table {
  const fitted = new Set<string>();
  for (const s of state.columns) {
    expectKind(NAME, getColumn(table, s.column, NAME), [s.columnKind]);
    fitted.add(s.column);
  }
  return mapColumns(NAME, table, (column) => {
    if (!fitted.has(column.name)) return [column];
    const ms = timestamps(column);
    const parts = state.parts.map((part): TableColumn => {
      const values = new Float64Array(ms.length);
      for (let i = 0; i < ms.length; i += 1) values[i] = datePart(ms[i] ?? NaN, part);
      const name = `${column.name}__${SUFFIX[part]}`;
      return part === 'isWeekend' ? { name, kind: 'boolean', values } : { name, kind: 'number', values };
    });
    return state.keepOriginal ? [column, ...parts] : parts;
  });
}

export function describeDateParts(state: DatePartsState): string {
  return `Date parts (UTC) ${state.parts.join(', ')} of ${
    state.columns.map((c) => c.column).join(', ') || 'no columns'
  }${state.keepOriginal ? ', keeping the originals' : ''}.`;
}
