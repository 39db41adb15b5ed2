import { QUEUE_MODALITIES, type QueueModality } from './modality';

/**
 * Every work queue, listed once: one per data modality (ingestion) and one for exports. Each has
 * a dead-letter queue in AWS and in the local stand-in alike.
 */
export const EXPORTS_QUEUE = 'exports';
export type WorkQueue = QueueModality | typeof EXPORTS_QUEUE;
export const WORK_QUEUES: readonly WorkQueue[] = [...QUEUE_MODALITIES, EXPORTS_QUEUE];

export function isWorkQueue(value: string): value is WorkQueue {
  return (WORK_QUEUES as readonly string[]).includes(value);
}
