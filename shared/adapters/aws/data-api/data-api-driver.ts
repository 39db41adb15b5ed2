import type { Field, SqlParameter } from '@aws-sdk/client-rds-data';
import {
  AbortedTransactionError,
  CompiledQuery,
  type AbortableOperationOptions,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { DatabaseError } from '../../../db/database-error';
import { isResponseTooLarge } from './data-api-errors';
import type { DataApiExecutor } from './data-api-executor';
import { toSqlParameters } from './data-api-parameters';
import { decodeRecords, type Row } from './data-api-results';
import { isCursorable, isDataChange, scanSql } from './sql-text';

/** How large we aim each FETCH response to be: half the Data API's 1 MiB ceiling leaves room for the JSON framing. */
const FETCH_TARGET_BYTES = 512 * 1024;
const FIRST_FETCH_ROWS = 1_000;
const MAX_FETCH_ROWS = 20_000;

/**
 * The Data API is stateless HTTP: there is nothing to pool. A "connection" is a handle that, inside
 * a Kysely transaction, carries the Data API transactionId so each statement joins it.
 */
export class DataApiDriver implements Driver {
  readonly #executor: DataApiExecutor;
  readonly #onDestroy: (() => void) | undefined;

  constructor(executor: DataApiExecutor, onDestroy?: () => void) {
    this.#executor = executor;
    this.#onDestroy = onDestroy;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new DataApiConnection(this.#executor);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await asDataApi(connection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await asDataApi(connection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await asDataApi(connection).rollback();
  }

  async savepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(savepointName)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(savepointName)}`),
    );
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(savepointName)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A transaction that Kysely abandoned (it never does) must not leak into the next use of the handle.
    asDataApi(connection).forget();
  }

  async destroy(): Promise<void> {
    this.#onDestroy?.();
  }
}

function asDataApi(connection: DatabaseConnection): DataApiConnection {
  if (!(connection instanceof DataApiConnection)) throw new TypeError('Not a Data API connection.');
  return connection;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

let cursorCounter = 0;

export class DataApiConnection implements DatabaseConnection {
  readonly #executor: DataApiExecutor;
  #transactionId: string | undefined;

  constructor(executor: DataApiExecutor) {
    this.#executor = executor;
  }

  get transactionId(): string | undefined {
    return this.#transactionId;
  }

  async begin(settings: TransactionSettings = {}): Promise<void> {
    if (this.#transactionId) throw new Error('A transaction is already open on this connection.');
    const id = await this.#executor.begin();
    this.#transactionId = id;
    if (settings.isolationLevel || settings.accessMode) {
      const parts = [
        settings.isolationLevel ? `isolation level ${settings.isolationLevel}` : '',
        settings.accessMode ?? '',
      ].filter(Boolean);
      try {
        await this.#executor.execute(`set transaction ${parts.join(' ')}`, [], id);
      } catch (error) {
        await this.rollback().catch(() => undefined);
        throw error;
      }
    }
  }

  async commit(): Promise<void> {
    const id = this.#takeTransaction('commit');
    const status = await this.#executor.commit(id);
    // PostgreSQL turns COMMIT of a failed transaction into ROLLBACK; say so as Kysely expects.
    if (status && /roll/i.test(status)) throw new AbortedTransactionError();
  }

  async rollback(): Promise<void> {
    const id = this.#takeTransaction('roll back');
    await this.#executor.rollback(id);
  }

  forget(): void {
    this.#transactionId = undefined;
  }

  #takeTransaction(action: string): string {
    const id = this.#transactionId;
    if (!id) throw new Error(`No transaction to ${action}.`);
    this.#transactionId = undefined;
    return id;
  }

  async executeQuery<R>(
    compiledQuery: CompiledQuery,
    options?: AbortableOperationOptions,
  ): Promise<QueryResult<R>> {
    const scanned = scanSql(compiledQuery.sql);
    const parameters = toSqlParameters(compiledQuery.parameters);
    const signal = options?.signal;
    let out;
    try {
      out = await this.#executor.execute(scanned.sql, parameters, this.#transactionId, signal);
    } catch (error) {
      if (!(isResponseTooLarge(error) && isCursorable(scanned))) throw error;
      // The result is over the 1 MiB response limit: read it again through a cursor, page by page.
      const rows: Row[] = [];
      for await (const page of this.#readThroughCursor(scanned.sql, parameters, undefined, signal)) {
        for (const row of page) rows.push(row);
      }
      return { rows: rows as R[] };
    }
    const rows = decodeRecords(out.records, out.columnMetadata) as R[];
    if (!isDataChange(scanned.command)) return { rows };
    // With RETURNING the service may report 0 updated records; each returned row is one affected row.
    const updated = out.numberOfRecordsUpdated ?? 0;
    return { rows, numAffectedRows: BigInt(Math.max(updated, rows.length)) };
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize: number,
    options?: AbortableOperationOptions,
  ): AsyncIterableIterator<QueryResult<R>> {
    const scanned = scanSql(compiledQuery.sql);
    if (!isCursorable(scanned)) {
      // INSERT … RETURNING and friends cannot sit behind a cursor: run them once.
      const result = await this.executeQuery<R>(compiledQuery, options);
      if (result.rows.length > 0) yield result;
      return;
    }
    const parameters = toSqlParameters(compiledQuery.parameters);
    const size = Number.isInteger(chunkSize) && chunkSize > 0 ? chunkSize : 100;
    for await (const page of this.#readThroughCursor(scanned.sql, parameters, size, options?.signal)) {
      yield { rows: page as R[] };
    }
  }

  /**
   * `DECLARE … SCROLL CURSOR FOR <query>` then `FETCH FORWARD n` until the rows run out, inside the
   * caller's transaction or one of our own. `n` is `fixedRows` (streaming) or adapts to the row
   * size seen so far. If a page still exceeds the response limit, the cursor is put back with
   * `MOVE ABSOLUTE` (hence SCROLL) and a smaller page is fetched, so no row is skipped.
   */
  async *#readThroughCursor(
    sql: string,
    parameters: SqlParameter[],
    fixedRows: number | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Row[], void, undefined> {
    const own = this.#transactionId === undefined;
    const transactionId = this.#transactionId ?? (await this.#executor.begin(signal));
    const cursor = `pw_cursor_${++cursorCounter}`;
    let finished = false;
    let declared = false;
    try {
      await this.#executor.execute(
        `declare ${cursor} scroll cursor for ${sql}`,
        parameters,
        transactionId,
        signal,
      );
      declared = true;
      let delivered = 0;
      let rowsPerFetch = fixedRows ?? FIRST_FETCH_ROWS;
      for (;;) {
        let out;
        try {
          out = await this.#executor.execute(
            `fetch forward ${rowsPerFetch} from ${cursor}`,
            [],
            transactionId,
            signal,
          );
        } catch (error) {
          if (!isResponseTooLarge(error)) throw error;
          if (rowsPerFetch === 1) {
            throw new DatabaseError(
              'A single row is larger than the Data API can return (1 MiB per response).',
              '54000',
              undefined,
              undefined,
              {
                cause: error,
              },
            );
          }
          rowsPerFetch = Math.max(1, Math.floor(rowsPerFetch / 4));
          await this.#executor.execute(
            `move absolute ${delivered} from ${cursor}`,
            [],
            transactionId,
            signal,
          );
          continue;
        }
        const page = decodeRecords(out.records, out.columnMetadata);
        const requested = rowsPerFetch;
        if (page.length > 0) {
          delivered += page.length;
          if (fixedRows === undefined) {
            const perRow = Math.max(1, estimateBytes(out.records ?? []) / page.length);
            rowsPerFetch = Math.min(MAX_FETCH_ROWS, Math.max(1, Math.floor(FETCH_TARGET_BYTES / perRow)));
          }
          yield page;
        }
        if (page.length < requested) break;
      }
      finished = true;
    } finally {
      if (own) {
        // Our own transaction only read: commit when done, roll back when the reader stopped early or failed.
        if (finished) await this.#executor.commit(transactionId);
        else await this.#executor.rollback(transactionId).catch(() => undefined);
      } else if (declared) {
        await this.#executor.execute(`close ${cursor}`, [], transactionId).catch(() => undefined);
      }
    }
  }
}

/** Roughly what a page of records weighs in the Data API's JSON response. */
function estimateBytes(records: readonly Field[][]): number {
  let total = 2;
  for (const record of records) {
    total += 2;
    for (const field of record) total += fieldBytes(field);
  }
  return total;
}

function fieldBytes(field: Field): number {
  if (field.stringValue !== undefined) return 20 + field.stringValue.length * 1.1;
  if (field.blobValue !== undefined) return 20 + Math.ceil(field.blobValue.byteLength / 3) * 4;
  if (field.arrayValue !== undefined) return 20 + JSON.stringify(field.arrayValue).length;
  return 24;
}
