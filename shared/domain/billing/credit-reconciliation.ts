import type { CreditTransactionType, JobStatus, StripeEventStatus } from '../../db/schema';
import { jobReserveKey, jobSettleKey } from './ledger-keys';

/**
 * The daily check that the credit ledger adds up (reconcile-credits.ts reads the facts, this
 * module decides). Pure: each rule takes what the database says about one user, job or Stripe
 * event and returns what disagrees, so the rules are tested as tables without a database. Drift
 * is reported, never repaired: the ledger is append-only, and a correction is a person's decision
 * (an adjustment written on purpose).
 */

export type CreditDriftKind = 'user_balance' | 'job_credits' | 'stripe_event_stuck';

export interface CreditDrift {
  kind: CreditDriftKind;
  /** What disagrees: the audit entry's resource. */
  resource: { type: 'user' | 'job' | 'stripe_event'; id: string };
  userId: string | null;
  /** Each disagreement in words an operator can act on. */
  problems: string[];
  /** The numbers the problems were found in. */
  facts: Record<string, string | number | null>;
}

export const CREDIT_DRIFT_KINDS: readonly CreditDriftKind[] = [
  'user_balance',
  'job_credits',
  'stripe_event_stuck',
];

export interface UserBalanceFacts {
  userId: string;
  /** users.credit_balance. */
  balance: number;
  /** The sum of the user's ledger entries. */
  ledgerSum: number;
  entries: number;
  /**
   * balance_after of the user's latest entries: several when entries share the latest created_at
   * (one transaction writes them all at the same now()); the last written is one of them.
   */
  latestBalancesAfter: number[];
}

/** users.credit_balance is the sum of the user's ledger and the latest entry's balance_after. */
export function userBalanceDrift(facts: UserBalanceFacts): CreditDrift | null {
  const problems: string[] = [];
  if (facts.balance !== facts.ledgerSum) {
    problems.push(
      `credit_balance is ${facts.balance} but the user's ${facts.entries} ledger entries add up to ${facts.ledgerSum}`,
    );
  }
  if (facts.entries > 0 && !facts.latestBalancesAfter.includes(facts.balance)) {
    problems.push(
      `credit_balance is ${facts.balance} but the latest ledger entry says balance_after ${facts.latestBalancesAfter.join(' or ')}`,
    );
  }
  return driftOf('user_balance', { type: 'user', id: facts.userId }, facts.userId, problems, {
    balance: facts.balance,
    ledgerSum: facts.ledgerSum,
    entries: facts.entries,
    latestBalanceAfter: facts.latestBalancesAfter.join(',') || null,
  });
}

export interface JobLedgerEntry {
  idempotencyKey: string;
  type: CreditTransactionType;
  amount: number;
  jobId: string | null;
}

export interface FinishedJobFacts {
  jobId: string;
  userId: string;
  status: JobStatus;
  estimatedCredits: number;
  chargedCredits: number;
  createdAt: Date;
  /** Ledger entries under the job's keys or naming the job. */
  entries: JobLedgerEntry[];
}

/**
 * A finished job (completed, failed or cancelled) paid through the ledger: exactly one
 * reservation (`job-reserve:<id>`, a consumption of the estimate, naming the job) when it
 * reserved anything, at most one settlement (`job-settle:<id>`, a refund of what was not used),
 * nothing else naming it, and charged_credits = reserved − refunded.
 *
 * `reservationsSince` is when the ledger first reserved for a job (null: it never has). Jobs
 * created before then ran while jobs were not charged and have no reservation by design; a job
 * created since with a positive estimate and no reservation ran unpaid.
 */
export function jobCreditsDrift(facts: FinishedJobFacts, reservationsSince: Date | null): CreditDrift | null {
  const reserveKey = jobReserveKey(facts.jobId);
  const settleKey = jobSettleKey(facts.jobId);
  const reserves = facts.entries.filter((e) => e.idempotencyKey === reserveKey);
  const settles = facts.entries.filter((e) => e.idempotencyKey === settleKey);
  const others = facts.entries.filter(
    (e) => e.idempotencyKey !== reserveKey && e.idempotencyKey !== settleKey,
  );
  const problems: string[] = [];

  if (reserves.length > 1) problems.push(`${reserves.length} reservation entries under ${reserveKey}`);
  if (settles.length > 1) problems.push(`${settles.length} settlement entries under ${settleKey}`);
  for (const entry of reserves)
    problems.push(...entryShapeProblems(entry, 'reservation', 'consumption', facts.jobId));
  for (const entry of settles)
    problems.push(...entryShapeProblems(entry, 'settlement', 'refund', facts.jobId));
  if (others.length > 0) {
    problems.push(
      `${others.length} other ledger ${others.length === 1 ? 'entry names' : 'entries name'} the job (${others
        .map((e) => `${e.type} ${e.amount} under ${e.idempotencyKey}`)
        .join('; ')})`,
    );
  }

  const reserved = -sum(reserves);
  const refunded = sum(settles);
  const reservationExpected =
    facts.estimatedCredits > 0 && reservationsSince !== null && facts.createdAt >= reservationsSince;
  if (reserves.length === 0 && reservationExpected) {
    problems.push(
      `no reservation (${reserveKey}) although the job was estimated at ${facts.estimatedCredits} credits`,
    );
  }
  if (reserves.length === 0 && settles.length > 0) problems.push('a settlement without a reservation');
  if (refunded > reserved) problems.push(`${refunded} credits refunded but only ${reserved} reserved`);
  if (reserved - refunded !== facts.chargedCredits) {
    problems.push(
      `charged_credits is ${facts.chargedCredits} but the ledger took ${reserved} reserved − ${refunded} refunded = ${reserved - refunded}`,
    );
  }

  return driftOf('job_credits', { type: 'job', id: facts.jobId }, facts.userId, problems, {
    status: facts.status,
    estimatedCredits: facts.estimatedCredits,
    chargedCredits: facts.chargedCredits,
    reserved,
    refunded,
    entries: facts.entries.length,
  });
}

export interface WaitingStripeEventFacts {
  rowId: string;
  stripeEventId: string;
  type: string;
  status: StripeEventStatus;
  userId: string | null;
  attempts: number;
  createdAt: Date;
  givenUp: boolean;
  errorMessage: string | null;
}

/**
 * An event still received or failed, not given up, and recorded before `cutoff` (see
 * stuckEventCutoff): the re-drive should have applied it or given it up by now.
 */
export function stuckStripeEventDrift(facts: WaitingStripeEventFacts, cutoff: Date): CreditDrift | null {
  const waiting = facts.status === 'received' || facts.status === 'failed';
  if (!waiting || facts.givenUp || facts.createdAt >= cutoff) return null;
  const since = facts.createdAt.toISOString();
  const why = facts.errorMessage ? `: ${facts.errorMessage}` : '';
  return driftOf(
    'stripe_event_stuck',
    { type: 'stripe_event', id: facts.rowId },
    facts.userId,
    [
      `Stripe event ${facts.stripeEventId} (${facts.type}) is still ${facts.status} after ${facts.attempts} attempts since ${since}${why}`,
    ],
    {
      stripeEventId: facts.stripeEventId,
      type: facts.type,
      status: facts.status,
      attempts: facts.attempts,
      recordedAt: since,
    },
  );
}

/** Drift found per kind, every kind present (a clean run reports zeros). */
export function countDrift(drift: readonly Pick<CreditDrift, 'kind'>[]): Record<CreditDriftKind, number> {
  const counts = Object.fromEntries(CREDIT_DRIFT_KINDS.map((kind) => [kind, 0])) as Record<
    CreditDriftKind,
    number
  >;
  for (const { kind } of drift) counts[kind] += 1;
  return counts;
}

function driftOf(
  kind: CreditDriftKind,
  resource: CreditDrift['resource'],
  userId: string | null,
  problems: string[],
  facts: CreditDrift['facts'],
): CreditDrift | null {
  return problems.length === 0 ? null : { kind, resource, userId, problems, facts };
}

function entryShapeProblems(
  entry: JobLedgerEntry,
  what: 'reservation' | 'settlement',
  type: 'consumption' | 'refund',
  jobId: string,
): string[] {
  const problems: string[] = [];
  const signOk = type === 'consumption' ? entry.amount < 0 : entry.amount > 0;
  if (entry.type !== type || !signOk) {
    problems.push(`the ${what} entry is a ${entry.type} of ${entry.amount}, not a ${type}`);
  }
  if (entry.jobId !== jobId) problems.push(`the ${what} entry names job ${entry.jobId ?? 'none'}`);
  return problems;
}

function sum(entries: readonly JobLedgerEntry[]): number {
  return entries.reduce((total, entry) => total + entry.amount, 0);
}
