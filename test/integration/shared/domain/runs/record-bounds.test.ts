import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerCredits } from '../../../../../shared/domain/billing/credits/ledger-credits';
import type { Database } from '../../../../../shared/db/database';
import { withSystemScope } from '../../../../../shared/db/tenant';
import { createLogger } from '../../../../../shared/observability/logger';
import { systemClock } from '../../../../../shared/kernel/clock.port';
import { recordNodeResult, settleJob } from '../../../../../shared/domain/runs/job-control';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createRunningJob } from '../../../support/running-job';

/**
 * A node's error can be as long as its host makes it (a DuckDB message quoting a huge value, a
 * deep stack): what the run records stays bounded, because the Data API returns no row over 64 KB.
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

describe('recorded errors', () => {
  it('a failure with a 200 KB message and a 5,000-line trace is stored bounded, and the job still settles', async () => {
    const { jobId } = await createRunningJob(db, logger);
    const deps = { services: { db, clock: systemClock, logger }, credits: new LedgerCredits() };
    const cause = JSON.stringify({
      errorType: 'PipeWeave.NodeError',
      errorMessage: `Conversion Error: could not convert '${'v'.repeat(200_000)}'`,
      trace: Array.from({ length: 5_000 }, (_, i) => `at frame${i} (${'/deep/path'.repeat(100)}:1:1)`),
    });
    const recorded = await recordNodeResult(deps, {
      jobId,
      nodeId: 'source',
      status: 'failed',
      error: { Error: 'PipeWeave.NodeError', Cause: cause },
    });
    expect(recorded).toEqual({ recorded: true });
    expect(await settleJob(deps, jobId, { kind: 'run-ended', error: null })).toEqual({
      status: 'failed',
      settled: true,
    });

    const sizes = await withSystemScope(db, 'admin.test-fixture', async (trx) => {
      const node = await trx
        .selectFrom('job_nodes')
        .select(['error', 'output'])
        .where('job_id', '=', jobId)
        .executeTakeFirstOrThrow();
      const job = await trx
        .selectFrom('jobs')
        .select(['error_message', 'error_traceback'])
        .where('id', '=', jobId)
        .executeTakeFirstOrThrow();
      return {
        nodeError: node.error ?? '',
        nodeOutput: JSON.stringify(node.output),
        jobMessage: job.error_message ?? '',
        jobTraceback: job.error_traceback ?? '',
      };
    });
    expect(sizes.nodeError).toMatch(/^Conversion Error: could not convert 'vvv/);
    expect(sizes.nodeError.length).toBeLessThanOrEqual(4_000);
    expect(sizes.nodeOutput.length).toBeLessThan(24 * 1024);
    expect(sizes.jobMessage.length).toBeLessThan(5_000);
    expect(sizes.jobTraceback.length).toBeLessThan(24 * 1024);
  });
});
