import { randomUUID } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { Database, DatabaseTransaction } from '../../../shared/db/database';
import type { UsersTable } from '../../../shared/db/schema';
import { withSystemScope } from '../../../shared/db/tenant';

/**
 * Small row builders for integration tests. Each returns the inserted row. They write in system
 * scope: the test database's connection is not a superuser, so row-level security applies to it.
 */

export type UserRow = Selectable<UsersTable>;

/**
 * Runs `work` in system scope, as the application's code does across tenants: how tests seed and
 * inspect tenant tables, since the bare test connection reads no tenant row and writes none.
 */
export function inSystemScope<T>(db: Database, work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return withSystemScope(db, 'admin.test-fixture', work);
}

export async function createTestUser(
  db: Database,
  overrides: Partial<Omit<Insertable<UsersTable>, 'credit_balance'>> = {},
): Promise<UserRow> {
  return withSystemScope(db, 'admin.test-fixture', (trx) =>
    trx
      .insertInto('users')
      .values({
        email: `user-${randomUUID()}@example.test`,
        // Not a real hash: tests that log in hash their own password.
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$test$test',
        full_name: 'Test User',
        ...overrides,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

/** Gives a user credits the only way the schema allows: a ledger row (a grant). */
export async function grantCredits(db: Database, userId: string, amount: number): Promise<void> {
  await withSystemScope(db, 'admin.test-fixture', (trx) =>
    trx
      .insertInto('credit_transactions')
      .values({
        user_id: userId,
        type: 'grant',
        amount,
        idempotency_key: `test-grant:${randomUUID()}`,
        description: 'test grant',
      })
      .execute(),
  );
}
