import * as z from 'zod';
import { EXPORT_STATUSES } from '../../../shared/db/schema';
import { createExport } from '../../../shared/domain/exports/create-export';
import { deleteExport } from '../../../shared/domain/exports/delete-export';
import {
  downloadDatasetVersion,
  VERSION_DOWNLOAD_FORMATS,
} from '../../../shared/domain/exports/download-dataset-version';
import { downloadExport } from '../../../shared/domain/exports/download-export';
import { downloadJobOutput } from '../../../shared/domain/exports/download-job-output';
import { DOWNLOAD_LINK_SECONDS, type DownloadLink } from '../../../shared/domain/exports/download-link';
import type { ExportSource } from '../../../shared/domain/exports/export-records';
import {
  EXPORT_FORMATS,
  exportOptionsSchema,
  type ExportFormat,
} from '../../../shared/domain/exports/export-table';
import { exportViewSchema, toExportView } from '../../../shared/domain/exports/export-view';
import { getExport, listCallerExports } from '../../../shared/domain/exports/query-exports';
import { queryParam } from '../../../shared/http/query-params';
import { defineRoute, type ApiRequest, type ApiResponse, type RouteSpec } from '../../../shared/http/route';
import { callerOwnScope, pageQueryFields, uuidField } from '../../../shared/http/route-fields';
import { signedIn } from '../../../shared/kernel/request-context';
import type { Services } from '../../../shared/ports/services';

/**
 * `exports`: getting data out. Downloads of every stored artifact — a dataset version's original
 * file and its Parquet, a job node's outputs, an export's files — as short-lived presigned links,
 * and exports: a version or a node's table written as CSV, JSON, JSON Lines, Parquet, or a Hugging
 * Face, PyTorch or TensorFlow layout by the exports worker, paid from the credit ledger.
 */

const NODE_PART = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const nodePart = (what: string) =>
  z.string().regex(NODE_PART, { error: `${what} uses letters, digits, "_" and "-" (at most 64)` });

const exportParams = z.object({ exportId: uuidField() });
const notFound = { description: 'No such export (or not yours)' };

const downloadSchema = z
  .object({
    url: z
      .string()
      .meta({ description: `Presigned GET of the file, valid ${DOWNLOAD_LINK_SECONDS / 60} minutes` }),
    expiresAt: z.string(),
    fileName: z.string().meta({ description: 'The name the file is saved under (Content-Disposition)' }),
    sha256: z
      .string()
      .nullable()
      .meta({ description: 'SHA-256 of the bytes the link serves, when recorded' }),
    sizeBytes: z.number().int().nullable().meta({ description: 'Size of the bytes the link serves' }),
  })
  .meta({ id: 'DownloadLink' });

const redirectDescription = `Redirects (302) to a presigned GET valid ${DOWNLOAD_LINK_SECONDS / 60} minutes; the body repeats the link with the file’s name, size and SHA-256 (when recorded) for clients that do not follow redirects.`;

/** Every download answers the same way: a redirect to the link, the link in the body. */
function redirectTo(link: DownloadLink): ApiResponse {
  return { status: 302, headers: { location: link.url, 'cache-control': 'no-store' }, body: link };
}

const sourceSchema = z.union(
  [
    z.strictObject({ datasetVersionId: uuidField() }),
    z.strictObject({ jobId: uuidField(), nodeId: nodePart('nodeId'), port: nodePart('port') }),
  ],
  {
    error:
      'source is {"datasetVersionId": "<uuid>"} (a validated dataset version) or {"jobId": "<uuid>", "nodeId": "…", "port": "…"} (a table a node of your job wrote)',
  },
);

const createBodyOf = <F extends ExportFormat>(format: F) =>
  z.strictObject({
    source: sourceSchema,
    format: z.literal(format),
    options: exportOptionsSchema(format)
      .optional()
      .meta({ description: `Options of ${format} exports (defaults apply to what you leave out)` }),
  });

const createBody = z.discriminatedUnion(
  'format',
  [
    createBodyOf('csv'),
    createBodyOf('json'),
    createBodyOf('jsonl'),
    createBodyOf('parquet'),
    createBodyOf('huggingface'),
    createBodyOf('pytorch'),
    createBodyOf('tensorflow'),
  ],
  { error: `format is one of: ${EXPORT_FORMATS.join(', ')}` },
);

function toSource(body: z.infer<typeof sourceSchema>): ExportSource {
  return 'datasetVersionId' in body
    ? { kind: 'datasetVersion', datasetVersionId: body.datasetVersionId }
    : { kind: 'jobOutput', jobId: body.jobId, nodeId: body.nodeId, port: body.port };
}

const originOf = (request: Pick<ApiRequest, 'origin'>, services: Services) =>
  services.config.http.publicUrl ?? request.origin ?? '';

export const exportRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/datasets/{datasetId}/versions/{version}/download',
    group: 'exports',
    operationId: 'downloadDatasetVersion',
    summary: 'Download a version’s original file or its Parquet',
    description: `${redirectDescription} \`format=original\` (default) serves the file as it was uploaded, under its uploaded name, with the SHA-256 ingestion recorded; \`format=parquet\` serves the Parquet ingestion made of it, saved as \`<dataset name>-v<version>.parquet\`. A version without that file yet is a 409 that says when it will have one.`,
    tags: ['datasets'],
    auth: 'user',
    request: {
      params: z.object({ datasetId: uuidField(), version: queryParam.int({ min: 1, max: 2_147_483_647 }) }),
      query: z.object({
        format: z
          .enum(VERSION_DOWNLOAD_FORMATS)
          .optional()
          .meta({ description: 'original (default) or parquet' }),
      }),
    },
    responses: {
      302: { description: 'The presigned link (Location) and what it serves', schema: downloadSchema },
      404: { description: 'No such dataset version (or not yours)' },
      409: { description: 'The version has no such file yet (still uploading, not validated) or no longer' },
    },
    async handle(request, services) {
      const format = request.query.format ?? 'original';
      const link = await downloadDatasetVersion(services, callerOwnScope(request), {
        datasetId: request.params.datasetId,
        versionNumber: request.params.version,
        format,
      });
      return redirectTo(link);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/jobs/{jobId}/nodes/{nodeId}/outputs/{port}/download',
    group: 'exports',
    operationId: 'downloadJobOutput',
    summary: 'Download the file a node of a job wrote on one of its ports',
    description: `${redirectDescription} The file is saved under the name the node was given (\`fileName\` of an export node) or \`<node>-<port>.<extension>\`. Ports and their files are listed by GET /jobs/{jobId} (\`nodes[].outputs\`); a node that has not succeeded is a 409.`,
    tags: ['jobs'],
    auth: 'user',
    request: {
      params: z.object({ jobId: uuidField(), nodeId: nodePart('nodeId'), port: nodePart('port') }),
    },
    responses: {
      302: { description: 'The presigned link (Location) and what it serves', schema: downloadSchema },
      404: { description: 'No such job, node or port (or not yours); the node’s ports are in `ports`' },
      409: { description: 'The node has not succeeded, or the port holds a registered model' },
    },
    async handle(request, services) {
      return redirectTo(await downloadJobOutput(services, callerOwnScope(request), request.params));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/exports',
    group: 'exports',
    operationId: 'createExport',
    summary: 'Export a dataset version or a job’s table as files',
    description: `Writes the table in \`format\`: \`csv\` (text cells a spreadsheet would run as a formula — starting with =, +, -, @, tab or carriage return — are prefixed with \`'\` unless \`neutraliseFormulas\` is false), \`json\` (one array), \`jsonl\`, \`parquet\`, or a layout for training: \`huggingface\` (Parquet shards per split and a dataset card), \`pytorch\` (NumPy arrays per split) or \`tensorflow\` (TFRecord shards per split), each with \`labelColumn\`, \`splitColumn\` or a seeded \`split\`. Answers at once with the export queued; the exports worker produces it (poll GET /exports/{exportId}). The estimate — the rows times the format's expected seconds per million rows on the worker — is held from your credits now (402 CREDITS.INSUFFICIENT when short) and what the export used is charged when it ends; a failure on our side is refunded in full.`,
    tags: ['exports'],
    auth: 'user',
    idempotency: { mode: 'stored' },
    request: { body: createBody },
    responses: {
      201: { description: 'The export, queued', schema: exportViewSchema },
      402: {
        description:
          'The balance does not cover the estimate (CREDITS.INSUFFICIENT, with `required` and `available`)',
      },
      404: { description: 'The dataset version, job or node does not exist (or is not yours)' },
      409: {
        description:
          'The source is not a table yet (a version not validated, a node not succeeded) or not a table',
      },
    },
    async handle(request, services) {
      const { format } = request.body;
      const created = await createExport(services, signedIn(request), {
        source: toSource(request.body.source),
        format,
        options: request.body.options ?? exportOptionsSchema(format).parse({}),
      });
      return {
        status: 201,
        headers: { location: `/exports/${created.id}` },
        body: toExportView(created, originOf(request, services)),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/exports',
    group: 'exports',
    operationId: 'listExports',
    summary: 'Your exports, newest first',
    description:
      'Filter by `status` and `format` (comma-separated); `limit` per page; pass `nextCursor` back as `cursor` for the next page.',
    tags: ['exports'],
    auth: 'user',
    request: {
      query: z.object({
        status: queryParam.list(z.enum(EXPORT_STATUSES)).optional(),
        format: queryParam.list(z.enum(EXPORT_FORMATS)).optional(),
        ...pageQueryFields(100),
      }),
    },
    responses: {
      200: {
        description: 'One page',
        schema: z
          .object({ items: z.array(exportViewSchema), nextCursor: z.string().nullable() })
          .meta({ id: 'ExportList' }),
      },
    },
    async handle(request, services) {
      const page = await listCallerExports(services.db, callerOwnScope(request), {
        statuses: request.query.status,
        formats: request.query.format,
        cursor: request.query.cursor,
        limit: request.query.limit ?? 50,
      });
      const origin = originOf(request, services);
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: { items: page.items.map((item) => toExportView(item, origin)), nextCursor: page.nextCursor },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/exports/{exportId}',
    group: 'exports',
    operationId: 'getExport',
    summary: 'An export: status, progress, size, files and where to download them',
    description:
      'While queued or running, `progress` goes from 0 to 100. Once completed: the total `sizeBytes`, each file with its bytes and SHA-256, the metadata a reader needs (columns, splits, label classes) and `downloadUrl`. A failed export says why in `error`.',
    tags: ['exports'],
    auth: 'user',
    request: { params: exportParams },
    responses: { 200: { description: 'The export', schema: exportViewSchema }, 404: notFound },
    async handle(request, services) {
      const found = await getExport(services.db, callerOwnScope(request), request.params.exportId);
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: toExportView(found, originOf(request, services)),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/exports/{exportId}/download',
    group: 'exports',
    operationId: 'downloadExport',
    summary: 'Download a file of a completed export',
    description: `${redirectDescription} An export of one file serves it; one of several files needs \`file\`, the file’s \`relativePath\` as GET /exports/{exportId} lists it (400 EXPORT.FILE_REQUIRED lists them). An export that is not completed is a 409.`,
    tags: ['exports'],
    auth: 'user',
    request: {
      params: exportParams,
      query: z.object({
        file: z
          .string()
          .min(1)
          .max(512)
          .optional()
          .meta({ description: 'The relativePath of one file of the export' }),
      }),
    },
    responses: {
      302: { description: 'The presigned link (Location) and what it serves', schema: downloadSchema },
      400: {
        description:
          'The export has several files and `file` names none (EXPORT.FILE_REQUIRED, with `files`)',
      },
      404: { description: 'No such export or file (or not yours)' },
      409: { description: 'The export is not completed (EXPORT.NOT_READY, with its status and progress)' },
    },
    async handle(request, services) {
      const link = await downloadExport(services, callerOwnScope(request), {
        exportId: request.params.exportId,
        file: request.query.file,
      });
      return redirectTo(link);
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/exports/{exportId}',
    group: 'exports',
    operationId: 'deleteExport',
    summary: 'Delete an export and its files',
    description:
      'The export and every file it wrote go. An export still queued or running stops, and its held credits come back in full.',
    tags: ['exports'],
    auth: 'user',
    request: { params: exportParams },
    responses: { 204: { description: 'Deleted' }, 404: notFound },
    async handle(request, services) {
      await deleteExport(services, signedIn(request), request.params.exportId);
      return { status: 204 };
    },
  }),
];
