import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaTask } from '../../../../../infra/local/local-step-functions';
import { LedgerCredits } from '../../../../../shared/domain/billing/credits/ledger-credits';
import type { Database } from '../../../../../shared/db/database';
import { withSystemScope } from '../../../../../shared/db/tenant';
import { createLogger } from '../../../../../shared/observability/logger';
import { systemClock } from '../../../../../shared/kernel/clock.port';
import { recordNodeResult, settleJob } from '../../../../../shared/domain/runs/job-control';
import { getJob } from '../../../../../shared/domain/runs/query-jobs';
import type { StatesError } from '../../../../../shared/domain/runs/run-errors';
import { REPO_ROOT } from '../../../../support/repo-paths';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createRunningJob } from '../../../support/running-job';

/**
 * A node that throws: what its job and node records keep (which their owner reads) names files
 * relative to the project, never the server's folders; the message says "the file" instead of a
 * scratch path. A Lambda's own trace (its bundle under /var/task) keeps the bundle's name alone.
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

/** The node fails the way the local interpreter reports it: through its lambda task. */
async function failureOfThrowingNode(): Promise<StatesError> {
  const task = lambdaTask(() => {
    throw new Error(`ENOENT: no such file or directory, open '/tmp/pw-node-x1/input.parquet'`);
  });
  const context = {
    machine: 'run-pipeline',
    executionId: 'e',
    executionName: 'e',
    stateName: 'RunLambdaNode',
    signal: new AbortController().signal,
  };
  const thrown = await Promise.resolve(task({ Payload: {} }, context)).catch((error: unknown) => error);
  if (!(thrown instanceof Error)) throw new Error('the node did not fail');
  return { Error: thrown.name, Cause: thrown.message };
}

async function recordFailure(error: StatesError) {
  const { jobId, caller } = await createRunningJob(db, logger);
  const deps = { services: { db, clock: systemClock, logger }, credits: new LedgerCredits() };
  await recordNodeResult(deps, { jobId, nodeId: 'source', status: 'failed', error });
  await settleJob(deps, jobId, { kind: 'run-ended', error: null });
  const { job, nodes } = await getJob(db, caller, jobId);
  const stored = await withSystemScope(db, 'admin.test-fixture', (trx) =>
    trx.selectFrom('job_nodes').select(['output']).where('job_id', '=', jobId).executeTakeFirstOrThrow(),
  );
  return { job, node: nodes[0], nodeOutput: JSON.stringify(stored.output) };
}

describe('the failure of a node that throws', () => {
  it('is recorded with project-relative frames and no server path', async () => {
    const { job, node, nodeOutput } = await recordFailure(await failureOfThrowingNode());

    expect(job.status).toBe('failed');
    const traceback = job.errorTraceback ?? '';
    expect(traceback).toContain('test/integration/shared/domain/runs/recorded-traceback.test.ts:');
    expect(traceback).toContain('infra/local/local-step-functions.ts:');
    for (const text of [traceback, nodeOutput, job.errorMessage ?? '', node?.error ?? '']) {
      expect(text).not.toContain(REPO_ROOT);
      expect(text).not.toContain('/tmp/');
    }
    expect(node?.error).toBe('ENOENT: no such file or directory, open the file');
  });

  it("keeps a Lambda bundle's frames by the bundle's name", async () => {
    const { job } = await recordFailure({
      Error: 'TypeError',
      Cause: JSON.stringify({
        errorType: 'TypeError',
        errorMessage: 'x is not a function',
        trace: [
          'TypeError: x is not a function',
          '    at run (file:///var/task/index.mjs:12:3456)',
          '    at async Runtime.handler (/var/task/index.mjs:1:99)',
          '    at node:internal/process/task_queues:95:5',
        ],
      }),
    });

    expect(job.errorTraceback).toBe(
      [
        'TypeError: x is not a function',
        '    at run (index.mjs:12:3456)',
        '    at async Runtime.handler (index.mjs:1:99)',
        '    at node:internal/process/task_queues:95:5',
      ].join('\n'),
    );
  });

  it("keeps no server path from a Lambda trace's first line, the error's own", async () => {
    const { job, nodeOutput } = await recordFailure({
      Error: 'Error',
      Cause: JSON.stringify({
        errorType: 'Error',
        errorMessage: "ENOENT: no such file or directory, open '/tmp/pw-node-x1/input.parquet'",
        trace: [
          "Error: ENOENT: no such file or directory, open '/tmp/pw-node-x1/input.parquet'",
          '    at open (/var/task/index.mjs:3:10)',
        ],
      }),
    });

    expect(job.errorTraceback).toBe(
      ['Error: ENOENT: no such file or directory, open the file', '    at open (index.mjs:3:10)'].join('\n'),
    );
    expect(nodeOutput).not.toContain('/tmp/');
    expect(nodeOutput).toContain('open the file');
  });
});
