import { withOwner, type Owner } from '../../db/owner-filter';
import type { JobStatus } from '../../db/schema';
import { NotFoundError } from '../../kernel/app-error';
import type { Database } from '../../db/database';
import { decodeCursor, toPage } from '../../db/page-cursor';
import type { Job, JobNode } from './job-records';
import { findJob, listJobNodes, listJobs } from './job-repository';
import { listJobResults, type JobResult } from './job-result-repository';

/** Reading jobs: one with its nodes, a page of the caller's jobs (newest first, cursor paging), a job's results. */
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
  const rows = await withOwner(db, caller, (trx) =>
    listJobs(trx, {
      userId: caller.userId,
      ...(request.statuses ? { statuses: request.statuses } : {}),
      ...(request.pipelineId ? { pipelineId: request.pipelineId } : {}),
      ...(request.datasetVersionId ? { datasetVersionId: request.datasetVersionId } : {}),
      ...(request.cursor ? { cursor: request.cursor } : {}),
      limit: request.limit + 1,
    }),
  );
  const { items, nextCursor } = toPage(rows, request.limit, (row) => row.job);
  return { jobs: items, nextCursor };
}

/** A job's results (what its nodes produced for the caller to use), newest first; another tenant's job is a 404. */
export async function listCallerJobResults(
  db: Database,
  caller: Owner,
  jobId: string,
  page: { cursor?: string | undefined; limit: number },
): Promise<{ items: JobResult[]; nextCursor: string | null }> {
  // A cursor we did not issue is a 400 whatever the job: the request is checked before the data.
  if (page.cursor !== undefined) decodeCursor(page.cursor);
  return withOwner(db, caller, async (trx) => {
    const job = await findJob(trx, jobId, { ownerId: caller.userId });
    if (!job) throw new NotFoundError('Job', jobId);
    return listJobResults(trx, { ownerId: caller.userId, jobId, ...page });
  });
}
