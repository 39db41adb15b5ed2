import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { S3BlobStore, createS3Client } from '../../shared/adapters/aws/s3-blob-store';
import { openDuckDbEngine } from '../../shared/adapters/duckdb/duckdb-sql-engine';
import { createPgDatabase } from '../../shared/adapters/postgres/pg-database';
import { makeExportWorker } from '../../shared/domain/exports/export-worker';
import { makeIngestionWorker } from '../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import { systemClock } from '../../shared/kernel/clock.port';
import { randomIds } from '../../shared/kernel/ids.port';
import { EXPORTS_QUEUE } from '../../shared/kernel/work-queues';
import { createLogger } from '../../shared/observability/logger';
import { inMemoryMetrics } from '../../shared/observability/metrics.port';
import type { Orchestrator } from '../../shared/ports/orchestrator.port';
import type { QueuePublisher } from '../../shared/ports/queue.port';
import type { Scheduler } from '../../shared/ports/scheduler.port';
import type { Services } from '../../shared/ports/services';
import { WORKER_PROCESSORS } from '../../functions/workers/worker-processors';
import { lambdaContext } from './local-queues';
import {
  FORWARDED_PORT_METHODS,
  deserializeError,
  serializeError,
  type ForwardedPort,
  type FromWorker,
  type ToWorker,
} from './worker-process-protocol';

/**
 * A local queue's worker process, started by the platform (`local-worker-processes.ts`): it runs
 * the same handler Lambda runs for that queue, on its own event loop, so a large or hostile file
 * never holds up the API. It connects to the platform's database and S3 server itself; queues,
 * state machines and schedules live in the platform's memory and are reached over the IPC channel.
 */
type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const send = (message: FromWorker) => {
  process.send?.(message);
};

let nextCallId = 1;
const waitingCalls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

function callPlatform(port: ForwardedPort, method: string, args: unknown[]): Promise<unknown> {
  const id = nextCallId++;
  return new Promise((resolve, reject) => {
    waitingCalls.set(id, { resolve, reject });
    send({ type: 'port-call', id, port, method, args });
  });
}

function forwarded<T>(port: ForwardedPort): T {
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of FORWARDED_PORT_METHODS[port]) {
    methods[method] = (...args) => callPlatform(port, method, args);
  }
  return methods as T;
}

let handler: Handler | undefined;

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init': {
      const { config, queue, s3Credentials } = message;
      const databaseUrl = config.database?.url;
      if (!databaseUrl || !config.storage?.endpoint) {
        throw new Error('a local worker process needs the PostgreSQL URL and the local S3 endpoint');
      }
      const services: Services = {
        config,
        // One file at a time per process: a few connections are plenty.
        db: createPgDatabase(databaseUrl, { max: 3 }),
        blobs: new S3BlobStore({
          client: createS3Client({
            region: config.region,
            endpoint: config.storage.endpoint,
            credentials: s3Credentials,
          }),
          bucket: config.storage.bucket,
        }),
        queues: forwarded<QueuePublisher>('queues'),
        orchestrator: forwarded<Orchestrator>('orchestrator'),
        scheduler: forwarded<Scheduler>('scheduler'),
        clock: systemClock,
        ids: randomIds,
        logger: createLogger(config, `${queue}-worker`),
        metrics: inMemoryMetrics(),
        health: [],
      };
      handler =
        queue === EXPORTS_QUEUE
          ? makeExportWorker(() => services, { openEngine: openDuckDbEngine })
          : makeIngestionWorker(() => services, {
              modality: queue,
              processor: WORKER_PROCESSORS[queue],
              openEngine: openDuckDbEngine,
            });
      send({ type: 'ready' });
      return;
    }
    case 'invoke': {
      const run = handler;
      if (!run) {
        send({ type: 'failed', id: message.id, error: { name: 'Error', message: 'not initialised' } });
        return;
      }
      const context = lambdaContext(
        message.functionName,
        'local',
        '000000000000',
        message.remainingMs / 1000,
      );
      void run(message.event, context).then(
        (response) => send({ type: 'result', id: message.id, response }),
        (error: unknown) => send({ type: 'failed', id: message.id, error: serializeError(error) }),
      );
      return;
    }
    case 'port-result':
    case 'port-error': {
      const waiting = waitingCalls.get(message.id);
      waitingCalls.delete(message.id);
      if (message.type === 'port-result') waiting?.resolve(message.value);
      else waiting?.reject(deserializeError(message.error));
      return;
    }
  }
});

// The platform went away (stopped, or killed): nobody is left to report to.
process.on('disconnect', () => process.exit(0));
