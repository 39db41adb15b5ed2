import type { JsonObject } from '../../db/schema';
import type { StripeEventIntent } from './stripe-event-intent';

/**
 * The rules that turn a Stripe event into (at most) one ledger row. Pure functions of the intent
 * and of facts read from the database, so the whole decision table is unit-tested.
 *
 * - A paid Checkout session adds the package's credits once (`purchase`).
 * - A refund or a dispute takes back the refunded/disputed share of that purchase's credits. The
 *   schema reserves `refund` for credits given back to a user (amount > 0), so a Stripe refund
 *   or dispute is a negative `adjustment` carrying the Stripe ids.
 * - The balance never goes negative: when the user already spent the credits, we take back what
 *   the balance allows and the event is `processed` with a note naming the shortfall (stored in
 *   stripe_events.error_message and logged). Refund shares are cumulative (Stripe reports the
 *   total refunded so far), so a later refund of the same charge also recovers an earlier
 *   shortfall when the balance allows, and the total never exceeds what the purchase added.
 * - What cannot be applied (no such user or package, no purchase for the charge) is `failed`
 *   with the reason: acknowledged to Stripe so it stops retrying, and logged as an error. Only a
 *   failure that may pass later is `retryable` — a refund or dispute whose purchase is not in the
 *   ledger yet (Stripe does not promise order); the re-drive (redrive-stripe-events.ts) tries
 *   those again. The others (no such user or package, a malformed event) never will.
 */
export interface LedgerEntry {
  userId: string;
  type: 'purchase' | 'adjustment';
  amount: number;
  description: string;
  packageId: string | null;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
  stripeRefundId: string | null;
  stripeDisputeId: string | null;
  idempotencyKey: string;
  metadata: JsonObject;
}

export type StripeEventOutcome = 'processed' | 'ignored' | 'failed';

export interface LedgerDecision {
  status: StripeEventOutcome;
  /** The user the event concerns, when known (stripe_events.user_id). */
  userId: string | null;
  entry: LedgerEntry | null;
  /** Why it failed or was ignored, or what could not be applied (stripe_events.error_message). */
  note: string | null;
  severity: 'info' | 'warn' | 'error';
  /** A failure that may pass when the event is applied again later (see above). */
  retryable: boolean;
}

/** One ledger row per Stripe event at most: the event id is the idempotency key. */
export function stripeIdempotencyKey(stripeEventId: string): string {
  return `stripe:${stripeEventId}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** References from Stripe metadata are only looked up when they are ids (a bad one is a failure, not a query error). */
export function isUuid(value: string | null): value is string {
  return value !== null && UUID.test(value);
}

export interface PurchaseFacts {
  user: { id: string; deleted: boolean } | undefined;
  creditPackage: { id: string; key: string; name: string; credits: number } | undefined;
}

export function decidePurchase(
  stripeEventId: string,
  intent: Extract<StripeEventIntent, { kind: 'purchase' }>,
  facts: PurchaseFacts,
): LedgerDecision {
  const session = intent.checkoutSessionId;
  if (!intent.userRef) {
    return failed(null, `checkout session ${session} names no user (metadata.userId or client_reference_id)`);
  }
  if (!facts.user) return failed(null, `checkout session ${session}: user ${intent.userRef} does not exist`);
  const userId = facts.user.id;
  if (facts.user.deleted) return failed(userId, `checkout session ${session}: user ${userId} is deleted`);
  if (!intent.packageRef)
    return failed(userId, `checkout session ${session} names no credit package (metadata.packageId)`);
  const pack = facts.creditPackage;
  if (!pack)
    return failed(userId, `checkout session ${session}: credit package ${intent.packageRef} does not exist`);

  return {
    status: 'processed',
    userId,
    note: null,
    severity: 'info',
    retryable: false,
    entry: {
      userId,
      type: 'purchase',
      amount: pack.credits,
      description: `Purchase of ${pack.name} (${pack.credits} credits)`,
      packageId: pack.id,
      stripeCheckoutSessionId: session,
      stripePaymentIntentId: intent.paymentIntentId,
      stripeRefundId: null,
      stripeDisputeId: null,
      idempotencyKey: stripeIdempotencyKey(stripeEventId),
      metadata: {
        stripeEventId,
        packageKey: pack.key,
        amountPaidCents: intent.amountPaidCents,
        currency: intent.currency,
      },
    },
  };
}

export interface RevocationFacts {
  /** The purchase the charge paid for. */
  purchase:
    { userId: string; packageId: string | null; credits: number; amountPaidCents: number | null } | undefined;
  /** Credits already taken back from that purchase by earlier refunds and disputes. */
  revokedByRefunds: number;
  revokedByDisputes: number;
  /** A ledger row for this dispute id already exists. */
  disputeAlreadyApplied: boolean;
  /** The user's balance now (read under the row lock). */
  balance: number;
}

export function decideRefund(
  stripeEventId: string,
  intent: Extract<StripeEventIntent, { kind: 'refund' }>,
  facts: RevocationFacts,
): LedgerDecision {
  const where = `refund of charge ${intent.chargeId}`;
  if (!intent.paymentIntentId)
    return failed(null, `${where}: the charge has no payment intent, so no purchase matches it`);
  const purchase = facts.purchase;
  if (!purchase) return awaitingPurchase(where, intent.paymentIntentId);

  // Cumulative share of the purchase refunded so far, rounded down (never more than was paid back).
  const target = Math.floor((purchase.credits * intent.refundedCents) / intent.chargeAmountCents);
  const wanted = Math.min(Math.max(target - facts.revokedByRefunds, 0), remainingOf(purchase.credits, facts));
  return revoke(stripeEventId, where, wanted, facts, {
    reason: 'stripe_refund',
    stripePaymentIntentId: intent.paymentIntentId,
    stripeRefundId: intent.refundId,
    stripeDisputeId: null,
    metadata: {
      chargeId: intent.chargeId,
      refundedCents: intent.refundedCents,
      chargeAmountCents: intent.chargeAmountCents,
    },
  });
}

export function decideDispute(
  stripeEventId: string,
  intent: Extract<StripeEventIntent, { kind: 'dispute' }>,
  facts: RevocationFacts,
): LedgerDecision {
  const where = `dispute ${intent.disputeId} of charge ${intent.chargeId}`;
  if (!intent.paymentIntentId)
    return failed(null, `${where}: the charge has no payment intent, so no purchase matches it`);
  const purchase = facts.purchase;
  if (!purchase) return awaitingPurchase(where, intent.paymentIntentId);
  if (facts.disputeAlreadyApplied) {
    return {
      status: 'ignored',
      userId: purchase.userId,
      entry: null,
      note: `${where} was already applied`,
      severity: 'info',
      retryable: false,
    };
  }

  const paid = purchase.amountPaidCents;
  const target =
    paid !== null && paid > 0
      ? Math.floor((purchase.credits * Math.min(intent.disputedCents, paid)) / paid)
      : purchase.credits;
  const wanted = Math.min(target, remainingOf(purchase.credits, facts));
  return revoke(stripeEventId, where, wanted, facts, {
    reason: 'stripe_dispute',
    stripePaymentIntentId: intent.paymentIntentId,
    stripeRefundId: null,
    stripeDisputeId: intent.disputeId,
    metadata: {
      chargeId: intent.chargeId,
      disputedCents: intent.disputedCents,
      disputeReason: intent.reason,
    },
  });
}

/** Facts read from the database for the intent's kind (a purchase's buyer, or a payment's history). */
export interface LedgerFacts {
  buyer?: PurchaseFacts;
  payment?: RevocationFacts;
}

export const NO_PAYMENT_FACTS: RevocationFacts = {
  purchase: undefined,
  revokedByRefunds: 0,
  revokedByDisputes: 0,
  disputeAlreadyApplied: false,
  balance: 0,
};

/** The whole decision table: one verified event's intent plus facts → what to record. */
export function decideLedgerWrite(
  stripeEventId: string,
  intent: StripeEventIntent,
  facts: LedgerFacts,
): LedgerDecision {
  switch (intent.kind) {
    case 'purchase':
      return decidePurchase(
        stripeEventId,
        intent,
        facts.buyer ?? { user: undefined, creditPackage: undefined },
      );
    case 'refund':
      return decideRefund(stripeEventId, intent, facts.payment ?? NO_PAYMENT_FACTS);
    case 'dispute':
      return decideDispute(stripeEventId, intent, facts.payment ?? NO_PAYMENT_FACTS);
    case 'ignore':
      return {
        status: 'ignored',
        userId: null,
        entry: null,
        note: intent.reason,
        severity: 'info',
        retryable: false,
      };
    case 'malformed':
      return failed(null, intent.reason);
  }
}

function remainingOf(credits: number, facts: RevocationFacts): number {
  return Math.max(credits - facts.revokedByRefunds - facts.revokedByDisputes, 0);
}

function revoke(
  stripeEventId: string,
  where: string,
  wanted: number,
  facts: RevocationFacts,
  row: {
    reason: 'stripe_refund' | 'stripe_dispute';
    stripePaymentIntentId: string;
    stripeRefundId: string | null;
    stripeDisputeId: string | null;
    metadata: JsonObject;
  },
): LedgerDecision {
  const purchase = facts.purchase;
  if (!purchase) return awaitingPurchase(where, row.stripePaymentIntentId);
  const userId = purchase.userId;
  if (wanted <= 0) {
    return {
      status: 'ignored',
      userId,
      entry: null,
      note: `${where}: the credits of this share were already taken back`,
      severity: 'info',
      retryable: false,
    };
  }
  const taken = Math.min(wanted, Math.max(facts.balance, 0));
  const shortfall = wanted - taken;
  const note =
    shortfall > 0
      ? `${where}: ${shortfall} of ${wanted} credits could not be taken back (balance was ${facts.balance}); review the account`
      : null;
  return {
    status: 'processed',
    userId,
    note,
    severity: shortfall > 0 ? 'warn' : 'info',
    retryable: false,
    entry:
      taken > 0
        ? {
            userId,
            type: 'adjustment',
            amount: -taken,
            description: `${row.reason === 'stripe_refund' ? 'Stripe refund' : 'Stripe dispute'}: ${taken} credits taken back`,
            packageId: purchase.packageId,
            stripeCheckoutSessionId: null,
            stripePaymentIntentId: row.stripePaymentIntentId,
            stripeRefundId: row.stripeRefundId,
            stripeDisputeId: row.stripeDisputeId,
            idempotencyKey: stripeIdempotencyKey(stripeEventId),
            metadata: {
              reason: row.reason,
              stripeEventId,
              requestedCredits: wanted,
              shortfallCredits: shortfall,
              ...row.metadata,
            },
          }
        : null,
  };
}

function failed(userId: string | null, note: string): LedgerDecision {
  return { status: 'failed', userId, entry: null, note, severity: 'error', retryable: false };
}

/** The purchase may simply not have arrived yet: worth applying again later. */
function awaitingPurchase(where: string, paymentIntentId: string): LedgerDecision {
  return {
    ...failed(null, `${where}: no purchase recorded for payment intent ${paymentIntentId}`),
    retryable: true,
  };
}
