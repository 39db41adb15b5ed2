import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSweepBillingHandler } from '../../../../../functions/schedules/sweep-billing/sweep-billing-handler';
import type { Database, DatabaseTransaction } from '../../../../../shared/db/database';
import { jsonb, type JobStatus } from '../../../../../shared/db/schema';
import {
  CREDIT_DRIFT_METRIC,
  reconcileCredits,
} from '../../../../../shared/domain/billing/reconcile-credits';
import { inMemoryMetrics } from '../../../../../shared/observability/metrics.port';
import { systemClock } from '../../../../../shared/kernel/clock.port';
import { RecordingLogger } from '../../../../unit/support/http-test-services';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser, grantCredits, inSystemScope } from '../../../support/fixtures';

let testDb: TestDatabase;
let db: Database;

// Every test gets a database of its own: the reconciliation reads all of it.
beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterEach(async () => {
  await testDb?.drop();
});

const DAY = 24 * 3600_000;

function app<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(db, work);
}

/** The daily billing sweep as scheduled (re-drive, then reconciliation), or the reconciliation alone. */
async function reconcile(how: 'sweep' | 'reconciliation only') {
  const logger = new RecordingLogger();
  const metrics = inMemoryMetrics();
  const services = { db, clock: systemClock, logger, metrics };
  const report =
    how === 'sweep'
      ? (await makeSweepBillingHandler(() => services)()).reconciliation
      : // Small pages, so findings on several pages are all seen.
        await reconcileCredits(services, { pageSize: 2 });
  return { ...report, logger, metrics };
}

async function driftAudits() {
  return app((trx) =>
    trx
      .selectFrom('audit_logs')
      .select(['user_id', 'resource_type', 'resource_id', 'changes'])
      .where('action', '=', 'billing.reconciliation.drift')
      .execute(),
  );
}

/** A finished job with the ledger rows a job's credits write: reservation, and settlement unless none is due. */
async function finishedJob(
  userId: string,
  job: { estimated: number; charged: number; status?: JobStatus },
  ledger: { reserve?: number; settle?: number },
): Promise<string> {
  return app(async (trx) => {
    const snapshot = await trx
      .insertInto('pipeline_snapshots')
      .values({ user_id: userId, name: 'p', definition: jsonb({ nodes: [], edges: [] }) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id } = await trx
      .insertInto('jobs')
      .values({
        user_id: userId,
        snapshot_id: snapshot.id,
        status: job.status ?? 'completed',
        estimated_credits: job.estimated,
        charged_credits: job.charged,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const entries = [
      { type: 'consumption' as const, amount: -(ledger.reserve ?? 0), key: `job-reserve:${id}` },
      { type: 'refund' as const, amount: ledger.settle ?? 0, key: `job-settle:${id}` },
    ];
    for (const { type, amount, key } of entries.filter((e) => e.amount !== 0)) {
      await trx
        .insertInto('credit_transactions')
        .values({ user_id: userId, job_id: id, type, amount, idempotency_key: key })
        .execute();
    }
    return id;
  });
}

/** Users and jobs whose ledger adds up, as the platform writes them. */
async function cleanLedger(): Promise<{ userId: string }> {
  const user = await createTestUser(db);
  await grantCredits(db, user.id, 100);
  await finishedJob(user.id, { estimated: 10, charged: 7 }, { reserve: 10, settle: 3 });
  await finishedJob(user.id, { estimated: 5, charged: 5, status: 'failed' }, { reserve: 5 });
  await finishedJob(user.id, { estimated: 8, charged: 0, status: 'cancelled' }, { reserve: 8, settle: 8 });
  // A running job holds its reservation and is not settled yet: nothing to check.
  await finishedJob(user.id, { estimated: 6, charged: 0, status: 'running' }, { reserve: 6 });
  const idle = await createTestUser(db);
  await grantCredits(db, idle.id, 3);
  await createTestUser(db);
  return { userId: user.id };
}

describe('the daily credit reconciliation', () => {
  it('reports nothing on a ledger that adds up', async () => {
    // A job that ran before the ledger reserved credits for jobs has no entries, by design.
    const early = await createTestUser(db);
    await finishedJob(early.id, { estimated: 4, charged: 0 }, {});
    await cleanLedger();

    const report = await reconcile('sweep');

    expect(report.checkedUsers).toBe(4);
    expect(report.checkedJobs).toBe(4);
    expect(report.drift).toEqual([]);
    expect(report.driftCounts).toEqual({ user_balance: 0, job_credits: 0, stripe_event_stuck: 0 });
    expect(await driftAudits()).toEqual([]);
    // Zeros are published too, so an alarm on the metric sees a healthy day.
    expect(report.metrics.recorded.filter((m) => m.name === CREDIT_DRIFT_METRIC)).toEqual([
      { name: CREDIT_DRIFT_METRIC, value: 0, unit: 'Count', dimensions: { kind: 'user_balance' } },
      { name: CREDIT_DRIFT_METRIC, value: 0, unit: 'Count', dimensions: { kind: 'job_credits' } },
      { name: CREDIT_DRIFT_METRIC, value: 0, unit: 'Count', dimensions: { kind: 'stripe_event_stuck' } },
    ]);
    expect(report.logger.records.some((r) => r['level'] === 'ERROR')).toBe(false);
  });

  it('finds the drift planted in the ledger, audits and counts it, and changes nothing', async () => {
    const { userId } = await cleanLedger();
    // A job charged 9 whose entries took 10 − 3 = 7.
    const overcharged = await finishedJob(userId, { estimated: 10, charged: 9 }, { reserve: 10, settle: 3 });
    // A job estimated at 4 that finished without any reservation.
    const unpaid = await finishedJob(userId, { estimated: 4, charged: 4 }, {});
    // A balance moved without a ledger entry (only possible with the guard trigger off).
    const tampered = await createTestUser(db);
    await grantCredits(db, tampered.id, 20);
    await testDb
      .superuser()
      .transaction()
      .execute(async (trx) => {
        await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await trx.updateTable('users').set({ credit_balance: 25 }).where('id', '=', tampered.id).execute();
      });
    // A refund that has waited five days and was neither applied nor given up (the re-drive,
    // which would have given it up after three, did not get to it).
    const stuck = await app((trx) =>
      trx
        .insertInto('stripe_events')
        .values({
          stripe_event_id: `evt_${randomUUID().replaceAll('-', '')}`,
          type: 'charge.refunded',
          payload: jsonb({ id: 'evt', type: 'charge.refunded' }),
          status: 'failed',
          attempts: 4,
          error_message: 'refund of charge ch_1: no purchase recorded for payment intent pi_1',
          created_at: new Date(Date.now() - 5 * DAY),
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const before = await app((trx) =>
      trx.selectFrom('users').select(['id', 'credit_balance']).orderBy('id').execute(),
    );

    const report = await reconcile('reconciliation only');

    const found = report.drift.map((d) => [d.kind, d.resource.id]).sort();
    expect(found).toEqual(
      [
        ['job_credits', overcharged],
        ['job_credits', unpaid],
        ['stripe_event_stuck', stuck.id],
        ['user_balance', tampered.id],
      ].sort(),
    );
    expect(report.driftCounts).toEqual({ user_balance: 1, job_credits: 2, stripe_event_stuck: 1 });
    const byId = new Map(report.drift.map((d) => [d.resource.id, d]));
    expect(byId.get(overcharged)?.problems).toEqual([
      'charged_credits is 9 but the ledger took 10 reserved − 3 refunded = 7',
    ]);
    expect(byId.get(unpaid)?.problems).toEqual([
      `no reservation (job-reserve:${unpaid}) although the job was estimated at 4 credits`,
      'charged_credits is 4 but the ledger took 0 reserved − 0 refunded = 0',
    ]);
    expect(byId.get(tampered.id)?.problems).toEqual([
      "credit_balance is 25 but the user's 1 ledger entries add up to 20",
      'credit_balance is 25 but the latest ledger entry says balance_after 20',
    ]);

    const audits = await driftAudits();
    expect(audits.map((a) => [a.resource_type, a.resource_id]).sort()).toEqual(
      [
        ['job', overcharged],
        ['job', unpaid],
        ['stripe_event', stuck.id],
        ['user', tampered.id],
      ].sort(),
    );
    expect(audits.every((a) => a.user_id === null)).toBe(true);
    expect(audits.find((a) => a.resource_id === overcharged)?.changes).toMatchObject({
      kind: 'job_credits',
      userId,
      facts: { chargedCredits: 9, reserved: 10, refunded: 3 },
    });
    expect(
      report.metrics.recorded
        .filter((m) => m.name === CREDIT_DRIFT_METRIC)
        .map((m) => [m.dimensions['kind'], m.value]),
    ).toEqual([
      ['user_balance', 1],
      ['job_credits', 2],
      ['stripe_event_stuck', 1],
    ]);
    expect(report.logger.records.some((r) => r['message'] === 'credit ledger drift found')).toBe(true);
    // Reported, not repaired.
    expect(
      await app((trx) => trx.selectFrom('users').select(['id', 'credit_balance']).orderBy('id').execute()),
    ).toEqual(before);
    expect(
      await app((trx) =>
        trx
          .selectFrom('jobs')
          .select('charged_credits')
          .where('id', '=', overcharged)
          .executeTakeFirstOrThrow(),
      ),
    ).toEqual({ charged_credits: 9 });
  });
});
