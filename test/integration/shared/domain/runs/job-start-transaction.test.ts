import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeJobsHandler } from '../../../../../functions/api/jobs/jobs-handler';
import { makePipelineControlHandler } from '../../../../../functions/pipeline/pipeline-control/pipeline-control-handler';
import { lambdaTask, LocalStepFunctions } from '../../../../../infra/local/local-step-functions';
import { loadConfig } from '../../../../../shared/config/config';
import type { CreditsPort } from '../../../../../shared/domain/billing/credits/credits.port';
import { LedgerCredits } from '../../../../../shared/domain/billing/credits/ledger-credits';
import type { Database, DatabaseTransaction } from '../../../../../shared/db/database';
import { jsonb } from '../../../../../shared/db/schema';
import { withSystemScope, type TenantScope } from '../../../../../shared/db/tenant';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';
import { issueAccessToken } from '../../../../../shared/domain/identity/access-tokens';
import { signingKeyFor } from '../../../../../shared/domain/identity/signing-key';
import { TRANSIENT_ERROR_NAME } from '../../../../../shared/domain/nodes/node-errors';
import { createLogger } from '../../../../../shared/observability/logger';
import type {
  ExecutionSummary,
  Orchestrator,
  StartExecutionRequest,
} from '../../../../../shared/ports/orchestrator.port';
import { getJob } from '../../../../../shared/domain/runs/query-jobs';
import { JOB_NOT_CREATED_ERROR, startJob } from '../../../../../shared/domain/runs/start-job';
import type { Services } from '../../../../../shared/ports/services';
import { apiEvent, httpTestServices, lambdaContext } from '../../../../unit/support/http-test-services';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser, grantCredits } from '../../../support/fixtures';

/**
 * The execution of a job is started inside the transaction that creates the job, on PostgreSQL
 * (row-level security on) with the real run-pipeline state machine run by the local interpreter
 * and the real pipeline control handler; only the node work is a stand-in. Between the start and
 * the commit, the execution's first task (plan) cannot see the job yet.
 */
let testDb: TestDatabase;
let db: Database;
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });
const config = loadConfig({
  PW_RUNTIME: 'local',
  PW_LOG_LEVEL: 'SILENT',
  PW_JWT_SECRET: 'job-start-transaction-test-secret-0123456789',
});
const machines: LocalStepFunctions[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await Promise.all(machines.map((m) => m.stopAll()));
  await testDb.drop();
});

function servicesWith(orchestrator: Orchestrator): Services {
  return { ...httpTestServices().services, config, db, logger, orchestrator };
}

const sys = <T>(work: (trx: DatabaseTransaction) => Promise<T>) =>
  withSystemScope(db, 'admin.test-fixture', work);

function deferred<T = void>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How each job's PlanStages attempts ended, as the control handler answered the machine. */
const planOutcomes = new Map<string, string[]>();
/** Jobs whose nodes wait until their execution is stopped (so the execution stays running). */
const holdNodesOf = new Set<string>();

/**
 * The run-pipeline machine from statemachines/, its control tasks on the real control handler
 * (orchestrator: this machine), PlanStages retried after `planRetryMs` instead of seconds.
 */
async function localRuns(planRetryMs: number[]): Promise<LocalStepFunctions> {
  const sfn = await LocalStepFunctions.fromDirectory({ logger });
  machines.push(sfn);
  const control = makePipelineControlHandler(() => servicesWith(sfn), new LedgerCredits());
  const controlTask = lambdaTask(async (payload: { action: string; jobId: string }) => {
    try {
      const result = await control(payload);
      if (payload.action === 'plan') planOutcomes.set(payload.jobId, [...outcomesOf(payload.jobId), 'ok']);
      return result;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      if (payload.action === 'plan') planOutcomes.set(payload.jobId, [...outcomesOf(payload.jobId), name]);
      throw error;
    }
  });
  sfn.register('run-pipeline', {
    overrides: {
      PlanStages: controlTask,
      CheckStage: controlTask,
      RecordNodeSuccess: controlTask,
      RecordNodeFailure: controlTask,
      Settle: controlTask,
      RunLambdaNode: lambdaTask(async (payload: { jobId: string }, context) => {
        if (holdNodesOf.has(payload.jobId)) {
          await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
        }
        return { outputs: {}, metrics: { inputRows: 0 } };
      }),
      RunFargateNode: () => {
        throw new Error('no Fargate node in these pipelines');
      },
    },
    retryIntervalOverrides: { PlanStages: planRetryMs },
  });
  return sfn;
}

const outcomesOf = (jobId: string) => planOutcomes.get(jobId) ?? [];

/** The local machine with something happening around its calls: what a crash, a lost answer or an outage looks like. */
class InterposedOrchestrator implements Orchestrator {
  readonly starts: StartExecutionRequest[] = [];
  constructor(
    readonly inner: LocalStepFunctions,
    private readonly hooks: {
      beforeStart?: (request: StartExecutionRequest, attempt: number) => Promise<void>;
      afterStart?: (request: StartExecutionRequest, executionId: string, attempt: number) => Promise<void>;
      stopFails?: boolean;
    } = {},
  ) {}
  async startExecution(request: StartExecutionRequest) {
    this.starts.push(request);
    const attempt = this.starts.length;
    await this.hooks.beforeStart?.(request, attempt);
    const started = await this.inner.startExecution(request);
    await this.hooks.afterStart?.(request, started.executionId, attempt);
    return started;
  }
  async stopExecution(executionId: string, reason?: { error?: string; cause?: string }) {
    if (this.hooks.stopFails) throw new DependencyUnavailableError('orchestrator', 'StopExecution timed out');
    await this.inner.stopExecution(executionId, reason);
  }
  describeExecution(executionId: string) {
    return this.inner.describeExecution(executionId);
  }
  listRunningExecutions(machine: string): Promise<ExecutionSummary[]> {
    return this.inner.listRunningExecutions(machine);
  }
  sendTaskSuccess(taskToken: string, output: unknown) {
    return this.inner.sendTaskSuccess(taskToken, output);
  }
  sendTaskFailure(taskToken: string, error: string, cause: string) {
    return this.inner.sendTaskFailure(taskToken, error, cause);
  }
  sendTaskHeartbeat(taskToken: string) {
    return this.inner.sendTaskHeartbeat(taskToken);
  }
}

const executionArn = (jobId: string) =>
  `arn:aws:states:us-east-1:000000000000:execution:run-pipeline:${jobId}`;

/**
 * The user's next job creation fails at COMMIT, after everything else (the execution start
 * included) succeeded: a deferred trigger refuses it, as a commit can fail for reasons of its own.
 */
async function refuseCommitsOf(userId: string): Promise<void> {
  const name = `refuse_commit_${userId.replaceAll('-', '')}`;
  const superuser = testDb.superuser();
  await sql
    .raw(
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.user_id = '${userId}'::uuid THEN RAISE EXCEPTION 'commit refused for job %', NEW.id; END IF;
         RETURN NULL;
       END $$`,
    )
    .execute(superuser);
  await sql
    .raw(
      `CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT ON jobs DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    )
    .execute(superuser);
}

const ledgerCredits: CreditsPort = new LedgerCredits();

/** A user with a validated dataset version and a two-node pipeline (source → csv). */
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
        row_count: 1_000_000,
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
        name: 'two nodes',
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
  return {
    caller,
    pipelineId: pipeline.id,
    datasetVersionId: version.id,
    request: { caller, pipelineId: pipeline.id, datasetVersionId: version.id, priority: 5 },
  };
}

/** What a user's failed start could have left behind. */
async function leftBehind(userId: string) {
  return sys(async (trx) => ({
    jobs: await trx.selectFrom('jobs').select('id').where('user_id', '=', userId).execute(),
    snapshots: await trx
      .selectFrom('pipeline_snapshots')
      .select('id')
      .where('user_id', '=', userId)
      .execute(),
    ledger: await trx
      .selectFrom('credit_transactions')
      .select(['type', 'amount'])
      .where('user_id', '=', userId)
      .where('type', '<>', 'grant')
      .execute(),
    balance: (
      await trx
        .selectFrom('users')
        .select('credit_balance')
        .where('id', '=', userId)
        .executeTakeFirstOrThrow()
    ).credit_balance,
  }));
}

const deps = (orchestrator: Orchestrator, credits: CreditsPort = new LedgerCredits()) => ({
  services: servicesWith(orchestrator),
  credits,
});

describe('the execution starts inside the transaction that creates its job', () => {
  it('plan before the commit is a transient error the machine retries; once the job commits the run plans and completes', async () => {
    const f = await fixture();
    const sfn = await localRuns([250, 500, 1000, 2000, 4000]);
    const hold = deferred();
    const started = deferred<{ jobId: string; executionId: string }>();
    const orchestrator = new InterposedOrchestrator(sfn, {
      afterStart: async (request, executionId) => {
        started.resolve({ jobId: request.name, executionId });
        await hold.promise;
      },
    });

    const starting = startJob(deps(orchestrator), f.request);
    const { jobId, executionId } = await started.promise;
    // The machine called plan at once; the creating transaction is still open.
    await until('the first PlanStages attempt', () => outcomesOf(jobId).length > 0);
    expect(outcomesOf(jobId)[0]).toBe(TRANSIENT_ERROR_NAME);
    const control = makePipelineControlHandler(() => servicesWith(sfn), new LedgerCredits());
    await expect(control({ action: 'plan', jobId })).rejects.toMatchObject({
      name: TRANSIENT_ERROR_NAME,
      message: expect.stringContaining(`Unknown job ${jobId}`),
    });
    expect((await leftBehind(f.caller.userId)).jobs).toEqual([]);

    hold.resolve();
    const { job, created } = await starting;
    expect(created).toBe(true);
    expect(job).toMatchObject({ id: jobId, executionId, status: 'queued' });

    const ended = await sfn.waitForExecution(executionId);
    expect(ended.status).toBe('SUCCEEDED');
    expect(outcomesOf(jobId).at(-1)).toBe('ok');
    const done = await getJob(db, f.caller, jobId);
    expect(done.job).toMatchObject({ status: 'completed', executionId });
    expect(done.nodes.map((n) => n.status)).toEqual(['success', 'success']);
  });

  it('a commit that fails after the start leaves no job, and its execution is stopped', async () => {
    const f = await fixture();
    await refuseCommitsOf(f.caller.userId);
    const sfn = await localRuns([250, 500, 1000, 2000, 4000]);
    const orchestrator = new InterposedOrchestrator(sfn);

    await expect(startJob(deps(orchestrator), f.request)).rejects.toThrow(/commit refused/);

    const [request] = orchestrator.starts;
    expect(orchestrator.starts).toHaveLength(1);
    const execution = await sfn.waitForExecution(executionArn(request?.name ?? ''));
    expect(execution).toMatchObject({ status: 'ABORTED', error: JOB_NOT_CREATED_ERROR });
    expect(await leftBehind(f.caller.userId)).toMatchObject({ jobs: [], snapshots: [] });
    expect(await sfn.listRunningExecutions('run-pipeline')).not.toContainEqual(
      expect.objectContaining({ name: request?.name }),
    );
  });

  it('when the stop cannot land either, the run fails in planning as an unknown job and changes nothing', async () => {
    const f = await fixture();
    await refuseCommitsOf(f.caller.userId);
    const sfn = await localRuns([5, 5, 5, 5, 5]);
    const orchestrator = new InterposedOrchestrator(sfn, { stopFails: true });

    await expect(startJob(deps(orchestrator), f.request)).rejects.toThrow(/commit refused/);

    const jobId = orchestrator.starts[0]?.name ?? '';
    const execution = await sfn.waitForExecution(executionArn(jobId));
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(TRANSIENT_ERROR_NAME);
    expect(execution.cause).toContain(`Unknown job ${jobId}`);
    // The first attempt and its five retries.
    expect(outcomesOf(jobId)).toEqual(Array.from({ length: 6 }, () => TRANSIENT_ERROR_NAME));
    expect(await leftBehind(f.caller.userId)).toMatchObject({ jobs: [], snapshots: [] });
  });

  it('a start whose answer was lost is retried into the same execution', async () => {
    const f = await fixture();
    const sfn = await localRuns([250, 500, 1000, 2000, 4000]);
    const orchestrator = new InterposedOrchestrator(sfn, {
      afterStart: async (_request, _executionId, attempt) => {
        if (attempt === 1) throw new DependencyUnavailableError('orchestrator', 'socket hang up');
      },
    });

    const { job } = await startJob(deps(orchestrator), f.request);

    expect(orchestrator.starts).toHaveLength(2);
    expect(orchestrator.starts[1]).toEqual(orchestrator.starts[0]);
    expect(job.executionId).toBe(executionArn(job.id));
    expect((await sfn.waitForExecution(executionArn(job.id))).status).toBe('SUCCEEDED');
    expect((await getJob(db, f.caller, job.id)).job.status).toBe('completed');
  });

  it('concurrent requests with one Idempotency-Key: one job, and exactly one execution left running', async () => {
    const f = await fixture();
    const sfn = await localRuns([250, 500, 1000, 2000, 4000]);
    const orchestrator = new InterposedOrchestrator(sfn, {
      // Every start holds its transaction open a moment, so the requests overlap.
      beforeStart: async (request) => {
        holdNodesOf.add(request.name);
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
    });
    const request = { ...f.request, idempotencyKey: `key-${randomUUID()}` };

    const results = await Promise.all([1, 2, 3, 4].map(() => startJob(deps(orchestrator), request)));

    const jobIds = new Set(results.map((r) => r.job.id));
    expect(jobIds.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const [jobId] = [...jobIds];
    expect((await leftBehind(f.caller.userId)).jobs).toEqual([{ id: jobId }]);
    const startedNames = new Set(orchestrator.starts.map((s) => s.name));
    await until('the run to plan', () => outcomesOf(jobId ?? '').includes('ok'));
    const running = (await sfn.listRunningExecutions('run-pipeline')).filter((e) => startedNames.has(e.name));
    expect(running.map((e) => e.name)).toEqual([jobId]);
    await sfn.stopExecution(executionArn(jobId ?? ''));
  });
});

describe('a run that cannot be started', () => {
  it('answers 503 with a problem to retry, and leaves no job, no snapshot and no reservation behind', async () => {
    const f = await fixture();
    const sfn = await localRuns([250, 500, 1000, 2000, 4000]);
    const orchestrator = new InterposedOrchestrator(sfn, {
      beforeStart: async () => {
        throw new DependencyUnavailableError('orchestrator', 'Rate exceeded');
      },
    });

    // The credit reservation is written in the same transaction, then rolled back with it.
    await expect(
      startJob({ ...deps(orchestrator, ledgerCredits), startAttempts: 2 }, f.request),
    ).rejects.toMatchObject({
      status: 503,
    });
    expect(orchestrator.starts).toHaveLength(2);
    expect(await leftBehind(f.caller.userId)).toEqual({ jobs: [], snapshots: [], ledger: [], balance: 100 });

    const key = await signingKeyFor(config);
    const { token } = await issueAccessToken(
      config.auth,
      key,
      { userId: f.caller.userId, role: 'user', sessionId: randomUUID() },
      new Date(),
    );
    const handler = makeJobsHandler(() => servicesWith(orchestrator));
    const response = await handler(
      apiEvent({
        method: 'POST',
        path: '/jobs',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ pipelineId: f.pipelineId, datasetVersionId: f.datasetVersionId }),
      }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['content-type']).toMatch(/application\/problem\+json/);
    expect(response.headers?.['retry-after']).toBe('5');
    const problem = JSON.parse(response.body ?? '{}') as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 503, code: 'DEPENDENCY.ORCHESTRATOR_UNAVAILABLE' });
    expect(problem['detail']).toMatch(/no job was created/);
    expect(await leftBehind(f.caller.userId)).toEqual({ jobs: [], snapshots: [], ledger: [], balance: 100 });

    // The same request once the orchestrator answers: one job, its reservation, its run.
    const working = new InterposedOrchestrator(sfn);
    const { job } = await startJob(deps(working, ledgerCredits), f.request);
    const after = await leftBehind(f.caller.userId);
    expect(after.jobs).toEqual([{ id: job.id }]);
    expect(after.ledger).toEqual([{ type: 'consumption', amount: -job.estimatedCredits }]);
    expect(after.balance).toBe(100 - job.estimatedCredits);
    expect((await sfn.waitForExecution(executionArn(job.id))).status).toBe('SUCCEEDED');
  });
});
