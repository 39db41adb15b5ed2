import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Stripe from 'stripe';

/**
 * Stripe on one machine. The local runtime verifies webhooks with a signing secret of its own
 * (kept in the data directory, like the token signing key) unless PW_STRIPE_WEBHOOK_SECRET is set,
 * so a top-up can be tried without a Stripe account: `npm run credits:test-purchase` signs a
 * `checkout.session.completed` event with that secret, exactly as Stripe signs one, and posts it
 * to the local webhook. Checkout itself (POST /credits/checkout) needs a real test-mode key.
 */
export const LOCAL_WEBHOOK_SECRET_FILE = 'stripe-webhook-secret';

/** The data directory's webhook signing secret, created on first use. */
export async function localStripeWebhookSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, LOCAL_WEBHOOK_SECRET_FILE);
  if (existsSync(file)) {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept.startsWith('whsec_')) return kept;
  }
  const secret = `whsec_local_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export interface TestPurchase {
  userId: string;
  packageId: string;
  amountCents: number;
  currency: string;
}

const localId = (prefix: string) => `${prefix}_local_${randomBytes(12).toString('hex')}`;

/** A paid `checkout.session.completed` event for one package, shaped as Stripe sends it. */
export function testCheckoutCompletedEvent(
  purchase: TestPurchase,
  now = new Date(),
): Record<string, unknown> {
  const created = Math.floor(now.getTime() / 1000);
  const metadata = { userId: purchase.userId, packageId: purchase.packageId };
  return {
    id: localId('evt'),
    object: 'event',
    api_version: '2025-10-29.clover',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'checkout.session.completed',
    data: {
      object: {
        id: localId('cs_test'),
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        client_reference_id: purchase.userId,
        metadata,
        payment_intent: localId('pi'),
        amount_subtotal: purchase.amountCents,
        amount_total: purchase.amountCents,
        currency: purchase.currency,
        created,
        livemode: false,
      },
    },
  };
}

/** Signs `event` with `secret` as Stripe does and posts it to `<baseUrl>/webhooks/stripe`. */
export async function postSignedStripeEvent(
  baseUrl: string,
  secret: string,
  event: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
  const res = await fetch(new URL('/webhooks/stripe', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: shown as is.
  }
  return { status: res.status, body };
}
