import { Kysely, PostgresDialect } from 'kysely';
import type {
  AbortableOperationOptions,
  ControlConnectionProvider,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
  CompiledQuery,
} from 'kysely';
import pg from 'pg';
import type { Database } from '../../db/database';
import { DatabaseError } from '../../db/database-error';
import type { DB } from '../../db/schema';
import { DependencyUnavailableError } from '../../kernel/app-error';

/**
 * The `Database` port over node-postgres, used locally (embedded PostgreSQL) and in tests.
 *
 * - int8 (bigint, count(*)) comes back as a JS number, like the Data API adapter returns it; a value
 *   beyond Number.MAX_SAFE_INTEGER is an error rather than a silently rounded number.
 * - numeric stays a string; json/jsonb are parsed; timestamptz is a Date.
 * - Every failure is translated at the driver: server errors become `DatabaseError` (SQLSTATE,
 *   constraint, detail), failures to reach the server become `DependencyUnavailableError`.
 */
export interface PgDatabaseOptions {
  /** Pool size; defaults to 10. */
  max?: number;
}

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;

export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new DatabaseError(
      `The database returned the integer ${text}, which is beyond JavaScript's safe integer range`,
      '22003',
    );
  }
  return value;
}

function parseInt8Array(text: string): Array<number | null> {
  // pg's own int8[] parser yields strings; keep its array parsing, convert each element.
  const lookup = pg.types.getTypeParser as (
    oid: number,
    format: 'text',
  ) => (value: string) => Array<string | null>;
  const parseArray = lookup(INT8_ARRAY_OID, 'text');
  return parseArray(text).map((item) => (item === null ? null : parseInt8(item)));
}

const DATE_OID = 1082;

const typeOverrides = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      if (oid === INT8_OID) return parseInt8;
      if (oid === INT8_ARRAY_OID) return parseInt8Array;
      // `date` stays 'YYYY-MM-DD' text, as the Data API returns it (a JS Date would shift by time zone).
      if (oid === DATE_OID) return (text: string) => text;
    }
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
};

export function createPgDatabase(connectionString: string, options: PgDatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    types: typeOverrides,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the process; the next
  // query gets a fresh connection or a translated error.
  pool.on('error', () => undefined);
  // A checked-out client (e.g. holding an open transaction) whose connection dies emits 'error'
  // on the client, not the pool: without a listener that is an uncaught exception. The pending or
  // next query on it fails with a translated error and the pool discards the broken client.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return new Kysely<DB>({ dialect: new TranslatingDialect(new PostgresDialect({ pool })) });
}

export async function closeDatabase(db: Database): Promise<void> {
  await db.destroy();
}

/** pg error (or anything thrown by the driver) → DatabaseError / DependencyUnavailableError. */
export function translatePgError(error: unknown): Error {
  if (error instanceof DatabaseError || error instanceof DependencyUnavailableError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
    constraint?: unknown;
    detail?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.code === 'string' ? e.code : undefined;

  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    // Class 08 connection exceptions, 57P0x shutdown/recovery, 53300 too many connections.
    if (code.startsWith('08') || /^57P0[1-4]$/.test(code) || code === '53300') {
      return new DependencyUnavailableError('database', message, { cause: error });
    }
    return new DatabaseError(
      message,
      code,
      typeof e.constraint === 'string' ? e.constraint : undefined,
      typeof e.detail === 'string' ? e.detail : undefined,
      { cause: error },
    );
  }
  const connectionFailure =
    (code !== undefined &&
      /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|EPIPE)$/.test(code)) ||
    /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error/i.test(
      message,
    );
  if (connectionFailure) return new DependencyUnavailableError('database', message, { cause: error });
  return new DatabaseError(message, undefined, undefined, undefined, { cause: error });
}

async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translatePgError(error);
  }
}

class TranslatingDialect implements Dialect {
  constructor(private readonly inner: Dialect) {}
  createDriver(): Driver {
    return new TranslatingDriver(this.inner.createDriver());
  }
  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }
  createAdapter() {
    return this.inner.createAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return this.inner.createIntrospector(db);
  }
}

type Compile = QueryCompiler['compileQuery'];

/** Wraps the driver so every statement, transaction command and connection attempt is translated. */
class TranslatingDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init(options?: AbortableOperationOptions): Promise<void> {
    return translated(() => this.inner.init(options));
  }
  async acquireConnection(options?: AbortableOperationOptions): Promise<DatabaseConnection> {
    const connection = await translated(() => this.inner.acquireConnection(options));
    return new TranslatingConnection(connection);
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return translated(() => this.inner.beginTransaction(unwrap(connection), settings));
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(() => this.inner.commitTransaction(unwrap(connection)));
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(() => this.inner.rollbackTransaction(unwrap(connection)));
  }
  savepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    return translated(async () => {
      if (!this.inner.savepoint)
        throw new DatabaseError('This driver does not support savepoints', undefined);
      await this.inner.savepoint(unwrap(connection), name, compile);
    });
  }
  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    return translated(async () => {
      if (!this.inner.rollbackToSavepoint)
        throw new DatabaseError('This driver does not support savepoints', undefined);
      await this.inner.rollbackToSavepoint(unwrap(connection), name, compile);
    });
  }
  releaseSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    return translated(async () => {
      if (!this.inner.releaseSavepoint)
        throw new DatabaseError('This driver does not support savepoints', undefined);
      await this.inner.releaseSavepoint(unwrap(connection), name, compile);
    });
  }
  releaseConnection(connection: DatabaseConnection, options?: AbortableOperationOptions): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection), options);
  }
  destroy(options?: AbortableOperationOptions): Promise<void> {
    return this.inner.destroy(options);
  }
}

class TranslatingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(
    compiledQuery: CompiledQuery,
    options?: AbortableOperationOptions,
  ): Promise<QueryResult<R>> {
    return translated(() => this.inner.executeQuery<R>(compiledQuery, options));
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize: number,
    options?: AbortableOperationOptions,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize, options);
    } catch (error) {
      throw translatePgError(error);
    }
  }

  // Kysely aborts in-flight queries (AbortSignal) through these.
  async cancelQuery(provider: ControlConnectionProvider): Promise<void> {
    await this.inner.cancelQuery?.(provider);
  }
  async killSession(provider: ControlConnectionProvider): Promise<void> {
    await this.inner.killSession?.(provider);
  }
  async collectSessionInfo(): Promise<void> {
    await this.inner.collectSessionInfo?.();
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof TranslatingConnection ? connection.inner : connection;
}
