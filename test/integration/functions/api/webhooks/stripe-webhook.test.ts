import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWebhooksHandler } from '../../../../../functions/api/webhooks/webhooks-handler';
import {
  makeSweepBillingHandler,
  type SweepBillingOptions,
} from '../../../../../functions/schedules/sweep-billing/sweep-billing-handler';
import { loadConfig } from '../../../../../shared/config/config';
import type { Database, DatabaseTransaction } from '../../../../../shared/db/database';
import { jsonb, type JsonObject } from '../../../../../shared/db/schema';
import { STRIPE_REDRIVE_POLICY } from '../../../../../shared/domain/billing/stripe-event-retry-policy';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
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
let configuredServices: Services;
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
  configuredServices = configured.services;
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

  it('writes one ledger row when the same event is delivered ten times at once', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });

    const responses = await Promise.all(Array.from({ length: 10 }, () => deliver(event)));

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(responses.filter((r) => r.body['duplicate'] === false)).toHaveLength(1);
    expect(responses.filter((r) => r.body['duplicate'] === true)).toHaveLength(9);
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
  it('refuses a bad, missing, stale or future signature with 400 and processes nothing', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });
    const nowSeconds = Math.floor(Date.now() / 1000);

    const attempts = [
      await deliver(event, { secret: 'whsec_not_ours' }),
      await deliver(event, { signature: null }),
      await deliver(event, { timestamp: nowSeconds - 360 }),
      await deliver(event, { signature: 't=1,v1=deadbeef' }),
      await deliver(event, { timestamp: nowSeconds + 3600 }),
      await deliver(event, { timestamp: nowSeconds + 360 }),
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
    expect(attempts[4]?.body['detail']).toMatch(/more than 300 seconds in the future/);
    expect(attempts[5]?.body['detail']).toMatch(/more than 300 seconds in the future/);
    // Nothing about the server: no paths, stack frames or library internals.
    for (const response of attempts)
      expect(JSON.stringify(response.body)).not.toMatch(/\/work\/|\bat \w+ \(|node_modules|stripe\.js/i);
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

    // A quarter refunded, then 60% in all: the second event takes back only the difference.
    await deliver(chargeRefundedEvent({ paymentIntentId, chargeId, amount: 1000, amountRefunded: 250 }));
    expect(await balanceOf(userId)).toBe(starter.credits - Math.floor(starter.credits * 0.25));
    await deliver(chargeRefundedEvent({ paymentIntentId, chargeId, amount: 1000, amountRefunded: 600 }));
    expect(await balanceOf(userId)).toBe(starter.credits - Math.floor(starter.credits * 0.6));
  });

  it('never drives the balance negative: takes what is left and flags the rest on the event', async () => {
    const { userId, paymentIntentId } = await buyer();
    const spent = Math.floor(starter.credits * 0.8);
    const left = starter.credits - spent;
    await app((trx) =>
      trx
        .insertInto('credit_transactions')
        .values({
          user_id: userId,
          type: 'consumption',
          amount: -spent,
          idempotency_key: `test-spend:${randomUUID()}`,
        })
        .execute(),
    );
    const event = chargeRefundedEvent({ paymentIntentId, amount: 1000, amountRefunded: 1000 });

    expect((await deliver(event)).status).toBe(200);

    expect(await balanceOf(userId)).toBe(0);
    const refund = (await ledgerOf(userId)).find((row) => row.type === 'adjustment');
    expect(refund).toMatchObject({
      amount: -left,
      metadata: expect.objectContaining({ requestedCredits: starter.credits, shortfallCredits: spent }),
    });
    expect(await recorded(String(event['id']))).toMatchObject({
      status: 'processed',
      error_message: expect.stringContaining(
        `${spent} of ${starter.credits} credits could not be taken back (balance was ${left})`,
      ),
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

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The daily billing sweep as its schedule runs it, with the clock at `msFromNow` from now. */
function sweepBilling(msFromNow: number, options: SweepBillingOptions = {}) {
  const clock = fixedClock(new Date(Date.now() + msFromNow));
  return makeSweepBillingHandler(() => ({ ...configuredServices, clock }), options)();
}

describe('POST /webhooks/stripe — events applied later (the re-drive)', () => {
  it('applies a refund that arrived before its purchase as soon as the purchase is applied', async () => {
    const user = await createTestUser(db);
    const paymentIntentId = stripeId('pi');
    const refund = chargeRefundedEvent({ paymentIntentId, amount: 1000, amountRefunded: 1000 });

    expect((await deliver(refund)).body).toEqual({ received: true, duplicate: false });
    expect(await recorded(String(refund['id']))).toMatchObject({
      status: 'failed',
      attempts: 1,
      gave_up_at: null,
      give_up_reason: null,
      error_message: expect.stringContaining('no purchase recorded for payment intent'),
    });

    await deliver(checkoutCompletedEvent({ userId: user.id, packageId: starter.id, paymentIntentId }));

    expect((await ledgerOf(user.id)).map((row) => [row.type, row.amount])).toEqual([
      ['purchase', starter.credits],
      ['adjustment', -starter.credits],
    ]);
    expect(await balanceOf(user.id)).toBe(0);
    expect(await recorded(String(refund['id']))).toMatchObject({
      status: 'processed',
      attempts: 2,
      user_id: user.id,
      error_message: null,
    });
  });

  it('re-drives on schedule a refund whose purchase reached the ledger without re-driving it', async () => {
    const user = await createTestUser(db);
    const paymentIntentId = stripeId('pi');
    const refund = chargeRefundedEvent({ paymentIntentId, amount: 1000, amountRefunded: 400 });
    await deliver(refund);
    // The purchase row as the purchase's webhook writes it, but without the follow-up re-drive
    // (the function stopped right after its commit).
    await app((trx) =>
      trx
        .insertInto('credit_transactions')
        .values({
          user_id: user.id,
          type: 'purchase',
          amount: starter.credits,
          package_id: starter.id,
          stripe_checkout_session_id: stripeId('cs_test'),
          stripe_payment_intent_id: paymentIntentId,
          idempotency_key: `stripe:${stripeId('evt')}`,
          metadata: jsonb({ amountPaidCents: 1000 }),
        })
        .execute(),
    );

    const report = await sweepBilling(0);

    expect(report.redrive.applied).toContain(refund['id']);
    const refunded = Math.floor(starter.credits * 0.4);
    expect(await balanceOf(user.id)).toBe(starter.credits - refunded);
    expect(await recorded(String(refund['id']))).toMatchObject({ status: 'processed', attempts: 2 });
    // Applied once: the next sweep leaves it alone.
    const next = await sweepBilling(DAY);
    expect([...next.redrive.applied, ...next.redrive.waiting]).not.toContain(refund['id']);
    expect(await ledgerOf(user.id)).toHaveLength(2);
    expect(await balanceOf(user.id)).toBe(starter.credits - refunded);
  });

  it('applies once an event recorded but never decided (a crash in between), with a delivery and re-drives racing', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: starter.id });
    const eventId = String(event['id']);
    // What a crash between recording and applying leaves behind: the event, received.
    await app((trx) =>
      trx
        .insertInto('stripe_events')
        .values({
          stripe_event_id: eventId,
          type: String(event['type']),
          payload: jsonb(event),
          status: 'received',
        })
        .execute(),
    );
    // Just recorded, it may still be in the hands of its delivery: the re-drive waits.
    const early = await sweepBilling(0);
    expect(early.redrive.applied).not.toContain(eventId);
    expect(await recorded(eventId)).toMatchObject({ status: 'received', attempts: 0 });

    const later = STRIPE_REDRIVE_POLICY.receivedGraceMs + MINUTE;
    const [delivery, ...sweeps] = await Promise.all([
      deliver(event),
      ...Array.from({ length: 5 }, () => sweepBilling(later)),
    ]);

    expect(delivery.status).toBe(200);
    expect(sweeps.filter((sweep) => sweep.redrive.applied.includes(eventId))).toHaveLength(1);
    expect(await ledgerOf(user.id)).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(starter.credits);
    expect(await recorded(eventId)).toMatchObject({ status: 'processed', attempts: 1, user_id: user.id });
  });

  it('gives up at once an event that can never apply, and never retries it', async () => {
    const user = await createTestUser(db);
    const event = checkoutCompletedEvent({ userId: user.id, packageId: randomUUID() });
    const eventId = String(event['id']);

    await deliver(event);

    expect(await recorded(eventId)).toMatchObject({
      status: 'failed',
      attempts: 1,
      gave_up_at: expect.any(Date),
      give_up_reason: expect.stringMatching(
        /^not retried, applying it again cannot succeed: .*credit package .* does not exist/,
      ),
    });
    const report = await sweepBilling(DAY);
    const touched = [
      ...report.redrive.applied,
      ...report.redrive.waiting,
      ...report.redrive.gaveUp.map((g) => g.stripeEventId),
    ];
    expect(touched).not.toContain(eventId);
    expect((await recorded(eventId))?.attempts).toBe(1);
    expect(report.reconciliation.drift.map((d) => d.resource.id)).not.toContain(
      (await recorded(eventId))?.id,
    );
  });

  it('gives up, saying why, a refund whose purchase has not come after three days of retries', async () => {
    const refund = chargeRefundedEvent({ paymentIntentId: stripeId('pi'), amountRefunded: 1000 });
    const eventId = String(refund['id']);
    await deliver(refund);

    const dayOne = await sweepBilling(DAY);
    expect(dayOne.redrive.waiting).toContain(eventId);
    expect(await recorded(eventId)).toMatchObject({ status: 'failed', attempts: 2, gave_up_at: null });

    const dayThree = await sweepBilling(3 * DAY + MINUTE);
    const gaveUp = dayThree.redrive.gaveUp.find((g) => g.stripeEventId === eventId);
    expect(gaveUp?.reason).toMatch(
      /^gave up after 3 days of retries \(3 attempts\): refund of charge .*no purchase recorded/,
    );
    expect(await recorded(eventId)).toMatchObject({
      status: 'failed',
      attempts: 3,
      gave_up_at: expect.any(Date),
      give_up_reason: gaveUp?.reason,
    });
    expect(
      logger.records.some((r) => r['message'] === 'stripe event given up' && r['stripeEventId'] === eventId),
    ).toBe(true);

    const dayFive = await sweepBilling(5 * DAY);
    expect(dayFive.redrive.gaveUp.map((g) => g.stripeEventId)).not.toContain(eventId);
    expect((await recorded(eventId))?.attempts).toBe(3);
  });

  it('gives up after the last attempt the policy allows', async () => {
    const refund = chargeRefundedEvent({ paymentIntentId: stripeId('pi'), amountRefunded: 1000 });
    const eventId = String(refund['id']);
    await deliver(refund);
    const policy = { ...STRIPE_REDRIVE_POLICY, maxAttempts: 3 };

    expect((await sweepBilling(MINUTE, { policy })).redrive.waiting).toContain(eventId);
    const last = await sweepBilling(2 * MINUTE, { policy });

    expect(last.redrive.gaveUp.find((g) => g.stripeEventId === eventId)?.reason).toMatch(
      /^gave up after 3 attempts: /,
    );
    expect(await recorded(eventId)).toMatchObject({ attempts: 3, gave_up_at: expect.any(Date) });
  });
});
