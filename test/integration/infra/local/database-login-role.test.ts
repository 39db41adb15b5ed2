import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresServer,
} from '../../../../infra/local/embedded-postgres';
import { closeDatabase, createPgDatabase } from '../../../../shared/adapters/postgres/pg-database';
import type { Database } from '../../../../shared/db/database';
import { isDatabaseError, SqlState } from '../../../../shared/db/database-error';
import { runMigrations } from '../../../../shared/db/migrate';
import { seedReferenceData } from '../../../../shared/domain/pipelines/reference-data';
import { withSystemScope, withTenant } from '../../../../shared/db/tenant';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { createTestUser } from '../../support/fixtures';

/**
 * The platform connects to PostgreSQL the way the functions connect to Aurora: as a role that owns
 * the tables but is not a superuser, so `FORCE ROW LEVEL SECURITY` applies to it. A query that
 * forgets `withTenant`/`withSystemScope` must therefore read nothing here too, not only in AWS.
 */

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function freshDataDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pipeweave-role-'));
  roots.push(root);
  return join(root, 'pgdata');
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function seedDataset(db: Database, name: string): Promise<string> {
  const user = await createTestUser(db);
  await withTenant(db, { userId: user.id, role: 'user' }, (trx) =>
    trx.insertInto('datasets').values({ user_id: user.id, name, modality: 'tabular' }).execute(),
  );
  return user.id;
}

async function bareDatasetCount(db: Database): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from datasets`.execute(db);
  return rows[0]?.n ?? -1;
}

describe("the platform's database connection (embedded PostgreSQL, as startLocalPlatform opens it)", () => {
  let server: EmbeddedPostgresServer;
  let db: Database;

  beforeAll(async () => {
    server = await startEmbeddedPostgres({
      dataDir: await freshDataDir(),
      databaseName: 'pipeweave',
      durable: false,
    });
    db = createPgDatabase(server.connectionString, { max: 3 });
    await runMigrations(db);
    await seedReferenceData(db);
  });
  afterAll(async () => {
    if (db) await closeDatabase(db);
    await server?.stop();
  });

  it('logs in as an owner that is not a superuser and cannot bypass row-level security', async () => {
    const [role] = await query<{
      rolname: string;
      rolsuper: boolean;
      rolbypassrls: boolean;
      owns_db: boolean;
    }>(
      server.connectionString,
      `select r.rolname, r.rolsuper, r.rolbypassrls,
              (select d.datdba = r.oid from pg_database d where d.datname = current_database()) as owns_db
         from pg_roles r where r.rolname = current_user`,
    );
    expect(role).toEqual({ rolname: server.loginRole, rolsuper: false, rolbypassrls: false, owns_db: true });
    const notOwned = await query<{ relname: string }>(
      server.connectionString,
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'S', 'v') and pg_get_userbyid(c.relowner) <> current_user`,
    );
    expect(notOwned).toEqual([]);
  });

  it('reads 0 datasets outside any scope even when rows exist', async () => {
    const owner = await seedDataset(db, 'rls-probe');

    expect(await bareDatasetCount(db)).toBe(0);
    // The rows are there: the superuser, the owner's tenant scope and system scope all see them.
    const [asSuperuser] = await query<{ n: number }>(
      server.adminConnectionString,
      'select count(*)::int as n from datasets',
    );
    expect(asSuperuser?.n).toBe(1);
    expect(await withTenant(db, { userId: owner, role: 'user' }, (trx) => bareDatasetCount(trx))).toBe(1);
    expect(await withSystemScope(db, 'admin.rls-probe', (trx) => bareDatasetCount(trx))).toBe(1);
  });

  it('cannot write a tenant row outside any scope', async () => {
    const owner = await seedDataset(db, 'rls-write-probe');
    const attempt = db
      .insertInto('datasets')
      .values({ user_id: owner, name: 'sneaked', modality: 'tabular' })
      .execute();
    await expect(attempt).rejects.toSatisfy(
      (error: unknown) => isDatabaseError(error) && error.is(SqlState.insufficientPrivilege),
    );
  });
});

describe('integration-test databases (createTestDatabase)', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('hand out the same kind of connection: bare reads of tenant tables see nothing', async () => {
    await seedDataset(testDb.db, 'clone-probe');
    expect(await bareDatasetCount(testDb.db)).toBe(0);
    expect(await bareDatasetCount(testDb.superuser())).toBe(1);
  });
});

describe('a data directory from before the login role existed', () => {
  it('is brought up to date on start: role created, objects, memberships and default grants handed over', async () => {
    const dataDir = await freshDataDir();
    const first = await startEmbeddedPostgres({ dataDir, databaseName: 'legacy', durable: false });
    const legacyDb = first.adminConnectionString;
    try {
      // Recreate what an earlier build left: everything owned by the superuser, no login role.
      await query(
        legacyDb,
        `
        alter database legacy owner to postgres;
        create type mood as enum ('calm', 'busy');
        create table notes (id serial primary key, body text not null, feeling mood);
        create function note_count() returns bigint language sql stable as 'select count(*) from notes';
        create role legacy_app nologin;
        grant legacy_app to current_user;
        grant select, insert on notes to legacy_app;
        alter default privileges in schema public grant select on tables to legacy_app;
        insert into notes (body, feeling) values ('written by an earlier build', 'calm');`,
      );
      const postgresDb = new URL(legacyDb);
      postgresDb.pathname = '/postgres';
      await query(postgresDb.toString(), `drop role ${first.loginRole}`);
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedPostgres({ dataDir, databaseName: 'legacy', durable: false });
    try {
      const app = second.connectionString;
      await query(app, `insert into notes (body, feeling) values ('written as the login role', 'busy')`);
      expect(await query(app, 'select body from notes order by id')).toEqual([
        { body: 'written by an earlier build' },
        { body: 'written as the login role' },
      ]);
      expect(await query(app, 'select note_count() as n')).toEqual([{ n: '2' }]);
      // It can act as the app role (membership handed over) and what it creates is granted to it.
      await query(app, 'create table later (v int)');
      const session = new pg.Client({ connectionString: app });
      await session.connect();
      try {
        await session.query('set role legacy_app');
        expect((await session.query('select count(*)::int as n from later')).rows).toEqual([{ n: 0 }]);
        expect((await session.query('select count(*)::int as n from notes')).rows).toEqual([{ n: 2 }]);
      } finally {
        await session.end();
      }
      const owners = await query<{ owner: string }>(
        app,
        `select distinct pg_get_userbyid(relowner) as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public'
         union select pg_get_userbyid(datdba) from pg_database where datname = current_database()
         union select pg_get_userbyid(typowner) from pg_type where typname = 'mood'
         union select pg_get_userbyid(proowner) from pg_proc where proname = 'note_count'`,
      );
      expect(owners).toEqual([{ owner: second.loginRole }]);
    } finally {
      await second.stop();
    }
    // Starting again finds nothing to hand over and keeps the data.
    const third = await startEmbeddedPostgres({ dataDir, databaseName: 'legacy', durable: false });
    try {
      expect(await query(third.connectionString, 'select count(*)::int as n from notes')).toEqual([{ n: 2 }]);
    } finally {
      await third.stop();
    }
  });
});
