import type { DatabaseTransaction } from '../../../db/database';

/**
 * How a job pays for itself. Starting a job reserves its estimated credits in the transaction that
 * creates it; settling it charges what actually ran and returns the rest. The prepaid ledger
 * implements this with two idempotent ledger rows per job (a consumption at reserve, a refund at
 * settle).
 *
 * Both writes take the caller's transaction so the job row and its money move together (a job
 * never exists without its reservation, and is never settled twice), and both are idempotent on
 * the job id: a retried request or a second settle changes nothing.
 */
export interface CreditEstimate {
  /** Credits the job would reserve. */
  credits: number;
  /** What the user can spend now; `null` when no balance applies (no-charge mode). */
  available: number | null;
  sufficient: boolean;
}

export interface ReserveCreditsRequest {
  jobId: string;
  userId: string;
  credits: number;
  /** Stable per job start (the request's Idempotency-Key or the job id), so a retry reserves once. */
  idempotencyKey: string;
}

export interface CreditReservation {
  jobId: string;
  /** Credits held for the job (taken from the balance by a ledger; 0 when nothing is charged). */
  reserved: number;
}

export interface SettleCreditsRequest {
  jobId: string;
  userId: string;
  /** What the job ended up costing: never more than was reserved. */
  usedCredits: number;
}

export interface CreditSettlement {
  jobId: string;
  /** Credits finally taken for the job. */
  charged: number;
  /** Reserved credits given back. */
  refunded: number;
}

export interface CreditsPort {
  /** Whether `userId` can afford `credits` now. Advisory: `reserve` is what enforces it. */
  estimate(trx: DatabaseTransaction, userId: string, credits: number): Promise<CreditEstimate>;
  /**
   * Holds `credits` for the job inside `trx`. Throws PaymentRequiredError (code
   * `CREDITS.INSUFFICIENT`) when the balance does not cover it. Reserving again for the same job
   * returns the first reservation.
   */
  reserve(trx: DatabaseTransaction, request: ReserveCreditsRequest): Promise<CreditReservation>;
  /**
   * Charges `usedCredits` and returns the rest of the reservation; settling again returns the
   * first settlement when it refunded something. A settlement that refunds nothing leaves no
   * ledger row, so the caller settles once: jobs under their row lock, skipping a job already in
   * a terminal status (runs/job-control.ts settleJob).
   */
  settle(trx: DatabaseTransaction, request: SettleCreditsRequest): Promise<CreditSettlement>;
}
