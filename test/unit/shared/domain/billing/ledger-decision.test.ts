import { describe, expect, it } from 'vitest';
import {
  decideLedgerWrite,
  NO_PAYMENT_FACTS,
  type LedgerDecision,
  type LedgerFacts,
  type RevocationFacts,
} from '../../../../../shared/domain/billing/ledger-decision';
import type { VerifiedStripeEvent } from '../../../../../shared/domain/billing/stripe-billing.port';
import { interpretStripeEvent } from '../../../../../shared/domain/billing/stripe-event-intent';
import type { JsonObject } from '../../../../../shared/db/schema';
import {
  chargeRefundedEvent,
  checkoutCompletedEvent,
  disputeCreatedEvent,
  stripeFixture,
} from '../../../../events/stripe/stripe-event-fixtures';

const USER = '0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';
const PACKAGE = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f1a2b3c4d';
const PI = 'pi_3QxK2jLkdIwHu7ix0kTzWq5R';

const buyer: LedgerFacts = {
  buyer: {
    user: { id: USER, deleted: false },
    creditPackage: { id: PACKAGE, key: 'starter', name: 'Starter', credits: 100 },
  },
};

function payment(overrides: Partial<RevocationFacts> = {}): LedgerFacts {
  return {
    payment: {
      purchase: { userId: USER, packageId: PACKAGE, credits: 100, amountPaidCents: 1000 },
      revokedByRefunds: 0,
      revokedByDisputes: 0,
      disputeAlreadyApplied: false,
      balance: 500,
      ...overrides,
    },
  };
}

function verified(payload: JsonObject): VerifiedStripeEvent {
  return {
    id: String(payload['id']),
    type: String(payload['type']),
    livemode: payload['livemode'] === true,
    created: Number(payload['created']),
    payload,
  };
}

function decide(payload: JsonObject, facts: LedgerFacts): LedgerDecision & { eventId: string } {
  const event = verified(payload);
  return { ...decideLedgerWrite(event.id, interpretStripeEvent(event), facts), eventId: event.id };
}

interface Row {
  name: string;
  event: JsonObject;
  facts: LedgerFacts;
  status: LedgerDecision['status'];
  /** Signed credits of the ledger row; null when no row is written. */
  amount: number | null;
  type?: 'purchase' | 'adjustment';
  note?: RegExp;
  /** The failure may pass when the event is applied again (its purchase arrives later). */
  retryable?: true;
}

const table: Row[] = [
  // Purchases
  {
    name: 'a paid checkout adds the package credits',
    event: checkoutCompletedEvent({ userId: USER, packageId: PACKAGE }),
    facts: buyer,
    status: 'processed',
    amount: 100,
    type: 'purchase',
  },
  {
    name: 'a paid checkout with only client_reference_id names the buyer',
    event: checkoutCompletedEvent({ userId: null, clientReferenceId: USER, packageId: PACKAGE }),
    facts: buyer,
    status: 'processed',
    amount: 100,
    type: 'purchase',
  },
  {
    name: 'checkout.session.async_payment_succeeded adds the credits too',
    event: checkoutCompletedEvent({
      userId: USER,
      packageId: PACKAGE,
      type: 'checkout.session.async_payment_succeeded',
    }),
    facts: buyer,
    status: 'processed',
    amount: 100,
    type: 'purchase',
  },
  {
    name: 'a checkout not paid yet is ignored until the async payment succeeds',
    event: checkoutCompletedEvent({ userId: USER, packageId: PACKAGE, paymentStatus: 'unpaid' }),
    facts: buyer,
    status: 'ignored',
    amount: null,
    note: /not paid yet/,
  },
  {
    name: 'a subscription checkout is not a credit purchase',
    event: checkoutCompletedEvent({ userId: USER, packageId: PACKAGE, mode: 'subscription' }),
    facts: buyer,
    status: 'ignored',
    amount: null,
    note: /subscription mode/,
  },
  {
    name: 'a checkout that names no user fails',
    event: checkoutCompletedEvent({ userId: null, clientReferenceId: null, packageId: PACKAGE }),
    facts: buyer,
    status: 'failed',
    amount: null,
    note: /names no user/,
  },
  {
    name: 'a checkout for an unknown user fails',
    event: checkoutCompletedEvent({ userId: USER, packageId: PACKAGE }),
    facts: { buyer: { user: undefined, creditPackage: buyer.buyer?.creditPackage } },
    status: 'failed',
    amount: null,
    note: new RegExp(`user ${USER} does not exist`),
  },
  {
    name: 'a checkout for a deleted user fails',
    event: checkoutCompletedEvent({ userId: USER, packageId: PACKAGE }),
    facts: { buyer: { user: { id: USER, deleted: true }, creditPackage: buyer.buyer?.creditPackage } },
    status: 'failed',
    amount: null,
    note: /is deleted/,
  },
  {
    name: 'a checkout that names no package fails',
    event: checkoutCompletedEvent({ userId: USER, packageId: null }),
    facts: buyer,
    status: 'failed',
    amount: null,
    note: /names no credit package/,
  },
  {
    name: 'a checkout for an unknown package fails',
    event: checkoutCompletedEvent({ userId: USER, packageId: PACKAGE }),
    facts: { buyer: { user: { id: USER, deleted: false }, creditPackage: undefined } },
    status: 'failed',
    amount: null,
    note: new RegExp(`credit package ${PACKAGE} does not exist`),
  },
  // Refunds (amount_refunded is cumulative)
  {
    name: 'a full refund takes back all the credits',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 1000 }),
    facts: payment(),
    status: 'processed',
    amount: -100,
    type: 'adjustment',
  },
  {
    name: 'a quarter refund takes back a quarter',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 250 }),
    facts: payment(),
    status: 'processed',
    amount: -25,
    type: 'adjustment',
  },
  {
    name: 'a second partial refund takes back only the new share',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 500 }),
    facts: payment({ revokedByRefunds: 25 }),
    status: 'processed',
    amount: -25,
    type: 'adjustment',
  },
  {
    name: 'a share that is not a whole credit is rounded down',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 333 }),
    facts: payment(),
    status: 'processed',
    amount: -33,
    type: 'adjustment',
  },
  {
    name: 'credits already spent: what the balance allows is taken, the rest is noted',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 1000 }),
    facts: payment({ balance: 30 }),
    status: 'processed',
    amount: -30,
    type: 'adjustment',
    note: /70 of 100 credits could not be taken back \(balance was 30\)/,
  },
  {
    name: 'nothing left at all: no row, the whole shortfall is noted',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 1000 }),
    facts: payment({ balance: 0 }),
    status: 'processed',
    amount: null,
    note: /100 of 100 credits could not be taken back/,
  },
  {
    name: 'a later refund also recovers an earlier shortfall when the balance allows',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 1000 }),
    facts: payment({ revokedByRefunds: 30, balance: 500 }),
    status: 'processed',
    amount: -70,
    type: 'adjustment',
  },
  {
    name: 'a refund after a dispute took everything is ignored',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 1000 }),
    facts: payment({ revokedByDisputes: 100 }),
    status: 'ignored',
    amount: null,
    note: /already taken back/,
  },
  {
    name: 'a refund of a charge with no recorded purchase fails, to be retried',
    event: chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 1000 }),
    facts: { payment: NO_PAYMENT_FACTS },
    status: 'failed',
    amount: null,
    note: new RegExp(`no purchase recorded for payment intent ${PI}`),
    retryable: true,
  },
  {
    name: 'a refund of a charge without a payment intent fails',
    event: chargeRefundedEvent({ paymentIntentId: null, amountRefunded: 1000 }),
    facts: {},
    status: 'failed',
    amount: null,
    note: /has no payment intent/,
  },
  // Disputes
  {
    name: 'a dispute of the whole payment takes back all the credits',
    event: disputeCreatedEvent({ paymentIntentId: PI, amount: 1000 }),
    facts: payment(),
    status: 'processed',
    amount: -100,
    type: 'adjustment',
  },
  {
    name: 'a dispute of half the payment takes back half',
    event: disputeCreatedEvent({ paymentIntentId: PI, amount: 500 }),
    facts: payment(),
    status: 'processed',
    amount: -50,
    type: 'adjustment',
  },
  {
    name: 'a dispute after a partial refund takes back at most what is left',
    event: disputeCreatedEvent({ paymentIntentId: PI, amount: 1000 }),
    facts: payment({ revokedByRefunds: 40 }),
    status: 'processed',
    amount: -60,
    type: 'adjustment',
  },
  {
    name: 'a dispute when the credits were spent takes the balance and notes the rest',
    event: disputeCreatedEvent({ paymentIntentId: PI, amount: 1000 }),
    facts: payment({ balance: 10 }),
    status: 'processed',
    amount: -10,
    type: 'adjustment',
    note: /90 of 100 credits could not be taken back/,
  },
  {
    name: 'a dispute already applied is ignored',
    event: disputeCreatedEvent({ paymentIntentId: PI, amount: 1000 }),
    facts: payment({ disputeAlreadyApplied: true }),
    status: 'ignored',
    amount: null,
    note: /already applied/,
  },
  {
    name: 'a dispute of a payment with no recorded purchase fails, to be retried',
    event: disputeCreatedEvent({ paymentIntentId: PI, amount: 1000 }),
    facts: { payment: NO_PAYMENT_FACTS },
    status: 'failed',
    amount: null,
    note: /no purchase recorded/,
    retryable: true,
  },
  // Everything else
  {
    name: 'an event type PipeWeave does not use is recorded as ignored',
    event: { ...stripeFixture('charge.refunded'), id: 'evt_other', type: 'customer.created' },
    facts: {},
    status: 'ignored',
    amount: null,
    note: /customer\.created is not used/,
  },
  {
    name: 'a refund event without the charge amounts fails as malformed',
    event: {
      ...stripeFixture('charge.refunded'),
      id: 'evt_bad',
      data: { object: { id: 'ch_1', object: 'charge' } },
    },
    facts: {},
    status: 'failed',
    amount: null,
    note: /charge is not as expected \(amount/,
  },
];

describe('Stripe event → ledger decision', () => {
  it.each(table)('$name', (row) => {
    const decision = decide(row.event, row.facts);
    expect(decision.status).toBe(row.status);
    expect(decision.entry?.amount ?? null).toBe(row.amount);
    if (row.type) expect(decision.entry?.type).toBe(row.type);
    if (row.note) expect(decision.note).toMatch(row.note);
    else expect(decision.note).toBeNull();
    // Every row is keyed by its event; failures are loud, shortfalls are warnings.
    if (decision.entry) expect(decision.entry.idempotencyKey).toBe(`stripe:${decision.eventId}`);
    if (decision.status === 'failed') expect(decision.severity).toBe('error');
    expect(decision.retryable).toBe(row.retryable ?? false);
    if (decision.status === 'processed' && decision.note) expect(decision.severity).toBe('warn');
  });

  it('puts the Stripe ids and the package on a purchase', () => {
    const event = checkoutCompletedEvent({
      userId: USER,
      packageId: PACKAGE,
      sessionId: 'cs_test_abc',
      paymentIntentId: 'pi_abc',
      amountTotal: 1000,
    });
    const { entry, userId } = decide(event, buyer);
    expect(userId).toBe(USER);
    expect(entry).toMatchObject({
      userId: USER,
      packageId: PACKAGE,
      stripeCheckoutSessionId: 'cs_test_abc',
      stripePaymentIntentId: 'pi_abc',
      stripeRefundId: null,
      stripeDisputeId: null,
      metadata: { amountPaidCents: 1000, currency: 'usd', packageKey: 'starter' },
    });
  });

  it('puts the refund and dispute ids on the adjustments, with what was asked and what was missing', () => {
    const refund = decide(
      chargeRefundedEvent({ paymentIntentId: PI, amountRefunded: 1000, refundId: 're_1' }),
      payment({ balance: 30 }),
    );
    expect(refund.entry).toMatchObject({
      stripePaymentIntentId: PI,
      stripeRefundId: 're_1',
      stripeDisputeId: null,
      metadata: { reason: 'stripe_refund', requestedCredits: 100, shortfallCredits: 70 },
    });
    const dispute = decide(disputeCreatedEvent({ paymentIntentId: PI, disputeId: 'dp_1' }), payment());
    expect(dispute.entry).toMatchObject({
      stripePaymentIntentId: PI,
      stripeDisputeId: 'dp_1',
      stripeRefundId: null,
      metadata: { reason: 'stripe_dispute', disputeReason: 'fraudulent', shortfallCredits: 0 },
    });
  });
});
