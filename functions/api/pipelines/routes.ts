import { callerOwnScope, pageQueryFields, uuidField } from '../../../shared/http/route-fields';
import { signedIn } from '../../../shared/kernel/request-context';
import * as z from 'zod';
import { PIPELINE_STATUSES } from '../../../shared/db/schema';
import { queryParam } from '../../../shared/http/query-params';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { clonePipeline } from '../../../shared/domain/pipelines/clone-pipeline';
import { createPipeline } from '../../../shared/domain/pipelines/create-pipeline';
import { deletePipeline } from '../../../shared/domain/pipelines/delete-pipeline';
import {
  EMPTY_DEFINITION,
  pipelineDefinitionSchema,
} from '../../../shared/domain/pipelines/pipeline-definition';
import { findPipelines, getPipeline } from '../../../shared/domain/pipelines/pipeline-queries';
import { updatePipeline } from '../../../shared/domain/pipelines/update-pipeline';
import {
  pipelineIssueSchema,
  pipelineView,
  pipelineViewSchema,
} from '../../../shared/domain/pipelines/pipeline-view';
import { validateStoredPipeline } from '../../../shared/domain/pipelines/validate-stored-pipeline';

/** Ids compare as PostgreSQL prints them. */

const name = z.string().trim().min(1).max(255);
const description = z.string().max(5_000).nullable();
const pipelineIdParams = z.object({ pipelineId: uuidField() });
const notFound = { description: 'No such pipeline (or not yours)' };
const readOnlyTemplate = { description: 'Templates cannot be changed: clone them' };

export const pipelineRoutes: RouteSpec[] = [
  defineRoute({
    method: 'POST',
    path: '/pipelines',
    group: 'pipelines',
    operationId: 'createPipeline',
    summary: 'Create a draft pipeline',
    description:
      'The definition’s structure is checked now; `POST /pipelines/{pipelineId}/validate` checks it against the node catalog and your datasets.',
    tags: ['pipelines'],
    auth: 'user',
    idempotency: { mode: 'stored' },
    request: {
      body: z.object({
        name,
        description: description.optional(),
        datasetId: uuidField().nullable().optional(),
        mlTaskId: uuidField().nullable().optional(),
        definition: pipelineDefinitionSchema.optional(),
      }),
    },
    responses: {
      201: { description: 'The new pipeline', schema: pipelineViewSchema },
      404: { description: 'The dataset or ML task does not exist (or is not yours)' },
    },
    async handle(request, services) {
      const { definition, ...rest } = request.body;
      const pipeline = await createPipeline(services.db, signedIn(request), {
        ...rest,
        definition: definition ?? EMPTY_DEFINITION,
      });
      return {
        status: 201,
        headers: { location: `/pipelines/${pipeline.id}` },
        body: pipelineView(pipeline),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/pipelines',
    group: 'pipelines',
    operationId: 'listPipelines',
    summary: 'Your pipelines, or the shipped templates (`template=true`)',
    description: 'Newest first, `limit` per page; pass `nextCursor` back as `cursor` for the next page.',
    tags: ['pipelines'],
    auth: 'user',
    request: {
      query: z.object({
        template: queryParam.boolean().optional(),
        status: queryParam.list(z.enum(PIPELINE_STATUSES)).optional(),
        datasetId: uuidField().optional(),
        mlTaskId: uuidField().optional(),
        search: z.string().min(1).max(100).optional().meta({ description: 'Part of the name (any case)' }),
        ...pageQueryFields(100),
      }),
    },
    responses: {
      200: {
        description: 'One page',
        schema: z.object({ items: z.array(pipelineViewSchema), nextCursor: z.string().nullable() }),
      },
    },
    async handle(request, services) {
      const { limit, ...filter } = request.query;
      const page = await findPipelines(services.db, callerOwnScope(request), {
        ...filter,
        limit: limit ?? 50,
      });
      return {
        status: 200,
        body: { items: page.items.map(pipelineView), nextCursor: page.nextCursor ?? null },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/pipelines/{pipelineId}',
    group: 'pipelines',
    operationId: 'getPipeline',
    summary: 'One pipeline (yours, or a template)',
    tags: ['pipelines'],
    auth: 'user',
    request: { params: pipelineIdParams },
    responses: { 200: { description: 'The pipeline', schema: pipelineViewSchema }, 404: notFound },
    async handle(request, services) {
      const pipeline = await getPipeline(services.db, callerOwnScope(request), request.params.pipelineId);
      return { status: 200, body: pipelineView(pipeline) };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/pipelines/{pipelineId}',
    group: 'pipelines',
    operationId: 'updatePipeline',
    summary: 'Change a pipeline; a new definition or dataset returns it to draft',
    description:
      'Send `version` (as last read) to refuse the change with 409 if someone changed the pipeline since. `status` archives (`archived`) or restores (`draft`) it.',
    tags: ['pipelines'],
    auth: 'user',
    request: {
      params: pipelineIdParams,
      body: z
        .object({
          name: name.optional(),
          description: description.optional(),
          datasetId: uuidField().nullable().optional(),
          mlTaskId: uuidField().nullable().optional(),
          definition: pipelineDefinitionSchema.optional(),
          status: z.enum(['draft', 'archived']).optional(),
          version: z.number().int().min(1).optional(),
        })
        .refine(
          (body) => Object.keys(body).some((key) => key !== 'version'),
          'Send at least one field to change.',
        ),
    },
    responses: {
      200: { description: 'The pipeline after the change', schema: pipelineViewSchema },
      404: notFound,
      409: { description: 'A template, or `version` is not the current one' },
    },
    async handle(request, services) {
      const pipeline = await updatePipeline(
        services.db,
        signedIn(request),
        request.params.pipelineId,
        request.body,
      );
      return { status: 200, body: pipelineView(pipeline) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/pipelines/{pipelineId}',
    group: 'pipelines',
    operationId: 'deletePipeline',
    summary: 'Delete a pipeline; jobs that ran it stay readable',
    tags: ['pipelines'],
    auth: 'user',
    request: { params: pipelineIdParams },
    responses: { 204: { description: 'Deleted' }, 404: notFound, 409: readOnlyTemplate },
    async handle(request, services) {
      await deletePipeline(services, signedIn(request), request.params.pipelineId);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/pipelines/{pipelineId}/validate',
    group: 'pipelines',
    operationId: 'validatePipeline',
    summary: 'Check a pipeline against the node catalog and your datasets',
    description:
      'Reports every problem at once, each naming the node and the field (`nodes[split-1].params.testFraction`). Valid: the pipeline becomes `validated`; otherwise it is `draft` with `validationErrors`.',
    tags: ['pipelines'],
    auth: 'user',
    request: { params: pipelineIdParams },
    responses: {
      200: {
        description: 'The outcome, and the pipeline as now stored',
        schema: z
          .object({ valid: z.boolean(), errors: z.array(pipelineIssueSchema), pipeline: pipelineViewSchema })
          .meta({ id: 'PipelineValidation' }),
      },
      404: notFound,
    },
    async handle(request, services) {
      const outcome = await validateStoredPipeline(services, signedIn(request), request.params.pipelineId);
      return {
        status: 200,
        body: { valid: outcome.valid, errors: outcome.issues, pipeline: pipelineView(outcome.pipeline) },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/pipelines/{pipelineId}/clone',
    group: 'pipelines',
    operationId: 'clonePipeline',
    summary: 'Copy a pipeline or a template into a new draft of yours',
    tags: ['pipelines'],
    auth: 'user',
    idempotency: { mode: 'stored' },
    request: {
      params: pipelineIdParams,
      body: z
        .strictObject({
          name: name.optional(),
          datasetId: uuidField().optional().meta({ description: 'The dataset the copy runs on' }),
        })
        .optional(),
    },
    responses: {
      201: { description: 'The copy', schema: pipelineViewSchema },
      404: { description: 'No such pipeline or dataset (or not yours)' },
    },
    async handle(request, services) {
      const copy = await clonePipeline(
        services.db,
        signedIn(request),
        request.params.pipelineId,
        request.body ?? {},
      );
      return { status: 201, headers: { location: `/pipelines/${copy.id}` }, body: pipelineView(copy) };
    },
  }),
];
