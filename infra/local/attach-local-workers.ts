import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { QUEUE_MODALITIES, isQueueModality, type QueueModality } from '../../shared/kernel/modality';
import { EXPORTS_QUEUE, type WorkQueue } from '../../shared/kernel/work-queues';
import { EXPORT_MAX_RECEIVE_COUNT } from '../../shared/domain/exports/export-worker';
import { EXPORT_WORKER_TIMEOUT_SECONDS } from '../../shared/domain/exports/run-export';
import { parseIngestionMessage } from '../../shared/domain/datasets/ingestion/messages';
import {
  DEFAULT_MAX_RECEIVE_COUNT,
  failVersionAfterLastAttempt,
} from '../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import type { Services } from '../../shared/ports/services';
import { LOCAL_S3_CREDENTIALS } from './local-s3';
import { LocalWorkerProcess, WorkerProcessEnded } from './local-worker-processes';

/** What the local queues offer a consumer (infra/local/local-queues.ts `attachConsumer`). */
export interface ConsumerHost {
  attachConsumer(
    queue: WorkQueue,
    handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>,
    options: { batchSize?: number; visibilityTimeoutSeconds?: number; maxReceiveCount?: number },
  ): void;
  changeMessageVisibility(queue: WorkQueue, receiptHandle: string, visibilityTimeoutSeconds: number): boolean;
}

/** The worker processes behind the local queues. */
export interface LocalWorkers {
  /** The process id of a queue's worker while one runs. */
  pid(queue: WorkQueue): number | undefined;
  stop(): Promise<void>;
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
 * sources drive them in AWS. Each queue's handler runs in a worker process of its own, off the
 * API's event loop. When that process ends in the middle of a batch (killed, out of memory, past
 * its time limit), its messages come back after a short backoff, and on the last receive an
 * ingestion message's version is failed with the reason, as a Lambda's last failed attempt does.
 */
export function attachLocalWorkers(services: Services, host: ConsumerHost): LocalWorkers {
  const processes = new Map<WorkQueue, LocalWorkerProcess>();
  const attach = (
    queue: WorkQueue,
    settings: { batchSize: number; visibilityTimeoutSeconds: number; maxReceiveCount: number },
  ) => {
    const worker = new LocalWorkerProcess({
      queue,
      config: services.config,
      s3Credentials: LOCAL_S3_CREDENTIALS,
      ports: services,
      logger: services.logger,
    });
    processes.set(queue, worker);
    host.attachConsumer(
      queue,
      async (event, context) => {
        try {
          return await worker.invoke(event, context);
        } catch (error) {
          if (!(error instanceof WorkerProcessEnded)) throw error;
          // Stopping: the messages stay where they are; the next start's sweep sends them again.
          if (stopping)
            return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
          return afterWorkerEnded(services, host, queue, event, error, settings.maxReceiveCount);
        }
      },
      settings,
    );
  };
  let stopping = false;
  for (const modality of QUEUE_MODALITIES) {
    attach(modality, {
      batchSize: LOCAL_BATCH_SIZE[modality],
      visibilityTimeoutSeconds: 900,
      maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
    });
  }
  attach(EXPORTS_QUEUE, {
    batchSize: 1,
    visibilityTimeoutSeconds: EXPORT_WORKER_TIMEOUT_SECONDS,
    maxReceiveCount: EXPORT_MAX_RECEIVE_COUNT,
  });
  return {
    pid: (queue) => processes.get(queue)?.pid,
    stop: async () => {
      stopping = true;
      await Promise.all([...processes.values()].map((worker) => worker.stop()));
    },
  };
}

/** Seconds before a message whose worker ended is received again: 2, 4, 8… up to a minute. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(60, 2 ** Math.max(1, receiveCount));
}

/** The answer to a batch whose worker process ended before answering (exported for its tests). */
export async function afterWorkerEnded(
  services: Services,
  host: ConsumerHost,
  queue: WorkQueue,
  event: SQSEvent,
  error: WorkerProcessEnded,
  maxReceiveCount: number,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    if (isQueueModality(queue) && receiveCount >= maxReceiveCount) {
      let message;
      try {
        message = parseIngestionMessage(record.body);
      } catch {
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      // Done with once the version says why; if it could not be failed, the message stays for
      // the dead-letter queue, as in AWS.
      if (!(await failVersionAfterLastAttempt(services, message, error)))
        batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    // An export on its last attempt goes to the DLQ; the export sweep gives it up and refunds it.
    host.changeMessageVisibility(queue, record.receiptHandle, retryDelaySeconds(receiveCount));
    batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}
