import type { DuckDBConnection } from '@duckdb/node-api';
import type {
  SqlParam,
  SqlValue,
  TableEngine,
  TableEngineOptions,
  TableSession,
} from '../../ports/table-engine.port';
import { openDuckDbInstance, type OpenDuckDbInstance } from './open-duckdb-instance';

/**
 * DuckDB behind the node runtime's `TableEngine` port: one in-memory database per session, bounded
 * threads and memory (a Lambda shares its memory with Node), spilling to the node's temp directory.
 */
export class DuckDbTableEngine implements TableEngine {
  async openSession(options: TableEngineOptions = {}): Promise<TableSession> {
    return new DuckDbSession(
      await openDuckDbInstance({
        threads: options.threads ?? 2,
        memoryLimit: `${options.memoryLimitMb ?? 1024}MB`,
        tempDirectory: options.tempDirectory,
        allowedDirectories: options.allowedDirectories,
      }),
    );
  }
}

class DuckDbSession implements TableSession {
  #closed = false;
  private readonly connection: DuckDBConnection;

  constructor(private readonly database: OpenDuckDbInstance) {
    this.connection = database.connection;
  }

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
    this.database.close();
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
