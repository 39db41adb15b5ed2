import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { Kysely } from 'kysely';
import type { Database } from '../../../db/database';
import type { DB } from '../../../db/schema';
import { DataApiDialect } from './data-api-dialect';
import { DataApiExecutor, type DataApiExecutorOptions } from './data-api-executor';

export interface DataApiDatabaseOptions extends DataApiExecutorOptions {
  /** The Aurora cluster ARN. */
  resourceArn: string;
  /** The Secrets Manager secret with the database user's credentials. */
  secretArn: string;
  database: string;
  /**
   * Reuse a client (tests, a composition root). Give it `maxAttempts: 1`: the executor does its
   * own retries and must be the only one deciding whether a statement in a transaction is re-sent.
   */
  client?: RDSDataClient;
  region?: string;
}

/** A typed Kysely over the RDS Data API. */
export function createDataApiDatabase(options: DataApiDatabaseOptions): Database {
  const ownsClient = options.client === undefined;
  const client =
    options.client ??
    new RDSDataClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: 1 });
  const executor = new DataApiExecutor(
    client,
    { resourceArn: options.resourceArn, secretArn: options.secretArn, database: options.database },
    options,
  );
  return new Kysely<DB>({
    dialect: new DataApiDialect(executor, ownsClient ? () => client.destroy() : undefined),
  });
}
