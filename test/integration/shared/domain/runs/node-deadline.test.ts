import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { createNodeRegistry, nodeRegistry } from '../../../../../shared/domain/nodes/registry';
import type { OpenSqlEngine } from '../../../../../shared/ports/sql-engine.port';
import { createLogger } from '../../../../../shared/observability/logger';
import { systemClock } from '../../../../../shared/kernel/clock.port';
import { runJobNode } from '../../../../../shared/domain/runs/run-job-node';
import { invocationDeadline } from '../../../../../shared/runtime/invocation-deadline';
import { DirectoryBlobStore } from '../../../../unit/support/node-test-context';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createRunningJob } from '../../../support/running-job';
import { idleSqlEngine } from '../../../../support/idle-sql-engine';

/**
 * The node runner near Lambda's timeout: the node is stopped before the host is killed, so its
 * scratch directory is removed and its failure reaches the state machine as a NodeError.
 */
let testDb: TestDatabase;
let db: Database;
let objects: string;
let root: string;
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  objects = await mkdtemp(path.join(tmpdir(), 'pw-node-deadline-objects-'));
  root = await mkdtemp(path.join(tmpdir(), 'pw-node-deadline-'));
});
afterAll(async () => {
  await testDb.drop();
  await rm(objects, { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
});

const noopEngine: OpenSqlEngine = async () => idleSqlEngine();

describe('a node near its host’s timeout', () => {
  it('stops, leaves no scratch directory (nor one a timed-out invocation left) and fails as a NodeError', async () => {
    const { jobId } = await createRunningJob(db, logger);
    const hourAgo = new Date(Date.now() - 3600_000);
    await mkdir(path.join(root, 'pw-node-left-by-a-timeout', 'spill'), { recursive: true });
    await utimes(path.join(root, 'pw-node-left-by-a-timeout'), hourAgo, hourAgo);
    let stoppedBySignal = false;
    const registry = createNodeRegistry([
      {
        key: 'dataset.source',
        params: nodeRegistry.get('dataset.source').params,
        // Works until its host stops it (a 20 s cap keeps a host that never does from hanging the test).
        run: async (context) => {
          await new Promise<void>((resolve) => {
            const cap = setTimeout(resolve, 20_000);
            context.signal.addEventListener('abort', () => {
              stoppedBySignal = true;
              clearTimeout(cap);
              resolve();
            });
          });
          return { outputs: { table: { key: context.outputKey('table'), format: 'parquet' } }, metrics: {} };
        },
      },
    ]);
    const end = Date.now() + 2_000;
    const context = { getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
    const invocationStart = new Date();
    const deadline = invocationDeadline(context);

    const run = runJobNode(
      {
        services: { db, clock: systemClock, logger, blobs: new DirectoryBlobStore(objects) },
        registry,
        openEngine: noopEngine,
        tempRoot: root,
        ...(deadline ? { deadline: deadline.signal } : {}),
        leftoverScratchBefore: invocationStart,
      },
      { jobId, nodeId: 'source', attempt: 0 },
    );

    await expect(run).rejects.toMatchObject({
      name: 'PipeWeave.NodeError',
      message: expect.stringMatching(/ran out of time/),
    });
    expect(stoppedBySignal).toBe(true);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(await readdir(root)).toEqual([]);
    deadline?.dispose();
  });
});
