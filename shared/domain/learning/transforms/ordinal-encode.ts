/**
 * Replaces string columns by category codes 0…n−1 (categories sorted by code point, as
 * scikit-learn's OrdinalEncoder), in a number column; missing and unseen values become NaN
 * (missing), which gradient boosting routes natively. The codes feed its categorical splits,
 * so the state reports each column's category count (`ordinalCategoryCounts`).
 *
 * Native categorical splits handle at most `maxCategories` codes (default 255): beyond that,
 * the most frequent maxCategories − 1 categories (ties by value) keep codes and the others share
 * one last "other" code.
 */
import { getColumn, type Table } from '../table';
import { ParamsReader } from './params-reader';
import { categoryAt, rankCategories } from './rank-categories';
import { selectColumns } from './select-columns';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';

const NAME = 'ordinal_encode';

export interface OrdinalEncodeParams {
  /** String columns; default every string column except the passthrough ones. */
  readonly columns?: readonly string[];
  /** Most codes per column, the "other" code included; default 255. */
  readonly maxCategories?: number;
}

export interface OrdinalColumnState {
  readonly column: string;
  /** The category of each code, sorted. */
  readonly categories: readonly string[];
  /** Training categories that share the last code (empty when nothing was grouped). */
  readonly other: readonly string[];
  /** Codes used: categories.length, plus one when `other` is not empty. */
  readonly categoryCount: number;
  readonly distinct: number;
}

export interface OrdinalEncodeState extends TransformState {
  readonly kind: 'ordinal_encode';
  readonly format: 1;
  readonly maxCategories: number;
  readonly columns: readonly OrdinalColumnState[];
}

export function resolveOrdinalEncodeParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  const maxCategories = r.number('maxCategories', 255, { min: 2, integer: true });
  r.finish();
  return { columns, maxCategories };
}

export function fitOrdinalEncode(
  table: Table,
  params: OrdinalEncodeParams = {},
  context: FitContext = {},
): OrdinalEncodeState {
  const p = resolveOrdinalEncodeParams(params);
  const selected = selectColumns(table, p.columns, {
    transform: NAME,
    kinds: ['string'],
    context,
    fix: 'Cast it to string first.',
  });
  const columns = selected.map((column): OrdinalColumnState => {
    let ranked = rankCategories(column, Infinity, 1, false);
    if (ranked.distinct > p.maxCategories) ranked = rankCategories(column, p.maxCategories - 1, 1, false);
    const categories = ranked.kept.filter((c): c is string => c !== null);
    const other = ranked.collapsed.filter((c): c is string => c !== null);
    return {
      column: column.name,
      categories,
      other,
      categoryCount: categories.length + (other.length > 0 ? 1 : 0),
      distinct: ranked.distinct,
    };
  });
  return { kind: 'ordinal_encode', format: 1, maxCategories: p.maxCategories, columns };
}

export function applyOrdinalEncode(state: OrdinalEncodeState, table: Table): Table {
  const byName = new Map<string, OrdinalColumnState>();
  for (const s of state.columns) {
    expectKind(NAME, getColumn(table, s.column, NAME), ['string']);
    byName.set(s.column, s);
  }
  return mapColumns(NAME, table, (column) => {
    const s = byName.get(column.name);
    if (!s || column.kind !== 'string') return [column];
    const codes = new Map<string, number>();
    s.categories.forEach((c, i) => codes.set(c, i));
    s.other.forEach((c) => codes.set(c, s.categories.length));
    const values = new Float64Array(table.nRows);
    for (let row = 0; row < table.nRows; row += 1) {
      const v = categoryAt(column, row);
      values[row] = v === null ? NaN : (codes.get(v) ?? NaN);
    }
    return [{ name: column.name, kind: 'number', values }];
  });
}

/** Column name → category count, for `toFeatureMatrix` and the learners' categorical splits. */
export function ordinalCategoryCounts(state: OrdinalEncodeState): Record<string, number> {
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const c of state.columns) counts[c.column] = c.categoryCount;
  return counts;
}

export function describeOrdinalEncode(state: OrdinalEncodeState): string {
  const cols = state.columns.map(
    (c) =>
      `${c.column} (${c.categoryCount} codes${c.other.length > 0 ? `, ${c.other.length} grouped as other` : ''})`,
  );
  return `Ordinal encode (unseen → missing): ${cols.length > 0 ? cols.join('; ') : 'no columns'}.`;
}

export function ordinalEncodeWarnings(state: OrdinalEncodeState): string[] {
  return state.columns
    .filter((c) => c.other.length > 0)
    .map(
      (c) =>
        `Column "${c.column}" has ${c.distinct} categories, more than ${state.maxCategories}; the ${
          c.categories.length
        } most frequent keep their codes and ${c.other.length} share one "other" code.`,
    );
}
