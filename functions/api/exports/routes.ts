import { z } from 'zod';
import {
  downloadDatasetVersion,
  VERSION_DOWNLOAD_FORMATS,
} from '../../../shared/domain/exports/download-dataset-version';
import { downloadJobOutput } from '../../../shared/domain/exports/download-job-output';
import { DOWNLOAD_LINK_SECONDS, type DownloadLink } from '../../../shared/domain/exports/download-link';
import { queryParam } from '../../../shared/http/query-params';
import { defineRoute, type ApiResponse, type RouteSpec } from '../../../shared/http/route';
import { callerOwnScope, uuidField } from '../../../shared/http/route-fields';

/**
 * `exports`: getting data out. Downloads of every stored artifact — a dataset version's original
 * file and its Parquet, a job node's outputs — as short-lived presigned links.
 */

const NODE_PART = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const nodePart = (what: string) =>
  z.string().regex(NODE_PART, { error: `${what} uses letters, digits, "_" and "-" (at most 64)` });

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
];
