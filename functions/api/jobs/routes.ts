import * as z from 'zod';
import { JOB_STATUSES } from '../../../shared/db/schema';
import { defineRoute, type IdempotencySpec, type RouteSpec } from '../../../shared/http/route';
import { idempotencyKeyOf } from '../../../shared/kernel/idempotency-key';
import { queryParam } from '../../../shared/http/query-params';
import { signedIn } from '../../../shared/kernel/request-context';
import { cancelJob } from '../../../shared/domain/runs/cancel-job';
import { jobCredits } from '../../../shared/domain/runs/job-credits';
import { jobViewSchema, toJobView } from '../../../shared/domain/runs/job-view';
import { getJob, listCallerJobResults, listCallerJobs } from '../../../shared/domain/runs/query-jobs';
import { jobResultViewSchema, toJobResultView } from '../../../shared/domain/runs/job-result-view';
import { callerOwnScope, pageQueryFields } from '../../../shared/http/route-fields';
import { getJobLeaderboards } from '../../../shared/domain/runs/job-leaderboard';
import { retryJob, startJob } from '../../../shared/domain/runs/start-job';
import { noteRead, recordRead } from '../../../shared/domain/tutorials/resource-reads-repository';

/** `jobs`: start a pipeline run, follow it, cancel it, run it again. */
const jobParams = z.object({ jobId: z.uuid() });
const priority = z.number().int().min(1).max(10);
const jobListSchema = z
  .object({ items: z.array(jobViewSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'JobList', description: 'Newest first; pass nextCursor as ?cursor= for the next page' });

/** The job row carries the key (unique per owner), inserted in the transaction that starts the run. */
const jobIdempotency: IdempotencySpec = {
  mode: 'own',
  description:
    'A retry with the same key and the same request answers the job the first one created (201, header `idempotent-replayed: true`).',
};
const started = {
  description:
    'The job was created and its run started (or, with header `idempotent-replayed: true`, the job this Idempotency-Key already created)',
  schema: jobViewSchema,
};

export const jobRoutes: RouteSpec[] = [
  defineRoute({
    method: 'POST',
    path: '/jobs',
    group: 'jobs',
    operationId: 'startJob',
    summary: 'Run a pipeline on a dataset version',
    description:
      'Validates the pipeline, takes an immutable snapshot of it, estimates and reserves the credits, and starts the run. ' +
      'Send an `Idempotency-Key` header to make retries safe: the same key answers the same job; the same key with another body is a 409.',
    tags: ['jobs'],
    auth: 'user',
    idempotency: jobIdempotency,
    request: {
      body: z.strictObject({
        pipelineId: z.uuid(),
        datasetVersionId: z.uuid(),
        priority: priority.default(5),
      }),
    },
    responses: {
      201: started,
      400: { description: 'The pipeline is not valid (each issue names the node and field)' },
      402: { description: 'Not enough credits for the estimate' },
      404: { description: 'No such pipeline or dataset version of yours' },
      409: {
        description:
          'The Idempotency-Key was used for another request, or the dataset version is not validated',
      },
      503: { description: 'The run could not be started: no job was created, nothing reserved; retry' },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const { job, created } = await startJob(
        { services, credits: jobCredits() },
        { caller, ...request.body, idempotencyKey: idempotencyKeyOf(request.headers) },
      );
      return {
        status: 201,
        replayed: !created,
        headers: { location: `/jobs/${job.id}` },
        body: toJobView(job),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/jobs',
    group: 'jobs',
    operationId: 'listJobs',
    summary: 'Your jobs, newest first',
    tags: ['jobs'],
    auth: 'user',
    request: {
      query: z.object({
        status: queryParam.list(z.enum(JOB_STATUSES)).optional(),
        pipelineId: z.uuid().optional(),
        datasetVersionId: z.uuid().optional(),
        cursor: z.string().max(200).optional(),
        limit: queryParam.int({ min: 1, max: 100 }).default(20),
      }),
    },
    responses: { 200: { description: 'A page of jobs', schema: jobListSchema } },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const { jobs, nextCursor } = await listCallerJobs(services.db, caller, {
        statuses: request.query.status,
        pipelineId: request.query.pipelineId,
        datasetVersionId: request.query.datasetVersionId,
        cursor: request.query.cursor,
        limit: request.query.limit,
      });
      return { status: 200, body: { items: jobs.map((job) => toJobView(job)), nextCursor } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/jobs/{jobId}',
    group: 'jobs',
    operationId: 'getJob',
    summary: 'A job: status, progress, current step, every node with timings, outputs and errors, credits',
    tags: ['jobs'],
    auth: 'user',
    request: { params: jobParams },
    responses: {
      200: { description: 'The job', schema: jobViewSchema },
      404: { description: 'No such job of yours' },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const { job, nodes } = await getJob(services.db, caller, request.params.jobId);
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: toJobView(job, nodes) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/jobs/{jobId}/leaderboard',
    group: 'jobs',
    operationId: 'getJobLeaderboard',
    summary:
      'The leaderboards of the job’s training nodes: rank, learner, hyperparameters, validation and test scores, fit seconds, predict ms per 1,000 rows, artifact bytes, status and stop reason',
    tags: ['jobs'],
    auth: 'user',
    request: {
      params: jobParams,
      query: z.object({ nodeId: z.string().min(1).max(64).optional() }).strict(),
    },
    responses: {
      200: {
        description: 'One entry per training node that finished',
        schema: z
          .object({ items: z.array(z.object({ nodeId: z.string(), leaderboard: z.unknown() })) })
          .meta({ id: 'JobLeaderboards' }),
      },
      404: { description: 'No such job (or node) of yours' },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const items = await getJobLeaderboards(services, caller, request.params.jobId, request.query.nodeId);
      await noteRead(services.logger, () =>
        recordRead(services.db, caller, 'leaderboard', request.params.jobId),
      );
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: { items } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/jobs/{jobId}/results',
    group: 'jobs',
    operationId: 'listJobResults',
    summary:
      'What the job’s nodes produced for you: output tables, their metrics and the dataset versions they became',
    description:
      'One result per node that records one (a `model.predict` node: rows predicted, the model, and accuracy or RMSE when the table held the true values), newest first; pass `nextCursor` back as `cursor` for the next page.',
    tags: ['jobs'],
    auth: 'user',
    request: { params: jobParams, query: z.object({ ...pageQueryFields(100) }) },
    responses: {
      200: {
        description: 'One page of the job’s results',
        schema: z
          .object({ items: z.array(jobResultViewSchema), nextCursor: z.string().nullable() })
          .meta({ id: 'JobResultList' }),
      },
      404: { description: 'No such job of yours' },
    },
    async handle(request, services) {
      const page = await listCallerJobResults(services.db, callerOwnScope(request), request.params.jobId, {
        cursor: request.query.cursor,
        limit: request.query.limit ?? 20,
      });
      await noteRead(services.logger, () =>
        recordRead(services.db, signedIn(request).caller, 'jobResults', request.params.jobId),
      );
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: { items: page.items.map(toJobResultView), nextCursor: page.nextCursor },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/jobs/{jobId}/cancel',
    group: 'jobs',
    operationId: 'cancelJob',
    summary: 'Stop a queued or running job and settle it',
    description:
      'Nodes not finished are skipped; credits of what did not run are returned. Cancelling a cancelled job answers it again.',
    tags: ['jobs'],
    auth: 'user',
    request: { params: jobParams },
    responses: {
      200: { description: 'The cancelled job', schema: jobViewSchema },
      404: { description: 'No such job of yours' },
      409: { description: 'The job already completed or failed' },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const { job, nodes } = await cancelJob(
        { services, credits: jobCredits() },
        caller,
        request.params.jobId,
      );
      return { status: 200, body: toJobView(job, nodes) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/jobs/{jobId}/retry',
    group: 'jobs',
    operationId: 'retryJob',
    summary: 'Run a finished job again, from the same pipeline snapshot',
    tags: ['jobs'],
    auth: 'user',
    idempotency: jobIdempotency,
    request: { params: jobParams, body: z.strictObject({ priority: priority.optional() }).optional() },
    responses: {
      201: started,
      404: { description: 'No such job of yours' },
      409: { description: 'The job is still queued or running, or its dataset version is gone' },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const { job, created } = await retryJob(
        { services, credits: jobCredits() },
        {
          caller,
          jobId: request.params.jobId,
          priority: request.body?.priority,
          idempotencyKey: idempotencyKeyOf(request.headers),
        },
      );
      return {
        status: 201,
        replayed: !created,
        headers: { location: `/jobs/${job.id}` },
        body: toJobView(job),
      };
    },
  }),
];
