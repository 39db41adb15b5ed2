import {
  SqlEngineError,
  type SqlEngine,
  type SqlEngineOptions,
  type SqlRow,
} from '../../ports/sql-engine.port';
import { openDuckDbInstance, type OpenDuckDbInstance } from './open-duckdb-instance';

/**
 * The DuckDB adapter of the SQL engine port: an in-memory database per use, one thread and a
 * memory limit by default (Lambda-sized), spilling to the caller's temp directory. Only local
 * files are read (no httpfs/excel extensions in the layer: objects are downloaded first).
 */
export async function openDuckDbEngine(options: SqlEngineOptions): Promise<SqlEngine> {
  let database: OpenDuckDbInstance;
  try {
    database = await openDuckDbInstance({
      threads: options.threads ?? 1,
      memoryLimit: options.memoryLimit ?? '1GB',
      tempDirectory: options.tempDirectory,
      allowedDirectories: options.allowedDirectories,
      // Insertion order is not needed for conversion or profiling and costs memory.
      preserveInsertionOrder: false,
    });
  } catch (error) {
    throw translate(error);
  }
  const { connection } = database;
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
        return reader
          .columnTypes()
          .map((type, index) => ({ name: names[index] ?? `column${index}`, type: type.toString() }));
      } catch (error) {
        throw translate(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      database.close();
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
