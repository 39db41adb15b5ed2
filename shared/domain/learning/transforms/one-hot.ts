/**
 * One-hot encodes string (and boolean) columns: one boolean column `<column>=<value>` per kept
 * category, in place of the original column.
 *
 * Kept categories: those seen at least `minFrequency` times in the training rows (a whole
 * number is a count, a value in (0, 1) a fraction of the rows), at most the `maxCategories` most
 * frequent (ties by value). The others are grouped in one `<column>=(other)` column. Missing is
 * a category of its own, `<column>=(missing)`, when the training rows have missing values.
 *
 * At apply time a category the training rows never had is all zeros by default
 * (`unseen: 'zeros'`, scikit-learn's handle_unknown='ignore'); with `unseen: 'other'` it counts
 * as "other", and the other column then always exists.
 *
 * Names are deterministic: control characters become U+FFFD, values longer than 64 characters
 * are cut, and a name that would repeat gets a `#2`, `#3`… suffix in category order.
 */
import { getColumn, type BooleanColumn, type StringColumn, type Table, type TableColumn } from '../table';
import { ParamsReader } from './params-reader';
import { categoryAt, rankCategories, type CategoryValue } from './rank-categories';
import { assertNewColumnNames, selectColumns } from './select-columns';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';

const NAME = 'one_hot';
const UNSEEN = ['zeros', 'other'] as const;
const MAX_NAME_VALUE_LENGTH = 64;

export interface OneHotParams {
  /** String or boolean columns; default every string column except the passthrough ones. */
  readonly columns?: readonly string[];
  /** Most categories kept per column, "other" excluded; default 20. */
  readonly maxCategories?: number;
  /** A count (≥ 1) or a fraction of the rows (0–1); rarer categories are "other". Default 1. */
  readonly minFrequency?: number;
  readonly unseen?: 'zeros' | 'other';
}

export interface OneHotColumnState {
  readonly column: string;
  readonly columnKind: 'string' | 'boolean';
  /** Kept categories in output order (null = missing). */
  readonly categories: readonly CategoryValue[];
  /** Output column names, one per category, then the other column if any. */
  readonly names: readonly string[];
  /** The categories of the training rows grouped as "other". */
  readonly infrequent: readonly CategoryValue[];
  /** The other column's name, or null when there is none. */
  readonly other: string | null;
  /** Distinct categories in the training rows. */
  readonly distinct: number;
}

export interface OneHotState extends TransformState {
  readonly kind: 'one_hot';
  readonly format: 1;
  readonly unseen: 'zeros' | 'other';
  readonly maxCategories: number;
  readonly columns: readonly OneHotColumnState[];
}

export function resolveOneHotParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  const maxCategories = r.number('maxCategories', 20, { min: 1, integer: true });
  const minFrequency = r.number('minFrequency', 1, { min: 0, minExclusive: true });
  if (minFrequency > 1 && !Number.isInteger(minFrequency))
    r.fail('minFrequency', `must be a whole count (≥ 1) or a fraction between 0 and 1; got ${minFrequency}.`);
  const unseen = r.enumValue('unseen', UNSEEN, 'zeros');
  r.finish();
  return { columns, maxCategories, minFrequency, unseen };
}

function sanitizeValue(value: string): string {
  const clean = value.replace(/\p{Cc}/gu, '\ufffd');
  const chars = [...clean];
  return chars.length > MAX_NAME_VALUE_LENGTH ? `${chars.slice(0, MAX_NAME_VALUE_LENGTH).join('')}…` : clean;
}

/** Output names for `categories` (and the other column), unique within the column. */
function outputNames(column: string, categories: readonly CategoryValue[], withOther: boolean) {
  const used = new Set<string>();
  const unique = (base: string): string => {
    let name = base;
    for (let k = 2; used.has(name); k += 1) name = `${base}#${k}`;
    used.add(name);
    return name;
  };
  // The special columns are named first so that their names never depend on the data's values.
  const other = withOther ? unique(`${column}=(other)`) : null;
  const missing = categories.includes(null) ? unique(`${column}=(missing)`) : null;
  const names = categories.map((c) =>
    c === null ? (missing ?? '') : unique(`${column}=${sanitizeValue(c)}`),
  );
  return { names: other ? [...names, other] : names, other };
}

export function fitOneHot(table: Table, params: OneHotParams = {}, context: FitContext = {}): OneHotState {
  const p = resolveOneHotParams(params);
  const selected: (StringColumn | BooleanColumn)[] = selectColumns(
    table,
    p.columns,
    p.columns
      ? { transform: NAME, kinds: ['string', 'boolean'], context }
      : { transform: NAME, kinds: ['string'], context },
  );
  const minCount = p.minFrequency < 1 ? Math.ceil(p.minFrequency * table.nRows) : p.minFrequency;
  const columns = selected.map((column): OneHotColumnState => {
    const ranked = rankCategories(column, p.maxCategories, minCount, true);
    const withOther = ranked.collapsed.length > 0 || p.unseen === 'other';
    const { names, other } = outputNames(column.name, ranked.kept, withOther);
    return {
      column: column.name,
      columnKind: column.kind,
      categories: ranked.kept,
      names,
      infrequent: ranked.collapsed,
      other,
      distinct: ranked.distinct,
    };
  });
  assertNewColumnNames(
    NAME,
    table,
    columns.flatMap((c) => c.names),
    new Set(columns.map((c) => c.column)),
  );
  return { kind: 'one_hot', format: 1, unseen: p.unseen, maxCategories: p.maxCategories, columns };
}

function encode(
  state: OneHotState,
  s: OneHotColumnState,
  column: StringColumn | BooleanColumn,
): TableColumn[] {
  const n = column.values.length;
  const outputs = s.names.map((name) => ({ name, kind: 'boolean' as const, values: new Float64Array(n) }));
  const index = new Map<CategoryValue, number>();
  s.categories.forEach((c, i) => index.set(c, i));
  const infrequent = new Set(s.infrequent);
  const otherIndex = s.other === null ? -1 : s.categories.length;
  for (let row = 0; row < n; row += 1) {
    const value = categoryAt(column, row);
    let k = index.get(value);
    if (k === undefined && (infrequent.has(value) || state.unseen === 'other')) k = otherIndex;
    if (k !== undefined && k >= 0) {
      const out = outputs[k];
      if (out) out.values[row] = 1;
    }
  }
  return outputs;
}

export function applyOneHot(state: OneHotState, table: Table): Table {
  const byName = new Map<string, OneHotColumnState>();
  for (const s of state.columns) {
    expectKind(NAME, getColumn(table, s.column, NAME), [s.columnKind]);
    byName.set(s.column, s);
  }
  return mapColumns(NAME, table, (column) => {
    const s = byName.get(column.name);
    if (!s || (column.kind !== 'string' && column.kind !== 'boolean')) return [column];
    return encode(state, s, column);
  });
}

export function describeOneHot(state: OneHotState): string {
  const cols = state.columns.map(
    (c) =>
      `${c.column} → ${c.names.length} column(s)${c.infrequent.length > 0 ? ` (${c.infrequent.length} as other)` : ''}`,
  );
  return `One-hot encode (unseen categories → ${state.unseen === 'other' ? 'other' : 'all zeros'}): ${
    cols.length > 0 ? cols.join('; ') : 'no columns'
  }.`;
}

export function oneHotWarnings(state: OneHotState): string[] {
  return state.columns
    .filter((c) => c.infrequent.length > 0)
    .map(
      (c) =>
        `Column "${c.column}" has ${c.distinct} categories; ${c.infrequent.length} (rarer than minFrequency or beyond the top ${state.maxCategories}) grouped as "${c.other ?? 'other'}".`,
    );
}
