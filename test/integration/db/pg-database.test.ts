import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createPgDatabase } from '../../../shared/adapters/postgres/pg-database';
import type { Database } from '../../../shared/db/database';
import { DatabaseError, SqlState, isDatabaseError } from '../../../shared/db/database-error';
import { textArray } from '../../../shared/db/schema';
import { DependencyUnavailableError } from '../../../shared/errors/app-error';
import { createTestDatabase } from '../support/database';
import type { TestDatabase } from '../support/database';
import { createTestUser } from '../support/fixtures';

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

describe('pg database adapter', () => {
  it('maps a unique violation to DatabaseError with SQLSTATE 23505 and the constraint name', async () => {
    const user = await createTestUser(db);

    const duplicate = await db
      .insertInto('users')
      .values({ email: user.email, password_hash: 'x' })
      .execute()
      .catch((error: unknown) => error);

    expect(duplicate).toBeInstanceOf(DatabaseError);
    expect(isDatabaseError(duplicate, SqlState.uniqueViolation)).toBe(true);
    expect(duplicate).toMatchObject({ sqlState: '23505', constraint: 'users_email_key' });
    expect((duplicate as DatabaseError).detail).toContain(user.email);
  });

  it('translates errors inside transactions and rolls back', async () => {
    const user = await createTestUser(db);

    const failure = await db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('users').set({ full_name: 'Changed' }).where('id', '=', user.id).execute();
        await trx.insertInto('users').values({ email: user.email, password_hash: 'x' }).execute();
      })
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ sqlState: SqlState.uniqueViolation });
    const row = await db
      .selectFrom('users')
      .select('full_name')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.full_name).toBe('Test User');
  });

  it('returns int8 values as numbers', async () => {
    const user = await createTestUser(db);
    const counted = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
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
    const dataset = await db
      .insertInto('datasets')
      .values({ user_id: user.id, name: 'tagged', modality: 'text', tags: textArray(['a', 'b, c', '{d}']) })
      .returning('tags')
      .executeTakeFirstOrThrow();
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
