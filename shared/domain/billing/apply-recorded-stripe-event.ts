import type { Database } from '../../db/database';
import type { Clock } from '../../kernel/clock.port';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics.port';
import { decideLedgerWrite, isUuid, type LedgerDecision, type LedgerFacts } from './ledger-decision';
import type { VerifiedStripeEvent } from './stripe-billing.port';
import { interpretStripeEvent } from './stripe-event-intent';
import { giveUpReason, type StripeRedrivePolicy } from './stripe-event-retry-policy';
import type { StripeWebhookRepository } from './stripe-webhook-repository';

/** What applying Stripe events needs, on delivery and on re-drive alike. */
export interface StripeEventDeps {
  db: Database;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'add'>;
}

/** An event whose row is recorded (and, for a re-drive, locked) in the repository's transaction. */
export interface RecordedStripeEvent {
  rowId: string;
  event: VerifiedStripeEvent;
  /** Decisions before this one. */
  attempts: number;
  firstRecordedAt: Date;
}

export interface DecidedStripeEvent {
  decision: LedgerDecision;
  /** The ledger row written for this event, if any. */
  creditTransactionId: string | null;
  /** Decisions of the event, this one included. */
  attempts: number;
  /** Set when the event will not be retried again. */
  giveUpReason: string | null;
}

/**
 * Decides what a recorded event asks of the ledger (ledger-decision.ts), writes at most one row,
 * and stores the outcome on the event with the attempt count, giving it up when the retry policy
 * says so. The one path for a first delivery and a re-drive alike; runs inside the caller's
 * transaction.
 */
export async function applyRecordedStripeEvent(
  repository: StripeWebhookRepository,
  recorded: RecordedStripeEvent,
  now: Date,
  policy?: StripeRedrivePolicy,
): Promise<DecidedStripeEvent> {
  let decision = await decide(repository, recorded.event);
  let creditTransactionId: string | null = null;
  if (decision.entry) {
    creditTransactionId = (await repository.appendLedgerEntry(decision.entry)) ?? null;
    if (creditTransactionId === null) {
      decision = {
        ...decision,
        status: 'ignored',
        entry: null,
        note: `already in the ledger (same Stripe ${decision.entry.type === 'purchase' ? 'checkout session or payment' : 'refund'} recorded by an earlier event)`,
        severity: 'info',
        retryable: false,
      };
    }
  }
  const attempts = recorded.attempts + 1;
  const reason = giveUpReason(decision, { attempts, firstRecordedAt: recorded.firstRecordedAt, now }, policy);
  await repository.finishEvent(recorded.rowId, decision, { at: now, attempts, giveUpReason: reason });
  return { decision, creditTransactionId, attempts, giveUpReason: reason };
}

/** One log line per decided event, at the level its outcome deserves. */
export function logDecidedStripeEvent(
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  event: VerifiedStripeEvent,
  decided: DecidedStripeEvent,
  via: 'webhook' | 'redrive',
): void {
  const { decision } = decided;
  const details = {
    stripeEventId: event.id,
    type: event.type,
    livemode: event.livemode,
    via,
    status: decision.status,
    userId: decision.userId,
    credits: decision.entry?.amount,
    creditTransactionId: decided.creditTransactionId,
    reason: decision.note,
    attempts: decided.attempts,
    ...(decision.status === 'failed'
      ? { willRetry: decided.giveUpReason === null, giveUpReason: decided.giveUpReason }
      : {}),
  };
  if (decision.severity === 'error') logger.error('stripe event could not be applied', details);
  else if (decision.severity === 'warn') logger.warn('stripe event applied only in part', details);
  else logger.info('stripe event applied', details);
}

async function decide(
  repository: StripeWebhookRepository,
  event: VerifiedStripeEvent,
): Promise<LedgerDecision> {
  const intent = interpretStripeEvent(event);
  const facts: LedgerFacts = {};
  if (intent.kind === 'purchase') {
    facts.buyer = {
      user: isUuid(intent.userRef) ? await repository.findUser(intent.userRef) : undefined,
      creditPackage: isUuid(intent.packageRef)
        ? await repository.findCreditPackage(intent.packageRef)
        : undefined,
    };
  } else if ((intent.kind === 'refund' || intent.kind === 'dispute') && intent.paymentIntentId) {
    facts.payment = await repository.revocationFacts(
      intent.paymentIntentId,
      intent.kind === 'dispute' ? intent.disputeId : null,
    );
  }
  return decideLedgerWrite(event.id, intent, facts);
}
