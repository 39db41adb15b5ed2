import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  afterWorkerEnded,
  attachLocalWorkers,
  retryDelaySeconds,
  type ConsumerHost,
  type LocalWorkers,
} from '../../../../infra/local/attach-local-workers';
import { lambdaContext } from '../../../../infra/local/local-queues';
import { WorkerProcessEnded } from '../../../../infra/local/local-worker-processes';
import { closeDatabase, createPgDatabase } from '../../../../shared/adapters/postgres/pg-database';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../../../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import type { WorkQueue } from '../../../../shared/kernel/work-queues';
import { startWorkerHarness, type WorkerHarness } from '../../support/worker-harness';
import { until } from '../../../support/until';

/**
 * The local queues' workers run in processes of their own. When one ends in the middle of a file
 * on the message's last receive, the version is failed with the reason (nothing stays
 * `validating`); on an earlier receive the message comes back after a short backoff.
 */
type Handler = (
  event: SQSEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<SQSBatchResponse | void>;

let harness: WorkerHarness;
let workers: LocalWorkers;
let host: ConsumerHost;
const handlers = new Map<WorkQueue, Handler>();
const visibilityChanges: { queue: WorkQueue; receiptHandle: string; seconds: number }[] = [];

beforeAll(async () => {
  harness = await startWorkerHarness();
  host = {
    attachConsumer: (queue, handler) => void handlers.set(queue, handler),
    changeMessageVisibility: (queue, receiptHandle, seconds) => {
      visibilityChanges.push({ queue, receiptHandle, seconds });
      return true;
    },
  };
  const config = {
    ...harness.services.config,
    database: { driver: 'postgres' as const, url: harness.testDb.url, name: 'pipeweave' },
  };
  workers = attachLocalWorkers({ ...harness.services, config }, host);
});
afterAll(async () => {
  await workers?.stop();
  await harness?.stop();
});

function bigCsv(rows: number): string {
  const lines = ['id,city,amount'];
  for (let i = 0; i < rows; i += 1) lines.push(`${i},city ${i % 17},${(i * 7.31) % 1000}`);
  return `${lines.join('\n')}\n`;
}

async function killWhileIngesting(receiveCount: number) {
  const arrival = await harness.arrive({ fileName: 'big.csv', body: bigCsv(400_000) });
  const record = harness.record(arrival, receiveCount);
  const handler = handlers.get('tabular');
  if (!handler) throw new Error('no tabular consumer attached');
  const answer = handler(
    { Records: [record] },
    lambdaContext('tabular-worker', 'local', '000000000000', 900),
  );
  await until('the worker to start on the file', async () =>
    (await harness.version(arrival)).status === 'validating' ? true : undefined,
  );
  const pid = workers.pid('tabular');
  expect(pid).toBeGreaterThan(0);
  process.kill(pid ?? 0, 'SIGKILL');
  return { arrival, record, response: await answer };
}

describe('a local worker process that ends mid-file', () => {
  it('on the last receive, fails the version with the reason and lets the message go', async () => {
    const { arrival, response } = await killWhileIngesting(DEFAULT_MAX_RECEIVE_COUNT);

    expect(response).toEqual({ batchItemFailures: [] });
    const version = await harness.version(arrival);
    expect(version.status).toBe('failed');
    const job = await harness.job(arrival);
    expect(job.status).toBe('failed');
    expect(JSON.stringify(job.error_details)).toContain('worker process ended: it was stopped by SIGKILL');
  });

  it('on an earlier receive, has the message received again after a short backoff', async () => {
    const { arrival, record, response } = await killWhileIngesting(1);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(visibilityChanges).toContainEqual({
      queue: 'tabular',
      receiptHandle: record.receiptHandle,
      seconds: retryDelaySeconds(1),
    });
    expect((await harness.version(arrival)).status).toBe('validating');
    // A new worker process takes the redelivered message.
    const again = await handlers.get('tabular')?.(
      { Records: [harness.record(arrival, 2)] },
      lambdaContext('tabular-worker', 'local', '000000000000', 900),
    );
    expect(again).toEqual({ batchItemFailures: [] });
    expect((await harness.version(arrival)).status).toBe('validated');
  });

  it('on the last receive, keeps the message for the dead-letter queue when the version cannot be failed', async () => {
    const arrival = await harness.arrive({ fileName: 'small.csv', body: bigCsv(10) });
    const record = harness.record(arrival, DEFAULT_MAX_RECEIVE_COUNT);
    // Nothing listens on port 9: every query fails to connect.
    const unreachable = createPgDatabase('postgres://pipeweave@127.0.0.1:9/pipeweave');
    try {
      const response = await afterWorkerEnded(
        { ...harness.services, db: unreachable },
        host,
        'tabular',
        { Records: [record] },
        new WorkerProcessEnded('worker process ended: it was stopped by SIGKILL'),
        DEFAULT_MAX_RECEIVE_COUNT,
      );
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    } finally {
      await closeDatabase(unreachable);
    }
    expect((await harness.version(arrival)).status).not.toBe('failed');
  });
});
