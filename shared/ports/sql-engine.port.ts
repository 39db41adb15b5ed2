/**
 * The embedded analytical SQL engine (DuckDB dialect) over local files: the one port through
 * which ingestion, profiling, schema deduction and pipeline nodes reach DuckDB, opened with one
 * settings object. `shared/adapters/duckdb` implements it. Statements are built from quoted
 * identifiers and bound parameters, never from raw user text.
 */
export type SqlValue = null | boolean | number | string | SqlValue[] | { [key: string]: SqlValue };
export type SqlRow = Record<string, SqlValue>;
/** A bound parameter ($1, $2, …) or a scalar read back by `query`. */
export type SqlScalar = string | number | boolean | null;

export interface SqlEngine {
  /** Runs one or more statements whose results are not needed (parameters: one statement only). */
  run(sql: string, params?: readonly SqlScalar[]): Promise<void>;
  /**
   * Runs a query; values come back JSON-safe: DOUBLE as numbers, BIGINT/DECIMAL/dates as strings
   * (cast in SQL when a number is wanted), nested types as arrays and objects.
   */
  all(sql: string): Promise<SqlRow[]>;
  /** Runs a query with parameters; integers within 2^53 as numbers, beyond as strings, dates and decimals as text. */
  query(sql: string, params?: readonly SqlScalar[]): Promise<Record<string, SqlScalar>[]>;
  /** Column names and engine types of a query's result, without reading its rows. */
  describe(sql: string): Promise<{ name: string; type: string }[]>;
  /** Runs a query and returns its result column by column (values as `query` gives them). */
  columns(sql: string, params?: readonly SqlScalar[]): Promise<SqlColumn[]>;
  /** Creates (or replaces) table `name` of the in-memory database holding the given columns (all of one length). */
  loadTable(name: string, columns: readonly SqlColumnInput[]): Promise<void>;
  /** Cancels the statement in progress (cancel, shutdown). */
  interrupt(): void;
  close(): void;
}

export interface SqlColumn {
  name: string;
  /** The engine's type, e.g. `DOUBLE`, `VARCHAR`, `TIMESTAMP`. */
  type: string;
  values: SqlScalar[];
}

export type SqlColumnInput =
  | { name: string; type: 'DOUBLE'; values: ArrayLike<number> }
  | { name: string; type: 'VARCHAR'; values: readonly (string | null)[] };

export interface SqlEngineSettings {
  /**
   * Where the engine may spill (a per-use temp dir). Unless `allowedDirectories` says otherwise,
   * SQL may read and write files only in the directory holding it (and in it): the caller keeps
   * its scratch files there.
   */
  tempDirectory?: string;
  /** The only directories whose files SQL may read or write, besides the temp directory. */
  allowedDirectories?: readonly string[];
  /** Lambda gives one or two vCPUs; one thread keeps memory predictable. Default 1. */
  threads?: number;
  /** Memory limit in MiB; leave room for Node itself. Default 1024. */
  memoryLimitMb?: number;
  /** Off where row order does not matter (conversion, profiling): it costs memory. Default on. */
  preserveInsertionOrder?: boolean;
}

export type OpenSqlEngine = (settings: SqlEngineSettings) => Promise<SqlEngine>;

/**
 * A statement the engine refused or could not finish (bad input file, out of memory, …). The
 * message keeps the engine's own form (`Permission Error: …`); `detail` is the text without the
 * kind, for messages that say in their own words what was being done.
 */
export class SqlEngineError extends Error {
  override name = 'SqlEngineError';
  constructor(
    readonly detail: string,
    /** The engine's error class, e.g. `Invalid Input`, `Conversion`, `Out of Memory`. */
    readonly kind: string,
    options?: { cause?: unknown },
  ) {
    super(kind === 'Unknown' ? detail : `${kind} Error: ${detail}`, options);
  }
}

/** What went wrong, without the engine's error class: for messages that name the operation. */
export function sqlErrorDetail(error: Error): string {
  return error instanceof SqlEngineError ? error.detail : error.message;
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
