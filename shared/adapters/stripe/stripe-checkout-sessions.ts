import Stripe from 'stripe';
import { BillingNotConfiguredError } from '../../domain/billing/billing-errors';
import type {
  CheckoutSession,
  CheckoutSessionCreator,
  CheckoutSessionRequest,
} from '../../domain/billing/stripe-billing.port';
import { DependencyUnavailableError } from '../../kernel/app-error';

export interface StripeCheckoutOptions {
  /** Stripe's HTTP client; tests pass `Stripe.createFetchHttpClient(fakeFetch)`. */
  httpClient?: Stripe.HttpClient;
  timeoutMs?: number;
  /** Retries of failed connections and 5xx answers (the SDK backs off between them). */
  maxNetworkRetries?: number;
}

/**
 * Creates Stripe Checkout sessions for credit packages. The buyer and the package travel in the
 * session's metadata (and `client_reference_id`), and in the payment intent's metadata, which is
 * how the `checkout.session.completed` webhook knows whom to credit with what.
 */
export function createStripeCheckoutSessions(
  secretKey: string,
  options: StripeCheckoutOptions = {},
): CheckoutSessionCreator {
  const stripe = new Stripe(secretKey, {
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 10_000,
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  });
  return {
    async createCheckoutSession(request: CheckoutSessionRequest): Promise<CheckoutSession> {
      const metadata = { userId: request.userId, packageId: request.packageId };
      let session: Stripe.Checkout.Session;
      try {
        session = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            line_items: [{ price: request.stripePriceId, quantity: 1 }],
            client_reference_id: request.userId,
            metadata,
            payment_intent_data: { metadata },
            ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
            success_url: request.successUrl,
            cancel_url: request.cancelUrl,
          },
          { idempotencyKey: request.idempotencyKey },
        );
      } catch (error) {
        throw translateStripeError(error);
      }
      if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL.`);
      return { id: session.id, url: session.url, expiresAt: new Date(session.expires_at * 1000) };
    },
  };
}

/** Stripe's errors → ours: outages retry later, a refused key means billing is not set up. */
export function translateStripeError(error: unknown): unknown {
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError
  ) {
    return new DependencyUnavailableError('stripe', `Stripe is unavailable: ${error.message}`, {
      cause: error,
      ...(error instanceof Stripe.errors.StripeRateLimitError ? { details: { retryAfterSeconds: 1 } } : {}),
    });
  }
  if (
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  ) {
    return new BillingNotConfiguredError('Stripe refused the configured secret key', { cause: error });
  }
  return error;
}
