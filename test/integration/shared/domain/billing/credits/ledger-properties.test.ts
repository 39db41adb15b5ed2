import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeWebhookVerifier } from '../../../../../../shared/adapters/stripe/stripe-webhook-verifier';
import type { Database, DatabaseTransaction } from '../../../../../../shared/db/database';
import { jsonb, type CreditTransactionType, type JsonObject } from '../../../../../../shared/db/schema';
import { withTenant, type TenantScope } from '../../../../../../shared/db/tenant';
import {
  applyStripeEvent,
  type AppliedStripeEvent,
} from '../../../../../../shared/domain/billing/apply-stripe-event';
import { LedgerCredits } from '../../../../../../shared/domain/billing/credits/ledger-credits';
import { grantCredits as grantAsAdmin } from '../../../../../../shared/domain/identity/admin';
import { PaymentRequiredError } from '../../../../../../shared/kernel/app-error';
import { systemClock } from '../../../../../../shared/kernel/clock.port';
import { createLogger } from '../../../../../../shared/observability/logger';
import { inMemoryMetrics } from '../../../../../../shared/observability/metrics.port';
import type { Services } from '../../../../../../shared/ports/services';
import {
  chargeRefundedEvent,
  checkoutCompletedEvent,
  disputeCreatedEvent,
  signStripePayload,
  stripeId,
} from '../../../../../events/stripe/stripe-event-fixtures';
import { httpTestServices } from '../../../../../unit/support/http-test-services';
import { createTestDatabase, type TestDatabase } from '../../../../support/database';
import { createTestUser, grantCredits, inSystemScope } from '../../../../support/fixtures';

/**
 * The prepaid ledger under random histories of one user: Stripe purchases, refunds and disputes
 * (signed events through applyStripeEvent), admin and fixture grants, and jobs reserving and
 * settling through LedgerCredits. A plain running model says what each step should write; after
 * every step the balance and row count must match it, and after every history the whole ledger.
 */

const SECRET = 'whsec_ledger_properties_4Tq8Zr1mVb6Kx3Nd';
const RUNS = 40;
const MAX_STEPS = 25;

let testDb: TestDatabase;
let db: Database;
let services: Services;
let admin: { id: string };
const packages: { id: string; credits: number; priceCents: number }[] = [];
const credits = new LedgerCredits();
const verifier = createStripeWebhookVerifier(SECRET);
const stripeDeps = () => ({
  db,
  clock: systemClock,
  logger: createLogger({ serviceName: 'test', logLevel: 'SILENT' }),
  metrics: inMemoryMetrics(),
});

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  services = { ...httpTestServices().services, db };
  admin = await createTestUser(db, { role: 'admin' });
  const starter = await sys((trx) =>
    trx
      .selectFrom('credit_packages')
      .select(['id', 'credits', 'price_cents'])
      .where('key', '=', 'starter')
      .executeTakeFirstOrThrow(),
  );
  // Credits and price with no common factor, so refund and dispute shares round down unevenly.
  const odd = await sys((trx) =>
    trx
      .insertInto('credit_packages')
      .values({ key: `odd-${randomUUID()}`, name: 'Odd', credits: 997, price_cents: 1_299 })
      .returning(['id', 'credits', 'price_cents'])
      .executeTakeFirstOrThrow(),
  );
  for (const pack of [starter, odd])
    packages.push({ id: pack.id, credits: pack.credits, priceCents: pack.price_cents });
});
afterAll(async () => {
  await testDb?.drop();
});

function sys<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(db, work);
}

// ---- Steps ----------------------------------------------------------------------------------

/** Shares are per mille; `pick` chooses among the earlier purchases, jobs or events (modulo). */
type Step =
  | { kind: 'purchase'; pack: number }
  | { kind: 'grant'; via: 'admin' | 'fixture'; amount: number; retried: boolean; pick: number }
  | { kind: 'start'; estimate: number | 'whole balance' | 'one more than the balance' }
  | { kind: 'finish'; pick: number; usedShare: number; fractional: boolean }
  | { kind: 'cancel'; pick: number; usedShare: number }
  | { kind: 'settle again'; pick: number }
  | { kind: 'refund'; pick: number; share: number }
  | { kind: 'dispute'; pick: number; share: number; sameDisputeAgain: boolean }
  | { kind: 'replay'; pick: number };

const pick = fc.nat({ max: 1_000 });
const partOrAll = fc.oneof(fc.constant(1_000), fc.integer({ min: 1, max: 1_000 }));

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('purchase'), pack: fc.nat({ max: 1 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('grant'),
      via: fc.constantFrom('admin', 'fixture'),
      amount: fc.integer({ min: 1, max: 3_000 }),
      retried: fc.boolean(),
      pick,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('start'),
      estimate: fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 2_000 }) },
        { weight: 2, arbitrary: fc.integer({ min: 1, max: 12_000 }) },
        { weight: 2, arbitrary: fc.constantFrom('whole balance', 'one more than the balance') },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('finish'),
      pick,
      // Up to twice the reservation: a run may use more than was estimated.
      usedShare: fc.oneof(fc.constantFrom(0, 999, 1_000, 1_001, 2_000), fc.integer({ min: 0, max: 2_000 })),
      fractional: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('cancel'),
      pick,
      usedShare: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999 })),
    }),
  },
  {
    weight: 3,
    // A retried settle, with the first one's amount. Another amount is not drawn: LedgerCredits
    // then reports, or after a settle that returned nothing writes, another settlement. settleJob
    // never settles twice (it checks the job's status first).
    arbitrary: fc.record({ kind: fc.constant('settle again'), pick }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund'), pick, share: partOrAll }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('dispute'),
      pick,
      share: partOrAll,
      sameDisputeAgain: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay'), pick }) },
);

// ---- The model ------------------------------------------------------------------------------

interface ExpectedEntry {
  type: CreditTransactionType;
  amount: number;
  jobId: string | null;
  /** Undefined where the key is random (fixture grants). */
  key: string | undefined;
}

interface PurchaseModel {
  paymentIntentId: string;
  chargeId: string;
  credits: number;
  paidCents: number;
  /** Cumulative, as Stripe reports it on the charge. */
  refundedCents: number;
  revokedByRefunds: number;
  revokedByDisputes: number;
  /** Disputes sent, and those that wrote a row (a dispute that took nothing may apply later). */
  disputes: { id: string; cents: number }[];
  appliedDisputes: Set<string>;
}

interface JobModel {
  jobId: string;
  reserved: number;
  settlement?: { used: number; charged: number; refunded: number };
}

interface Model {
  balance: number;
  entries: ExpectedEntry[];
  purchases: PurchaseModel[];
  jobs: JobModel[];
  refusedJobIds: string[];
  events: JsonObject[];
  adminGrantKeys: { key: string; amount: number }[];
}

function write(model: Model, entry: ExpectedEntry): void {
  model.balance += entry.amount;
  model.entries.push(entry);
}

const stripeKey = (event: JsonObject) => `stripe:${String(event['id'])}`;

/**
 * A refund or dispute takes back what it asks (`target`, less what this kind already took), capped
 * by what is left of the purchase and by the balance; a shortfall is noted, not written. Checks
 * what was applied and returns what was taken.
 */
function expectTakenBack(
  model: Model,
  purchase: PurchaseModel,
  delivered: { event: JsonObject; applied: AppliedStripeEvent },
  target: number,
  alreadyByThisKind: number,
): number {
  const left = Math.max(purchase.credits - purchase.revokedByRefunds - purchase.revokedByDisputes, 0);
  const wanted = Math.min(Math.max(target - alreadyByThisKind, 0), left);
  const taken = Math.min(wanted, model.balance);
  expect(delivered.applied).toMatchObject({ duplicate: false, status: wanted > 0 ? 'processed' : 'ignored' });
  expect(delivered.applied.creditTransactionId !== null).toBe(taken > 0);
  if (taken > 0)
    write(model, { type: 'adjustment', amount: -taken, jobId: null, key: stripeKey(delivered.event) });
  return taken;
}

function chosen<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

// ---- Running a history ----------------------------------------------------------------------

interface Run {
  userId: string;
  scope: TenantScope;
  snapshotId: string;
  model: Model;
}

async function ledgerSnapshot(userId: string): Promise<{ balance: number; rows: number }> {
  return sys(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select('credit_balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    const count = await trx
      .selectFrom('credit_transactions')
      .select((eb) => eb.fn.countAll<string>().as('rows'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return { balance: Number(user.credit_balance), rows: Number(count.rows) };
  });
}

/** Delivers an event as the webhook receives it: signed, verified against the raw body, applied. */
async function deliver(event: JsonObject) {
  const body = JSON.stringify(event);
  return applyStripeEvent(stripeDeps(), verifier.verify(body, signStripePayload(body, SECRET)));
}

/** Delivers a new event, remembered for the replay step. */
async function deliverNew(model: Model, event: JsonObject) {
  const applied = await deliver(event);
  model.events.push(event);
  return { event, applied };
}

async function runStep(run: Run, step: Step): Promise<void> {
  const { model, userId } = run;
  switch (step.kind) {
    case 'purchase': {
      const pack = chosen(packages, step.pack);
      if (!pack) throw new Error('no credit packages');
      const paymentIntentId = stripeId('pi');
      const { event, applied } = await deliverNew(
        model,
        checkoutCompletedEvent({ userId, packageId: pack.id, paymentIntentId, amountTotal: pack.priceCents }),
      );
      expect(applied).toMatchObject({ duplicate: false, status: 'processed' });
      model.purchases.push({
        paymentIntentId,
        chargeId: stripeId('ch'),
        credits: pack.credits,
        paidCents: pack.priceCents,
        refundedCents: 0,
        revokedByRefunds: 0,
        revokedByDisputes: 0,
        disputes: [],
        appliedDisputes: new Set(),
      });
      write(model, {
        type: 'purchase',
        amount: pack.credits,
        jobId: null,
        key: stripeKey(event),
      });
      return;
    }

    case 'grant': {
      if (step.via === 'fixture') {
        await grantCredits(db, userId, step.amount);
        write(model, { type: 'grant', amount: step.amount, jobId: null, key: undefined });
        return;
      }
      const earlier = step.retried ? chosen(model.adminGrantKeys, step.pick) : undefined;
      const key = earlier?.key ?? randomUUID();
      const amount = earlier?.amount ?? step.amount;
      const { replayed } = await grantAsAdmin(
        services,
        {
          caller: { userId: admin.id, role: 'admin', via: 'jwt', scopes: [] },
          requestId: randomUUID(),
          sourceIp: '203.0.113.7',
          userAgent: 'ledger-properties',
        },
        { userId, amount, reason: 'property test grant', idempotencyKey: key },
      );
      // A retried grant (same Idempotency-Key) returns the first one and grants nothing.
      expect(replayed).toBe(earlier !== undefined);
      if (!earlier) {
        model.adminGrantKeys.push({ key, amount });
        write(model, { type: 'grant', amount, jobId: null, key: `admin-grant:${admin.id}:${key}` });
      }
      return;
    }

    case 'start': {
      const estimate =
        step.estimate === 'whole balance'
          ? model.balance
          : step.estimate === 'one more than the balance'
            ? model.balance + 1
            : step.estimate;
      const jobId = randomUUID();
      const before = await ledgerSnapshot(userId);
      // The job row and its reservation in one transaction, as a job start writes them.
      const outcome = await withTenant(db, run.scope, async (trx) => {
        await trx
          .insertInto('jobs')
          .values({ id: jobId, user_id: userId, snapshot_id: run.snapshotId, estimated_credits: estimate })
          .execute();
        return credits.reserve(trx, {
          jobId,
          userId,
          credits: estimate,
          idempotencyKey: `job-reserve:${jobId}`,
        });
      }).then(
        (reservation) => ({ reservation }),
        (error: unknown) => ({ error }),
      );
      if (estimate > model.balance) {
        expect(outcome, `a reservation of ${estimate} with a balance of ${model.balance}`).toHaveProperty(
          'error',
        );
        if (!('error' in outcome)) return;
        expect(outcome.error).toBeInstanceOf(PaymentRequiredError);
        expect(outcome.error).toMatchObject({ status: 402, code: 'CREDITS.INSUFFICIENT' });
        expect(await ledgerSnapshot(userId)).toEqual(before);
        model.refusedJobIds.push(jobId);
        return;
      }
      if ('error' in outcome) throw outcome.error;
      expect(outcome.reservation).toEqual({ jobId, reserved: estimate });
      model.jobs.push({ jobId, reserved: estimate });
      if (estimate > 0)
        write(model, { type: 'consumption', amount: -estimate, jobId, key: `job-reserve:${jobId}` });
      return;
    }

    case 'finish':
    case 'cancel': {
      const job = chosen(
        model.jobs.filter((j) => !j.settlement),
        step.pick,
      );
      if (!job) return;
      const fraction = step.kind === 'finish' && step.fractional ? 0.25 : 0;
      const used = Math.floor((job.reserved * step.usedShare) / 1_000) + fraction;
      const settlement = await withTenant(db, run.scope, (trx) =>
        credits.settle(trx, { jobId: job.jobId, userId, usedCredits: used }),
      );
      // A started credit is a credit: used is rounded up, and never charged beyond the reservation.
      const charged = Math.min(Math.ceil(used), job.reserved);
      const refunded = job.reserved - charged;
      expect(settlement).toEqual({ jobId: job.jobId, charged, refunded });
      job.settlement = { used, charged, refunded };
      if (refunded > 0)
        write(model, { type: 'refund', amount: refunded, jobId: job.jobId, key: `job-settle:${job.jobId}` });
      return;
    }

    case 'settle again': {
      const job = chosen(
        model.jobs.filter((j) => j.settlement),
        step.pick,
      );
      if (!job?.settlement) return;
      const first = job.settlement;
      const before = await ledgerSnapshot(userId);
      const settlement = await withTenant(db, run.scope, (trx) =>
        credits.settle(trx, { jobId: job.jobId, userId, usedCredits: first.used }),
      );
      // The second settle reports the first settlement and writes nothing.
      expect(settlement).toEqual({ jobId: job.jobId, charged: first.charged, refunded: first.refunded });
      expect(await ledgerSnapshot(userId), `settling job ${job.jobId} a second time`).toEqual(before);
      return;
    }

    case 'refund': {
      const purchase = chosen(model.purchases, step.pick);
      if (!purchase) return;
      const newly = Math.max(1, Math.floor((purchase.paidCents * step.share) / 1_000));
      purchase.refundedCents = Math.min(purchase.paidCents, purchase.refundedCents + newly);
      const delivered = await deliverNew(
        model,
        chargeRefundedEvent({
          paymentIntentId: purchase.paymentIntentId,
          chargeId: purchase.chargeId,
          amount: purchase.paidCents,
          amountRefunded: purchase.refundedCents,
        }),
      );
      const target = Math.floor((purchase.credits * purchase.refundedCents) / purchase.paidCents);
      const taken = expectTakenBack(model, purchase, delivered, target, purchase.revokedByRefunds);
      purchase.revokedByRefunds += taken;
      return;
    }

    case 'dispute': {
      const purchase = chosen(model.purchases, step.pick);
      if (!purchase) return;
      const earlier = step.sameDisputeAgain ? chosen(purchase.disputes, step.pick) : undefined;
      const dispute = earlier ?? {
        id: stripeId('dp'),
        cents: Math.max(1, Math.floor((purchase.paidCents * step.share) / 1_000)),
      };
      if (!earlier) purchase.disputes.push(dispute);
      // Stripe sends one event per dispute; the same dispute under a new event id is a resend.
      const delivered = await deliverNew(
        model,
        disputeCreatedEvent({
          paymentIntentId: purchase.paymentIntentId,
          chargeId: purchase.chargeId,
          disputeId: dispute.id,
          amount: dispute.cents,
        }),
      );
      if (purchase.appliedDisputes.has(dispute.id)) {
        expect(delivered.applied).toMatchObject({
          duplicate: false,
          status: 'ignored',
          creditTransactionId: null,
        });
        return;
      }
      const target = Math.floor(
        (purchase.credits * Math.min(dispute.cents, purchase.paidCents)) / purchase.paidCents,
      );
      const taken = expectTakenBack(model, purchase, delivered, target, 0);
      purchase.revokedByDisputes += taken;
      if (taken > 0) purchase.appliedDisputes.add(dispute.id);
      return;
    }

    case 'replay': {
      const event = chosen(model.events, step.pick);
      if (!event) return;
      // Stripe redelivers an event with a fresh signature: it is recognized and changes nothing.
      expect(await deliver(event)).toMatchObject({ duplicate: true, creditTransactionId: null });
      return;
    }
  }
}

/** The invariants of the whole ledger after a history. */
async function assertLedger(run: Run): Promise<void> {
  const { model, userId } = run;
  const { balance } = await ledgerSnapshot(userId);
  const { rows, duplicateKeys, jobRows } = await sys(async (trx) => ({
    rows: await trx
      .selectFrom('credit_transactions')
      .select(['type', 'amount', 'balance_after', 'job_id', 'idempotency_key'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute(),
    duplicateKeys: await trx
      .selectFrom('credit_transactions')
      .select('idempotency_key')
      .where('user_id', '=', userId)
      .groupBy('idempotency_key')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute(),
    jobRows: await trx.selectFrom('jobs').select('id').where('user_id', '=', userId).execute(),
  }));

  // Exactly the rows the model expects, in order.
  expect(
    rows.map((row) => ({ type: row.type, amount: row.amount, jobId: row.job_id, key: row.idempotency_key })),
  ).toEqual(
    model.entries.map((entry) => ({
      type: entry.type,
      amount: entry.amount,
      jobId: entry.jobId,
      key: entry.key ?? expect.stringMatching(/^test-grant:/),
    })),
  );

  // balance = sum of the entries = the latest balance_after, each running balance right and ≥ 0.
  let sum = 0;
  for (const row of rows) {
    sum += row.amount;
    expect(row.balance_after).toBe(sum);
    expect(row.balance_after).toBeGreaterThanOrEqual(0);
  }
  expect(balance).toBe(sum);
  expect(balance).toBe(rows.at(-1)?.balance_after ?? 0);
  expect(balance).toBe(model.balance);
  expect(balance).toBeGreaterThanOrEqual(0);

  // Every idempotency key once.
  expect(duplicateKeys).toEqual([]);
  expect(new Set(rows.map((row) => row.idempotency_key)).size).toBe(rows.length);

  // Per job: reservation + settlement = −charged, charged = min(used, reserved) (rounded up), within [0, reserved].
  for (const job of model.jobs) {
    const ofJob = rows.filter((row) => row.job_id === job.jobId);
    const net = ofJob.reduce((total, row) => total + row.amount, 0);
    const reserve = ofJob.filter((row) => row.idempotency_key === `job-reserve:${job.jobId}`);
    const settle = ofJob.filter((row) => row.idempotency_key === `job-settle:${job.jobId}`);
    expect(reserve.map((row) => [row.type, row.amount])).toEqual(
      job.reserved > 0 ? [['consumption', -job.reserved]] : [],
    );
    expect(reserve.length + settle.length).toBe(ofJob.length);
    if (!job.settlement) {
      expect(net + job.reserved, `job ${job.jobId}: reserve = −reserved`).toBe(0);
      expect(settle).toEqual([]);
      continue;
    }
    const { used, charged } = job.settlement;
    expect(charged).toBe(Math.min(Math.ceil(used), job.reserved));
    expect(charged).toBeGreaterThanOrEqual(0);
    expect(charged).toBeLessThanOrEqual(job.reserved);
    expect(net + charged, `job ${job.jobId}: reserve + settle = −charged`).toBe(0);
    expect(settle.map((row) => [row.type, row.amount])).toEqual(
      charged < job.reserved ? [['refund', job.reserved - charged]] : [],
    );
  }

  // A refused reservation left neither a ledger row nor a job.
  const refused = new Set(model.refusedJobIds);
  expect(rows.filter((row) => row.job_id !== null && refused.has(row.job_id))).toEqual([]);
  expect(jobRows.filter((row) => refused.has(row.id))).toEqual([]);
  expect(jobRows.map((row) => row.id).sort()).toEqual(model.jobs.map((job) => job.jobId).sort());
}

describe('the credit ledger under random histories', () => {
  it('keeps balance, entries and job charges consistent with a running model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArbitrary, { minLength: 1, maxLength: MAX_STEPS, size: 'max' }),
        async (steps) => {
          const user = await createTestUser(db);
          const snapshot = await sys((trx) =>
            trx
              .insertInto('pipeline_snapshots')
              .values({
                user_id: user.id,
                name: 'ledger property',
                definition: jsonb({ nodes: [], edges: [] }),
              })
              .returning('id')
              .executeTakeFirstOrThrow(),
          );
          const run: Run = {
            userId: user.id,
            scope: { userId: user.id, role: 'user' },
            snapshotId: snapshot.id,
            model: {
              balance: 0,
              entries: [],
              purchases: [],
              jobs: [],
              refusedJobIds: [],
              events: [],
              adminGrantKeys: [],
            },
          };
          for (const [index, step] of steps.entries()) {
            await runStep(run, step);
            // After every step, so a failure names the step that went wrong.
            expect(await ledgerSnapshot(user.id), `after step ${index + 1}: ${JSON.stringify(step)}`).toEqual(
              {
                balance: run.model.balance,
                rows: run.model.entries.length,
              },
            );
          }
          await assertLedger(run);
        },
      ),
      { numRuns: RUNS },
    );
    // Shrinking a failure replays many histories: room for it to finish.
  }, 120_000);
});
