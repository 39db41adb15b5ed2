import { isDatabaseError, SqlState } from '../../../db/database-error';
import type { DatabaseTransaction } from '../../../db/database';
import type { JsonObject } from '../../../db/schema';
import { PaymentRequiredError } from '../../../kernel/app-error';
import { jobReserveKey, jobSettleKey } from '../ledger-keys';
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

/**
 * A hold on `credits` of the user's balance: one `consumption` entry under `key`, written once
 * (holding again answers the first hold). 402 when the balance does not cover it. Jobs hold
 * through `LedgerCredits.reserve`; other paid work (exports) holds the same way under its own key.
 */
export interface LedgerHold {
  userId: string;
  credits: number;
  key: string;
  jobId: string | null;
  description: string;
  metadata: JsonObject;
}

export async function holdCredits(trx: DatabaseTransaction, hold: LedgerHold): Promise<number> {
  if (hold.credits <= 0) return 0;
  const earlier = await entryAmount(trx, hold.key);
  if (earlier !== undefined) return -earlier;
  // Read before writing: a refused write aborts the transaction, so nothing can be read after it.
  const available = await balanceOf(trx, hold.userId);
  if (available < hold.credits) throw insufficientCredits(hold.credits, available);
  try {
    const inserted = await trx
      .insertInto('credit_transactions')
      .values({
        user_id: hold.userId,
        type: 'consumption',
        amount: -hold.credits,
        job_id: hold.jobId,
        idempotency_key: hold.key,
        description: hold.description,
        metadata: hold.metadata,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('amount')
      .executeTakeFirst();
    const amount = inserted ? Number(inserted.amount) : await entryAmount(trx, hold.key);
    return -(amount ?? 0);
  } catch (error) {
    // Other work of this user took the credits between the read and the write.
    if (
      isDatabaseError(error, SqlState.checkViolation) &&
      error.constraint === 'credit_transactions_balance_after_check'
    )
      throw insufficientCredits(hold.credits, available);
    throw error;
  }
}

/**
 * Ends a hold: `usedCredits` (rounded up, never more than was held) stay charged and the rest
 * comes back as one `refund` entry under `settleKey` (none when nothing is left), exactly once.
 */
export interface LedgerRelease {
  userId: string;
  reserveKey: string;
  settleKey: string;
  usedCredits: number;
  jobId: string | null;
  metadata: JsonObject;
}

export async function releaseUnusedCredits(
  trx: DatabaseTransaction,
  release: LedgerRelease,
): Promise<{ charged: number; refunded: number }> {
  const reserveAmount = await entryAmount(trx, release.reserveKey);
  const reserved = reserveAmount === undefined ? 0 : -reserveAmount;
  // Settled before: the first settlement stands, whatever this call says was used.
  const earlier = await entryAmount(trx, release.settleKey);
  if (earlier !== undefined) return { charged: reserved - earlier, refunded: earlier };
  const used = Math.max(0, Math.min(reserved, Math.ceil(release.usedCredits)));
  const refund = reserved - used;
  if (refund <= 0) return { charged: reserved, refunded: 0 };
  const inserted = await trx
    .insertInto('credit_transactions')
    .values({
      user_id: release.userId,
      type: 'refund',
      amount: refund,
      job_id: release.jobId,
      idempotency_key: release.settleKey,
      description: used === 0 ? 'Reservation returned in full' : 'Unused part of the reservation returned',
      metadata: { ...release.metadata, reserved, used },
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('amount')
    .executeTakeFirst();
  const refunded = inserted ? Number(inserted.amount) : ((await entryAmount(trx, release.settleKey)) ?? 0);
  return { charged: reserved - refunded, refunded };
}

export class LedgerCredits implements CreditsPort {
  async estimate(trx: DatabaseTransaction, userId: string, credits: number): Promise<CreditEstimate> {
    const available = await balanceOf(trx, userId);
    return { credits, available, sufficient: available >= credits };
  }

  async reserve(trx: DatabaseTransaction, request: ReserveCreditsRequest): Promise<CreditReservation> {
    const reserved = await holdCredits(trx, {
      userId: request.userId,
      credits: request.credits,
      key: request.idempotencyKey,
      jobId: request.jobId,
      description: 'Reserved for a job',
      metadata: { estimate: request.credits },
    });
    return { jobId: request.jobId, reserved };
  }

  async settle(trx: DatabaseTransaction, request: SettleCreditsRequest): Promise<CreditSettlement> {
    const settled = await releaseUnusedCredits(trx, {
      userId: request.userId,
      reserveKey: jobReserveKey(request.jobId),
      settleKey: jobSettleKey(request.jobId),
      usedCredits: request.usedCredits,
      jobId: request.jobId,
      metadata: {},
    });
    return { jobId: request.jobId, ...settled };
  }
}
