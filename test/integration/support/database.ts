import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { closeDatabase, createPgDatabase } from '../../../shared/adapters/postgres/pg-database';
import type { Database } from '../../../shared/db/database';

/**
 * Databases for integration tests, on the PostgreSQL server started by test/integration/global-setup.ts.
 *
 *   const testDb = await createTestDatabase();   // in beforeAll: migrated + reference data
 *   … testDb.db is a `Database` (pg adapter); testDb.url is its connection string …
 *   await testDb.drop();                         // in afterAll
 *
 * Each call clones the template database (CREATE DATABASE … TEMPLATE), so test files never see
 * each other's rows. `createEmptyDatabase()` gives a database with no schema at all (migration tests).
 *
 * `db` and `url` log in as the platform's login role: it owns every table but is not a superuser,
 * exactly like Aurora's master user behind the Data API, so row-level security applies and a query
 * outside `withTenant`/`withSystemScope` on a tenant table reads nothing and cannot write. Seed
 * rows through those scopes (as support/fixtures.ts does). `superuser()` is for the rare test that
 * needs powers no deployed code has (turning triggers off, dropping constraints): it bypasses RLS.
 */
export interface TestDatabase {
  /** As the login role: what the platform's code gets. */
  db: Database;
  /** Connection string of `db`. */
  url: string;
  /** Superuser connection string to the same database (bypasses RLS). */
  superuserUrl: string;
  /** A pool on `superuserUrl`, opened on first call and closed by `drop()`. */
  superuser(): Database;
  /** Closes the pool and drops the database (forcefully, even if connections are left open). */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  return createDatabase(inject('pgTemplate'));
}

export async function createEmptyDatabase(): Promise<TestDatabase> {
  return createDatabase('template0');
}

async function createDatabase(template: string): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const appUrl = new URL(inject('pgAppUrl'));
  const owner = decodeURIComponent(appUrl.username);
  const name = `pw_test_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  await withAdmin(adminUrl, async (admin) => {
    // Two clones of one template at the same instant can collide on the template's lock (55006).
    for (let attempt = 1; ; attempt += 1) {
      try {
        // The clone's objects keep their owner (the login role); the database itself needs it too.
        await admin.query(
          `CREATE DATABASE ${admin.escapeIdentifier(name)} TEMPLATE ${admin.escapeIdentifier(template)} OWNER ${admin.escapeIdentifier(owner)}`,
        );
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  });
  appUrl.pathname = `/${name}`;
  const superuserUrl = new URL(adminUrl);
  superuserUrl.pathname = `/${name}`;
  const db = createPgDatabase(appUrl.toString(), { max: 5 });
  let superuserDb: Database | undefined;
  let dropped = false;
  return {
    db,
    url: appUrl.toString(),
    superuserUrl: superuserUrl.toString(),
    superuser() {
      superuserDb ??= createPgDatabase(superuserUrl.toString(), { max: 2 });
      return superuserDb;
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await closeDatabase(db);
      if (superuserDb) await closeDatabase(superuserDb);
      await withAdmin(adminUrl, (admin) =>
        admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
