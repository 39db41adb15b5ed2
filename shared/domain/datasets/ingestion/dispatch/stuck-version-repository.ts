import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../../../db/database';
import { jsonb } from '../../../../db/schema';
import { toIngestionJob } from '../../dataset-records';
import type { IngestionJob, VersionValidationIssue } from '../../dataset-records';
import { DISPATCH_LEASE_SECONDS } from '../../ingestion-job-repository';

/**
 * The queries of the version sweep. A version is unfinished while it is uploading, uploaded or
 * validating; it needs the sweep when its upload window has passed, or when its newest ingestion
 * job has been quiet longer than the attempt lease (every progress report touches the job's
 * `updated_at`), or when its job waits for a message nobody holds a claim to send.
 */

export interface StuckVersion {
  versionId: string;
  userId: string;
  datasetId: string;
  status: 'uploading' | 'uploaded' | 'validating';
  uploadExpiresAt: Date | null;
  /** The newest ingestion job of the version, if any. */
  jobId: string | null;
}

export interface StuckVersionQuery {
  /** Uploading versions whose window ended before this instant. */
  expiredBefore: Date;
  /** Jobs with no change since this instant have lost their worker or their message. */
  quietSince: Date;
  now: Date;
  limit: number;
}

/** Candidates only: each is re-checked under its row lock by the one who acts on it. */
export async function findStuckVersions(
  trx: DatabaseTransaction,
  query: StuckVersionQuery,
): Promise<StuckVersion[]> {
  const claimExpired = new Date(query.now.getTime() - DISPATCH_LEASE_SECONDS * 1000);
  const { rows } = await sql<{
    version_id: string;
    user_id: string;
    dataset_id: string;
    status: StuckVersion['status'];
    upload_expires_at: Date | null;
    job_id: string | null;
  }>`
    select v.id as version_id, v.user_id, v.dataset_id, v.status, v.upload_expires_at, j.id as job_id
    from dataset_versions v
    join datasets d on d.id = v.dataset_id and d.deleted_at is null
    left join lateral (
      select id, status, message_id, dispatch_claimed_at, updated_at
      from ingestion_jobs
      where dataset_version_id = v.id
      order by created_at desc
      limit 1
    ) j on true
    where v.status in ('uploading', 'uploaded', 'validating')
      and (
        (v.status = 'uploading' and v.upload_expires_at < ${query.expiredBefore})
        or (
          v.status <> 'uploading'
          and j.id is not null
          and (
            j.status not in ('queued', 'processing')
            or j.updated_at <= ${query.quietSince}
            or (j.status = 'queued' and j.message_id is null
                and (j.dispatch_claimed_at is null or j.dispatch_claimed_at <= ${claimExpired}))
          )
        )
      )
    order by v.updated_at
    limit ${query.limit}
  `.execute(trx);
  return rows.map((row) => ({
    versionId: row.version_id,
    userId: row.user_id,
    datasetId: row.dataset_id,
    status: row.status,
    uploadExpiresAt: row.upload_expires_at,
    jobId: row.job_id,
  }));
}

/**
 * Takes over an unfinished job whose worker or message is gone, the way a dispatch claim is
 * taken: one UPDATE decides between concurrent sweeps and `complete` calls. The job goes back to
 * queued with a fresh claim and no message; the winner sends the message and records its id
 * (`recordDispatched`), or gives the claim back when the send fails (`releaseDispatch`).
 */
export async function claimRedrive(
  trx: DatabaseTransaction,
  input: { jobId: string; queue: string; now: Date; quietSince: Date },
): Promise<IngestionJob | undefined> {
  const claimExpired = new Date(input.now.getTime() - DISPATCH_LEASE_SECONDS * 1000);
  const row = await trx
    .updateTable('ingestion_jobs')
    .set({
      status: 'queued',
      queue: input.queue,
      message_id: null,
      dispatch_claimed_at: input.now,
      stage: 'requeued',
    })
    .where('id', '=', input.jobId)
    .where('status', 'in', ['queued', 'processing'])
    .where((eb) =>
      eb.or([
        // The claim's own stamp (the caller's clock) keeps a second claimer out at once.
        eb.and([
          eb('updated_at', '<=', input.quietSince),
          eb.or([eb('dispatch_claimed_at', 'is', null), eb('dispatch_claimed_at', '<=', input.quietSince)]),
        ]),
        eb.and([
          eb('status', '=', 'queued'),
          eb('message_id', 'is', null),
          eb.or([eb('dispatch_claimed_at', 'is', null), eb('dispatch_claimed_at', '<=', claimExpired)]),
        ]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
  return row ? toIngestionJob(row) : undefined;
}

/**
 * An upload that never came: the version fails with the reason and its storage reservation is
 * released. Only while it is still uploading (an arrival that won the row lock first wins).
 */
export async function expireUpload(
  trx: DatabaseTransaction,
  input: { datasetVersionId: string; issue: VersionValidationIssue },
): Promise<boolean> {
  const row = await trx
    .updateTable('dataset_versions')
    .set({ status: 'failed', validation_errors: jsonb([input.issue]), original_size_bytes: null })
    .where('id', '=', input.datasetVersionId)
    .where('status', '=', 'uploading')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives up an unfinished ingestion: the job and its version fail with the reason (a validated version stays). */
export async function failStuckVersion(
  trx: DatabaseTransaction,
  input: { ingestionJobId: string; datasetVersionId: string; issue: VersionValidationIssue },
): Promise<void> {
  await trx
    .updateTable('dataset_versions')
    .set({ status: 'failed', validation_errors: jsonb([input.issue]) })
    .where('id', '=', input.datasetVersionId)
    .where('status', 'in', ['uploaded', 'validating'])
    .execute();
  await trx
    .updateTable('ingestion_jobs')
    .set({
      status: 'failed',
      error_message: input.issue.message,
      error_details: jsonb({ code: input.issue.code }),
      completed_at: sql<Date>`now()`,
    })
    .where('id', '=', input.ingestionJobId)
    .where('status', 'in', ['queued', 'processing'])
    .execute();
}
