/**
 * Drops columns that cannot help a model, judged on the training rows:
 * - mostly missing: more than `maxMissingFraction` (default 0.95) of the values missing;
 * - constant (`dropConstant`, default true): a single value in every row. A column with one
 *   value and some missing ones is kept: whether a value is missing can itself be informative.
 * The state lists each dropped column with its reason, for the caller to warn about. Applying
 * it drops those columns where present (rows sent for prediction may already lack them).
 */
import { type Table, type TableColumn } from '../table';
import { ParamsReader } from './params-reader';
import { selectColumns } from './select-columns';
import type { FitContext, TransformState } from './transform-state';

const NAME = 'drop_columns';

export interface DropColumnsParams {
  /** The columns to judge; default every column except the passthrough ones. */
  readonly columns?: readonly string[];
  readonly maxMissingFraction?: number;
  readonly dropConstant?: boolean;
}

export interface DroppedColumn {
  readonly column: string;
  readonly reason: 'mostly_missing' | 'constant';
  /** A sentence for people. */
  readonly detail: string;
}

export interface DropColumnsState extends TransformState {
  readonly kind: 'drop_columns';
  readonly format: 1;
  readonly dropped: readonly DroppedColumn[];
}

export function resolveDropColumnsParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  const maxMissingFraction = r.number('maxMissingFraction', 0.95, { min: 0, max: 1 });
  const dropConstant = r.boolean('dropConstant', true);
  r.finish();
  return { columns, maxMissingFraction, dropConstant };
}

function profile(column: TableColumn): { missing: number; distinct: number } {
  let missing = 0;
  if (column.kind === 'string') {
    const values = new Set<string>();
    for (const v of column.values) {
      if (v === null) missing += 1;
      else if (values.size < 2) values.add(v);
    }
    return { missing, distinct: values.size };
  }
  let first = NaN;
  let distinct = 0;
  for (const v of column.values) {
    if (Number.isNaN(v)) missing += 1;
    else if (distinct === 0) [first, distinct] = [v, 1];
    else if (distinct === 1 && v !== first) distinct = 2;
  }
  return { missing, distinct };
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

export function fitDropColumns(
  table: Table,
  params: DropColumnsParams = {},
  context: FitContext = {},
): DropColumnsState {
  const p = resolveDropColumnsParams(params);
  const selected = selectColumns(table, p.columns, {
    transform: NAME,
    kinds: ['number', 'string', 'datetime', 'boolean'],
    context,
  });
  const dropped: DroppedColumn[] = [];
  for (const column of selected) {
    const { missing, distinct } = profile(column);
    const fraction = table.nRows === 0 ? 1 : missing / table.nRows;
    if (fraction > p.maxMissingFraction || distinct === 0)
      dropped.push({
        column: column.name,
        reason: 'mostly_missing',
        detail: `${percent(fraction)} of the training values are missing (more than ${percent(p.maxMissingFraction)})`,
      });
    else if (p.dropConstant && distinct === 1 && missing === 0)
      dropped.push({
        column: column.name,
        reason: 'constant',
        detail: 'every training row has the same value',
      });
  }
  return { kind: 'drop_columns', format: 1, dropped };
}

export function applyDropColumns(state: DropColumnsState, table: Table): Table {
  const drop = new Set(state.dropped.map((d) => d.column));
  if (drop.size === 0) return table;
  return { nRows: table.nRows, columns: table.columns.filter((c) => !drop.has(c.name)) };
}

/** The dropped columns with their reasons. */
export function droppedColumns(state: DropColumnsState): readonly DroppedColumn[] {
  return state.dropped;
}

export function describeDropColumns(state: DropColumnsState): string {
  if (state.dropped.length === 0) return 'Drop constant or mostly-missing columns: none dropped.';
  return `Drop columns: ${state.dropped.map((d) => `${d.column} (${d.detail})`).join('; ')}.`;
}

export function dropColumnsWarnings(state: DropColumnsState): string[] {
  return state.dropped.map((d) => `Dropped column "${d.column}": ${d.detail}.`);
}
