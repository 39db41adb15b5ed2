import { closeDatabase, createPgDatabase } from '../shared/adapters/postgres/pg-database';
import { ConfigError, loadConfig } from '../shared/config/config';
import { runMigrations } from '../shared/db/migrate';
import { seedReferenceData } from '../shared/domain/pipelines/reference-data';

/**
 * `npm run migrate`: applies the SQL migrations to the PostgreSQL database at PW_DATABASE_URL,
 * then upserts the reference data (skip it with --no-seed), and prints what it did.
 * In AWS the same runner is called by the stack's migration custom resource through the Data API.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log('Usage: PW_DATABASE_URL=postgres://user:pass@host:port/db npm run migrate [-- --no-seed]');
    return 0;
  }
  const config = loadConfig(process.env);
  const url = config.database?.driver === 'postgres' ? config.database.url : undefined;
  if (!url) {
    throw new ConfigError(
      'Set PW_DATABASE_URL to the PostgreSQL database to migrate, e.g. postgres://postgres:secret@127.0.0.1:5432/pipeweave',
    );
  }

  const db = createPgDatabase(url, { max: 1 });
  try {
    const { applied, skipped } = await runMigrations(db, { logger: (message) => console.log(message) });
    console.log(
      applied.length === 0
        ? `Schema is up to date (${skipped.length} migrations already applied).`
        : `Applied ${applied.length} migration(s): ${applied.join(', ')} (${skipped.length} already applied).`,
    );
    if (!args.includes('--no-seed')) {
      await seedReferenceData(db);
      console.log('Reference data (node types, ML tasks, credit packages) is up to date.');
    }
    return 0;
  } finally {
    await closeDatabase(db);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  },
);
