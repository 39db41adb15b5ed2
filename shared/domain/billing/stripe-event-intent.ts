import * as z from 'zod';
import type { VerifiedStripeEvent } from './stripe-billing.port';

/**
 * What a verified Stripe event asks of the ledger, read from the few fields we rely on. Pure: no
 * database, no SDK. Unknown fields are ignored (Stripe adds fields without a version bump);
 * missing ones we need make the event `malformed`.
 */
export type StripeEventIntent =
  | {
      kind: 'purchase';
      checkoutSessionId: string;
      paymentIntentId: string | null;
      /** metadata.userId, else client_reference_id: not yet checked to be a user. */
      userRef: string | null;
      packageRef: string | null;
      amountPaidCents: number | null;
      currency: string | null;
    }
  | {
      kind: 'refund';
      chargeId: string;
      paymentIntentId: string | null;
      chargeAmountCents: number;
      /** Cumulative: every refund of the charge so far. */
      refundedCents: number;
      /** The newest refund, when the event carries the list. */
      refundId: string | null;
    }
  | {
      kind: 'dispute';
      disputeId: string;
      chargeId: string;
      paymentIntentId: string | null;
      disputedCents: number;
      reason: string | null;
    }
  /** Nothing to write: a type we do not handle, or a session not paid (yet). */
  | { kind: 'ignore'; reason: string }
  | { kind: 'malformed'; reason: string };

export const PURCHASE_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
] as const;

/** Expandable references arrive as an id or as the expanded object. */
const expandable = z
  .union([z.string(), z.object({ id: z.string() }).loose()])
  .nullish()
  .transform((value) => (value == null ? null : typeof value === 'string' ? value : value.id));

const metadata = z.record(z.string(), z.string()).nullish();

const checkoutSession = z
  .object({
    id: z.string().min(1),
    mode: z.string().nullish(),
    payment_status: z.string(),
    payment_intent: expandable,
    client_reference_id: z.string().nullish(),
    metadata,
    amount_total: z.number().int().nullish(),
    currency: z.string().nullish(),
  })
  .loose();

const charge = z
  .object({
    id: z.string().min(1),
    amount: z.number().int().positive(),
    amount_refunded: z.number().int().min(0),
    payment_intent: expandable,
    refunds: z
      .object({ data: z.array(z.object({ id: z.string(), created: z.number().optional() }).loose()) })
      .loose()
      .nullish(),
  })
  .loose();

const dispute = z
  .object({
    id: z.string().min(1),
    amount: z.number().int().min(0),
    charge: expandable,
    payment_intent: expandable,
    reason: z.string().nullish(),
  })
  .loose();

const envelope = z.object({ data: z.object({ object: z.record(z.string(), z.unknown()) }).loose() }).loose();

export function interpretStripeEvent(event: VerifiedStripeEvent): StripeEventIntent {
  const parsedEnvelope = envelope.safeParse(event.payload);
  if (!parsedEnvelope.success) return { kind: 'malformed', reason: 'the event has no data.object' };
  const object = parsedEnvelope.data.data.object;

  if ((PURCHASE_EVENT_TYPES as readonly string[]).includes(event.type)) {
    const parsed = checkoutSession.safeParse(object);
    if (!parsed.success) return { kind: 'malformed', reason: describe('checkout session', parsed.error) };
    const session = parsed.data;
    if (session.mode && session.mode !== 'payment') {
      return {
        kind: 'ignore',
        reason: `checkout session ${session.id} is in ${session.mode} mode, not a credit purchase`,
      };
    }
    if (session.payment_status !== 'paid') {
      return {
        kind: 'ignore',
        reason: `checkout session ${session.id} is not paid yet (payment_status ${session.payment_status}); credits are added on checkout.session.async_payment_succeeded`,
      };
    }
    return {
      kind: 'purchase',
      checkoutSessionId: session.id,
      paymentIntentId: session.payment_intent,
      userRef: nonEmpty(session.metadata?.['userId']) ?? nonEmpty(session.client_reference_id),
      packageRef: nonEmpty(session.metadata?.['packageId']),
      amountPaidCents: session.amount_total ?? null,
      currency: session.currency ?? null,
    };
  }

  if (event.type === 'charge.refunded') {
    const parsed = charge.safeParse(object);
    if (!parsed.success) return { kind: 'malformed', reason: describe('charge', parsed.error) };
    const refunds = [...(parsed.data.refunds?.data ?? [])].sort(
      (a, b) => (b.created ?? 0) - (a.created ?? 0),
    );
    return {
      kind: 'refund',
      chargeId: parsed.data.id,
      paymentIntentId: parsed.data.payment_intent,
      chargeAmountCents: parsed.data.amount,
      refundedCents: Math.min(parsed.data.amount_refunded, parsed.data.amount),
      refundId: refunds[0]?.id ?? null,
    };
  }

  if (event.type === 'charge.dispute.created') {
    const parsed = dispute.safeParse(object);
    if (!parsed.success) return { kind: 'malformed', reason: describe('dispute', parsed.error) };
    if (!parsed.data.charge)
      return { kind: 'malformed', reason: `dispute ${parsed.data.id} names no charge` };
    return {
      kind: 'dispute',
      disputeId: parsed.data.id,
      chargeId: parsed.data.charge,
      paymentIntentId: parsed.data.payment_intent,
      disputedCents: parsed.data.amount,
      reason: parsed.data.reason ?? null,
    };
  }

  return { kind: 'ignore', reason: `event type ${event.type} is not used by PipeWeave` };
}

function nonEmpty(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function describe(what: string, error: z.ZodError): string {
  const issue = error.issues[0];
  return `the ${what} is not as expected (${issue ? `${issue.path.join('.') || 'object'}: ${issue.message}` : 'invalid'})`;
}
