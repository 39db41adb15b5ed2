import type { Database } from '../../db/database';
import type { StripeEventStatus } from '../../db/schema';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics.port';
import type { Clock } from '../../kernel/clock.port';
import { decideLedgerWrite, isUuid, type LedgerDecision, type LedgerFacts } from './ledger-decision';
import type { VerifiedStripeEvent } from './stripe-billing.port';
import { interpretStripeEvent } from './stripe-event-intent';
import { inStripeWebhookTransaction, type StripeWebhookRepository } from './stripe-webhook-repository';

export interface ApplyStripeEventDeps {
  db: Database;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'add'>;
}

export interface AppliedStripeEvent {
  /** The event id was recorded before: nothing was done this time. */
  duplicate: boolean;
  status: StripeEventStatus;
  /** The ledger row written for this event, if any. */
  creditTransactionId: string | null;
  note: string | null;
}

/**
 * Applies a verified Stripe event exactly once: records its id, decides what the ledger needs
 * (see ledger-decision.ts), writes at most one row and marks the event processed, ignored or
 * failed — all in one transaction. Unexpected errors (database down, …) propagate, the
 * transaction rolls back, and Stripe's retry applies the event later.
 */
export async function applyStripeEvent(
  deps: ApplyStripeEventDeps,
  event: VerifiedStripeEvent,
): Promise<AppliedStripeEvent> {
  const result = await inStripeWebhookTransaction(deps.db, async (repository) => {
    const recorded = await repository.recordEventOnce(event);
    if (!recorded) {
      const status = (await repository.eventStatus(event.id)) ?? 'received';
      return { duplicate: true, status, creditTransactionId: null, note: null, decision: undefined };
    }
    let decision = await decide(repository, event);
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
        };
      }
    }
    await repository.finishEvent(recorded.id, decision, deps.clock.now());
    return { duplicate: false, status: decision.status, creditTransactionId, note: decision.note, decision };
  });

  const { decision, ...applied } = result;
  const context = { stripeEventId: event.id, type: event.type, livemode: event.livemode };
  if (!decision) {
    deps.logger.info('stripe event already recorded', { ...context, status: applied.status });
  } else {
    const details = {
      ...context,
      status: decision.status,
      userId: decision.userId,
      credits: decision.entry?.amount,
      creditTransactionId: applied.creditTransactionId,
      reason: decision.note,
    };
    if (decision.severity === 'error') deps.logger.error('stripe event could not be applied', details);
    else if (decision.severity === 'warn') deps.logger.warn('stripe event applied only in part', details);
    else deps.logger.info('stripe event applied', details);
  }
  deps.metrics.add('StripeWebhookEvents', 1, 'Count', {
    outcome: applied.duplicate ? 'duplicate' : applied.status,
  });
  return applied;
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
