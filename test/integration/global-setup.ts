import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../infra/local/embedded-postgres';
import { closeDatabase, createPgDatabase } from '../../shared/adapters/postgres/pg-database';
import { runMigrations } from '../../shared/db/migrate';
import { seedReferenceData } from '../../shared/domain/pipelines/reference-data';

/**
 * One PostgreSQL server for the whole integration run, in a fresh temp dir on a free port, with a
 * template database holding every migration and the reference data. Test files clone the template
 * (see support/database.ts), which takes milliseconds, so each file gets its own database.
 */
export const TEMPLATE_DATABASE = 'pipeweave_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the server's `postgres` database, for CREATE/DROP DATABASE. */
    pgAdminUrl: string;
    /**
     * URL of the login role the platform uses (owner of the databases, not a superuser, so
     * row-level security applies as it does to Aurora's master user), on the `postgres` database.
     */
    pgAppUrl: string;
    /** Name of the migrated and seeded template database. */
    pgTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A directory of its own under the system temp dir; the postgres user is given it when we are root.
  const root = await mkdtemp(join(tmpdir(), 'pipeweave-it-'));
  const server = await startEmbeddedPostgres({
    dataDir: join(root, 'pgdata'),
    port: 0,
    databaseName: TEMPLATE_DATABASE,
    durable: false,
  }).catch(async (error: unknown) => {
    await rm(root, { recursive: true, force: true });
    throw error;
  });
  try {
    // Migrated as the login role, so the template and its clones hold objects it owns.
    const db = createPgDatabase(server.connectionString, { max: 2 });
    try {
      await runMigrations(db);
      await seedReferenceData(db);
    } finally {
      await closeDatabase(db);
    }
  } catch (error) {
    await server.stop();
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const adminUrl = new URL(server.adminConnectionString);
  adminUrl.pathname = '/postgres';
  const appUrl = new URL(server.connectionString);
  appUrl.pathname = '/postgres';
  project.provide('pgAdminUrl', adminUrl.toString());
  project.provide('pgAppUrl', appUrl.toString());
  project.provide('pgTemplate', TEMPLATE_DATABASE);

  return async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
}
