import * as z from 'zod';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { queryParam } from '../../../shared/http/query-params';
import { signedIn } from '../../../shared/kernel/request-context';
import {
  acceptVersionSchema,
  getVersionPreview,
  getVersionProfile,
  getVersionSchema,
  previewViewSchema,
  profileViewSchema,
  rejectVersionSchema,
  schemaViewSchema,
} from '../../../shared/domain/datasets/dataset-insights';
import { schemaOverrideSchema } from '../../../shared/domain/datasets/schema-deduction/schema-deduction-repository';
import { noteRead, recordProfileRead } from '../../../shared/domain/tutorials/resource-reads-repository';

const params = z.object({ datasetId: z.uuid(), version: z.coerce.number<string>().int().min(1) });
const base = '/datasets/{datasetId}/versions/{version}';
const group = 'dataset-insights';
const tags = ['datasets'];

/** Profile (EDA), preview and schema of a dataset version; the schema decisions. */
export const datasetInsightRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: `${base}/profile`,
    group,
    operationId: 'getDatasetVersionProfile',
    summary: 'The profile (EDA report) of a validated version',
    description: '409 while the version is still being ingested or when it failed validation.',
    tags,
    auth: 'user',
    request: { params },
    responses: { 200: { description: 'Summary and full report', schema: profileViewSchema } },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const profile = await getVersionProfile(services, caller, request.params);
      // Read by its owner: a tutorial step that asks to read the profile is now done.
      await noteRead(services.logger, () =>
        recordProfileRead(services.db, caller, request.params.datasetId, request.params.version),
      );
      return { status: 200, body: profile };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/preview`,
    group,
    operationId: 'getDatasetVersionPreview',
    summary: 'The first rows of a validated version',
    tags,
    auth: 'user',
    request: { params, query: z.object({ limit: queryParam.int({ min: 1, max: 50 }).optional() }) },
    responses: { 200: { description: 'Column names and the first rows', schema: previewViewSchema } },
    async handle(request, services) {
      const { caller } = signedIn(request);
      return {
        status: 200,
        body: await getVersionPreview(services, caller, request.params, request.query.limit ?? 20),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/schema`,
    group,
    operationId: 'getDatasetVersionSchema',
    summary: 'The proposed (or decided) schema of a version',
    tags,
    auth: 'user',
    request: { params },
    responses: {
      200: { description: 'Per column: type, format, confidence, samples', schema: schemaViewSchema },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      return { status: 200, body: await getVersionSchema(services, caller, request.params) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${base}/schema/accept`,
    group,
    operationId: 'acceptDatasetVersionSchema',
    summary: 'Accept the proposed schema, optionally overriding columns',
    tags,
    auth: 'user',
    request: {
      params,
      body: z.strictObject({ overrides: z.array(schemaOverrideSchema).max(10_000).optional() }),
    },
    responses: { 200: { description: 'The accepted schema', schema: schemaViewSchema } },
    async handle(request, services) {
      const { caller } = signedIn(request);
      return {
        status: 200,
        body: await acceptVersionSchema(services, caller, request.params, request.body.overrides ?? []),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${base}/schema/reject`,
    group,
    operationId: 'rejectDatasetVersionSchema',
    summary: 'Reject the proposed schema, saying why',
    tags,
    auth: 'user',
    request: { params, body: z.strictObject({ reason: z.string().trim().min(1).max(2000) }) },
    responses: { 200: { description: 'The rejected schema', schema: schemaViewSchema } },
    async handle(request, services) {
      const { caller } = signedIn(request);
      return {
        status: 200,
        body: await rejectVersionSchema(services, caller, request.params, request.body.reason),
      };
    },
  }),
];
