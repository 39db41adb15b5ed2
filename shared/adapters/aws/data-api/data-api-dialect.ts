import {
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
} from 'kysely';
import type { DataApiExecutor } from './data-api-executor';
import { DataApiDriver } from './data-api-driver';

/**
 * Kysely over the RDS Data API: PostgreSQL SQL, compiled by Kysely's own Postgres compiler, sent
 * through ExecuteStatement. See data-api-parameters.ts for how values are typed on the way in and
 * data-api-results.ts for how they are decoded on the way out.
 */
export class DataApiDialect implements Dialect {
  readonly #executor: DataApiExecutor;
  readonly #onDestroy: (() => void) | undefined;

  constructor(executor: DataApiExecutor, onDestroy?: () => void) {
    this.#executor = executor;
    this.#onDestroy = onDestroy;
  }

  createDriver(): Driver {
    return new DataApiDriver(this.#executor, this.#onDestroy);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Parameters<Dialect['createIntrospector']>[0]): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
