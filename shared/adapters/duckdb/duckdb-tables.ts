// The node runtime's DuckDB adapter: the one file under shared/nodes that may load the driver.
// eslint-disable-next-line no-restricted-imports
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { SqlParam, SqlValue, TableEngine, TableEngineOptions, TableSession } from '../table-engine.port';

/**
 * DuckDB behind the `TableEngine` port: one in-memory database per session, bounded threads and
 * memory (a Lambda shares its memory with Node), spilling to the node's temp directory.
 */
export class DuckDbTableEngine implements TableEngine {
  async openSession(options: TableEngineOptions = {}): Promise<TableSession> {
    const config: Record<string, string> = {
      threads: String(options.threads ?? 2),
      memory_limit: `${options.memoryLimitMb ?? 1024}MB`,
    };
    if (options.tempDirectory) config['temp_directory'] = options.tempDirectory;
    const instance = await DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    return new DuckDbSession(instance, connection);
  }
}

class DuckDbSession implements TableSession {
  #closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  async execute(sql: string, params: readonly SqlParam[] = []): Promise<void> {
    await this.connection.run(sql, params.length > 0 ? [...params] : undefined);
  }

  async query(sql: string, params: readonly SqlParam[] = []): Promise<Record<string, SqlValue>[]> {
    const reader = await this.connection.runAndReadAll(sql, params.length > 0 ? [...params] : undefined);
    return reader.getRowObjectsJS().map((row) => {
      const out: Record<string, SqlValue> = {};
      for (const [column, value] of Object.entries(row)) out[column] = toSqlValue(value);
      return out;
    });
  }

  interrupt(): void {
    if (!this.#closed) this.connection.interrupt();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function toSqlValue(value: unknown): SqlValue {
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
