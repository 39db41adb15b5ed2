import type { WorkQueue } from '../kernel/work-queues';

/**
 * Work queues, one per data modality and one for exports (SQS in AWS, an in-process queue with
 * SQS semantics locally).
 * Consumers are Lambda-style handlers: `(SQSEvent) => SQSBatchResponse` with partial batch
 * failures, so a poison message is retried and dead-lettered on its own.
 */
export interface SendOptions {
  delaySeconds?: number;
  /** Message attributes as plain strings. */
  attributes?: Record<string, string>;
}

export interface SentMessage {
  messageId: string;
}

export interface BatchEntry {
  id: string;
  body: unknown;
  options?: SendOptions;
}

export interface BatchResult {
  successful: { id: string; messageId: string }[];
  failed: { id: string; code: string; message: string }[];
}

export interface QueuePublisher {
  send(queue: WorkQueue, body: unknown, options?: SendOptions): Promise<SentMessage>;
  /** Up to 10 entries per call are sent together; more are split into several calls. */
  sendBatch(queue: WorkQueue, entries: BatchEntry[]): Promise<BatchResult>;
}
