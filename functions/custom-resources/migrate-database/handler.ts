import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createDataApiDatabase } from '../../../shared/adapters/aws/data-api/data-api-database';
import { ConfigError, loadConfig, requireSection } from '../../../shared/config/config';
import type { Database } from '../../../shared/db/database';
import { runMigrations } from '../../../shared/db/migrate';
import { seedReferenceData } from '../../../shared/domain/pipelines/reference-data';
import { createLogger, type Logger } from '../../../shared/observability/logger';

/** What the custom resources Provider expects back from an onEvent handler. */
export interface MigrateDatabaseResponse {
  PhysicalResourceId: string;
  Data?: { AppliedCount: string; SkippedCount: string; LastApplied: string };
}

export interface MigrateDatabaseDeps {
  openDatabase: () => Database;
  logger: Logger;
}

/** One schema per cluster: the id never changes, so an update is never read as a replacement. */
export const SCHEMA_RESOURCE_ID = 'pipeweave-database-schema';

/**
 * Applies the ordered SQL migrations and the reference data on every Create and Update of the
 * stack's `DatabaseMigrations` resource (its properties carry a hash of shared/db, so any change
 * there triggers an Update). Delete does nothing: the schema and its data belong to the cluster,
 * which outlives this resource (snapshot on deletion).
 */
export function makeHandler(deps: MigrateDatabaseDeps) {
  return async (event: CloudFormationCustomResourceEvent): Promise<MigrateDatabaseResponse> => {
    if (event.RequestType === 'Delete') {
      deps.logger.info('database migrations resource deleted; schema left in place');
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const db = deps.openDatabase();
    try {
      const { applied, skipped } = await runMigrations(db);
      await seedReferenceData(db);
      deps.logger.info('database migrated', { applied, skippedCount: skipped.length });
      return {
        PhysicalResourceId: SCHEMA_RESOURCE_ID,
        // Custom resource responses are capped at 4 KB: counts and the newest name, not lists.
        Data: {
          AppliedCount: String(applied.length),
          SkippedCount: String(skipped.length),
          LastApplied: applied.at(-1) ?? '',
        },
      };
    } finally {
      await db.destroy();
    }
  };
}

const config = loadConfig();
const database = requireSection(config, 'database', 'PW_DB_CLUSTER_ARN and PW_DB_SECRET_ARN');
const { clusterArn, secretArn } = database;
if (database.driver !== 'data-api' || !clusterArn || !secretArn) {
  throw new ConfigError(
    'The migration function reaches Aurora through the Data API: set PW_DB_CLUSTER_ARN and PW_DB_SECRET_ARN.',
  );
}

export const handler = makeHandler({
  logger: createLogger(config, 'migrate-database'),
  openDatabase: () =>
    createDataApiDatabase({
      resourceArn: clusterArn,
      secretArn,
      database: database.name,
      region: config.region,
      // A paused Serverless v2 cluster takes a while to resume; a deploy can wait longer than an API call.
      retry: { deadlineMs: 180_000 },
    }),
});
