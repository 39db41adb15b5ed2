import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeForSeconds } from '../../../../../shared/domain/billing/compute-cost';
import { NODE_TYPES } from '../../../../../shared/domain/pipelines/reference-data';
import { LedgerCredits } from '../../../../../shared/domain/billing/credits/ledger-credits';
import type { Database } from '../../../../../shared/db/database';
import { jsonb } from '../../../../../shared/db/schema';
import { withSystemScope, type TenantScope } from '../../../../../shared/db/tenant';
import type { DatabaseTransaction } from '../../../../../shared/db/database';
import {
  ConflictError,
  DependencyUnavailableError,
  NotFoundError,
} from '../../../../../shared/kernel/app-error';
import { createLogger } from '../../../../../shared/observability/logger';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { randomIds } from '../../../../../shared/kernel/ids.port';
import type {
  ExecutionDescription,
  Orchestrator,
  StartExecutionRequest,
} from '../../../../../shared/ports/orchestrator.port';
import { cancelJob } from '../../../../../shared/domain/runs/cancel-job';
import {
  checkJob,
  planJob,
  recordNodeResult,
  settleJob,
} from '../../../../../shared/domain/runs/job-control';
import { getJob, listCallerJobs } from '../../../../../shared/domain/runs/query-jobs';
import { retryJob, startJob } from '../../../../../shared/domain/runs/start-job';
import { sweepJobs } from '../../../../../shared/domain/runs/sweep-jobs';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser, grantCredits } from '../../../support/fixtures';

/** Starting, recording, settling, cancelling and sweeping jobs against PostgreSQL (row-level security on). */
class RecordingOrchestrator implements Orchestrator {
  started: StartExecutionRequest[] = [];
  stopped: string[] = [];
  failStarts = 0;
  statuses = new Map<string, ExecutionDescription['status'] | 'missing'>();

  async startExecution(request: StartExecutionRequest) {
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new DependencyUnavailableError('orchestrator', 'throttled');
    }
    this.started.push(request);
    return { executionId: `exec:${request.name}`, startedAt: new Date() };
  }
  async stopExecution(executionId: string) {
    this.stopped.push(executionId);
    this.statuses.set(executionId, 'ABORTED');
  }
  async describeExecution(executionId: string): Promise<ExecutionDescription | undefined> {
    const status = this.statuses.get(executionId) ?? 'RUNNING';
    if (status === 'missing') return undefined;
    return { executionId, name: executionId, status, startedAt: new Date() };
  }
  async listRunningExecutions(machine: string) {
    return this.started
      .filter(
        (r) => r.machine === machine && (this.statuses.get(`exec:${r.name}`) ?? 'RUNNING') === 'RUNNING',
      )
      .map((r) => ({ executionId: `exec:${r.name}`, name: r.name, startedAt: new Date() }));
  }
  async sendTaskSuccess() {}
  async sendTaskFailure() {}
  async sendTaskHeartbeat() {}
}

let testDb: TestDatabase;
let db: Database;
const clock = fixedClock('2026-11-21T10:00:00Z');
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

/** Fixtures and checks see every tenant's rows; the code under test runs with row-level security. */
const sys = <T>(work: (trx: DatabaseTransaction) => Promise<T>) =>
  withSystemScope(db, 'admin.test-fixture', work);

function deps(orchestrator = new RecordingOrchestrator()) {
  return {
    services: { db, clock, logger, ids: randomIds, orchestrator },
    credits: new LedgerCredits(),
    orchestrator,
  };
}

const edge = (from: string, to: string, fromPort = 'table', toPort = 'table') => ({
  from: { node: from, port: fromPort },
  to: { node: to, port: toPort },
});

/** A user with a validated 2-million-row dataset version and a pipeline: source → filter → (csv, parquet). */
async function fixture() {
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
        row_count: 2_000_000,
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
        name: 'runs',
        definition: jsonb({
          nodes: [
            { id: 'source', type: 'dataset.source', params: {} },
            {
              id: 'filter',
              type: 'table.filter_rows',
              params: { conditions: [{ column: 'a', operator: 'is_null' }] },
            },
            { id: 'csv', type: 'export.csv', params: {} },
            { id: 'parquet', type: 'export.parquet', params: {} },
          ],
          edges: [edge('source', 'filter'), edge('filter', 'csv'), edge('source', 'parquet')],
        }),
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  return {
    caller,
    datasetVersionId: version.id,
    pipelineId: pipeline.id,
    request: { caller, pipelineId: pipeline.id, datasetVersionId: version.id, priority: 5 },
  };
}

describe('starting a job', () => {
  it('snapshots the pipeline, estimates from the cost models, creates pending nodes and starts an execution named after the job', async () => {
    const f = await fixture();
    const d = deps();
    const { job, created } = await startJob(d, f.request);
    expect(created).toBe(true);
    // Each node's catalog duration for the version's 2 M rows, on Lambda at 3,008 MB, summed and rounded up once.
    const seconds = ['dataset.source', 'table.filter_rows', 'export.csv', 'export.parquet'].map((key) => {
      const duration = NODE_TYPES.find((type) => type.key === key)?.costModel;
      if (!duration) throw new Error(`no catalog entry ${key}`);
      return duration.baseSeconds + 2 * duration.secondsPerMillionRows;
    });
    const lambdaSecond = chargeForSeconds('lambda', 1).credits;
    expect(job.estimatedCredits).toBe(Math.ceil(seconds.reduce((a, b) => a + b, 0) * lambdaSecond - 1e-6));
    expect(job.status).toBe('queued');
    expect(job.executionId).toBe(`exec:${job.id}`);
    expect(d.orchestrator.started).toEqual([
      {
        machine: 'run-pipeline',
        name: job.id,
        input: {
          jobId: job.id,
          userId: f.caller.userId,
          snapshotId: job.snapshotId,
          datasetVersionId: f.datasetVersionId,
        },
      },
    ]);
    const { nodes } = await getJob(db, f.caller, job.id);
    expect(nodes.map((n) => [n.nodeId, n.stage, n.status, n.runtime])).toEqual([
      ['source', 0, 'pending', 'lambda'],
      ['filter', 1, 'pending', 'lambda'],
      ['parquet', 1, 'pending', 'lambda'],
      ['csv', 2, 'pending', 'lambda'],
    ]);
    const snapshot = await sys((trx) =>
      trx
        .selectFrom('pipeline_snapshots')
        .selectAll()
        .where('id', '=', job.snapshotId)
        .executeTakeFirstOrThrow(),
    );
    // Defaults filled in, the source bound to the pipeline's dataset.
    expect(JSON.stringify(snapshot.definition)).toContain('"combine":"and"');
    expect(Object.keys(snapshot.node_types as object).sort()).toEqual([
      'dataset.source',
      'export.csv',
      'export.parquet',
      'table.filter_rows',
    ]);
  });

  it('two concurrent requests with one Idempotency-Key create one job; another body with that key is refused', async () => {
    const f = await fixture();
    const d = deps();
    const request = { ...f.request, idempotencyKey: 'same-key' };
    const results = await Promise.all([startJob(d, request), startJob(d, request), startJob(d, request)]);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const jobs = await sys((trx) =>
      trx.selectFrom('jobs').select('id').where('user_id', '=', f.caller.userId).execute(),
    );
    expect(jobs).toHaveLength(1);
    const snapshots = await sys((trx) =>
      trx.selectFrom('pipeline_snapshots').select('id').where('user_id', '=', f.caller.userId).execute(),
    );
    expect(snapshots).toHaveLength(1);
    expect(d.orchestrator.started).toHaveLength(1);
    await expect(startJob(d, { ...request, priority: 9 })).rejects.toBeInstanceOf(ConflictError);
  });

  it('creates no job at all when the execution cannot be started, after retrying', async () => {
    const f = await fixture();
    const d = deps();
    d.orchestrator.failStarts = 5;
    await expect(startJob({ ...d, startAttempts: 2 }, f.request)).rejects.toMatchObject({
      status: 503,
      message: expect.stringMatching(/no job was created/),
    });
    expect(d.orchestrator.failStarts).toBe(3);
    expect((await listCallerJobs(db, f.caller, { limit: 10 })).jobs).toEqual([]);
    const snapshots = await sys((trx) =>
      trx.selectFrom('pipeline_snapshots').select('id').where('user_id', '=', f.caller.userId).execute(),
    );
    expect(snapshots).toEqual([]);
    // Once the orchestrator answers, the same request starts the job.
    d.orchestrator.failStarts = 0;
    const { job } = await startJob(d, f.request);
    expect(job.executionId).toBe(`exec:${job.id}`);
  });

  it('refuses an invalid pipeline with issues naming the node and field, and other tenants’ resources with 404', async () => {
    const f = await fixture();
    await sys((trx) =>
      trx
        .updateTable('pipelines')
        .set({ definition: jsonb({ nodes: [{ id: 'x', type: 'table.sample', params: {} }], edges: [] }) })
        .where('id', '=', f.pipelineId)
        .execute(),
    );
    await expect(startJob(deps(), f.request)).rejects.toMatchObject({
      code: 'PIPELINE.INVALID',
      issues: expect.arrayContaining([
        expect.objectContaining({ field: expect.stringContaining('nodes[x]') }),
      ]),
    });
    const other = await fixture();
    await expect(startJob(deps(), { ...other.request, pipelineId: f.pipelineId })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('the control plane', () => {
  const started = async () => {
    const f = await fixture();
    const d = deps();
    const { job } = await startJob(d, f.request);
    return { f, d, job };
  };

  it('plans the stages, records results, and settles a completed job with progress 100 and what ran charged', async () => {
    const { f, d, job } = await started();
    const plan = await planJob(d, job.id);
    expect(plan.stages).toEqual([
      [{ nodeId: 'source', nodeType: 'dataset.source', runtime: 'lambda' }],
      [
        { nodeId: 'filter', nodeType: 'table.filter_rows', runtime: 'lambda' },
        { nodeId: 'parquet', nodeType: 'export.parquet', runtime: 'lambda' },
      ],
      [{ nodeId: 'csv', nodeType: 'export.csv', runtime: 'lambda' }],
    ]);
    for (const nodeId of ['source', 'filter', 'parquet', 'csv']) {
      expect(await checkJob(d, job.id)).toEqual({ continue: true });
      await recordNodeResult(d, {
        jobId: job.id,
        nodeId,
        status: 'success',
        output: { outputs: { table: { key: `k/${nodeId}` } }, metrics: { inputRows: 1_000_000 } },
      });
    }
    const mid = await getJob(db, f.caller, job.id);
    expect(mid.job.status).toBe('running');
    expect(mid.job.progress).toBe(99);
    expect(await settleJob(d, job.id, { kind: 'run-ended', error: null })).toEqual({
      status: 'completed',
      settled: true,
    });
    const done = await getJob(db, f.caller, job.id);
    expect(done.job).toMatchObject({ status: 'completed', progress: 100 });
    // Four brief Lambda nodes: their measured time, rounded up once, within the reservation.
    expect(done.job.chargedCredits).toBeGreaterThan(0);
    expect(done.job.chargedCredits).toBeLessThanOrEqual(done.job.estimatedCredits);
    expect(await settleJob(d, job.id, { kind: 'run-ended', error: null })).toEqual({
      status: 'completed',
      settled: false,
    });
  });

  it('a failed node skips its descendants, stops later stages and fails the job with its error and traceback', async () => {
    const { f, d, job } = await started();
    await planJob(d, job.id);
    await recordNodeResult(d, {
      jobId: job.id,
      nodeId: 'source',
      status: 'success',
      output: { outputs: {}, metrics: { inputRows: 0 } },
    });
    await recordNodeResult(d, {
      jobId: job.id,
      nodeId: 'filter',
      status: 'failed',
      error: {
        Error: 'PipeWeave.NodeError',
        Cause: JSON.stringify({
          errorType: 'PipeWeave.NodeError',
          errorMessage: 'Column "a" does not exist',
          trace: ['at filter', 'at run'],
        }),
      },
    });
    await recordNodeResult(d, {
      jobId: job.id,
      nodeId: 'parquet',
      status: 'success',
      output: { outputs: {}, metrics: {} },
    });
    expect(await checkJob(d, job.id)).toEqual({ continue: false });
    await settleJob(d, job.id, { kind: 'run-ended', error: null });
    const { job: failed, nodes } = await getJob(db, f.caller, job.id);
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toBe('Node "filter" (table.filter_rows) failed: Column "a" does not exist');
    expect(failed.errorTraceback).toBe('at filter\nat run');
    expect(Object.fromEntries(nodes.map((n) => [n.nodeId, n.status]))).toEqual({
      source: 'success',
      filter: 'failed',
      parquet: 'success',
      csv: 'skipped',
    });
    // A late success for a skipped node changes nothing.
    expect(
      await recordNodeResult(d, { jobId: job.id, nodeId: 'csv', status: 'success', output: {} }),
    ).toEqual({ recorded: false });
  });

  it('a run that broke is failed and not charged', async () => {
    const { f, d, job } = await started();
    await planJob(d, job.id);
    await recordNodeResult(d, {
      jobId: job.id,
      nodeId: 'source',
      status: 'success',
      output: { outputs: {}, metrics: { inputRows: 5_000_000 } },
    });
    await settleJob(d, job.id, { kind: 'run-ended', error: { Error: 'States.Runtime', Cause: 'boom' } });
    const { job: failed } = await getJob(db, f.caller, job.id);
    expect(failed).toMatchObject({
      status: 'failed',
      chargedCredits: 0,
      errorMessage: 'The run failed (States.Runtime): boom',
    });
  });
});

describe('cancel, retry and the sweeper', () => {
  it('cancel stops the execution, skips unfinished nodes and settles once; finished jobs cannot be cancelled', async () => {
    const f = await fixture();
    const d = deps();
    const { job } = await startJob(d, f.request);
    await planJob(d, job.id);
    await recordNodeResult(d, {
      jobId: job.id,
      nodeId: 'source',
      status: 'success',
      output: { outputs: {}, metrics: { inputRows: 1_000_000 } },
    });
    const first = await cancelJob(d, f.caller, job.id);
    expect(d.orchestrator.stopped).toEqual([`exec:${job.id}`]);
    // The source finished: it is paid for (briefly run: one credit); the skipped nodes are not.
    expect(first.job).toMatchObject({ status: 'cancelled', chargedCredits: 1 });
    expect(
      first.nodes
        .filter((n) => n.status === 'skipped')
        .map((n) => n.nodeId)
        .sort(),
    ).toEqual(['csv', 'filter', 'parquet']);
    const again = await cancelJob(d, f.caller, job.id);
    expect(again.job.completedAt).toEqual(first.job.completedAt);
    expect(d.orchestrator.stopped).toHaveLength(1);

    const retried = await retryJob(d, { caller: f.caller, jobId: job.id, idempotencyKey: 'r1' });
    expect(retried.job.snapshotId).toBe(job.snapshotId);
    expect((await retryJob(d, { caller: f.caller, jobId: job.id, idempotencyKey: 'r1' })).job.id).toBe(
      retried.job.id,
    );
    await expect(retryJob(d, { caller: f.caller, jobId: retried.job.id })).rejects.toMatchObject({
      code: 'JOB.STILL_RUNNING',
    });
    await planJob(d, retried.job.id);
    await settleJob(d, retried.job.id, { kind: 'run-ended', error: null });
    await expect(cancelJob(d, f.caller, retried.job.id)).rejects.toMatchObject({
      code: 'JOB.ALREADY_FINISHED',
    });
    await expect(cancelJob(d, { userId: randomUUID() }, job.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('settles jobs whose execution ended or vanished, stops and settles silent ones, and leaves healthy ones alone', async () => {
    const orchestrator = new RecordingOrchestrator();
    const d = deps(orchestrator);
    const make = async () => {
      const f = await fixture();
      const { job } = await startJob(d, f.request);
      await planJob(d, job.id);
      return { f, job };
    };
    const stopped = await make();
    const vanished = await make();
    const silent = await make();
    const healthy = await make();
    orchestrator.statuses.set(`exec:${stopped.job.id}`, 'ABORTED');
    orchestrator.statuses.set(`exec:${vanished.job.id}`, 'missing');
    clock.advance(20 * 60_000);
    await recordNodeResult(d, {
      jobId: healthy.job.id,
      nodeId: 'source',
      status: 'success',
      output: { outputs: {}, metrics: {} },
    });

    const report = await sweepJobs({ ...d, staleAfterMs: 15 * 60_000 });
    expect(report.settled.map((s) => s.jobId).sort()).toEqual(
      [stopped.job.id, vanished.job.id, silent.job.id].sort(),
    );
    expect(orchestrator.stopped).toEqual([`exec:${silent.job.id}`]);
    expect((await getJob(db, stopped.f.caller, stopped.job.id)).job.errorMessage).toMatch(
      /was stopped before the job was settled/,
    );
    expect((await getJob(db, silent.f.caller, silent.job.id)).job.errorMessage).toMatch(
      /stopped reporting progress/,
    );
    expect((await getJob(db, healthy.f.caller, healthy.job.id)).job.status).toBe('running');
    expect((await sweepJobs({ ...d, staleAfterMs: 15 * 60_000 })).settled).toEqual([]);
  });

  it('settles an unfinished job that has no execution as lost, and never starts one', async () => {
    const orchestrator = new RecordingOrchestrator();
    const d = deps(orchestrator);
    const f = await fixture();
    const { job } = await startJob(d, f.request);
    // A job row without an execution id (jobs now get theirs inside the creating transaction).
    await withSystemScope(db, 'admin.test-fixture', (trx) =>
      trx.updateTable('jobs').set({ execution_id: null }).where('id', '=', job.id).execute(),
    );
    orchestrator.statuses.set(`exec:${job.id}`, 'missing');
    clock.advance(5 * 60_000);

    const report = await sweepJobs(d);

    expect(report.settled.map((s) => s.jobId)).toEqual([job.id]);
    expect(orchestrator.started).toHaveLength(1);
    const after = (await getJob(db, f.caller, job.id)).job;
    expect(after.status).toBe('failed');
    expect(after.errorMessage).toMatch(/lost/);
  });
});
