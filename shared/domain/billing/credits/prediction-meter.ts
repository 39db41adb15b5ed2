import { sql } from 'kysely';
import { isDatabaseError, SqlState } from '../../../db/database-error';
import type { Database } from '../../../db/database';
import { withOwner, type Owner } from '../../../db/owner-filter';
import { insufficientCredits } from './ledger-credits';

/**
 * Online predictions pay per 1,000 rows: each user's rows are counted, and every completed
 * thousand is one `consumption` of `PREDICTION_CREDITS_PER_THOUSAND_ROWS` in the ledger, written
 * in the transaction that counts the rows. A call whose thousands the balance cannot cover is
 * refused with 402 and counts nothing (its predictions are not returned).
 */
export const PREDICTION_CREDITS_PER_THOUSAND_ROWS = 1;

export interface PredictionCharge {
  /** Credits this call took from the balance (0 until a thousand rows are complete). */
  credits: number;
  /** The caller's rows predicted so far, this call included. */
  rowsPredicted: number;
}

export async function meterPredictedRows(
  db: Database,
  caller: Owner,
  rows: number,
): Promise<PredictionCharge> {
  if (!Number.isInteger(rows) || rows <= 0) return { credits: 0, rowsPredicted: 0 };
  return withOwner(db, caller, async (trx) => {
    const usage = await trx
      .insertInto('prediction_usage')
      .values({ user_id: caller.userId, rows_predicted: rows })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          rows_predicted: sql<number>`prediction_usage.rows_predicted + excluded.rows_predicted`,
          updated_at: sql<Date>`now()`,
        }),
      )
      .returning(['rows_predicted', 'thousands_billed'])
      .executeTakeFirstOrThrow();
    const total = Number(usage.rows_predicted);
    const billed = Number(usage.thousands_billed);
    const due = Math.floor(total / 1000) - billed;
    if (due <= 0) return { credits: 0, rowsPredicted: total };
    const credits = due * PREDICTION_CREDITS_PER_THOUSAND_ROWS;
    const user = await trx
      .selectFrom('users')
      .select('credit_balance')
      .where('id', '=', caller.userId)
      .forNoKeyUpdate()
      .executeTakeFirst();
    const available = Number(user?.credit_balance ?? 0);
    if (available < credits) throw insufficientCredits(credits, available);
    try {
      await trx
        .insertInto('credit_transactions')
        .values({
          user_id: caller.userId,
          type: 'consumption',
          amount: -credits,
          idempotency_key: `predict:${caller.userId}:${billed + due}`,
          description: `Online predictions: rows ${(billed * 1000 + 1).toLocaleString('en-US')}–${((billed + due) * 1000).toLocaleString('en-US')}`,
          metadata: { rowsPredicted: total, thousands: due },
        })
        .execute();
    } catch (error) {
      if (isDatabaseError(error, SqlState.checkViolation)) throw insufficientCredits(credits, available);
      throw error;
    }
    await trx
      .updateTable('prediction_usage')
      .set({ thousands_billed: billed + due })
      .where('user_id', '=', caller.userId)
      .execute();
    return { credits, rowsPredicted: total };
  });
}
