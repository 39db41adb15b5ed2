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
 */
export interface TestDatabase {
  db: Database;
  url: string;
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
  const name = `pw_test_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  await withAdmin(adminUrl, async (admin) => {
    // Two clones of one template at the same instant can collide on the template's lock (55006).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await admin.query(
          `CREATE DATABASE ${admin.escapeIdentifier(name)} TEMPLATE ${admin.escapeIdentifier(template)}`,
        );
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPgDatabase(url.toString(), { max: 5 });
  let dropped = false;
  return {
    db,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await closeDatabase(db);
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
