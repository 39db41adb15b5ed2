import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Config } from '../../shared/config/config';
import type { WorkQueue } from '../../shared/kernel/work-queues';
import type { Orchestrator } from '../../shared/ports/orchestrator.port';
import type { QueuePublisher } from '../../shared/ports/queue.port';
import type { Scheduler } from '../../shared/ports/scheduler.port';

/**
 * The messages between the local platform and a queue's worker process
 * (`local-worker-process.ts`), over the IPC channel with Node's advanced serialization (Dates and
 * nested objects survive; functions and class instances do not, so errors travel as name and
 * message).
 */

/** The ports a worker process reaches through the platform, which holds the only instances. */
export const FORWARDED_PORT_METHODS = {
  queues: ['send', 'sendBatch'],
  orchestrator: [
    'startExecution',
    'stopExecution',
    'describeExecution',
    'listRunningExecutions',
    'sendTaskSuccess',
    'sendTaskFailure',
    'sendTaskHeartbeat',
  ],
  scheduler: ['upsertSchedule', 'deleteSchedule', 'getSchedule'],
} as const satisfies {
  queues: readonly (keyof QueuePublisher)[];
  orchestrator: readonly (keyof Orchestrator)[];
  scheduler: readonly (keyof Scheduler)[];
};

export type ForwardedPort = keyof typeof FORWARDED_PORT_METHODS;

export interface SerializedError {
  name: string;
  message: string;
}

export interface WorkerCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type ToWorker =
  | { type: 'init'; queue: WorkQueue; config: Config; s3Credentials: WorkerCredentials }
  | {
      type: 'invoke';
      id: number;
      event: SQSEvent;
      functionName: string;
      /** The invocation's time left when it was handed over (the queue's visibility timeout). */
      remainingMs: number;
    }
  | { type: 'port-result'; id: number; value: unknown }
  | { type: 'port-error'; id: number; error: SerializedError };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; response: SQSBatchResponse }
  | { type: 'failed'; id: number; error: SerializedError }
  | { type: 'port-call'; id: number; port: ForwardedPort; method: string; args: unknown[] };

export function serializeError(error: unknown): SerializedError {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

export function deserializeError(error: SerializedError): Error {
  const out = new Error(error.message);
  out.name = error.name;
  return out;
}
