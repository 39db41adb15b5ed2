import Stripe from 'stripe';
import { StripePayloadInvalidError, StripeSignatureInvalidError } from '../../domain/billing/billing-errors';
import type { StripeWebhookVerifier, VerifiedStripeEvent } from '../../domain/billing/stripe-billing.port';
import type { JsonObject } from '../../db/schema';

/**
 * Stripe's own default: a signed timestamp older than this is refused (replay protection). A
 * timestamp this far ahead of our clock is refused too: the SDK only checks age, so a signature
 * made (or leaked) with a future timestamp would otherwise stay replayable until then.
 */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

export interface StripeWebhookVerifierOptions {
  /** Largest distance, either way, between the signed timestamp and now. */
  toleranceSeconds?: number;
  /** When the request arrived; the tolerance is measured from it (tests move it). */
  now?: () => Date;
}

/**
 * Verifies `Stripe-Signature` (HMAC-SHA256 of `timestamp.rawBody` with the endpoint's signing
 * secret) with the SDK, on the body exactly as received: re-serialized JSON would not match; then
 * refuses a signed timestamp more than the tolerance ahead of now.
 */
export function createStripeWebhookVerifier(
  signingSecret: string,
  options: StripeWebhookVerifierOptions = {},
): StripeWebhookVerifier {
  const tolerance = options.toleranceSeconds ?? STRIPE_SIGNATURE_TOLERANCE_SECONDS;
  const now = options.now ?? (() => new Date());
  return {
    verify(rawBody: string, signatureHeader: string | undefined): VerifiedStripeEvent {
      if (!signatureHeader) throw new StripeSignatureInvalidError('The Stripe-Signature header is missing.');
      const receivedAt = now().getTime();
      let event: Stripe.Event;
      try {
        event = Stripe.webhooks.constructEvent(
          rawBody,
          signatureHeader,
          signingSecret,
          tolerance,
          undefined,
          receivedAt,
        );
      } catch (error) {
        if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
          throw new StripeSignatureInvalidError(signatureProblem(error.message, tolerance), { cause: error });
        }
        if (error instanceof SyntaxError) {
          throw new StripePayloadInvalidError('The signed body is not JSON.', { cause: error });
        }
        throw error;
      }
      // The SDK checked the signature and the age; it accepts any timestamp ahead of its clock.
      const signedAt = signedTimestamp(signatureHeader);
      if (signedAt === undefined || signedAt - Math.floor(receivedAt / 1000) > tolerance) {
        throw new StripeSignatureInvalidError(
          `The Stripe-Signature timestamp is more than ${tolerance} seconds in the future; Stripe signs each delivery when it sends it, so this signature is refused.`,
        );
      }
      return toVerifiedEvent(event, rawBody);
    },
  };
}

/** The header's `t=` read as the SDK reads it (the last one, parseInt), so both check the same value. */
function signedTimestamp(header: string): number | undefined {
  let timestamp: number | undefined;
  for (const item of header.split(',')) {
    const [key, value] = item.split('=');
    if (key === 't') timestamp = Number.parseInt(value ?? '', 10);
  }
  return timestamp === undefined || Number.isNaN(timestamp) ? undefined : timestamp;
}

function signatureProblem(sdkMessage: string, tolerance: number): string {
  if (/tolerance/i.test(sdkMessage)) {
    return `The Stripe-Signature timestamp is more than ${tolerance} seconds old; Stripe signs each delivery anew, so this looks like a replay.`;
  }
  if (/extract timestamp|expected scheme|no stripe-signature/i.test(sdkMessage)) {
    return 'The Stripe-Signature header is malformed (expected t=<timestamp>,v1=<signature>).';
  }
  return 'The Stripe-Signature header does not match the body: check the webhook signing secret, and that the body is passed on unchanged.';
}

function toVerifiedEvent(event: Stripe.Event, rawBody: string): VerifiedStripeEvent {
  const payload = JSON.parse(rawBody) as unknown;
  if (
    typeof payload !== 'object' ||
    payload === null ||
    Array.isArray(payload) ||
    typeof event.id !== 'string' ||
    typeof event.type !== 'string'
  ) {
    throw new StripePayloadInvalidError(
      'The signed body is not a Stripe event (an object with id and type).',
    );
  }
  return {
    id: event.id,
    type: event.type,
    livemode: event.livemode === true,
    created: typeof event.created === 'number' ? event.created : 0,
    payload: payload as JsonObject,
  };
}
