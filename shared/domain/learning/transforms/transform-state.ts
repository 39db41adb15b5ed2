/**
 * What every fitted tabular transform shares. A transform is fitted on the training rows only;
 * its state is plain JSON (no NaN, no typed arrays) saved in the model artifact, so that applying
 * it to the test rows and, later, to rows sent for prediction replays it exactly.
 */
import type { ColumnKind, Table, TableColumn } from '../table';

export interface TransformState {
  readonly kind: string;
  readonly format: 1;
}

export interface FitContext {
  /**
   * Columns that no transform selects by default (the target, row identifiers): they travel
   * with the rows untouched unless a step names them explicitly. They are usually absent from
   * rows sent for prediction.
   */
  readonly passthrough?: readonly string[];
}

export interface ApplyOptions {
  /**
   * 'batch' (default) for the training and test rows; 'prediction' for rows sent to a deployed
   * model, where every input row must yield exactly one output row (deduplication is skipped).
   */
  readonly mode?: 'batch' | 'prediction';
}

/** Applying a fitted transform to data it cannot handle (wrong column kind, uncastable value). */
export class TransformApplyError extends Error {
  override readonly name = 'TransformApplyError';
  constructor(
    readonly transform: string,
    message: string,
    readonly column?: string,
    readonly row?: number,
  ) {
    super(`${transform}: ${message}`);
  }
}

/** A fitted state that this code cannot replay (unknown kind, newer format, malformed JSON). */
export class TransformStateError extends Error {
  override readonly name = 'TransformStateError';
}

/**
 * Rebuilds a table column by column: `replace` returns the columns that take the place of each
 * input column (itself, a changed copy, several new ones, or none). Output names must be unique.
 */
export function mapColumns(
  transform: string,
  table: Table,
  replace: (column: TableColumn) => readonly TableColumn[],
  nRows: number = table.nRows,
): Table {
  const columns: TableColumn[] = [];
  const seen = new Set<string>();
  for (const column of table.columns) {
    for (const out of replace(column)) {
      if (seen.has(out.name))
        throw new TransformApplyError(
          transform,
          `the output would have two columns called "${out.name}"; rename the input column first.`,
          out.name,
        );
      seen.add(out.name);
      columns.push(out);
    }
  }
  return { nRows, columns };
}

/** Checks at apply time that a fitted column still has the kind it had when fitted. */
export function expectKind(transform: string, column: TableColumn, kinds: readonly ColumnKind[]): void {
  if (!kinds.includes(column.kind))
    throw new TransformApplyError(
      transform,
      `column "${column.name}" is ${column.kind} but was fitted as ${kinds.join(' or ')}; cast it back first.`,
      column.name,
    );
}

/** Checks the common header of a state read back from JSON. */
export function checkStateHeader(state: unknown, kind: string): void {
  if (typeof state !== 'object' || state === null)
    throw new TransformStateError(`A ${kind} state must be an object.`);
  const header = state as { kind?: unknown; format?: unknown };
  if (header.kind !== kind)
    throw new TransformStateError(`Expected a ${kind} state, got kind ${JSON.stringify(header.kind)}.`);
  if (header.format !== 1)
    throw new TransformStateError(
      `${kind} state format ${JSON.stringify(header.format)} is not supported (this version reads format 1).`,
    );
}
