import { randomUUID } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { Database } from '../../../shared/db/database';
import type { UsersTable } from '../../../shared/db/schema';

/** Small row builders for integration tests. Each returns the inserted row. */

export type UserRow = Selectable<UsersTable>;

export async function createTestUser(
  db: Database,
  overrides: Partial<Omit<Insertable<UsersTable>, 'credit_balance'>> = {},
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({
      email: `user-${randomUUID()}@example.test`,
      // Not a real hash: tests that log in hash their own password.
      password_hash: '$argon2id$v=19$m=19456,t=2,p=1$test$test',
      full_name: 'Test User',
      ...overrides,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Gives a user credits the only way the schema allows: a ledger row (a grant). */
export async function grantCredits(db: Database, userId: string, amount: number): Promise<void> {
  await db
    .insertInto('credit_transactions')
    .values({
      user_id: userId,
      type: 'grant',
      amount,
      idempotency_key: `test-grant:${randomUUID()}`,
      description: 'test grant',
    })
    .execute();
}
