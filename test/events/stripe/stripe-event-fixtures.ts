import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import type { JsonObject } from '../../../shared/db/schema';

/**
 * Stripe webhook events for tests, built from the recorded JSON beside this file with the ids a
 * test needs swapped in, and signed the way Stripe signs them.
 */
export type StripeFixtureName = 'checkout.session.completed' | 'charge.refunded' | 'charge.dispute.created';

export function stripeFixture(name: StripeFixtureName): JsonObject {
  return JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8')) as JsonObject;
}

/** A fresh id in Stripe's style (`evt_…`, `cs_test_…`, `pi_…`). */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function withObject(event: JsonObject, changes: JsonObject, eventId: string | undefined): JsonObject {
  const data = event['data'] as JsonObject;
  return {
    ...event,
    id: eventId ?? stripeId('evt'),
    data: { ...data, object: { ...(data['object'] as JsonObject), ...changes } },
  };
}

export interface CheckoutCompletedInput {
  eventId?: string;
  userId?: string | null;
  packageId?: string | null;
  clientReferenceId?: string | null;
  sessionId?: string;
  paymentIntentId?: string;
  amountTotal?: number;
  paymentStatus?: 'paid' | 'unpaid' | 'no_payment_required';
  mode?: 'payment' | 'subscription' | 'setup';
  type?: 'checkout.session.completed' | 'checkout.session.async_payment_succeeded';
}

export function checkoutCompletedEvent(input: CheckoutCompletedInput = {}): JsonObject {
  const metadata: JsonObject = {};
  if (input.userId) metadata['userId'] = input.userId;
  if (input.packageId) metadata['packageId'] = input.packageId;
  const event = withObject(
    stripeFixture('checkout.session.completed'),
    {
      id: input.sessionId ?? stripeId('cs_test'),
      payment_intent: input.paymentIntentId ?? stripeId('pi'),
      client_reference_id:
        input.clientReferenceId === undefined ? (input.userId ?? null) : input.clientReferenceId,
      metadata,
      amount_total: input.amountTotal ?? 1000,
      amount_subtotal: input.amountTotal ?? 1000,
      payment_status: input.paymentStatus ?? 'paid',
      mode: input.mode ?? 'payment',
    },
    input.eventId,
  );
  return input.type ? { ...event, type: input.type } : event;
}

export interface ChargeRefundedInput {
  eventId?: string;
  paymentIntentId: string | null;
  amount?: number;
  amountRefunded: number;
  chargeId?: string;
  refundId?: string;
}

export function chargeRefundedEvent(input: ChargeRefundedInput): JsonObject {
  const chargeId = input.chargeId ?? stripeId('ch');
  const refundId = input.refundId ?? stripeId('re');
  return withObject(
    stripeFixture('charge.refunded'),
    {
      id: chargeId,
      amount: input.amount ?? 1000,
      amount_captured: input.amount ?? 1000,
      amount_refunded: input.amountRefunded,
      refunded: input.amountRefunded >= (input.amount ?? 1000),
      payment_intent: input.paymentIntentId,
      refunds: {
        object: 'list',
        data: [
          {
            id: refundId,
            object: 'refund',
            amount: input.amountRefunded,
            charge: chargeId,
            created: 1795299990,
            currency: 'usd',
            payment_intent: input.paymentIntentId,
            status: 'succeeded',
          },
        ],
        has_more: false,
        total_count: 1,
        url: `/v1/charges/${chargeId}/refunds`,
      },
    },
    input.eventId,
  );
}

export interface DisputeCreatedInput {
  eventId?: string;
  paymentIntentId: string | null;
  amount?: number;
  disputeId?: string;
  chargeId?: string;
}

export function disputeCreatedEvent(input: DisputeCreatedInput): JsonObject {
  return withObject(
    stripeFixture('charge.dispute.created'),
    {
      id: input.disputeId ?? stripeId('dp'),
      amount: input.amount ?? 1000,
      charge: input.chargeId ?? stripeId('ch'),
      payment_intent: input.paymentIntentId,
    },
    input.eventId,
  );
}

/** A `Stripe-Signature` header for `payload`, as Stripe computes it (timestamp in seconds). */
export function signStripePayload(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
}
