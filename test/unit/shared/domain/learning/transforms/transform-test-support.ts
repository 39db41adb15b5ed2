import { expect } from 'vitest';
import { selectRows, type Table } from '../../../../../../shared/domain/learning/table';
import type {
  ApplyOptions,
  TransformState,
} from '../../../../../../shared/domain/learning/transforms/transform-state';

/** A table as plain data (NaN as null) for readable comparisons. */
export function plain(table: Table): {
  nRows: number;
  columns: { name: string; kind: string; values: unknown[] }[];
} {
  return {
    nRows: table.nRows,
    columns: table.columns.map((c) => ({
      name: c.name,
      kind: c.kind,
      values: c.kind === 'string' ? [...c.values] : Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)),
    })),
  };
}

/** The values of one column as plain data. */
export function valuesOf(table: Table, name: string): unknown[] {
  const column = plain(table).columns.find((c) => c.name === name);
  if (!column) throw new Error(`no column ${name} in ${table.columns.map((c) => c.name).join(', ')}`);
  return column.values;
}

/** Deep copy of the input's values, to prove that apply never mutates it. */
export function snapshot(table: Table): string {
  return JSON.stringify(plain(table));
}

/**
 * The replay guarantees every transform gives: the state survives a JSON round trip and
 * replays identically, apply never mutates its input, and applying to one row equals the
 * corresponding row of the batch.
 */
export function expectReplayable<S extends TransformState | readonly TransformState[]>(
  state: S,
  apply: (state: S, table: Table, options?: ApplyOptions) => Table,
  table: Table,
  options: ApplyOptions = {},
): void {
  const before = snapshot(table);
  const batch = apply(state, table, options);
  expect(snapshot(table)).toBe(before);
  const reloaded = JSON.parse(JSON.stringify(state)) as S;
  expect(reloaded).toEqual(state);
  expect(plain(apply(reloaded, table, options))).toEqual(plain(batch));
  if (batch.nRows !== table.nRows) return;
  for (let row = 0; row < table.nRows; row += 1) {
    const single = apply(reloaded, selectRows(table, [row]), options);
    expect(plain(single)).toEqual(plain(selectRows(batch, [row])));
  }
}
