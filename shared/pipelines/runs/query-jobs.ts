import { withOwner, type Owner } from '../../db/owner-filter';
import type { JobStatus } from '../../db/schema';
import { NotFoundError } from '../../errors/app-error';
import type { Database } from '../../db/database';
import { decodeCursor, encodeCursor } from '../../db/page-cursor';
import type { Job, JobNode } from './job-records';
import { findJob, listJobNodes, listJobs } from './job-repository';

/** Reading jobs: one with its nodes, or a page of the caller's jobs (newest first, cursor paging). */
export async function getJob(
  db: Database,
  caller: Owner,
  jobId: string,
): Promise<{ job: Job; nodes: JobNode[] }> {
  return withOwner(db, caller, async (trx) => {
    const job = await findJob(trx, jobId, { ownerId: caller.userId });
    if (!job) throw new NotFoundError('Job', jobId);
    return { job, nodes: await listJobNodes(trx, jobId) };
  });
}

export interface ListJobsRequest {
  statuses?: JobStatus[] | undefined;
  pipelineId?: string | undefined;
  datasetVersionId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export async function listCallerJobs(
  db: Database,
  caller: Owner,
  request: ListJobsRequest,
): Promise<{ jobs: Job[]; nextCursor: string | null }> {
  const before = request.cursor ? decodeJobCursor(request.cursor) : undefined;
  const jobs = await withOwner(db, caller, (trx) =>
    listJobs(trx, {
      userId: caller.userId,
      ...(request.statuses ? { statuses: request.statuses } : {}),
      ...(request.pipelineId ? { pipelineId: request.pipelineId } : {}),
      ...(request.datasetVersionId ? { datasetVersionId: request.datasetVersionId } : {}),
      ...(before ? { before } : {}),
      limit: request.limit + 1,
    }),
  );
  const page = jobs.slice(0, request.limit);
  const last = page[page.length - 1];
  return { jobs: page, nextCursor: jobs.length > request.limit && last ? encodeJobCursor(last) : null };
}

function encodeJobCursor(job: Job): string {
  return encodeCursor({ createdAt: job.createdAt.toISOString(), id: job.id });
}

function decodeJobCursor(cursor: string): { createdAt: Date; id: string } {
  const position = decodeCursor(cursor);
  return { createdAt: new Date(position.createdAt), id: position.id };
}
