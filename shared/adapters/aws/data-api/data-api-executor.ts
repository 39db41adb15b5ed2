import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  type ExecuteStatementCommandOutput,
  type RDSDataClient,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { isTransientDataApiError, translateDataApiError } from './data-api-errors';

export interface DataApiTarget {
  /** The Aurora cluster ARN. */
  resourceArn: string;
  /** The Secrets Manager secret holding the database credentials. */
  secretArn: string;
  database: string;
}

/**
 * Retries of calls that did not run. The deadline covers a paused Aurora Serverless v2 cluster,
 * which answers DatabaseResumingException for up to ~30 s while it wakes up (SDK v3 does not
 * retry that error itself).
 */
export interface RetryPolicy {
  /** Total time allowed for all attempts of one call, in ms. */
  deadlineMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { deadlineMs: 45_000, baseDelayMs: 250, maxDelayMs: 5_000 };

export interface DataApiExecutorOptions {
  retry?: Partial<RetryPolicy>;
  /** Injected so tests run the backoff without waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/**
 * The four Data API calls the dialect needs, with typed results, retries and error translation.
 * Only calls that stand alone are retried: a statement inside a transaction is never re-sent
 * (it may have run, and a replay would run it twice), and neither are Commit and Rollback.
 */
export class DataApiExecutor {
  readonly #client: RDSDataClient;
  readonly #target: DataApiTarget;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(client: RDSDataClient, target: DataApiTarget, options: DataApiExecutorOptions = {}) {
    this.#client = client;
    this.#target = target;
    this.#retry = { ...defaultRetryPolicy, ...options.retry };
    this.#sleep = options.sleep ?? sleep;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  get client(): RDSDataClient {
    return this.#client;
  }

  async execute(
    sql: string,
    parameters: SqlParameter[],
    transactionId: string | undefined,
    signal?: AbortSignal,
  ): Promise<ExecuteStatementCommandOutput> {
    const command = new ExecuteStatementCommand({
      resourceArn: this.#target.resourceArn,
      secretArn: this.#target.secretArn,
      database: this.#target.database,
      sql,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(transactionId ? { transactionId } : {}),
      includeResultMetadata: true,
      // Exact int8 and numeric: both arrive as strings and are decoded by column type.
      resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'STRING' },
    });
    return this.#call(
      'ExecuteStatement',
      transactionId === undefined,
      (s) => this.#client.send(command, { abortSignal: s }),
      signal,
    );
  }

  async begin(signal?: AbortSignal): Promise<string> {
    const command = new BeginTransactionCommand({
      resourceArn: this.#target.resourceArn,
      secretArn: this.#target.secretArn,
      database: this.#target.database,
    });
    const out = await this.#call(
      'BeginTransaction',
      true,
      (s) => this.#client.send(command, { abortSignal: s }),
      signal,
    );
    if (!out.transactionId) throw new Error('BeginTransaction returned no transactionId.');
    return out.transactionId;
  }

  /** Returns the status the service reports, e.g. `Transaction Committed`. */
  async commit(transactionId: string, signal?: AbortSignal): Promise<string | undefined> {
    const command = new CommitTransactionCommand({
      resourceArn: this.#target.resourceArn,
      secretArn: this.#target.secretArn,
      transactionId,
    });
    const out = await this.#call(
      'CommitTransaction',
      false,
      (s) => this.#client.send(command, { abortSignal: s }),
      signal,
    );
    return out.transactionStatus;
  }

  async rollback(transactionId: string, signal?: AbortSignal): Promise<void> {
    const command = new RollbackTransactionCommand({
      resourceArn: this.#target.resourceArn,
      secretArn: this.#target.secretArn,
      transactionId,
    });
    await this.#call(
      'RollbackTransaction',
      false,
      (s) => this.#client.send(command, { abortSignal: s }),
      signal,
    );
  }

  async #call<T>(
    operation: string,
    retryable: boolean,
    send: (signal?: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const deadline = this.#now() + this.#retry.deadlineMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(signal);
      } catch (error) {
        if (!retryable || signal?.aborted || !isTransientDataApiError(error))
          throw translateDataApiError(error, operation, attempt);
        // Capped exponential backoff with full jitter; give up when the next wait would pass the deadline.
        const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
        const delay = Math.max(1, Math.round(this.#random() * ceiling));
        if (this.#now() + delay > deadline) throw translateDataApiError(error, operation, attempt);
        await this.#sleep(delay, signal);
      }
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
