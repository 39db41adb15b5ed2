import { getColumn, type ColumnKind, type Table, type TableColumn } from '../table';
import { TransformParamsError } from './params-reader';
import type { FitContext } from './transform-state';

export interface ColumnSelection<K extends ColumnKind> {
  /** The transform's name, for messages. */
  readonly transform: string;
  /** The kinds of column the transform handles. */
  readonly kinds: readonly K[];
  readonly context?: FitContext;
  /** The params field that lists the columns. */
  readonly field?: string;
  /** How to turn a column of another kind into one this transform handles. */
  readonly fix?: string;
}

/**
 * The columns a transform fits on: the ones listed (each must exist and have a handled kind),
 * or by default every column of a handled kind except the passthrough columns (target, ids).
 */
export function selectColumns<K extends ColumnKind>(
  table: Table,
  requested: readonly string[] | undefined,
  selection: ColumnSelection<K>,
): Extract<TableColumn, { kind: K }>[] {
  const field = selection.field ?? 'columns';
  const handled = (c: TableColumn): c is Extract<TableColumn, { kind: K }> =>
    (selection.kinds as readonly ColumnKind[]).includes(c.kind);
  if (requested === undefined) {
    const passthrough = new Set(selection.context?.passthrough ?? []);
    return table.columns.filter(handled).filter((c) => !passthrough.has(c.name));
  }
  return requested.map((name) => {
    const column = getColumn(table, name, `${selection.transform} ${field}`);
    if (!handled(column))
      throw new TransformParamsError(
        selection.transform,
        field,
        `lists "${name}", a ${column.kind} column; ${selection.transform} handles ${selection.kinds.join(
          ', ',
        )} columns.${selection.fix ? ` ${selection.fix}` : ' Remove it from the list or cast it first.'}`,
      );
    return column;
  });
}

/** Fails when a column the transform would add already exists in the table. */
export function assertNewColumnNames(
  transform: string,
  table: Table,
  names: readonly string[],
  replaced: ReadonlySet<string> = new Set(),
): void {
  const existing = new Set(table.columns.map((c) => c.name).filter((n) => !replaced.has(n)));
  const seen = new Set<string>();
  for (const name of names) {
    if (existing.has(name) || seen.has(name))
      throw new TransformParamsError(
        transform,
        'columns',
        `would create the column "${name}", which already exists; rename that column first.`,
      );
    seen.add(name);
  }
}
