import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createPgDatabase } from '../../../../shared/adapters/postgres/pg-database';
import type { Database, DatabaseTransaction } from '../../../../shared/db/database';
import { DatabaseError, SqlState } from '../../../../shared/db/database-error';
import { applySystemScope } from '../../../../shared/db/tenant';
import { createTestDatabase } from '../../support/database';
import type { TestDatabase } from '../../support/database';
import { createTestUser, grantCredits, inSystemScope } from '../../support/fixtures';

let testDb: TestDatabase;
let db: Database;
let starterPackageId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  const pack = await db
    .selectFrom('credit_packages')
    .select('id')
    .where('key', '=', 'starter')
    .executeTakeFirstOrThrow();
  starterPackageId = pack.id;
});
afterAll(async () => {
  await testDb.drop();
});

async function waitUntilABackendWaitsForALock(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const waiting = await sql<{ n: number }>`
      SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
    if ((waiting.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the second debit never waited for the first one');
}

/**
 * What the database allows the application: each statement runs in its own system-scope
 * transaction (the app role, every tenant visible), so a refused statement rolls back alone.
 */
function app<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(db, work);
}

async function balanceOf(userId: string): Promise<number> {
  const row = await app((trx) =>
    trx.selectFrom('users').select('credit_balance').where('id', '=', userId).executeTakeFirstOrThrow(),
  );
  return row.credit_balance;
}

/** One ledger row, in its own system-scope transaction unless `target` is an already scoped one. */
function write(
  userId: string,
  type: 'purchase' | 'consumption' | 'refund' | 'adjustment' | 'grant',
  amount: number,
  target?: DatabaseTransaction,
) {
  const insert = (trx: DatabaseTransaction) =>
    trx
      .insertInto('credit_transactions')
      .values({
        user_id: userId,
        type,
        amount,
        idempotency_key: `test:${randomUUID()}`,
        ...(type === 'purchase' ? { package_id: starterPackageId } : {}),
      })
      .returning(['id', 'balance_after'])
      .executeTakeFirstOrThrow();
  return target ? insert(target) : app(insert);
}

describe('credit ledger', () => {
  it('computes balance_after and users.credit_balance across purchase, consumption and refund', async () => {
    const user = await createTestUser(db);

    const purchase = await write(user.id, 'purchase', 100);
    const consumption = await write(user.id, 'consumption', -30);
    const refund = await write(user.id, 'refund', 10);
    const adjustment = await write(user.id, 'adjustment', -5);

    expect([purchase, consumption, refund, adjustment].map((t) => t.balance_after)).toEqual([
      100, 70, 80, 75,
    ]);
    expect(await balanceOf(user.id)).toBe(75);
  });

  it('ignores a balance_after supplied by the caller', async () => {
    const user = await createTestUser(db);
    const row = await app((trx) =>
      trx
        .insertInto('credit_transactions')
        .values({
          user_id: user.id,
          type: 'grant',
          amount: 5,
          balance_after: 9_999,
          idempotency_key: `test:${randomUUID()}`,
        })
        .returning('balance_after')
        .executeTakeFirstOrThrow(),
    );
    expect(row.balance_after).toBe(5);
  });

  it('refuses a debit that would make the balance negative and leaves the balance unchanged', async () => {
    const user = await createTestUser(db);
    await grantCredits(db, user.id, 20);

    const debit = write(user.id, 'consumption', -21);

    await expect(debit).rejects.toBeInstanceOf(DatabaseError);
    await expect(debit).rejects.toMatchObject({
      sqlState: SqlState.checkViolation,
      constraint: 'credit_transactions_balance_after_check',
    });
    expect(await balanceOf(user.id)).toBe(20);
    const rows = await app((trx) =>
      trx.selectFrom('credit_transactions').select('id').where('user_id', '=', user.id).execute(),
    );
    expect(rows).toHaveLength(1);
  });

  it('lets exactly one of two concurrent debits through when together they exceed the balance', async () => {
    const user = await createTestUser(db);
    await grantCredits(db, user.id, 100);
    // Two connections of the application's login role, each debiting in system scope as the app does.
    const first = createPgDatabase(testDb.url, { max: 1 });
    const second = createPgDatabase(testDb.url, { max: 1 });
    try {
      // The first debit stays uncommitted until the second is seen waiting for the user row lock.
      let secondDebit: Promise<unknown> | undefined;
      await first.transaction().execute(async (trx) => {
        await applySystemScope(trx, 'admin.test-fixture');
        await write(user.id, 'consumption', -60, trx);
        secondDebit = inSystemScope(second, (other) => write(user.id, 'consumption', -60, other)).then(
          (value) => ({ ok: true, value }),
          (error: unknown) => ({ ok: false, error }),
        );
        await waitUntilABackendWaitsForALock();
      });

      expect(await secondDebit).toMatchObject({
        ok: false,
        error: { sqlState: SqlState.checkViolation, constraint: 'credit_transactions_balance_after_check' },
      });
      expect(await balanceOf(user.id)).toBe(40);
      const debits = await app((trx) =>
        trx
          .selectFrom('credit_transactions')
          .select('amount')
          .where('user_id', '=', user.id)
          .where('type', '=', 'consumption')
          .execute(),
      );
      expect(debits).toEqual([{ amount: -60 }]);
    } finally {
      await Promise.all([closeDatabase(first), closeDatabase(second)]);
    }
  });

  it('rejects UPDATE and DELETE of ledger rows', async () => {
    const user = await createTestUser(db);
    await grantCredits(db, user.id, 10);

    // In scope, so the rows are visible and the trigger (not an empty match) refuses the change.
    await expect(
      app((trx) =>
        trx
          .updateTable('credit_transactions')
          .set({ description: 'rewritten' })
          .where('user_id', '=', user.id)
          .execute(),
      ),
    ).rejects.toThrow(/append-only/);
    await expect(
      app((trx) => trx.deleteFrom('credit_transactions').where('user_id', '=', user.id).execute()),
    ).rejects.toThrow(/append-only/);
    // TRUNCATE ignores row-level security and the app role may not issue it at all; the owner
    // may, and the trigger still refuses it.
    await expect(sql`TRUNCATE credit_transactions`.execute(db)).rejects.toThrow(/append-only/);

    const rows = await app((trx) =>
      trx
        .selectFrom('credit_transactions')
        .select(['amount', 'description'])
        .where('user_id', '=', user.id)
        .execute(),
    );
    expect(rows).toEqual([{ amount: 10, description: 'test grant' }]);
  });

  it('writes an idempotency key only once', async () => {
    const user = await createTestUser(db);
    const key = `checkout:${randomUUID()}`;
    const values = { user_id: user.id, type: 'grant' as const, amount: 50, idempotency_key: key };
    await app((trx) => trx.insertInto('credit_transactions').values(values).execute());

    const again = app((trx) => trx.insertInto('credit_transactions').values(values).execute());

    await expect(again).rejects.toMatchObject({
      sqlState: SqlState.uniqueViolation,
      constraint: 'credit_transactions_idempotency_key_key',
    });
    expect(await balanceOf(user.id)).toBe(50);
  });

  it('does not move the balance when a duplicate is skipped with ON CONFLICT DO NOTHING', async () => {
    const user = await createTestUser(db);
    const values = {
      user_id: user.id,
      type: 'grant' as const,
      amount: 30,
      idempotency_key: `grant:${randomUUID()}`,
    };

    for (let i = 0; i < 3; i += 1) {
      await app((trx) =>
        trx
          .insertInto('credit_transactions')
          .values(values)
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .execute(),
      );
    }

    expect(await balanceOf(user.id)).toBe(30);
  });

  it('writes a Stripe checkout session only once', async () => {
    const user = await createTestUser(db);
    const session = `cs_test_${randomUUID()}`;
    const purchase = (key: string) =>
      app((trx) =>
        trx
          .insertInto('credit_transactions')
          .values({
            user_id: user.id,
            type: 'purchase',
            amount: 100,
            package_id: starterPackageId,
            stripe_checkout_session_id: session,
            idempotency_key: key,
          })
          .execute(),
      );
    await purchase(`stripe:${randomUUID()}`);

    await expect(purchase(`stripe:${randomUUID()}`)).rejects.toMatchObject({
      sqlState: SqlState.uniqueViolation,
      constraint: 'credit_transactions_stripe_checkout_session_id_key',
    });
    expect(await balanceOf(user.id)).toBe(100);
  });

  it('refuses writes to users.credit_balance that do not come from the ledger', async () => {
    const user = await createTestUser(db);

    // In scope the row is visible, so the update reaches the guard instead of matching no row.
    await expect(
      app((trx) =>
        trx.updateTable('users').set({ credit_balance: 1_000 }).where('id', '=', user.id).execute(),
      ),
    ).rejects.toMatchObject({
      sqlState: SqlState.checkViolation,
      constraint: 'users_credit_balance_ledger_only',
    });
    await expect(
      app((trx) =>
        trx
          .insertInto('users')
          .values({ email: `rich-${randomUUID()}@example.test`, password_hash: 'x', credit_balance: 5 })
          .execute(),
      ),
    ).rejects.toMatchObject({ constraint: 'users_credit_balance_ledger_only' });
    expect(await balanceOf(user.id)).toBe(0);
  });

  it('refuses amounts whose sign does not match the type', async () => {
    const user = await createTestUser(db);
    await grantCredits(db, user.id, 10);

    await expect(write(user.id, 'consumption', 5)).rejects.toMatchObject({
      constraint: 'credit_transactions_amount_sign_check',
    });
    await expect(write(user.id, 'refund', -5)).rejects.toMatchObject({
      constraint: 'credit_transactions_amount_sign_check',
    });
    expect(await balanceOf(user.id)).toBe(10);
  });
});
