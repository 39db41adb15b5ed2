import * as z from 'zod';
import { createDataset } from '../../../shared/domain/datasets/create-dataset';
import {
  completeVersionUpload,
  getVersionWithJob,
  listDatasetVersions,
  requestVersionUpload,
} from '../../../shared/domain/datasets/dataset-version-uploads';
import {
  datasetSchema,
  datasetVersionSchema,
  datasetVersionView,
  datasetView,
} from '../../../shared/domain/datasets/dataset-views';
import { listDatasets } from '../../../shared/domain/datasets/list-datasets';
import { csvParseOptionsSchema } from '../../../shared/domain/datasets/csv-parse-options';
import { reingestDatasetVersion } from '../../../shared/domain/datasets/reingest-dataset-version';
import {
  deleteDataset,
  getDataset,
  updateDatasetDetails,
} from '../../../shared/domain/datasets/manage-dataset';
import { DATASET_VERSION_STATUSES, MODALITIES, TASK_TYPES } from '../../../shared/db/schema';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { queryParam } from '../../../shared/http/query-params';
import { signedIn } from '../../../shared/kernel/request-context';

const datasetParams = z.object({ datasetId: z.uuid() });
const versionParams = z.object({ datasetId: z.uuid(), version: queryParam.int({ min: 1 }) });

const name = z.string().trim().min(1).max(255);
const tags = z.array(z.string().trim().min(1).max(64)).max(50);
const description = z.string().max(5000).nullable();
const targetColumn = z.string().trim().min(1).max(255).nullable();

const uploadSchema = z
  .object({
    method: z.literal('POST'),
    url: z.string(),
    fields: z.record(z.string(), z.string()),
    fileField: z.literal('file'),
    key: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int(),
    expiresAt: z.string(),
    curl: z.string(),
  })
  .meta({
    id: 'UploadInstructions',
    description:
      'POST multipart/form-data to `url` with every entry of `fields`, then the file as the last part named `file`. The policy binds the key, the exact size and the content type; it expires at `expiresAt`.',
  });

const tooLarge = {
  description: 'The file is larger than your tier allows (problem+json with limit, tier and allowed bytes)',
};
const limitReached = { description: 'A tier limit (datasets, storage) or a name conflict (problem+json)' };

export const datasetRoutes: RouteSpec[] = [
  defineRoute({
    method: 'POST',
    path: '/datasets',
    group: 'datasets',
    operationId: 'createDataset',
    summary: 'Create a dataset (then add versions by upload)',
    tags: ['datasets'],
    auth: 'user',
    idempotency: { mode: 'stored' },
    request: {
      body: z.strictObject({
        name,
        description: description.optional(),
        modality: z.enum(MODALITIES),
        problemType: z.enum(TASK_TYPES).nullable().optional(),
        targetColumn: targetColumn.optional(),
        tags: tags.optional(),
      }),
    },
    responses: { 201: { description: 'The new dataset', schema: datasetSchema }, 409: limitReached },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const dataset = await createDataset(services, caller, request.body, request);
      return { status: 201, headers: { location: `/datasets/${dataset.id}` }, body: datasetView(dataset) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/datasets',
    group: 'datasets',
    operationId: 'listDatasets',
    summary: 'Your datasets, newest first',
    tags: ['datasets'],
    auth: 'user',
    request: {
      query: z.object({
        limit: queryParam.int({ min: 1, max: 200 }).optional(),
        cursor: z.string().max(500).optional(),
        modality: z.enum(MODALITIES).optional(),
        tag: z.string().max(64).optional(),
        status: z
          .enum([...DATASET_VERSION_STATUSES, 'empty'])
          .optional()
          .meta({ description: "Status of the newest version ('empty': none yet)" }),
        search: z.string().max(255).optional().meta({ description: 'Part of the name, any case' }),
      }),
    },
    responses: {
      200: {
        description: 'A page of datasets; pass nextCursor as cursor for the next one',
        schema: z.object({ items: z.array(datasetSchema), nextCursor: z.string().nullable() }),
      },
    },
    async handle(request, services) {
      return { status: 200, body: await listDatasets(services, signedIn(request).caller, request.query) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/datasets/{datasetId}',
    group: 'datasets',
    operationId: 'getDataset',
    summary: 'One of your datasets',
    tags: ['datasets'],
    auth: 'user',
    request: { params: datasetParams },
    responses: { 200: { description: 'The dataset', schema: datasetSchema } },
    async handle(request, services) {
      return {
        status: 200,
        body: datasetView(await getDataset(services, signedIn(request).caller, request.params.datasetId)),
      };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/datasets/{datasetId}',
    group: 'datasets',
    operationId: 'updateDataset',
    summary: 'Change a dataset’s details or its scheduled refresh',
    description:
      '`refresh` sets an https:// URL (or an s3:// file under `sources/{your user id}/` in the platform bucket: files there are not ingested on arrival, unlike the drop folder, which is refused) and a `rate(…)`/`cron(…)` schedule that fires at most every 15 minutes; a changed file becomes a new version. `refresh: null` stops it.',
    tags: ['datasets'],
    auth: 'user',
    request: {
      params: datasetParams,
      body: z.strictObject({
        name: name.optional(),
        description: description.optional(),
        problemType: z.enum(TASK_TYPES).nullable().optional(),
        targetColumn: targetColumn.optional(),
        tags: tags.optional(),
        refresh: z
          .strictObject({
            sourceUrl: z.string().min(1).max(2048),
            schedule: z.string().min(1).max(256),
            rerunPipelines: z
              .boolean()
              .optional()
              .describe('Not supported yet: `true` is refused with a 400; jobs start with POST /jobs.'),
          })
          .nullable()
          .optional(),
      }),
    },
    responses: {
      200: { description: 'The dataset after the change', schema: datasetSchema },
      409: limitReached,
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const dataset = await updateDatasetDetails(
        services,
        caller,
        request.params.datasetId,
        request.body,
        request,
      );
      return { status: 200, body: datasetView(dataset) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/datasets/{datasetId}',
    group: 'datasets',
    operationId: 'deleteDataset',
    summary: 'Delete a dataset (its files are purged later)',
    tags: ['datasets'],
    auth: 'user',
    request: { params: datasetParams },
    responses: { 204: { description: 'Deleted' } },
    async handle(request, services) {
      await deleteDataset(services, signedIn(request).caller, request.params.datasetId, request);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/datasets/{datasetId}/versions',
    group: 'datasets',
    operationId: 'createDatasetVersion',
    summary: 'Start a new version: returns a presigned POST for the file',
    description:
      'Declare the file (name, content type, exact size). The answer says how to upload it straight to storage; ingestion starts when it arrives.',
    tags: ['datasets'],
    auth: 'user',
    idempotency: { mode: 'stored' },
    request: {
      params: datasetParams,
      body: z.strictObject({
        fileName: z.string().trim().min(1).max(255),
        contentType: z
          .string()
          .max(255)
          .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a media type such as text/csv')
          .optional(),
        sizeBytes: z.number().int().min(0),
        label: z.string().trim().min(1).max(100).optional(),
        csv: csvParseOptionsSchema.optional(),
      }),
    },
    responses: {
      201: {
        description: 'The version (status uploading) and how to upload',
        schema: z.object({ version: datasetVersionSchema, upload: uploadSchema }),
      },
      409: limitReached,
      413: tooLarge,
      415: { description: 'The file type is not supported, or not for this dataset’s modality' },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const { version, upload } = await requestVersionUpload(
        services,
        caller,
        request.params.datasetId,
        request.body,
        request,
      );
      return {
        status: 201,
        headers: {
          location: `/datasets/${version.datasetId}/versions/${version.versionNumber}`,
          'cache-control': 'no-store',
        },
        body: { version: datasetVersionView(version, undefined), upload },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/datasets/{datasetId}/versions/{version}/complete',
    group: 'datasets',
    operationId: 'completeDatasetVersionUpload',
    summary: 'Tell the platform the upload finished (fallback for the storage event)',
    tags: ['datasets'],
    auth: 'user',
    request: { params: versionParams },
    responses: {
      200: { description: 'The version after the arrival checks', schema: datasetVersionSchema },
      409: { description: 'The file is not in storage yet' },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const { version, job } = await completeVersionUpload(
        services,
        caller,
        request.params.datasetId,
        request.params.version,
      );
      return { status: 200, body: datasetVersionView(version, job) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/datasets/{datasetId}/versions/{version}/reingest',
    group: 'datasets',
    operationId: 'reingestDatasetVersion',
    summary: 'Read a CSV or TSV version again from its stored file, with parse options',
    description:
      'The options (delimiter, header, skipRows, quote, escape, encoding, nullValues, decimal) replace those given before; what is not given is detected. The version goes back to `uploaded` and is validated, profiled and typed again without a re-upload. The options used, detected or given, are in `modalityMetadata.csv` once it is validated.',
    tags: ['datasets'],
    auth: 'user',
    request: { params: versionParams, body: csvParseOptionsSchema },
    responses: {
      202: { description: 'The version, queued for ingestion again', schema: datasetVersionSchema },
      409: {
        description:
          'The version is still being ingested, its file is no longer stored, or other versions share its results',
      },
      415: { description: 'The version is not a CSV or TSV file' },
    },
    async handle(request, services) {
      const { version, job } = await reingestDatasetVersion(
        services,
        signedIn(request).caller,
        request.params.datasetId,
        request.params.version,
        request.body,
        request,
      );
      return { status: 202, body: datasetVersionView(version, job) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/datasets/{datasetId}/versions',
    group: 'datasets',
    operationId: 'listDatasetVersions',
    summary: 'Versions of a dataset, newest first',
    tags: ['datasets'],
    auth: 'user',
    request: {
      params: datasetParams,
      query: z.object({
        limit: queryParam.int({ min: 1, max: 200 }).optional(),
        cursor: z.string().max(500).optional().meta({ description: 'nextCursor of the previous page' }),
      }),
    },
    responses: {
      200: {
        description: 'A page of versions with their ingestion progress',
        schema: z.object({ items: z.array(datasetVersionSchema), nextCursor: z.string().nullable() }),
      },
    },
    async handle(request, services) {
      const page = await listDatasetVersions(
        services,
        signedIn(request).caller,
        request.params.datasetId,
        request.query,
      );
      return {
        status: 200,
        body: {
          items: page.items.map(({ version, job }) => datasetVersionView(version, job)),
          nextCursor: page.nextCursor,
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/datasets/{datasetId}/versions/{version}',
    group: 'datasets',
    operationId: 'getDatasetVersion',
    summary: 'One version: status, ingestion progress and validation errors',
    tags: ['datasets'],
    auth: 'user',
    request: { params: versionParams },
    responses: { 200: { description: 'The version', schema: datasetVersionSchema } },
    async handle(request, services) {
      const { version, job } = await getVersionWithJob(
        services,
        signedIn(request).caller,
        request.params.datasetId,
        request.params.version,
      );
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: datasetVersionView(version, job),
      };
    },
  }),
];
