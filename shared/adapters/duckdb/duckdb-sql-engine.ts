import {
  SqlEngineError,
  type SqlEngine,
  type SqlEngineSettings,
  type SqlRow,
  type SqlScalar,
} from '../../ports/sql-engine.port';
import { openDuckDbInstance, type OpenDuckDbInstance } from './open-duckdb-instance';
import { scrubServerPaths } from '../../kernel/scrub-server-paths';

/**
 * The DuckDB adapter of the SQL engine port: an in-memory database per use, bounded threads and
 * memory (a Lambda shares its memory with Node), spilling to the caller's temp directory. Only
 * local files are read (no httpfs/excel extensions in the layer: objects are downloaded first).
 */
export async function openDuckDbEngine(settings: SqlEngineSettings): Promise<SqlEngine> {
  let database: OpenDuckDbInstance;
  try {
    database = await openDuckDbInstance({
      threads: settings.threads ?? 1,
      memoryLimit: `${settings.memoryLimitMb ?? 1024}MB`,
      tempDirectory: settings.tempDirectory,
      allowedDirectories: settings.allowedDirectories,
      preserveInsertionOrder: settings.preserveInsertionOrder ?? true,
    });
  } catch (error) {
    throw translate(error);
  }
  const { connection } = database;
  let closed = false;
  const bound = (params: readonly SqlScalar[] | undefined) =>
    params && params.length > 0 ? [...params] : undefined;

  return {
    async run(sql, params) {
      try {
        await connection.run(sql, bound(params));
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
    async query(sql, params) {
      try {
        const reader = await connection.runAndReadAll(sql, bound(params));
        return reader.getRowObjectsJS().map((row) => {
          const out: Record<string, SqlScalar> = {};
          for (const [column, value] of Object.entries(row)) out[column] = toScalar(value);
          return out;
        });
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
    async columns(sql, params) {
      try {
        const reader = await connection.runAndReadAll(sql, bound(params));
        const names = reader.columnNames();
        const types = reader.columnTypes();
        return reader.getColumnsJS().map((values, index) => ({
          name: names[index] ?? `column${index}`,
          type: types[index]?.toString() ?? 'UNKNOWN',
          values: values.map(toScalar),
        }));
      } catch (error) {
        throw translate(error);
      }
    },
    async loadTable(name, columns) {
      const table = quoteName(name);
      try {
        const definition = columns.map((column) => `${quoteName(column.name)} ${column.type}`).join(', ');
        await connection.run(`CREATE OR REPLACE TABLE ${table} (${definition})`);
        if (columns.length === 0) return;
        const rows = columns[0]?.values.length ?? 0;
        const appender = await connection.createAppender(name);
        try {
          for (let row = 0; row < rows; row += 1) {
            for (const column of columns) {
              const value = column.values[row];
              if (column.type === 'DOUBLE') {
                // NaN is a missing value in the learning area's columns: NULL in SQL.
                if (typeof value === 'number' && !Number.isNaN(value)) appender.appendDouble(value);
                else appender.appendNull();
              } else if (typeof value === 'string') appender.appendVarchar(value);
              else appender.appendNull();
            }
            appender.endRow();
          }
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      } catch (error) {
        throw translate(error);
      }
    },
    interrupt() {
      if (!closed) connection.interrupt();
    },
    close() {
      if (closed) return;
      closed = true;
      database.close();
    },
  };
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function toScalar(value: unknown): SqlScalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** DuckDB messages start with `<Kind> Error: …`; keep the kind so callers can tell bad input from resource limits. */
function translate(error: unknown): SqlEngineError {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^(?:Error: )?([A-Za-z ]+?) Error: /.exec(message);
  const kind = match?.[1] ?? 'Unknown';
  // The engine names the files it read (our scratch paths); the cause keeps them for the logs.
  const text = scrubServerPaths(match ? message.slice(match[0].length) : message);
  return new SqlEngineError(text, kind, { cause: error });
}
