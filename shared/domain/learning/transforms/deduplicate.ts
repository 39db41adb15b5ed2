/**
 * Drops rows that repeat an earlier row (the first occurrence is kept), comparing the `columns`
 * given or, by default, every column the training table had, the target included (two rows
 * with the same features but different targets are not duplicates).
 *
 * At prediction time (`mode: 'prediction'`) it is a no-op: every row sent for prediction gets
 * its own prediction, duplicates included.
 */
import { getColumn, type Table, type TableColumn } from '../table';
import { ParamsReader } from './params-reader';
import type { ApplyOptions, TransformState } from './transform-state';

const NAME = 'deduplicate';

export interface DeduplicateParams {
  readonly columns?: readonly string[];
}

export interface DeduplicateState extends TransformState {
  readonly kind: 'deduplicate';
  readonly format: 1;
  readonly columns: readonly string[];
}

export function resolveDeduplicateParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  r.finish();
  return { columns };
}

export function fitDeduplicate(table: Table, params: DeduplicateParams = {}): DeduplicateState {
  const p = resolveDeduplicateParams(params);
  const columns = p.columns ?? table.columns.map((c) => c.name);
  for (const name of columns) getColumn(table, name, `${NAME} columns`);
  return { kind: 'deduplicate', format: 1, columns };
}

/** A key that tells rows apart exactly (missing distinct from every value, -0 equal to 0). */
function cellKey(column: TableColumn, row: number): string {
  if (column.kind === 'string') {
    const v = column.values[row] ?? null;
    return v === null ? 'n' : `s${v.length}:${v}`;
  }
  const v = column.values[row] ?? NaN;
  return Number.isNaN(v) ? 'n' : `f${v === 0 ? 0 : v}`;
}

export function applyDeduplicate(state: DeduplicateState, table: Table, options: ApplyOptions = {}): Table {
  if (options.mode === 'prediction') return table;
  const columns = state.columns.map((name) => getColumn(table, name, NAME));
  const seen = new Set<string>();
  const keep: number[] = [];
  for (let row = 0; row < table.nRows; row += 1) {
    let key = '';
    for (const c of columns) key += `${cellKey(c, row)}|`;
    if (seen.has(key)) continue;
    seen.add(key);
    keep.push(row);
  }
  if (keep.length === table.nRows) return table;
  const out = table.columns.map((c): TableColumn => {
    if (c.kind === 'string') return { ...c, values: keep.map((r) => c.values[r] ?? null) };
    const values = new Float64Array(keep.length);
    keep.forEach((r, i) => (values[i] = c.values[r] ?? NaN));
    return { ...c, values };
  });
  return { nRows: keep.length, columns: out };
}

export function describeDeduplicate(state: DeduplicateState): string {
  return `Drop duplicate rows (by ${state.columns.join(', ') || 'no columns'}); not applied at prediction.`;
}
