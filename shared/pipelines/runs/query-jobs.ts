import { withTenant, type TenantScope } from '../../db/tenant';
import type { JobStatus } from '../../db/schema';
import { NotFoundError, ValidationError } from '../../errors/app-error';
import type { Database } from '../../db/database';
import type { Job, JobNode } from './job-records';
import { findJob, listJobNodes, listJobs } from './job-repository';

/** Reading jobs: one with its nodes, or a page of the caller's jobs (newest first, cursor paging). */
export async function getJob(
  db: Database,
  caller: TenantScope,
  jobId: string,
): Promise<{ job: Job; nodes: JobNode[] }> {
  return withTenant(db, caller, async (trx) => {
    const job = await findJob(trx, jobId);
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
  caller: TenantScope,
  request: ListJobsRequest,
): Promise<{ jobs: Job[]; nextCursor: string | null }> {
  const before = request.cursor ? decodeCursor(request.cursor) : undefined;
  const jobs = await withTenant(db, caller, (trx) =>
    listJobs(trx, {
      // Admins list their own jobs here too; seeing everyone's is an admin operation of its own.
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
  return { jobs: page, nextCursor: jobs.length > request.limit && last ? encodeCursor(last) : null };
}

function encodeCursor(job: Job): string {
  return Buffer.from(JSON.stringify([job.createdAt.toISOString(), job.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = typeof createdAt === 'string' ? new Date(createdAt) : undefined;
    if (!date || Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id))
      throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new ValidationError('The cursor is not one this API returned.', {
      field: 'query.cursor',
      code: 'REQUEST.INVALID_CURSOR',
    });
  }
}
