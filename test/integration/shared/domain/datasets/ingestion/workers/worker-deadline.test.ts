import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../../../../../../infra/local/local-queues';
import { openDuckDbEngine } from '../../../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import {
  DEFAULT_MAX_RECEIVE_COUNT,
  makeIngestionWorker,
} from '../../../../../../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import type { ModalityProcessor } from '../../../../../../../shared/domain/datasets/ingestion/workers/modality-processor';
import { startWorkerHarness, type WorkerHarness } from '../../../../../support/worker-harness';

/**
 * A worker whose file takes longer than the invocation may run: it must stop before Lambda's
 * timeout, remove its scratch directory and record the attempt, instead of being killed mid-way.
 */
let harness: WorkerHarness;
let root: string;
let release: () => void = () => undefined;

beforeAll(async () => {
  harness = await startWorkerHarness();
  root = await mkdtemp(path.join(tmpdir(), 'pw-worker-deadline-'));
});
afterAll(async () => {
  release();
  await harness.stop();
  await rm(root, { recursive: true, force: true });
});

describe('an ingestion worker near its timeout', () => {
  it('stops the file, removes scratch space (its own and a timed-out invocation’s) and, on the last receive, fails the version', async () => {
    const hourAgo = new Date(Date.now() - 3600_000);
    await mkdir(path.join(root, 'pw-ingest-left-by-a-timeout', 'engine'), { recursive: true });
    await utimes(path.join(root, 'pw-ingest-left-by-a-timeout'), hourAgo, hourAgo);
    const seen: string[] = [];
    const stuck: ModalityProcessor = async (context) => {
      seen.push(path.basename(context.tempDir));
      // Work that outlives the invocation, released when the test ends.
      await new Promise<void>((resolve) => (release = resolve));
      throw new Error('released after the test');
    };
    const worker = makeIngestionWorker(() => harness.services, {
      modality: 'tabular',
      processor: stuck,
      openEngine: openDuckDbEngine,
      tempRoot: root,
      removeLeftoverScratch: true,
    });
    const arrival = await harness.arrive({ fileName: 'slow.csv', body: 'a,b\n1,2\n' });
    const record = harness.record(arrival, DEFAULT_MAX_RECEIVE_COUNT);
    const context = lambdaContext('tabular-worker', 'us-east-1', '000000000000', 4);

    const result = await worker({ Records: [record] }, context);

    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(seen).toHaveLength(1);
    expect(await readdir(root)).toEqual([]);
    const version = await harness.version(arrival);
    expect(version.status).toBe('failed');
    const job = await harness.job(arrival);
    expect(job.status).toBe('failed');
    expect(JSON.stringify(job.error_details)).toContain('PipeWeave.OutOfTime');
  });
});
