import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { openDuckDbEngine } from '../../shared/adapters/duckdb/duckdb-sql-engine';
import { QUEUE_MODALITIES, type QueueModality } from '../../shared/kernel/modality';
import { EXPORTS_QUEUE, type WorkQueue } from '../../shared/kernel/work-queues';
import { EXPORT_MAX_RECEIVE_COUNT, makeExportWorker } from '../../shared/domain/exports/export-worker';
import { EXPORT_WORKER_TIMEOUT_SECONDS } from '../../shared/domain/exports/run-export';
import {
  DEFAULT_MAX_RECEIVE_COUNT,
  makeIngestionWorker,
} from '../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import { WORKER_PROCESSORS } from '../../functions/workers/worker-processors';
import type { Services } from '../../shared/ports/services';

/** What the local queues offer a consumer (infra/local/local-queues.ts `attachConsumer`). */
export interface ConsumerHost {
  attachConsumer(
    queue: WorkQueue,
    handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>,
    options: { batchSize?: number; visibilityTimeoutSeconds?: number; maxReceiveCount?: number },
  ): void;
}

/** Batch sizes as in AWS (ingestion stack WORKER_SETTINGS); visibility generous for large local files. */
const LOCAL_BATCH_SIZE: Record<QueueModality, number> = {
  tabular: 1,
  text: 5,
  image: 5,
  audio: 1,
  video: 1,
  timeseries: 1,
  seismic: 1,
};

/**
 * Attaches every modality worker and the exports worker to their local queues, the way SQS event
 * sources drive them in AWS.
 */
export function attachLocalWorkers(services: Services, host: ConsumerHost): void {
  for (const modality of QUEUE_MODALITIES) {
    const handler = makeIngestionWorker(() => services, {
      modality,
      processor: WORKER_PROCESSORS[modality],
      openEngine: openDuckDbEngine,
    });
    host.attachConsumer(modality, handler, {
      batchSize: LOCAL_BATCH_SIZE[modality],
      visibilityTimeoutSeconds: 900,
      maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
    });
  }
  host.attachConsumer(
    EXPORTS_QUEUE,
    makeExportWorker(() => services, { openEngine: openDuckDbEngine }),
    {
      batchSize: 1,
      visibilityTimeoutSeconds: EXPORT_WORKER_TIMEOUT_SECONDS,
      maxReceiveCount: EXPORT_MAX_RECEIVE_COUNT,
    },
  );
}
