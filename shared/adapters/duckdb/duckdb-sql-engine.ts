import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { SqlEngineError, type SqlEngine, type SqlEngineOptions, type SqlRow } from '../../profiling/sql-engine.port';

/**
 * The DuckDB adapter of the SQL engine port: an in-memory database per use, one thread and a
 * memory limit by default (Lambda-sized), spilling to the caller's temp directory. Only local
 * files are read (no httpfs/excel extensions in the layer: objects are downloaded first).
 */
export async function openDuckDbEngine(options: SqlEngineOptions): Promise<SqlEngine> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads ?? 1),
      memory_limit: options.memoryLimit ?? '1GB',
      temp_directory: options.tempDirectory,
      // Insertion order is not needed for conversion or profiling and costs memory.
      preserve_insertion_order: 'false',
      enable_external_access: 'true',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
  } catch (error) {
    throw translate(error);
  }
  const connection: DuckDBConnection = await instance.connect();
  let closed = false;

  return {
    async run(sql) {
      try {
        await connection.run(sql);
      } catch (error) {
        throw translate(error);
      }
    },
    async all(sql) {
      try {
        const reader = await connection.runAndReadAll(sql);
        return reader.getRowObjectsJson() as SqlRow[];
      } catch (error) {
        throw translate(error);
      }
    },
    async describe(sql) {
      try {
        const reader = await connection.runAndReadUntil(`SELECT * FROM (${sql}) LIMIT 0`, 0);
        const names = reader.columnNames();
        return reader.columnTypes().map((type, index) => ({ name: names[index] ?? `column${index}`, type: type.toString() }));
      } catch (error) {
        throw translate(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** DuckDB messages start with `<Kind> Error: …`; keep the kind so callers can tell bad input from resource limits. */
function translate(error: unknown): SqlEngineError {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^(?:Error: )?([A-Za-z ]+?) Error: /.exec(message);
  const kind = match?.[1] ?? 'Unknown';
  const text = match ? message.slice(match[0].length) : message;
  return new SqlEngineError(text, kind, { cause: error });
}
