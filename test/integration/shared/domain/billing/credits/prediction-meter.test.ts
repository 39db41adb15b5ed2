import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../../shared/db/database';
import { withSystemScope } from '../../../../../../shared/db/tenant';
import { meterPredictedRows } from '../../../../../../shared/domain/billing/credits/prediction-meter';
import { createTestDatabase, type TestDatabase } from '../../../../support/database';
import { createTestUser, grantCredits } from '../../../../support/fixtures';

/** Online predictions paid per 1,000 rows, on the real ledger. */
let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

async function ledgerOf(userId: string) {
  return withSystemScope(db, 'admin.test-fixture', (trx) =>
    trx
      .selectFrom('credit_transactions')
      .select(['type', 'amount', 'idempotency_key'])
      .where('user_id', '=', userId)
      .where('type', '=', 'consumption')
      .orderBy('created_at')
      .execute(),
  );
}

async function balanceOf(userId: string): Promise<number> {
  return withSystemScope(db, 'admin.test-fixture', async (trx) =>
    Number(
      (
        await trx
          .selectFrom('users')
          .select('credit_balance')
          .where('id', '=', userId)
          .executeTakeFirstOrThrow()
      ).credit_balance,
    ),
  );
}

describe('prediction meter', () => {
  it('bills one credit per completed thousand rows, once', async () => {
    const user = await createTestUser(db);
    await grantCredits(db, user.id, 5);
    const caller = { userId: user.id, role: 'user' as const };

    expect(await meterPredictedRows(db, caller, 999)).toEqual({ credits: 0, rowsPredicted: 999 });
    expect(await ledgerOf(user.id)).toEqual([]);
    expect(await meterPredictedRows(db, caller, 1)).toEqual({ credits: 1, rowsPredicted: 1_000 });
    expect(await meterPredictedRows(db, caller, 2_500)).toEqual({ credits: 2, rowsPredicted: 3_500 });
    expect((await ledgerOf(user.id)).map((e) => [e.amount, e.idempotency_key])).toEqual([
      [-1, `predict:${user.id}:1`],
      [-2, `predict:${user.id}:3`],
    ]);
    expect(await balanceOf(user.id)).toBe(2);
  });

  it('bills a thousand rows predicted by concurrent calls exactly once', async () => {
    const user = await createTestUser(db);
    await grantCredits(db, user.id, 10);
    const caller = { userId: user.id, role: 'user' as const };

    const charges = await Promise.all(Array.from({ length: 20 }, () => meterPredictedRows(db, caller, 100)));

    expect(charges.reduce((sum, c) => sum + c.credits, 0)).toBe(2);
    expect(await ledgerOf(user.id)).toHaveLength(2);
    expect(await balanceOf(user.id)).toBe(8);
  });

  it('refuses with 402 when the balance cannot pay, and counts nothing', async () => {
    const user = await createTestUser(db);
    const caller = { userId: user.id, role: 'user' as const };
    await meterPredictedRows(db, caller, 900);

    await expect(meterPredictedRows(db, caller, 200)).rejects.toMatchObject({
      status: 402,
      code: 'CREDITS.INSUFFICIENT',
      details: { required: 1, available: 0 },
    });

    // The refused rows were not counted: 900 still, so the next 100 complete the first thousand.
    await grantCredits(db, user.id, 1);
    expect(await meterPredictedRows(db, caller, 100)).toEqual({ credits: 1, rowsPredicted: 1_000 });
  });
});
