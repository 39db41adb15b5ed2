import * as z from 'zod';
import { QUEUE_MODALITIES } from '../../../kernel/modality';
import type { QueueModality } from '../../../config/config';

/**
 * The contract between arrival dispatch (S3 ObjectCreated handler, drop folder, scheduled refresh,
 * pipeline outputs, the `complete` fallback) and the modality workers. One message per ingestion job, sent to the
 * SQS queue of the dataset's modality. It carries ids and object coordinates only, never data:
 * the worker reads the object from the blob store and the rows from the database.
 *
 * Workers parse bodies with `parseIngestionMessage` (throws on a malformed body: a poison message
 * that no retry can fix) or `ingestionMessageSchema.safeParse`.
 */

export const INGESTION_SOURCES = ['upload', 'dropfolder', 'scheduled', 'api', 'pipeline'] as const;
export type IngestionSource = (typeof INGESTION_SOURCES)[number];

const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');

export const ingestionMessageSchema = z.strictObject({
  kind: z.literal('ingest-version'),
  /** ingestion_jobs.id: the worker moves this job's status and progress. */
  ingestionJobId: uuid,
  datasetVersionId: uuid,
  datasetId: uuid,
  /** Owner of the dataset: the worker's database work runs in this tenant's scope. */
  userId: uuid,
  modality: z.enum(QUEUE_MODALITIES),
  /** Where the raw object sits (always a `raw/{userId}/{datasetId}/{version}/{file}` key). */
  bucket: z.string().min(1),
  key: z.string().min(1),
  /** Bytes of the raw object as reported by the arrival event. */
  size: z.number().int().nonnegative(),
  /** The object's ETag (quotes stripped) at arrival; lets the worker detect a replaced object. */
  etag: z.string(),
  /** The object's S3 version id when the bucket is versioned. */
  versionId: z.string().optional(),
  source: z.enum(INGESTION_SOURCES),
  /** Version number within the dataset (part of the key; here so logs and metrics need no lookup). */
  versionNumber: z.number().int().positive(),
  /** ISO time the arrival was recorded. */
  arrivedAt: z.string(),
});

export type IngestionMessage = z.infer<typeof ingestionMessageSchema>;

/** The queue a message goes to. */
export function ingestionQueueFor(message: Pick<IngestionMessage, 'modality'>): QueueModality {
  return message.modality;
}

export function parseIngestionMessage(body: unknown): IngestionMessage {
  const value = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
  return ingestionMessageSchema.parse(value);
}

/** Attributes sent with each message (visible in SQS tooling without parsing the body). */
export function ingestionMessageAttributes(message: IngestionMessage): Record<string, string> {
  return {
    kind: message.kind,
    datasetId: message.datasetId,
    datasetVersionId: message.datasetVersionId,
    source: message.source,
  };
}
