import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import {
  ConflictError,
  DependencyUnavailableError,
  NotFoundError,
} from '../../../../../shared/kernel/app-error';
import { runFargateNode } from '../../../../../functions/pipeline/fargate-node/fargate-node-handler';
import { createLogger } from '../../../../../shared/observability/logger';
import { systemClock } from '../../../../../shared/kernel/clock.port';
import type { Orchestrator } from '../../../../../shared/ports/orchestrator.port';
import { createNodeRegistry, nodeRegistry } from '../../../../../shared/domain/nodes/registry';
import type { OpenSqlEngine, SqlEngine } from '../../../../../shared/ports/sql-engine.port';
import { runJobNode } from '../../../../../shared/domain/runs/run-job-node';
import { DirectoryBlobStore } from '../../../../unit/support/node-test-context';
import { until } from '../../../../support/until';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createRunningJob, quietOrchestrator } from '../../../support/running-job';
import { idleSqlEngine } from '../../../../support/idle-sql-engine';

/**
 * The node host (`runJobNode`, shared by the node-runner Lambda, the Fargate container and the
 * local runtime) against PostgreSQL: what it leaves behind on disk and how it keeps the workflow
 * informed while a node runs.
 */
let testDb: TestDatabase;
let db: Database;
let objects: string;
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  objects = await mkdtemp(path.join(tmpdir(), 'pw-node-hosts-objects-'));
});
afterAll(async () => {
  await testDb.drop();
  await rm(objects, { recursive: true, force: true });
});

const runningJob = () => createRunningJob(db, logger);

const tempRoots: string[] = [];
afterEach(async () => {
  await Promise.all(tempRoots.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pw-node-hosts-'));
  tempRoots.push(dir);
  return dir;
}

/** A SQL engine for nodes that use no SQL. */
const noopEngine: OpenSqlEngine = async () => idleSqlEngine();

function hostDeps(openEngine: OpenSqlEngine, root: string) {
  return {
    services: { db, clock: systemClock, logger, blobs: new DirectoryBlobStore(objects) },
    registry: nodeRegistry,
    openEngine,
    tempRoot: root,
  };
}

describe('scratch directories', () => {
  it('are removed when the table engine cannot open a session', async () => {
    const { jobId } = await runningJob();
    const root = await tempRoot();
    const failingEngine: OpenSqlEngine = async () => {
      throw new Error('DuckDB could not start: out of memory');
    };
    await expect(
      runJobNode(hostDeps(failingEngine, root), { jobId, nodeId: 'source', attempt: 0 }),
    ).rejects.toThrow(/out of memory/);
    expect(await readdir(root)).toEqual([]);
  });

  it('are removed when closing the session fails after the node ran', async () => {
    const { jobId } = await runningJob();
    const root = await tempRoot();
    const brokenClose: SqlEngine = idleSqlEngine({
      close: () => {
        throw new Error('the database file is locked');
      },
    });
    const engine: OpenSqlEngine = async () => brokenClose;
    const registry = createNodeRegistry([
      {
        key: 'dataset.source',
        params: nodeRegistry.get('dataset.source').params,
        run: async (context) => ({
          outputs: { table: { key: context.outputKey('table'), format: 'parquet' } },
          metrics: {},
        }),
      },
    ]);
    await expect(
      runJobNode({ ...hostDeps(engine, root), registry }, { jobId, nodeId: 'source', attempt: 0 }),
    ).rejects.toThrow(/locked/);
    expect(await readdir(root)).toEqual([]);
  });
});

/** An orchestrator whose SendTaskHeartbeat answers what the test says; callbacks are recorded. */
class FakeTaskOrchestrator implements Orchestrator {
  heartbeats = 0;
  heartbeatError: Error | undefined;
  outcome: { status: 'success'; output: unknown } | { status: 'failure'; error: string } | undefined;
  startExecution = quietOrchestrator.startExecution;
  stopExecution = quietOrchestrator.stopExecution;
  describeExecution = quietOrchestrator.describeExecution;
  listRunningExecutions = quietOrchestrator.listRunningExecutions;
  async sendTaskHeartbeat(): Promise<void> {
    this.heartbeats++;
    if (this.heartbeatError) throw this.heartbeatError;
  }
  async sendTaskSuccess(_token: string, output: unknown): Promise<void> {
    this.outcome = { status: 'success', output };
  }
  async sendTaskFailure(_token: string, error: string): Promise<void> {
    if (this.heartbeatError) throw this.heartbeatError;
    this.outcome = { status: 'failure', error };
  }
}

/**
 * The job's source node works until the test releases it or its host aborts it (or a 10 s cap,
 * so a host that never aborts fails the test instead of hanging it).
 */
function blockingRegistry() {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const registry = createNodeRegistry([
    {
      key: 'dataset.source',
      params: nodeRegistry.get('dataset.source').params,
      run: async (context) => {
        started = true;
        await Promise.race([
          released,
          new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve())),
          new Promise<void>((resolve) => setTimeout(resolve, 10_000)),
        ]);
        return { outputs: { table: { key: context.outputKey('table'), format: 'parquet' } }, metrics: {} };
      },
    },
  ]);
  return { registry, release, started: () => started };
}

/** The database as the node host sees it; `down` makes every new transaction fail, as in an outage. */
function flakyDatabase(real: Database): { db: Database; down: (value: boolean) => void } {
  let isDown = false;
  const db = new Proxy(real, {
    get(target, property) {
      if (property === 'transaction' && isDown) {
        return () => ({
          execute: () =>
            Promise.reject(new DependencyUnavailableError('database', 'The database is unreachable.')),
        });
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, down: (value) => (isDown = value) };
}

describe('Fargate task heartbeats', () => {
  for (const [name, error] of [
    ['the task token is unknown or expired (NotFoundError)', new NotFoundError('Task')],
    ['the task timed out (ConflictError)', new ConflictError('TASK.TIMED_OUT', 'The task timed out.')],
  ] as const) {
    it(`stop the node when ${name}`, async () => {
      const { jobId } = await runningJob();
      const orchestrator = new FakeTaskOrchestrator();
      orchestrator.heartbeatError = error;
      const blocking = blockingRegistry();
      const started = Date.now();
      const result = await runFargateNode(
        { db, clock: systemClock, logger, blobs: new DirectoryBlobStore(objects), orchestrator },
        { taskToken: 'token-1', jobId, nodeId: 'source' },
        { registry: blocking.registry, taskHeartbeatIntervalMs: 20, openEngine: noopEngine },
      );
      expect(result.status).toBe('failed');
      expect(blocking.started()).toBe(true);
      expect(orchestrator.heartbeats).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      // Nobody is listening for this task: no success is reported.
      expect(orchestrator.outcome).toBeUndefined();
    });
  }

  it('keep reaching the workflow while the database is down', async () => {
    const { jobId } = await runningJob();
    const orchestrator = new FakeTaskOrchestrator();
    const flaky = flakyDatabase(db);
    const blocking = blockingRegistry();
    const running = runFargateNode(
      { db: flaky.db, clock: systemClock, logger, blobs: new DirectoryBlobStore(objects), orchestrator },
      { taskToken: 'token-2', jobId, nodeId: 'source' },
      {
        registry: blocking.registry,
        heartbeatIntervalMs: 20,
        taskHeartbeatIntervalMs: 20,
        openEngine: noopEngine,
      },
    );
    await until('the node to start', () => (blocking.started() ? true : undefined), 10_000);
    flaky.down(true);
    const before = orchestrator.heartbeats;
    await until(
      'task heartbeats during the outage',
      () => (orchestrator.heartbeats >= before + 5 ? true : undefined),
      5_000,
    );
    flaky.down(false);
    blocking.release();
    const result = await running;
    expect(result.status).toBe('succeeded');
    expect(orchestrator.outcome?.status).toBe('success');
  });
});
