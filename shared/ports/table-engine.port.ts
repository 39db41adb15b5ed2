/**
 * A SQL engine over local Parquet files (DuckDB in every host). Nodes build their statements from
 * quoted identifiers and bound parameters (see table-sql.ts), never from raw user text.
 */
export type SqlParam = string | number | boolean | null;
export type SqlValue = string | number | boolean | null;

export interface TableSession {
  /** Runs one statement with positional parameters ($1, $2, …). */
  execute(sql: string, params?: readonly SqlParam[]): Promise<void>;
  /** Runs a query; integers beyond 2^53 come back as strings, dates and decimals as text. */
  query(sql: string, params?: readonly SqlParam[]): Promise<Record<string, SqlValue>[]>;
  /** Cancels the statement in progress (cancel, shutdown). */
  interrupt(): void;
  close(): void;
}

export interface TableEngineOptions {
  threads?: number;
  memoryLimitMb?: number;
  /** Where the engine may spill to disk. */
  tempDirectory?: string;
  /**
   * The only directories whose files SQL may read or write (besides the temp directory). Default:
   * the directory holding `tempDirectory` (a node's scratch directory), or none.
   */
  allowedDirectories?: readonly string[];
}

export interface TableEngine {
  openSession(options?: TableEngineOptions): Promise<TableSession>;
}
