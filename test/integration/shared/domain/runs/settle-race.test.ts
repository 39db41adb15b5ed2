import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerCredits } from '../../../../../shared/domain/billing/credits/ledger-credits';
import type { Database, DatabaseTransaction } from '../../../../../shared/db/database';
import { withSystemScope, withTenant } from '../../../../../shared/db/tenant';
import { createLogger } from '../../../../../shared/observability/logger';
import { systemClock } from '../../../../../shared/kernel/clock.port';
import { settleJob } from '../../../../../shared/domain/runs/job-control';
import { completeNode } from '../../../../../shared/domain/runs/job-repository';
import { until } from '../../../../support/until';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createRunningJob } from '../../../support/running-job';

/**
 * Settle and a node's record arrive at the same time (a late RecordNodeSuccess, a cancel while
 * the last node finishes): on two real connections, the record's transaction has written the
 * node's success but not committed when settle starts.
 */
let testDb: TestDatabase;
let db: Database;
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

const sys = <T>(work: (trx: DatabaseTransaction) => Promise<T>) =>
  withSystemScope(db, 'admin.test-fixture', work);

/** Sessions of this database waiting for a lock another transaction holds. */
async function waitingForLocks(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where wait_event_type = 'Lock' and datname = current_database()
  `.execute(db);
  return rows[0]?.n ?? 0;
}

describe('settle while a node success is being recorded', () => {
  it('waits for the record, then charges the node and completes the job', async () => {
    const { jobId, caller } = await createRunningJob(db, logger);
    const output = {
      outputs: { table: { key: `jobs/${caller.userId}/${jobId}/source/table.parquet`, format: 'parquet' } },
      metrics: { rows: 10, inputRows: 2_000_000 },
    };

    let commit: () => void = () => undefined;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let written: () => void = () => undefined;
    const wasWritten = new Promise<void>((resolve) => (written = resolve));
    // The record's transaction (what RecordNodeSuccess writes), held open until the test says.
    const record = withTenant(db, caller, async (trx) => {
      await completeNode(trx, jobId, 'source', { status: 'success', output, error: null, now: new Date() });
      written();
      await committed;
    });
    await wasWritten;

    const settling = settleJob(
      { services: { db, clock: systemClock, logger }, credits: new LedgerCredits() },
      jobId,
      { kind: 'run-ended', error: null },
    );
    await until(
      'settle to wait for the record',
      async () => ((await waitingForLocks()) > 0 ? true : undefined),
      10_000,
    );
    commit();
    await record;
    const settled = await settling;

    expect(settled).toEqual({ status: 'completed', settled: true });
    const job = await sys((trx) =>
      trx.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow(),
    );
    const node = await sys((trx) =>
      trx.selectFrom('job_nodes').selectAll().where('job_id', '=', jobId).executeTakeFirstOrThrow(),
    );
    expect(node.status).toBe('success');
    expect(job.status).toBe('completed');
    // dataset.source costs 1 + 1 per million input rows: the node that succeeded is paid for.
    expect(Number(job.charged_credits)).toBeGreaterThan(0);
    expect(job.results).toMatchObject({ outputs: { source: output.outputs } });
  });
});
