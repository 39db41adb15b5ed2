import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb } from '../../db/schema';
import type { ArrivalSource, IngestionJobStatus, JsonValue } from '../../db/schema';
import { toIngestionJob } from './dataset-records';
import type { IngestionJob } from './dataset-records';

/**
 * Ingestion jobs: one per arrival. S3 delivers events at least once, so a job is recorded under
 * an idempotency key (bucket + key + object version or ETag) and the message is sent by whoever
 * claims the job's dispatch first (`claimDispatch`), never twice.
 */

export interface NewIngestionJob {
  userId: string;
  /** Null until a drop-folder arrival has been filed as a version. */
  datasetId: string | null;
  datasetVersionId: string | null;
  sourceType: ArrivalSource;
  objectKey: string;
  idempotencyKey: string;
  status?: IngestionJobStatus;
  errorMessage?: string;
  errorDetails?: Record<string, JsonValue>;
}

/** Inserts the job unless one with the same idempotency key exists; returns the job either way. */
export async function recordIngestionJob(
  trx: DatabaseTransaction,
  input: NewIngestionJob,
): Promise<{ job: IngestionJob; created: boolean }> {
  const inserted = await trx
    .insertInto('ingestion_jobs')
    .values({
      user_id: input.userId,
      dataset_id: input.datasetId,
      dataset_version_id: input.datasetVersionId,
      source_type: input.sourceType,
      object_key: input.objectKey,
      idempotency_key: input.idempotencyKey,
      status: input.status ?? 'queued',
      error_message: input.errorMessage ?? null,
      ...(input.errorDetails ? { error_details: jsonb(input.errorDetails) } : {}),
      ...(input.status === 'failed' ? { completed_at: sql<Date>`now()` } : {}),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { job: toIngestionJob(inserted), created: true };
  const existing = await trx
    .selectFrom('ingestion_jobs')
    .selectAll()
    .where('idempotency_key', '=', input.idempotencyKey)
    .executeTakeFirstOrThrow();
  return { job: toIngestionJob(existing), created: false };
}

export async function findJobForVersion(
  trx: DatabaseTransaction,
  datasetVersionId: string,
): Promise<IngestionJob | undefined> {
  const row = await trx
    .selectFrom('ingestion_jobs')
    .selectAll()
    .where('dataset_version_id', '=', datasetVersionId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toIngestionJob(row) : undefined;
}

export async function updateIngestionJob(
  trx: DatabaseTransaction,
  jobId: string,
  changes: {
    status?: IngestionJobStatus;
    objectKey?: string;
    errorMessage?: string | null;
    errorDetails?: Record<string, JsonValue>;
  },
): Promise<void> {
  await trx
    .updateTable('ingestion_jobs')
    .set({
      ...(changes.status ? { status: changes.status } : {}),
      ...(changes.objectKey ? { object_key: changes.objectKey } : {}),
      ...(changes.errorMessage === undefined ? {} : { error_message: changes.errorMessage }),
      ...(changes.errorDetails ? { error_details: jsonb(changes.errorDetails) } : {}),
      ...(changes.status === 'failed' ? { completed_at: sql<Date>`now()` } : {}),
    })
    .where('id', '=', jobId)
    .execute();
}

/**
 * How long a dispatch claim without a message holds. Claim, send and record take well under a
 * second; a claim this old belongs to a process that died in between.
 */
export const DISPATCH_LEASE_SECONDS = 5 * 60;

/** Whether the job's message may still have to be sent: queued, none recorded, no live claim. */
export function awaitsDispatch(job: IngestionJob, now: Date): boolean {
  if (job.status !== 'queued' || job.messageId !== null) return false;
  if (job.queue === null || job.dispatchClaimedAt === null) return true;
  return job.dispatchClaimedAt.getTime() <= now.getTime() - DISPATCH_LEASE_SECONDS * 1000;
}

/**
 * Takes the right to send this job's message: true for exactly one caller while the job is
 * queued, has no message and no live claim (the UPDATE is the arbiter between concurrent
 * deliveries). A claim older than `DISPATCH_LEASE_SECONDS` without a message was abandoned by a
 * crashed process and is taken over. A failed send gives the claim back (`releaseDispatch`).
 */
export async function claimDispatch(
  trx: DatabaseTransaction,
  jobId: string,
  queue: string,
  now: Date,
): Promise<boolean> {
  const expired = new Date(now.getTime() - DISPATCH_LEASE_SECONDS * 1000);
  const row = await trx
    .updateTable('ingestion_jobs')
    .set({ queue, dispatch_claimed_at: now })
    .where('id', '=', jobId)
    .where('status', '=', 'queued')
    .where('message_id', 'is', null)
    .where((eb) =>
      eb.or([
        eb('queue', 'is', null),
        eb('dispatch_claimed_at', 'is', null),
        eb('dispatch_claimed_at', '<=', expired),
      ]),
    )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function recordDispatched(
  trx: DatabaseTransaction,
  jobId: string,
  messageId: string,
): Promise<void> {
  await trx.updateTable('ingestion_jobs').set({ message_id: messageId }).where('id', '=', jobId).execute();
}

export async function releaseDispatch(trx: DatabaseTransaction, jobId: string): Promise<void> {
  await trx
    .updateTable('ingestion_jobs')
    .set({ queue: null, dispatch_claimed_at: null })
    .where('id', '=', jobId)
    .where('message_id', 'is', null)
    .execute();
}
