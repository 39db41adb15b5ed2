import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { createStripeCheckoutSessions } from '../../../../../shared/adapters/stripe/stripe-checkout-sessions';
import { BillingNotConfiguredError } from '../../../../../shared/domain/billing/billing-errors';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';

interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  form: URLSearchParams;
}

/** Stands in for Stripe's API at the HTTP level: records what the SDK sends, answers as told. */
function fakeStripeApi(answer: { status: number; body: unknown }) {
  const sent: SentRequest[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      form: new URLSearchParams(typeof init?.body === 'string' ? init.body : ''),
    });
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json', 'request-id': 'req_test_1' },
    });
  };
  return { sent, httpClient: Stripe.createFetchHttpClient(fetchFn) };
}

const request = {
  userId: '0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3',
  packageId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f1a2b3c4d',
  stripePriceId: 'price_1QxStarter',
  customerEmail: 'ada@example.test',
  successUrl: 'https://app.pipeweave.example/credits?checkout=success',
  cancelUrl: 'https://app.pipeweave.example/credits?checkout=cancelled',
  idempotencyKey: 'checkout:0b7c1d2e:1',
};

describe('Stripe Checkout sessions', () => {
  it('creates a one-off payment for the package price, carrying buyer and package for the webhook', async () => {
    const api = fakeStripeApi({
      status: 200,
      body: {
        id: 'cs_test_a1',
        object: 'checkout.session',
        url: 'https://checkout.example.test/c/pay/cs_test_a1',
        expires_at: 1795382100,
      },
    });
    const checkout = createStripeCheckoutSessions('sk_test_51AbC', {
      httpClient: api.httpClient,
      maxNetworkRetries: 0,
    });

    const session = await checkout.createCheckoutSession(request);

    expect(session).toEqual({
      id: 'cs_test_a1',
      url: 'https://checkout.example.test/c/pay/cs_test_a1',
      expiresAt: new Date(1795382100 * 1000),
    });
    expect(api.sent).toHaveLength(1);
    const sent = api.sent[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toMatch(/\/v1\/checkout\/sessions$/);
    expect(sent?.headers['idempotency-key']).toBe(request.idempotencyKey);
    expect(sent?.headers['authorization']).toBe('Bearer sk_test_51AbC');
    expect(Object.fromEntries(sent?.form ?? [])).toMatchObject({
      mode: 'payment',
      'line_items[0][price]': 'price_1QxStarter',
      'line_items[0][quantity]': '1',
      client_reference_id: request.userId,
      'metadata[userId]': request.userId,
      'metadata[packageId]': request.packageId,
      'payment_intent_data[metadata][userId]': request.userId,
      'payment_intent_data[metadata][packageId]': request.packageId,
      customer_email: 'ada@example.test',
      success_url: request.successUrl,
      cancel_url: request.cancelUrl,
    });
  });

  it('reports an outage as a dependency to retry, and a refused key as billing not configured', async () => {
    const down = fakeStripeApi({
      status: 500,
      body: { error: { type: 'api_error', message: 'Something went wrong' } },
    });
    await expect(
      createStripeCheckoutSessions('sk_test_1', {
        httpClient: down.httpClient,
        maxNetworkRetries: 0,
      }).createCheckoutSession(request),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);

    const refused = fakeStripeApi({
      status: 401,
      body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_***' } },
    });
    await expect(
      createStripeCheckoutSessions('sk_test_bad', {
        httpClient: refused.httpClient,
        maxNetworkRetries: 0,
      }).createCheckoutSession(request),
    ).rejects.toBeInstanceOf(BillingNotConfiguredError);
  });
});
