import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeSweepJobsHandler } from '../../../../../functions/schedules/sweep-jobs/sweep-jobs-handler';
import { lambdaTask, LocalStepFunctions } from '../../../../../infra/local/local-step-functions';
import { LedgerCredits } from '../../../../../shared/domain/billing/credits/ledger-credits';
import type { Database, DatabaseTransaction } from '../../../../../shared/db/database';
import { jsonb } from '../../../../../shared/db/schema';
import { withSystemScope, type TenantScope } from '../../../../../shared/db/tenant';
import { createLogger } from '../../../../../shared/observability/logger';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { randomIds } from '../../../../../shared/kernel/ids.port';
import { planJob, recordNodeResult, settleJob } from '../../../../../shared/domain/runs/job-control';
import { getJob } from '../../../../../shared/domain/runs/query-jobs';
import { startJob } from '../../../../../shared/domain/runs/start-job';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser, grantCredits } from '../../../support/fixtures';
import { until } from '../../../../support/until';

/**
 * Jobs reconciled from execution status-change events and by the frequent sweep, on PostgreSQL
 * (row-level security on) with the local Step Functions as orchestrator: a run-pipeline whose one
 * Task waits until its execution is stopped, and whose status changes reach the sweeper as the
 * EventBridge rule delivers them in AWS.
 */
const WAITING_MACHINE = JSON.stringify({
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: '${PipelineControlFunctionArn}', 'Payload.$': '$' },
      End: true,
    },
  },
});

let testDb: TestDatabase;
let db: Database;
let orchestrator: LocalStepFunctions;
const clock = fixedClock('2026-11-21T10:00:00Z');
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });
const services = () => ({ db, clock, logger, ids: randomIds, orchestrator });
const deps = () => ({ services: services(), credits: new LedgerCredits() });
const sweeper = () =>
  makeSweepJobsHandler(services, { credits: new LedgerCredits(), staleAfterMs: 15 * 60_000 });

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  orchestrator = new LocalStepFunctions({ definitions: { 'run-pipeline': WAITING_MACHINE } });
  orchestrator.register('run-pipeline', {
    overrides: {
      Work: lambdaTask(
        (_payload, context) =>
          new Promise<null>((resolve) => context.signal.addEventListener('abort', () => resolve(null))),
      ),
    },
  });
  // As the EventBridge rule SweepJobsOnRunEnded does in AWS.
  const handler = sweeper();
  orchestrator.onExecutionStatusChange(async (event) => {
    await handler(event);
  });
});
afterAll(async () => {
  await orchestrator.stopAll();
  await testDb.drop();
});

const sys = <T>(work: (trx: DatabaseTransaction) => Promise<T>) =>
  withSystemScope(db, 'admin.test-fixture', work);

/** A user, a validated dataset version and a two-node pipeline (source → csv); a running job on it. */
async function runningJob() {
  const user = await createTestUser(db);
  await grantCredits(db, user.id, 100);
  const caller: TenantScope = { userId: user.id, role: 'user' };
  const dataset = await sys((trx) =>
    trx
      .insertInto('datasets')
      .values({ user_id: user.id, name: `ds-${randomUUID()}`, modality: 'tabular' })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const version = await sys((trx) =>
    trx
      .insertInto('dataset_versions')
      .values({
        dataset_id: dataset.id,
        user_id: user.id,
        version_number: 1,
        original_filename: 'data.csv',
        status: 'validated',
        processed_object_key: `processed/${user.id}/${dataset.id}/1/data.parquet`,
        row_count: 1_000,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const pipeline = await sys((trx) =>
    trx
      .insertInto('pipelines')
      .values({
        user_id: user.id,
        dataset_id: dataset.id,
        name: 'reconcile',
        definition: jsonb({
          nodes: [
            { id: 'source', type: 'dataset.source', params: {} },
            { id: 'csv', type: 'export.csv', params: {} },
          ],
          edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'csv', port: 'table' } }],
        }),
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const { job } = await startJob(deps(), {
    caller,
    pipelineId: pipeline.id,
    datasetVersionId: version.id,
    priority: 5,
  });
  await planJob(deps(), job.id);
  if (!job.executionId) throw new Error('the job has no execution');
  return { caller, jobId: job.id, executionId: job.executionId };
}

const settledJob = (caller: TenantScope, jobId: string) =>
  until(`job ${jobId} to be settled`, async () => {
    const view = await getJob(db, caller, jobId);
    return view.job.status === 'running' || view.job.status === 'queued' ? undefined : view;
  });

const statusChange = (executionArn: string, name: string, status: string) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [executionArn],
  detail: {
    executionArn,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:run-pipeline',
    name,
    status,
    startDate: Date.now(),
    stopDate: Date.now(),
    input: '{}',
    output: null,
  },
});

describe('event-driven job reconciliation', () => {
  it('an execution stopped behind the job’s back: its ABORTED event fails and settles the job, nothing charged', async () => {
    const { caller, jobId, executionId } = await runningJob();

    await orchestrator.stopExecution(executionId);

    const { job, nodes } = await settledJob(caller, jobId);
    expect(job).toMatchObject({ status: 'failed', chargedCredits: 0 });
    expect(job.errorMessage).toMatch(/was stopped before the job was settled/);
    expect(job.completedAt).not.toBeNull();
    expect(nodes.map((n) => n.status)).toEqual(['skipped', 'skipped']);
  });

  it('an execution stopped by a cancel: the event settles the job as cancelled', async () => {
    const { caller, jobId, executionId } = await runningJob();

    await orchestrator.stopExecution(executionId, {
      error: 'PipeWeave.Cancelled',
      cause: 'Cancelled by its owner.',
    });

    const { job } = await settledJob(caller, jobId);
    expect(job).toMatchObject({ status: 'cancelled', chargedCredits: 0 });
  });

  it('an event for a job that is already settled changes nothing', async () => {
    const { caller, jobId, executionId } = await runningJob();
    await recordNodeResult(deps(), {
      jobId,
      nodeId: 'source',
      status: 'success',
      output: { outputs: {}, metrics: { inputRows: 1_000 } },
    });
    await recordNodeResult(deps(), {
      jobId,
      nodeId: 'csv',
      status: 'success',
      output: { outputs: {}, metrics: { inputRows: 1_000 } },
    });
    await settleJob(deps(), jobId, { kind: 'run-ended', error: null });
    const before = await getJob(db, caller, jobId);
    expect(before.job.status).toBe('completed');

    const results = [
      await sweeper()(statusChange(executionId, jobId, 'SUCCEEDED')),
      await sweeper()(statusChange(executionId, jobId, 'ABORTED')),
    ];

    expect(results).toEqual([
      { outcome: 'already-settled', jobId, status: 'completed' },
      { outcome: 'already-settled', jobId, status: 'completed' },
    ]);
    expect(await getJob(db, caller, jobId)).toEqual(before);
    await orchestrator.stopExecution(executionId);
  });

  it('an event for an execution that runs no known job is logged and is not an error', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const unknownJob = randomUUID();
    const arn = `arn:aws:states:us-east-1:000000000000:execution:run-pipeline:${unknownJob}`;

    const results = [
      await sweeper()(statusChange(arn, unknownJob, 'FAILED')),
      await sweeper()(statusChange(`${arn}-x`, 'not-a-job-id', 'TIMED_OUT')),
    ];

    expect(results).toEqual([
      { outcome: 'unknown-job', executionId: arn },
      { outcome: 'unknown-job', executionId: `${arn}-x` },
    ]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledWith(
      'an execution ended that runs no known job',
      expect.objectContaining({ name: unknownJob, status: 'FAILED' }),
    );
    warn.mockRestore();
  });

  it('a RUNNING status change is not reconciled', async () => {
    const { caller, jobId, executionId } = await runningJob();
    expect(await sweeper()(statusChange(executionId, jobId, 'RUNNING'))).toEqual({ outcome: 'ignored' });
    expect((await getJob(db, caller, jobId)).job.status).toBe('running');
    await orchestrator.stopExecution(executionId);
    await settledJob(caller, jobId);
  });
});

describe('the frequent sweep while executions run', () => {
  it('stops and settles a silent job, leaves one that reports progress alone', async () => {
    const silent = await runningJob();
    const healthy = await runningJob();
    clock.advance(20 * 60_000);
    await recordNodeResult(deps(), {
      jobId: healthy.jobId,
      nodeId: 'source',
      status: 'success',
      output: { outputs: {}, metrics: { inputRows: 1_000 } },
    });

    const report = await sweeper()({ sweep: 'if-running' });

    expect(report).toMatchObject({ running: expect.any(Number) });
    expect((report as { settled: { jobId: string }[] }).settled.map((s) => s.jobId)).toEqual([silent.jobId]);
    expect((await orchestrator.describeExecution(silent.executionId))?.status).toBe('ABORTED');
    const { job } = await settledJob(silent.caller, silent.jobId);
    expect(job.status).toBe('failed');
    expect(job.errorMessage).toMatch(/stopped reporting progress \(no heartbeat for 15 minutes\)/);
    expect((await getJob(db, healthy.caller, healthy.jobId)).job.status).toBe('running');
    expect((await orchestrator.describeExecution(healthy.executionId))?.status).toBe('RUNNING');
    await orchestrator.stopExecution(healthy.executionId);
    await settledJob(healthy.caller, healthy.jobId);
  });
});
