import type { Database } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import { ConflictError, NotFoundError, ValidationError } from '../../kernel/app-error';
import { downloadLink, type DownloadLink, type DownloadLinkDeps } from './download-link';
import type { ExportRecord } from './export-records';
import type { ExportedFile } from './export-table';
import { getExport } from './query-exports';

export interface DownloadExportDeps extends DownloadLinkDeps {
  db: Database;
}

/** The file of a completed export that `file` names (its `relativePath`), or its only file. */
export function exportFileOf(record: ExportRecord, file: string | undefined): ExportedFile {
  if (record.status !== 'completed') {
    const now =
      record.status === 'failed'
        ? `failed (${record.errorMessage ?? 'no reason recorded'}): create it again with POST /exports`
        : `${record.status} (${record.progress} %): download it once it is completed`;
    throw new ConflictError('EXPORT.NOT_READY', `Export ${record.id} is ${now}.`, {
      details: { status: record.status, progress: record.progress },
    });
  }
  const listed = record.files.map((f) => f.relativePath);
  if (file === undefined) {
    const only = record.files.length === 1 ? record.files[0] : undefined;
    if (only) return only;
    throw new ValidationError(
      `Export ${record.id} has ${record.files.length} files: name one with ?file= (its relativePath in GET /exports/${record.id}).`,
      { code: 'EXPORT.FILE_REQUIRED', field: 'query.file', details: { files: listed } },
    );
  }
  const found = record.files.find((f) => f.relativePath === file);
  if (!found) {
    throw new NotFoundError(`File "${file}" of export ${record.id}`, undefined, {
      code: 'EXPORT.FILE_NOT_FOUND',
      field: 'query.file',
      details: { files: listed },
    });
  }
  return found;
}

/**
 * A presigned GET of one file of the caller's completed export, with the byte count and SHA-256
 * the export recorded for it (another tenant's export is a 404).
 */
export async function downloadExport(
  deps: DownloadExportDeps,
  caller: Owner,
  request: { exportId: string; file?: string | undefined },
): Promise<DownloadLink & { relativePath: string }> {
  const record = await getExport(deps.db, caller, request.exportId);
  const file = exportFileOf(record, request.file);
  const prefix = record.objectKey ?? '';
  const link = await downloadLink(deps, {
    key: `${prefix}${file.relativePath}`,
    fileName: file.relativePath,
    fallbackName: `export-${record.id}`,
    sha256: file.sha256,
    sizeBytes: file.bytes,
  });
  return { ...link, relativePath: file.relativePath };
}
