import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import type { JsonObject } from '../../../shared/db/schema';
import { withSystemScope } from '../../../shared/db/tenant';
import {
  chargeRefundedEvent,
  checkoutCompletedEvent,
  signStripePayload,
  stripeId,
} from '../../events/stripe/stripe-event-fixtures';
import { registerUser } from '../../support/auth';

/**
 * Stripe events on the local runtime, over HTTP as Stripe sends them: a refund that arrives before
 * its purchase is applied once the purchase is, signatures dated ahead are refused, and the
 * daily billing sweep is on the local scheduler at the AWS rule's time.
 */
const SECRET = 'whsec_e2e_4nV8qT1wX6zC3bM9kR2yP5sL7dF0gH';

describe('Stripe events on the local runtime', () => {
  let platform: LocalPlatform;
  let dataDir: string;

  const sys = <T>(work: Parameters<typeof withSystemScope<T>>[2]) =>
    withSystemScope(platform.services.db, 'admin.e2e-check', work);

  async function send(event: JsonObject, timestamp?: number) {
    const body = JSON.stringify(event);
    const res = await fetch(`${platform.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signStripePayload(body, SECRET, timestamp),
      },
      body,
    });
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: (await res.json()) as JsonObject,
    };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-stripe-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0, env: { PW_STRIPE_WEBHOOK_SECRET: SECRET } });
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies a refund that arrived before its purchase when the purchase arrives', async () => {
    const user = await registerUser(platform.url);
    const starter = await sys((trx) =>
      trx
        .selectFrom('credit_packages')
        .select(['id', 'credits'])
        .where('key', '=', 'starter')
        .executeTakeFirstOrThrow(),
    );
    const paymentIntentId = stripeId('pi');
    const refund = chargeRefundedEvent({ paymentIntentId, amount: 1000, amountRefunded: 500 });

    expect(await send(refund)).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    expect(
      await send(checkoutCompletedEvent({ userId: user.userId, packageId: starter.id, paymentIntentId })),
    ).toMatchObject({ status: 200, body: { received: true, duplicate: false } });

    const ledger = await sys((trx) =>
      trx
        .selectFrom('credit_transactions')
        .select(['type', 'amount'])
        .where('user_id', '=', user.userId)
        .where('type', 'in', ['purchase', 'adjustment'])
        .orderBy('created_at')
        .execute(),
    );
    expect(ledger.map((row) => [row.type, Number(row.amount)])).toEqual([
      ['purchase', Number(starter.credits)],
      ['adjustment', -Number(starter.credits) / 2],
    ]);
    const recorded = await sys((trx) =>
      trx
        .selectFrom('stripe_events')
        .select(['status', 'attempts'])
        .where('stripe_event_id', '=', String(refund['id']))
        .executeTakeFirstOrThrow(),
    );
    expect(recorded).toEqual({ status: 'processed', attempts: 2 });
  });

  it('refuses a signature dated more than five minutes ahead', async () => {
    const event = checkoutCompletedEvent({ userId: null, packageId: null });
    const response = await send(event, Math.floor(Date.now() / 1000) + 600);
    expect(response.status).toBe(400);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.body).toMatchObject({
      code: 'BILLING.SIGNATURE_INVALID',
      field: 'headers.stripe-signature',
    });
    expect(response.body['detail']).toMatch(/more than 300 seconds in the future/);
  });

  it('schedules the billing sweep daily at the AWS rule’s minute', () => {
    const sweep = platform.scheduler.upcoming().find((s) => s.name === 'sweep-billing');
    expect(sweep?.nextAt.getUTCHours()).toBe(3);
    expect(sweep?.nextAt.getUTCMinutes()).toBe(17);
  });
});
