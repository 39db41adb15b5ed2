import type { LedgerDecision } from './ledger-decision';

/**
 * How long a Stripe event that could not be applied is retried (by the re-drive in
 * redrive-stripe-events.ts) before it is given up. Pure, so the rules are tested as a table.
 */
export interface StripeRedrivePolicy {
  /** Decisions of one event, its first delivery included, after which a retryable failure is given up. */
  maxAttempts: number;
  /** Time since the event was first recorded after which a retryable failure is given up. */
  maxAgeMs: number;
  /**
   * A `received` event (recorded, never decided) younger than this may still be in the hands of
   * the delivery that recorded it; the re-drive leaves it alone until then.
   */
  receivedGraceMs: number;
  /** How often the scheduled re-drive runs (the daily billing sweep, schedules-stack.ts). */
  sweepIntervalMs: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const STRIPE_REDRIVE_POLICY: StripeRedrivePolicy = {
  maxAttempts: 10,
  // Stripe stops retrying a webhook after three days: a purchase not here by then is not coming.
  maxAgeMs: 3 * DAY,
  receivedGraceMs: 5 * MINUTE,
  sweepIntervalMs: DAY,
};

export interface EventAttempt {
  /** Decisions of the event so far, this one included. */
  attempts: number;
  /** When the event was first recorded. */
  firstRecordedAt: Date;
  now: Date;
}

/**
 * Why to stop retrying an event after this decision, or null to keep it for the next re-drive
 * (or because there is nothing to retry: it was processed or ignored).
 */
export function giveUpReason(
  decision: Pick<LedgerDecision, 'status' | 'retryable' | 'note'>,
  attempt: EventAttempt,
  policy: StripeRedrivePolicy = STRIPE_REDRIVE_POLICY,
): string | null {
  if (decision.status !== 'failed') return null;
  const why = decision.note ?? 'the event could not be applied';
  if (!decision.retryable) return `not retried, applying it again cannot succeed: ${why}`;
  if (attempt.attempts >= policy.maxAttempts) return `gave up after ${attempt.attempts} attempts: ${why}`;
  const ageMs = attempt.now.getTime() - attempt.firstRecordedAt.getTime();
  if (ageMs >= policy.maxAgeMs) {
    return `gave up after ${formatDuration(policy.maxAgeMs)} of retries (${attempt.attempts} attempts): ${why}`;
  }
  return null;
}

/**
 * Events recorded before this instant and still waiting (received or failed, not given up) have
 * outlived the re-drive: it gives up on them by `maxAgeMs`, and runs once per `sweepIntervalMs`.
 */
export function stuckEventCutoff(now: Date, policy: StripeRedrivePolicy = STRIPE_REDRIVE_POLICY): Date {
  return new Date(now.getTime() - policy.maxAgeMs - policy.sweepIntervalMs);
}

function formatDuration(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? '' : 's'}`;
  return `${Math.round(ms / MINUTE)} minutes`;
}
