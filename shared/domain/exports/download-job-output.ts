import type { Database } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import { objectKeys } from '../../storage/object-keys';
import { downloadLink, type DownloadLink, type DownloadLinkDeps } from './download-link';
import { findJobNodeOutputs, type JobNodeOutputs, type RecordedPortOutput } from './export-sources';

export interface DownloadJobOutputDeps extends DownloadLinkDeps {
  db: Database;
}

export interface JobOutputRequest {
  jobId: string;
  nodeId: string;
  port: string;
}

/**
 * The file a succeeded node of the caller's job wrote on `port`: refused with what to do instead
 * when the node has not succeeded, has no such port, or the port holds something downloaded
 * elsewhere (a registered model). Only objects under the node's own prefix are served.
 */
export function jobOutputFile(
  node: JobNodeOutputs,
  owner: Owner,
  port: string,
  fields: { node: string; port: string } = { node: 'nodeId', port: 'port' },
): RecordedPortOutput {
  if (node.status !== 'success') {
    throw new ConflictError(
      'JOB_NODE.NO_OUTPUT',
      `Node "${node.nodeId}" is ${node.status}: its outputs can be used once it has succeeded.`,
      { field: fields.node },
    );
  }
  const output = node.outputs[port];
  if (!output) {
    const ports = Object.keys(node.outputs);
    throw new NotFoundError(`Output port "${port}" of node "${node.nodeId}"`, undefined, {
      code: 'JOB_NODE.OUTPUT_NOT_FOUND',
      field: fields.port,
      details: { ports },
    });
  }
  if (!output.key.startsWith(objectKeys.jobNodePrefix(owner.userId, node.jobId, node.nodeId))) {
    throw new ConflictError(
      'JOB_NODE.OUTPUT_NOT_A_FILE',
      `The output on port "${port}" of node "${node.nodeId}" is not a file of this job: a trained model downloads with GET /models/{modelId}/download.`,
      { field: fields.port },
    );
  }
  return output;
}

/** A presigned GET of a job node's output, saved under the name the node gave it (export nodes) or `<node>-<port>.<ext>`. */
export async function downloadJobOutput(
  deps: DownloadJobOutputDeps,
  caller: Owner,
  request: JobOutputRequest,
): Promise<DownloadLink> {
  const node = await withOwner(deps.db, caller, (trx) => findJobNodeOutputs(trx, caller, request));
  if (!node) throw new NotFoundError('Job node', `${request.jobId}/${request.nodeId}`);
  const output = jobOutputFile(node, caller, request.port);
  const stored = await deps.blobs.head(output.key);
  if (!stored) {
    throw new ConflictError(
      'JOB_NODE.OUTPUT_MISSING',
      `The output on port "${request.port}" of node "${request.nodeId}" is no longer stored: run the job again (POST /jobs/${request.jobId}/retry).`,
      { field: 'port' },
    );
  }
  const extension = output.key.slice(output.key.lastIndexOf('.') + 1) || output.format;
  const generated = `${node.nodeId}-${request.port}.${extension}`;
  return downloadLink(deps, {
    key: output.key,
    fileName: output.fileName ?? generated,
    fallbackName: generated,
    sha256: null,
    sizeBytes: stored.size,
  });
}
