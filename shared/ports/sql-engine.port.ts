/**
 * An embedded analytical SQL engine (DuckDB dialect) working on local files. Profiling, schema
 * deduction and the tabular workers talk to this port; `shared/adapters/duckdb` implements it.
 * Values come back JSON-safe: DOUBLE as numbers, BIGINT/DECIMAL/dates as strings (cast in SQL
 * when a number is wanted), nested types as arrays and objects.
 */
export type SqlValue = null | boolean | number | string | SqlValue[] | { [key: string]: SqlValue };
export type SqlRow = Record<string, SqlValue>;

export interface SqlEngine {
  /** Runs one or more statements whose results are not needed. */
  run(sql: string): Promise<void>;
  /** Runs a query and returns its rows. */
  all(sql: string): Promise<SqlRow[]>;
  /** Column names and engine types of a query's result, without reading its rows. */
  describe(sql: string): Promise<{ name: string; type: string }[]>;
  close(): Promise<void>;
}

export interface SqlEngineOptions {
  /**
   * Where the engine may spill (inside a per-message temp dir). Unless `allowedDirectories` says
   * otherwise, SQL may read and write files only in the directory holding it (and in it): the
   * caller keeps its scratch files there.
   */
  tempDirectory: string;
  /** The only directories whose files SQL may read or write, besides the temp directory. */
  allowedDirectories?: readonly string[];
  /** Lambda gives one or two vCPUs; one thread keeps memory predictable. */
  threads?: number;
  /** e.g. `1GB`; leave room for Node itself. */
  memoryLimit?: string;
}

export type OpenSqlEngine = (options: SqlEngineOptions) => Promise<SqlEngine>;

/** A statement the engine refused or could not finish (bad input file, out of memory, …). */
export class SqlEngineError extends Error {
  override name = 'SqlEngineError';
  constructor(
    message: string,
    /** The engine's error class, e.g. `Invalid Input`, `Conversion`, `Out of Memory`. */
    readonly kind: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A string literal for SQL text (the engine has no parameters for table-function arguments). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A numeric result (engines return DOUBLE as number, BIGINT/DECIMAL as text, NaN as text). */
export function sqlNumber(value: SqlValue | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

export function sqlText(value: SqlValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
