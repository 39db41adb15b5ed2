import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWebhooksHandler } from '../../../../../functions/api/webhooks/webhooks-handler';
import { loadConfig } from '../../../../../shared/config/config';
import type { Database, DatabaseTransaction } from '../../../../../shared/db/database';
import type { JsonObject } from '../../../../../shared/db/schema';
import type { ApiGatewayHandler } from '../../../../../shared/http/api-handler';
import type { Services } from '../../../../../shared/ports/services';
import {
  chargeRefundedEvent,
  checkoutCompletedEvent,
  disputeCreatedEvent,
  signStripePayload,
  stripeId,
} from '../../../../events/stripe/stripe-event-fixtures';
import {
  apiEvent,
  httpTestServices,
  lambdaContext,
  type RecordingLogger,
} from '../../../../unit/support/http-test-services';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser, inSystemScope } from '../../../support/fixtures';

const SECRET = 'whsec_it_8hG3kP0qW5sX2vB7nM4cR9tY1uI6oL3e';

let testDb: TestDatabase;
let db: Database;
let logger: RecordingLogger;
let handler: ApiGatewayHandler;
let unconfiguredHandler: ApiGatewayHandler;
let starter: { id: string; credits: number };

function servicesWith(
  env: Record<string, string>,
  database: Database,
): { services: Services; logger: RecordingLogger } {
  const base = httpTestServices();
  const config = loadConfig({ PW_RUNTIME: 'local', PW_LOG_LEVEL: 'SILENT', ...env });
  return { services: { ...base.services, config, db: database }, logger: base.logger };
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  const configured = servicesWith({ PW_STRIPE_WEBHOOK_SECRET: SECRET }, db);
  logger = configured.logger;
  handler = makeWebhooksHandler(() => configured.services);
  unconfiguredHandler = makeWebhooksHandler(() => servicesWith({}, db).services);
  starter = await app((trx) =>
    trx
      .selectFrom('credit_packages')
      .select(['id', 'credits'])
      .where('key', '=', 'starter')
      .executeTakeFirstOrThrow(),
  );
});
afterAll(async () => {
  await testDb?.drop();
});

interface Delivery {
  status: number;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** POSTs the event to the webhook the way Stripe does: raw JSON, signed now (or as told). */
async function deliver(
  event: JsonObject,
  options: {
    signature?: string | null;
    timestamp?: number;
    secret?: string;
    target?: ApiGatewayHandler;
  } = {},
): Promise<Delivery> {
  const body = JSON.stringify(event, null, 2);
  const signature =
    options.signature === undefined
      ? signStripePayload(body, options.secret ?? SECRET, options.timestamp)
      : options.signature;
  const result = await (options.target ?? handler)(
    apiEvent({
      method: 'POST',
      path: '/webhooks/stripe',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        ...(signature === null ? {} : { 'Stripe-Signature': signature }),
      },
      body,
    }),
    lambdaContext(),
  );
  return {
    status: result.statusCode ?? 0,
    contentType: String(result.headers?.['content-type']),
    body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {},
  };
}

/** Test reads and seeds run in system scope: the test connection is not a superuser, so row-level security applies. */
function app<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(db, work);
}

async function balanceOf(userId: string): Promise<number> {
  const row = await app((trx) =>
    trx.selectFrom('users').select('credit_balance').where('id', '=', userId).executeTakeFirstOrThrow(),
  );
  return row.credit_balance;
}

async function ledgerOf(userId: string) {
  return app((trx) =>
    trx
      .selectFrom('credit_transactions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute(),
  );
}

async function recorded(stripeEventId: string) {
  return app((trx) =>
    trx
      .selectFrom('stripe_events')
      .selectAll()
      .where('stripe_event_id', '=', stripeEventId)
      .executeTakeFirst(),
  );
}

/** A user who bought the starter package through Checkout; returns the ids refunds and disputes refer to. */
async function buyer(): Promise<{ userId: string; paymentIntentId: string }> {
  const user = await createTestUser(db);
  const paymentIntentId = stripeId('pi');
  const response = await deliver(
    checkoutCompletedEvent({ userId: user.id, packageId: starter.id, paymentIntentId }),
  );
  expect(response.status).toBe(200);
  expect(await balanceOf(user.id)).toBe(starter.credits);
  return { userId: user.id, paymentIntentId };
}

describe('POST /webhooks/stripe — purchases', () => {
  it('credits a paid Checkout session once, with the Stripe ids on the ledger row', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });
    const session = (event['data'] as { object: { id: string; payment_intent: string } }).object;

    const response = await deliver(event);

    expect(response).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    expect(await balanceOf(user.id)).toBe(starter.credits);
    const ledger = await ledgerOf(user.id);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      type: 'purchase',
      amount: starter.credits,
      balance_after: starter.credits,
      package_id: starter.id,
      stripe_checkout_session_id: session.id,
      stripe_payment_intent_id: session.payment_intent,
      idempotency_key: `stripe:${String(event['id'])}`,
    });
    expect(await recorded(String(event['id']))).toMatchObject({
      type: 'checkout.session.completed',
      status: 'processed',
      user_id: user.id,
      error_message: null,
      payload: event,
    });
  });

  it('answers a replay of the same event as a duplicate and credits nothing more', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });
    expect((await deliver(event)).body).toEqual({ received: true, duplicate: false });

    // Stripe re-signs each delivery: a later timestamp, the same event id.
    const replay = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) + 1 });

    expect(replay).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    expect(await ledgerOf(user.id)).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(starter.credits);
  });

  it('writes one ledger row when the same event is delivered many times at once', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });

    const responses = await Promise.all(Array.from({ length: 8 }, () => deliver(event)));

    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(responses.filter((r) => r.body['duplicate'] === false)).toHaveLength(1);
    expect(responses.filter((r) => r.body['duplicate'] === true)).toHaveLength(7);
    expect(await ledgerOf(user.id)).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(starter.credits);
    const events = await app((trx) =>
      trx
        .selectFrom('stripe_events')
        .select('id')
        .where('stripe_event_id', '=', String(event['id']))
        .execute(),
    );
    expect(events).toHaveLength(1);
  });

  it('credits a session once when two different events report it at the same time', async () => {
    const user = await createTestUser(db);
    const ids = {
      userId: user.id,
      packageId: starter.id,
      sessionId: stripeId('cs_test'),
      paymentIntentId: stripeId('pi'),
    };
    const completed = checkoutCompletedEvent(ids);
    const asyncSucceeded = checkoutCompletedEvent({
      ...ids,
      type: 'checkout.session.async_payment_succeeded',
    });

    const responses = await Promise.all([deliver(completed), deliver(asyncSucceeded)]);

    expect(responses.map((r) => r.body)).toEqual([
      { received: true, duplicate: false },
      { received: true, duplicate: false },
    ]);
    expect(await ledgerOf(user.id)).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(starter.credits);
    const statuses = await app((trx) =>
      trx
        .selectFrom('stripe_events')
        .select(['status', 'error_message'])
        .where('stripe_event_id', 'in', [String(completed['id']), String(asyncSucceeded['id'])])
        .execute(),
    );
    expect(statuses.map((s) => s.status).sort()).toEqual(['ignored', 'processed']);
    expect(statuses.find((s) => s.status === 'ignored')?.error_message).toMatch(/already in the ledger/);
  });

  it('records an event for an unknown user or package as failed, acknowledges it and logs an error', async () => {
    const ghost = randomUUID();
    const unknownUser = checkoutCompletedEvent({ userId: ghost, packageId: starter.id });
    const user = await createTestUser(db);
    const unknownPackage = checkoutCompletedEvent({ userId: user.id, packageId: randomUUID() });
    const notAnId = checkoutCompletedEvent({ userId: 'alice', packageId: starter.id });

    for (const event of [unknownUser, unknownPackage, notAnId]) {
      expect(await deliver(event)).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    }

    expect(await recorded(String(unknownUser['id']))).toMatchObject({
      status: 'failed',
      user_id: null,
      error_message: expect.stringContaining(`user ${ghost} does not exist`),
    });
    expect(await recorded(String(unknownPackage['id']))).toMatchObject({
      status: 'failed',
      user_id: user.id,
      error_message: expect.stringMatching(/credit package .* does not exist/),
    });
    expect((await recorded(String(notAnId['id'])))?.status).toBe('failed');
    expect(await ledgerOf(user.id)).toHaveLength(0);
    const errors = logger.records.filter(
      (r) => r['level'] === 'ERROR' && r['message'] === 'stripe event could not be applied',
    );
    expect(errors.map((r) => r['stripeEventId'])).toEqual(
      expect.arrayContaining([unknownUser['id'], unknownPackage['id'], notAnId['id']]),
    );
  });

  it('records and acknowledges event types it does not use', async () => {
    const event: JsonObject = {
      id: stripeId('evt'),
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: stripeId('cus'), object: 'customer', email: 'ada@example.test' } },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'customer.created',
    };
    expect(await deliver(event)).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    expect(await recorded(String(event['id']))).toMatchObject({
      status: 'ignored',
      type: 'customer.created',
    });
  });
});

describe('POST /webhooks/stripe — signatures and configuration', () => {
  it('refuses a bad, missing or stale signature with 400 and processes nothing', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;

    const attempts = [
      await deliver(event, { secret: 'whsec_not_ours' }),
      await deliver(event, { signature: null }),
      await deliver(event, { timestamp: sixMinutesAgo }),
      await deliver(event, { signature: 't=1,v1=deadbeef' }),
    ];

    for (const response of attempts) {
      expect(response.status).toBe(400);
      expect(response.contentType).toBe('application/problem+json');
      expect(response.body).toMatchObject({
        code: 'BILLING.SIGNATURE_INVALID',
        type: 'urn:pipeweave:problem:billing.signature-invalid',
        field: 'headers.stripe-signature',
      });
    }
    expect(attempts[1]?.body['detail']).toBe('The Stripe-Signature header is missing.');
    expect(attempts[2]?.body['detail']).toMatch(/more than 300 seconds old/);
    expect(await recorded(String(event['id']))).toBeUndefined();
    expect(await balanceOf(user.id)).toBe(0);

    // The same event, correctly signed, still goes through: nothing was recorded by the refusals.
    expect((await deliver(event)).body).toEqual({ received: true, duplicate: false });
    expect(await balanceOf(user.id)).toBe(starter.credits);
  });

  it('answers 503 with how to configure billing when no Stripe keys are set', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });

    const response = await deliver(event, { target: unconfiguredHandler });

    expect(response.status).toBe(503);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.body).toMatchObject({
      code: 'BILLING.NOT_CONFIGURED',
      type: 'urn:pipeweave:problem:billing.not-configured',
      title: 'Billing is not configured',
      status: 503,
      instance: '/webhooks/stripe',
    });
    expect(response.body['detail']).toMatch(/no webhook signing secret is set/);
    expect(response.body['detail']).toMatch(/PW_STRIPE_WEBHOOK_SECRET/);
    expect(response.body['detail']).toMatch(/PW_STRIPE_SECRET_ARN/);
    expect(await recorded(String(event['id']))).toBeUndefined();
    expect(await balanceOf(user.id)).toBe(0);
  });
});

describe('POST /webhooks/stripe — refunds and disputes', () => {
  it('takes back the credits of a refunded purchase', async () => {
    const { userId, paymentIntentId } = await buyer();
    const refundId = stripeId('re');
    const event = chargeRefundedEvent({ paymentIntentId, amount: 1000, amountRefunded: 1000, refundId });

    expect((await deliver(event)).body).toEqual({ received: true, duplicate: false });

    expect(await balanceOf(userId)).toBe(0);
    const refund = (await ledgerOf(userId)).find((row) => row.type === 'adjustment');
    expect(refund).toMatchObject({
      amount: -starter.credits,
      balance_after: 0,
      stripe_payment_intent_id: paymentIntentId,
      stripe_refund_id: refundId,
      stripe_dispute_id: null,
      idempotency_key: `stripe:${String(event['id'])}`,
      metadata: expect.objectContaining({ reason: 'stripe_refund', shortfallCredits: 0 }),
    });
    expect(await recorded(String(event['id']))).toMatchObject({
      status: 'processed',
      user_id: userId,
      error_message: null,
    });
    // A replay changes nothing.
    expect((await deliver(event)).body).toEqual({ received: true, duplicate: true });
    expect(await ledgerOf(userId)).toHaveLength(2);
  });

  it('takes back partial refunds share by share', async () => {
    const { userId, paymentIntentId } = await buyer();
    const chargeId = stripeId('ch');

    await deliver(chargeRefundedEvent({ paymentIntentId, chargeId, amount: 1000, amountRefunded: 250 }));
    expect(await balanceOf(userId)).toBe(75);
    await deliver(chargeRefundedEvent({ paymentIntentId, chargeId, amount: 1000, amountRefunded: 600 }));
    expect(await balanceOf(userId)).toBe(40);
  });

  it('never drives the balance negative: takes what is left and flags the rest on the event', async () => {
    const { userId, paymentIntentId } = await buyer();
    await app((trx) =>
      trx
        .insertInto('credit_transactions')
        .values({
          user_id: userId,
          type: 'consumption',
          amount: -80,
          idempotency_key: `test-spend:${randomUUID()}`,
        })
        .execute(),
    );
    const event = chargeRefundedEvent({ paymentIntentId, amount: 1000, amountRefunded: 1000 });

    expect((await deliver(event)).status).toBe(200);

    expect(await balanceOf(userId)).toBe(0);
    const refund = (await ledgerOf(userId)).find((row) => row.type === 'adjustment');
    expect(refund).toMatchObject({
      amount: -20,
      metadata: expect.objectContaining({ requestedCredits: 100, shortfallCredits: 80 }),
    });
    expect(await recorded(String(event['id']))).toMatchObject({
      status: 'processed',
      error_message: expect.stringContaining('80 of 100 credits could not be taken back (balance was 20)'),
    });
    expect(logger.records.some((r) => r['level'] === 'WARN' && r['stripeEventId'] === event['id'])).toBe(
      true,
    );
  });

  it('takes back the credits of a disputed purchase, once per dispute', async () => {
    const { userId, paymentIntentId } = await buyer();
    const disputeId = stripeId('dp');
    const event = disputeCreatedEvent({ paymentIntentId, disputeId, amount: 1000 });

    expect((await deliver(event)).body).toEqual({ received: true, duplicate: false });

    expect(await balanceOf(userId)).toBe(0);
    expect((await ledgerOf(userId)).find((row) => row.type === 'adjustment')).toMatchObject({
      amount: -starter.credits,
      stripe_dispute_id: disputeId,
      stripe_payment_intent_id: paymentIntentId,
      metadata: expect.objectContaining({ reason: 'stripe_dispute', disputeReason: 'fraudulent' }),
    });
    // The same dispute under another event id (Stripe never does this for one dispute, a resend tool might).
    const again = disputeCreatedEvent({ paymentIntentId, disputeId, amount: 1000 });
    expect((await deliver(again)).body).toEqual({ received: true, duplicate: false });
    expect(await recorded(String(again['id']))).toMatchObject({ status: 'ignored' });
    expect(await ledgerOf(userId)).toHaveLength(2);
  });

  it('records a refund of a payment PipeWeave never credited as failed', async () => {
    const event = chargeRefundedEvent({ paymentIntentId: stripeId('pi'), amountRefunded: 1000 });
    expect((await deliver(event)).status).toBe(200);
    expect(await recorded(String(event['id']))).toMatchObject({
      status: 'failed',
      error_message: expect.stringContaining('no purchase recorded for payment intent'),
    });
  });
});
