import { isDatabaseError, SqlState } from '../../../db/database-error';
import type { DatabaseTransaction } from '../../../db/database';
import { PaymentRequiredError } from '../../../kernel/app-error';
import type {
  CreditEstimate,
  CreditReservation,
  CreditSettlement,
  CreditsPort,
  ReserveCreditsRequest,
  SettleCreditsRequest,
} from './credits.port';

/**
 * Jobs pay from the prepaid ledger (credit_transactions): two rows per job at most.
 *
 * - Reserve: a `consumption` of −estimate, key `job-reserve:<job id>`, in the transaction that
 *   creates the job. The ledger's trigger refuses a balance below zero, so two jobs racing for
 *   the last credits cannot both reserve them.
 * - Settle: a `refund` of reserved − used, key `job-settle:<job id>`; none when nothing is given
 *   back. The unique key makes a second settle (a retried control call, the sweeper racing the
 *   run's end) write nothing and report the first settlement.
 *
 * What a job was charged is therefore always reserve + settle, read from the ledger itself.
 */
export const jobReserveKey = (jobId: string) => `job-reserve:${jobId}`;
export const jobSettleKey = (jobId: string) => `job-settle:${jobId}`;

/** Where a user tops up, named in every "not enough credits" answer. */
export const TOP_UP = {
  packages: '/credit-packages',
  checkout: '/credits/checkout',
  balance: '/credits',
} as const;

/** 402: the balance does not cover `required`. */
export function insufficientCredits(required: number, available: number): PaymentRequiredError {
  return new PaymentRequiredError(
    'CREDITS.INSUFFICIENT',
    `This needs ${required} credit${required === 1 ? '' : 's'} and your balance is ${available}: buy a credit package (GET ${TOP_UP.packages}, then POST ${TOP_UP.checkout}) and try again.`,
    { details: { required, available, topUp: TOP_UP } },
  );
}

/**
 * The user's balance, with their row locked for the rest of the transaction as the ledger's
 * trigger locks it (FOR NO KEY UPDATE, which leaves foreign-key checks alone): what is read here
 * is what the reservation is checked against. Starts by one user therefore queue here.
 */
async function balanceOf(trx: DatabaseTransaction, userId: string): Promise<number> {
  const user = await trx
    .selectFrom('users')
    .select('credit_balance')
    .where('id', '=', userId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  return Number(user?.credit_balance ?? 0);
}

async function entryAmount(trx: DatabaseTransaction, idempotencyKey: string): Promise<number | undefined> {
  const row = await trx
    .selectFrom('credit_transactions')
    .select('amount')
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  return row ? Number(row.amount) : undefined;
}

export class LedgerCredits implements CreditsPort {
  async estimate(trx: DatabaseTransaction, userId: string, credits: number): Promise<CreditEstimate> {
    const available = await balanceOf(trx, userId);
    return { credits, available, sufficient: available >= credits };
  }

  async reserve(trx: DatabaseTransaction, request: ReserveCreditsRequest): Promise<CreditReservation> {
    if (request.credits <= 0) return { jobId: request.jobId, reserved: 0 };
    const earlier = await entryAmount(trx, request.idempotencyKey);
    if (earlier !== undefined) return { jobId: request.jobId, reserved: -earlier };
    // Read before writing: a refused write aborts the transaction, so nothing can be read after it.
    const available = await balanceOf(trx, request.userId);
    if (available < request.credits) throw insufficientCredits(request.credits, available);
    try {
      const inserted = await trx
        .insertInto('credit_transactions')
        .values({
          user_id: request.userId,
          type: 'consumption',
          amount: -request.credits,
          job_id: request.jobId,
          idempotency_key: request.idempotencyKey,
          description: 'Reserved for a job',
          metadata: { estimate: request.credits },
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('amount')
        .executeTakeFirst();
      const amount = inserted ? Number(inserted.amount) : await entryAmount(trx, request.idempotencyKey);
      return { jobId: request.jobId, reserved: -(amount ?? 0) };
    } catch (error) {
      // Another job of this user took the credits between the read and the write.
      if (
        isDatabaseError(error, SqlState.checkViolation) &&
        error.constraint === 'credit_transactions_balance_after_check'
      )
        throw insufficientCredits(request.credits, available);
      throw error;
    }
  }

  async settle(trx: DatabaseTransaction, request: SettleCreditsRequest): Promise<CreditSettlement> {
    const reserveAmount = await entryAmount(trx, jobReserveKey(request.jobId));
    const reserved = reserveAmount === undefined ? 0 : -reserveAmount;
    const used = Math.max(0, Math.min(reserved, Math.ceil(request.usedCredits)));
    const refund = reserved - used;
    if (refund <= 0) return { jobId: request.jobId, charged: reserved, refunded: 0 };
    const key = jobSettleKey(request.jobId);
    const inserted = await trx
      .insertInto('credit_transactions')
      .values({
        user_id: request.userId,
        type: 'refund',
        amount: refund,
        job_id: request.jobId,
        idempotency_key: key,
        description: used === 0 ? 'Reservation returned in full' : 'Unused part of the reservation returned',
        metadata: { reserved, used },
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('amount')
      .executeTakeFirst();
    const refunded = inserted ? Number(inserted.amount) : ((await entryAmount(trx, key)) ?? 0);
    return { jobId: request.jobId, charged: reserved - refunded, refunded };
  }
}
