/**
 * SQL text helpers for nodes. Identifiers come from user params (column names) and are always
 * quoted; values are always bound parameters. String literals are used only for file paths the
 * host generated itself.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `read_parquet('…')`, with the file row number when asked (stable order for seeded sampling). */
export function readParquet(path: string, options: { rowNumber?: boolean } = {}): string {
  return options.rowNumber
    ? `read_parquet(${quoteLiteral(path)}, file_row_number = true)`
    : `read_parquet(${quoteLiteral(path)})`;
}

/** `$1`, `$2`, … in the order values are pushed. */
export class SqlParams {
  readonly values: (string | number | boolean | null)[] = [];

  add(value: string | number | boolean | null): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
