import type { DatabaseTransaction } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import { jobOutputFile } from './download-job-output';
import type { ExportSource } from './export-records';
import { findJobNodeOutputs, findVersionFilesById } from './export-sources';

/** The table an export reads: a Parquet object of the owner's, and how many rows it has. */
export interface ResolvedExportSource {
  parquetKey: string;
  rows: number;
}

/**
 * The owner's table behind `source`: a validated dataset version's Parquet, or a table (Parquet)
 * output of a succeeded node of their job. Another tenant's ids are a 404; a source that is not a
 * table yet (or at all) is a 409 that says what to export instead.
 */
export async function resolveExportSource(
  trx: DatabaseTransaction,
  owner: Owner,
  source: ExportSource,
): Promise<ResolvedExportSource> {
  if (source.kind === 'datasetVersion') {
    const version = await findVersionFilesById(trx, owner, source.datasetVersionId);
    if (!version) throw new NotFoundError('Dataset version', source.datasetVersionId);
    if (!version.processedObjectKey) {
      throw new ConflictError(
        'EXPORT.SOURCE_NOT_READY',
        `Version ${version.versionNumber} of the dataset is ${version.status}: it can be exported once it is validated.`,
        { field: 'body.source.datasetVersionId' },
      );
    }
    return { parquetKey: version.processedObjectKey, rows: version.rowCount ?? 0 };
  }
  const node = await findJobNodeOutputs(trx, owner, source);
  if (!node) throw new NotFoundError('Job node', `${source.jobId}/${source.nodeId}`);
  const output = jobOutputFile(node, owner, source.port, {
    node: 'body.source.nodeId',
    port: 'body.source.port',
  });
  if (output.format !== 'parquet') {
    throw new ConflictError(
      'EXPORT.SOURCE_NOT_A_TABLE',
      `The output on port "${source.port}" of node "${source.nodeId}" is a ${output.format} file, not a table: export the table the node read, or download this file as it is (GET /jobs/${source.jobId}/nodes/${source.nodeId}/outputs/${source.port}/download).`,
      { field: 'body.source.port' },
    );
  }
  return { parquetKey: output.key, rows: output.rows ?? 0 };
}
