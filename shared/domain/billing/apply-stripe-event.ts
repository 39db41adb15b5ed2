import type { StripeEventStatus } from '../../db/schema';
import {
  applyRecordedStripeEvent,
  logDecidedStripeEvent,
  type DecidedStripeEvent,
  type StripeEventDeps,
} from './apply-recorded-stripe-event';
import { redriveStripeEvents } from './redrive-stripe-events';
import type { VerifiedStripeEvent } from './stripe-billing.port';
import { inStripeWebhookTransaction } from './stripe-webhook-repository';

export type ApplyStripeEventDeps = StripeEventDeps;

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
 * transaction rolls back, and Stripe's retry applies the event later. A failure that may pass
 * later (a refund before its purchase) is left for the re-drive (redrive-stripe-events.ts); a
 * purchase, once applied, re-drives at once the refunds and disputes of its payment that waited.
 */
export async function applyStripeEvent(
  deps: ApplyStripeEventDeps,
  event: VerifiedStripeEvent,
): Promise<AppliedStripeEvent> {
  const result = await inStripeWebhookTransaction(
    deps.db,
    async (repository): Promise<{ status: StripeEventStatus; decided?: DecidedStripeEvent }> => {
      const recorded = await repository.recordEventOnce(event);
      if (!recorded) return { status: (await repository.eventStatus(event.id)) ?? 'received' };
      const now = deps.clock.now();
      const decided = await applyRecordedStripeEvent(
        repository,
        { rowId: recorded.id, event, attempts: 0, firstRecordedAt: now },
        now,
      );
      return { status: decided.decision.status, decided };
    },
  );

  const { decided } = result;
  if (!decided) {
    deps.logger.info('stripe event already recorded', {
      stripeEventId: event.id,
      type: event.type,
      livemode: event.livemode,
      status: result.status,
    });
  } else {
    logDecidedStripeEvent(deps.logger, event, decided, 'webhook');
  }
  deps.metrics.add('StripeWebhookEvents', 1, 'Count', { outcome: decided ? result.status : 'duplicate' });

  const purchase = decided?.creditTransactionId ? decided.decision.entry : null;
  if (purchase?.type === 'purchase' && purchase.stripePaymentIntentId) {
    // After the commit: the purchase is acknowledged whatever happens here, and the daily
    // re-drive catches up whatever this does not get to.
    await redriveStripeEvents(deps, {
      paymentIntentId: purchase.stripePaymentIntentId,
      via: 'webhook',
    }).catch((error: unknown) => {
      deps.logger.error('re-driving the events that waited for a purchase failed', {
        stripeEventId: event.id,
        error,
      });
    });
  }

  return {
    duplicate: !decided,
    status: result.status,
    creditTransactionId: decided?.creditTransactionId ?? null,
    note: decided?.decision.note ?? null,
  };
}
