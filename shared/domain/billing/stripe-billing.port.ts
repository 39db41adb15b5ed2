import type { JsonObject } from '../../db/schema';

/**
 * What billing needs from Stripe, without Stripe's SDK: the adapter in shared/adapters/stripe
 * implements it, so the core reads events and creates Checkout sessions through plain types.
 */

/** A webhook event whose signature was checked against the raw body. */
export interface VerifiedStripeEvent {
  id: string;
  type: string;
  livemode: boolean;
  /** Unix seconds, when Stripe created the event. */
  created: number;
  /** The whole event as Stripe sent it (stored in `stripe_events.payload`). */
  payload: JsonObject;
}

export interface StripeWebhookVerifier {
  /**
   * Checks `Stripe-Signature` against the raw body and the signing secret, within the timestamp
   * tolerance. Throws StripeSignatureInvalidError (or StripePayloadInvalidError) otherwise.
   */
  verify(rawBody: string, signatureHeader: string | undefined): VerifiedStripeEvent;
}

export interface CheckoutSessionRequest {
  userId: string;
  packageId: string;
  /** The package's `stripe_price_id`. */
  stripePriceId: string;
  customerEmail?: string;
  successUrl: string;
  cancelUrl: string;
  /** Sent as Stripe's Idempotency-Key, so a retried request returns the same session. */
  idempotencyKey: string;
}

export interface CheckoutSession {
  id: string;
  /** Where to send the buyer. */
  url: string;
  expiresAt: Date;
}

export interface CheckoutSessionCreator {
  createCheckoutSession(request: CheckoutSessionRequest): Promise<CheckoutSession>;
}

/** What is configured: either part may be missing (a webhook secret without an API key, say). */
export interface StripeBilling {
  webhooks: StripeWebhookVerifier | undefined;
  checkout: CheckoutSessionCreator | undefined;
  /** Why a part is missing, safe to show to a client (names settings, never values). */
  missing: string | undefined;
}
