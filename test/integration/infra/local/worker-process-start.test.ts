import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../../../infra/local/local-queues';
import {
  LocalWorkerProcess,
  WorkerProcessEnded,
  type WorkerProcessOptions,
} from '../../../../infra/local/local-worker-processes';
import type { Config } from '../../../../shared/config/config';
import { createLogger } from '../../../../shared/observability/logger';

/**
 * A local worker process that never becomes ready (its imports hang) or cannot be started at all:
 * the message waiting for it is given back with a reason, and the platform still stops.
 */

let folder: string;
let hangingEntry: string;

beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'pw-worker-start-'));
  hangingEntry = path.join(folder, 'hanging-worker.mjs');
  // Stays alive and never says it is ready, as a worker stuck importing its modules.
  writeFileSync(hangingEntry, 'setInterval(() => {}, 60_000);\n');
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

function workerProcess(launch: WorkerProcessOptions['launch']): LocalWorkerProcess {
  return new LocalWorkerProcess({
    queue: 'tabular',
    // The process under test never reads its configuration, credentials or ports.
    config: {} as Config,
    s3Credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    ports: {} as WorkerProcessOptions['ports'],
    logger: createLogger({ serviceName: 'test', logLevel: 'SILENT' }),
    launch,
  });
}

const invoke = (worker: LocalWorkerProcess) =>
  worker
    .invoke({ Records: [] }, lambdaContext('tabular-worker', 'local', '000000000000', 900))
    .catch((error: unknown) => error);

describe('starting a local worker process', () => {
  it('gives the message back when the process is not ready in time', async () => {
    const worker = workerProcess({ entry: hangingEntry, readyTimeoutMs: 300 });
    const error = await invoke(worker);
    expect(error).toBeInstanceOf(WorkerProcessEnded);
    expect(String(error)).toMatch(/ended before it was ready: it was not ready .* after it started/);
    await worker.stop();
  });

  it('stops while a process is still starting, without waiting for it to be ready', async () => {
    const worker = workerProcess({ entry: hangingEntry });
    const outcome = invoke(worker);
    await worker.stop();
    expect(await outcome).toBeInstanceOf(WorkerProcessEnded);
  });

  it('gives the message back when the process cannot be started at all', async () => {
    const worker = workerProcess({ entry: hangingEntry, execPath: path.join(folder, 'no-such-node') });
    const error = await invoke(worker);
    expect(error).toBeInstanceOf(WorkerProcessEnded);
    expect(String(error)).toMatch(/could not be started/);
    await worker.stop();
  });
});
