import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createPgDatabase } from '../../../../../shared/adapters/postgres/pg-database';
import type { Database, DatabaseTransaction } from '../../../../../shared/db/database';
import { DatabaseError, SqlState, isDatabaseError } from '../../../../../shared/db/database-error';
import { textArray } from '../../../../../shared/db/schema';
import { applySystemScope } from '../../../../../shared/db/tenant';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';
import { createTestDatabase } from '../../../support/database';
import type { TestDatabase } from '../../../support/database';
import { createTestUser, inSystemScope } from '../../../support/fixtures';

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

/** Tenant tables are read and written in system scope: the test connection is not a superuser. */
function app<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(db, work);
}

describe('pg database adapter', () => {
  it('survives the server ending a connection in the middle of a transaction: the query fails, the process does not', async () => {
    const own = createPgDatabase(testDb.url, { max: 2 });
    const admin = testDb.superuser();
    try {
      const failure = await own
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await sql`select pg_terminate_backend(${rows[0]?.pid ?? 0})`.execute(admin);
          await sql`select 1`.execute(trx);
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      // The pool let go of the dead connection: the next query works on a fresh one.
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(own);
      expect(rows[0]?.one).toBe(1);
    } finally {
      await closeDatabase(own);
    }
  });

  it('maps a unique violation to DatabaseError with SQLSTATE 23505 and the constraint name', async () => {
    const user = await createTestUser(db);

    const duplicate = await app((trx) =>
      trx.insertInto('users').values({ email: user.email, password_hash: 'x' }).execute(),
    ).catch((error: unknown) => error);

    expect(duplicate).toBeInstanceOf(DatabaseError);
    expect(isDatabaseError(duplicate, SqlState.uniqueViolation)).toBe(true);
    expect(duplicate).toMatchObject({ sqlState: '23505', constraint: 'users_email_key' });
    // Under row-level security PostgreSQL withholds the key's value, so no error echoes an email.
    expect((duplicate as DatabaseError).detail).toBeUndefined();
  });

  it('keeps the detail PostgreSQL gives with a unique violation', async () => {
    // Reference data has no row-level security: the owner's error names the duplicate key.
    const duplicate = await db
      .insertInto('credit_packages')
      .values({ key: 'starter', name: 'Again', credits: 1, price_cents: 0 })
      .execute()
      .catch((error: unknown) => error);

    expect(duplicate).toMatchObject({
      sqlState: SqlState.uniqueViolation,
      constraint: 'credit_packages_key_key',
    });
    expect((duplicate as DatabaseError).detail).toContain('(key)=(starter)');
  });

  it('translates errors inside transactions and rolls back', async () => {
    const user = await createTestUser(db);

    const failure = await db
      .transaction()
      .execute(async (trx) => {
        await applySystemScope(trx, 'admin.test-fixture');
        await trx.updateTable('users').set({ full_name: 'Changed' }).where('id', '=', user.id).execute();
        await trx.insertInto('users').values({ email: user.email, password_hash: 'x' }).execute();
      })
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ sqlState: SqlState.uniqueViolation });
    const row = await app((trx) =>
      trx.selectFrom('users').select('full_name').where('id', '=', user.id).executeTakeFirstOrThrow(),
    );
    expect(row.full_name).toBe('Test User');
  });

  it('returns int8 values as numbers', async () => {
    const user = await createTestUser(db);
    const counted = await app((trx) =>
      trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    );
    const big = await sql<{
      v: number;
      list: number[];
    }>`SELECT 9007199254740991::int8 AS v, ARRAY[1, 2]::int8[] AS list`.execute(db);

    expect(typeof counted.n).toBe('number');
    expect(big.rows[0]).toEqual({ v: Number.MAX_SAFE_INTEGER, list: [1, 2] });
    expect(typeof user.storage_used_bytes).toBe('number');
  });

  it('refuses an int8 beyond the safe integer range instead of rounding it', async () => {
    await expect(sql`SELECT 9007199254740993::int8 AS v`.execute(db)).rejects.toBeInstanceOf(DatabaseError);
    // The connection stays usable afterwards.
    const ok = await sql<{ v: number }>`SELECT 1::int8 AS v`.execute(db);
    expect(ok.rows[0]?.v).toBe(1);
  });

  it('keeps numeric as a string and timestamptz as a Date', async () => {
    const result = await sql<{ n: string; t: Date }>`SELECT 1.10::numeric AS n, now() AS t`.execute(db);
    expect(result.rows[0]?.n).toBe('1.10');
    expect(result.rows[0]?.t).toBeInstanceOf(Date);
  });

  it('writes text[] through textArray()', async () => {
    const user = await createTestUser(db);
    const dataset = await app((trx) =>
      trx
        .insertInto('datasets')
        .values({ user_id: user.id, name: 'tagged', modality: 'text', tags: textArray(['a', 'b, c', '{d}']) })
        .returning('tags')
        .executeTakeFirstOrThrow(),
    );
    expect(dataset.tags).toEqual(['a', 'b, c', '{d}']);
  });

  it('reports an unreachable server as DependencyUnavailableError', async () => {
    // A port that accepts nothing: bind one, then close it.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const unreachable = createPgDatabase(`postgres://postgres:x@127.0.0.1:${port}/nothing`);
    try {
      const failure = await sql`SELECT 1`.execute(unreachable).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DependencyUnavailableError);
      expect(failure).toMatchObject({ code: 'DEPENDENCY.DATABASE_UNAVAILABLE', status: 503 });
    } finally {
      await closeDatabase(unreachable);
    }
  });
});
