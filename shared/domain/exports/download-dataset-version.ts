import type { Database } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import type { Logger } from '../../observability/logger';
import { downloadLink, type DownloadLink, type DownloadLinkDeps } from './download-link';
import { findVersionFiles, type VersionFiles } from './export-sources';

/** What of a dataset version can be downloaded: the file as it was uploaded, or its Parquet. */
export const VERSION_DOWNLOAD_FORMATS = ['original', 'parquet'] as const;
export type VersionDownloadFormat = (typeof VERSION_DOWNLOAD_FORMATS)[number];

export interface DownloadDatasetVersionDeps extends DownloadLinkDeps {
  db: Database;
  logger: Logger;
}

export type VersionDownload = DownloadLink & { format: VersionDownloadFormat };

/**
 * A presigned GET of version `versionNumber` of the caller's dataset (another tenant's is a 404):
 * the original file under its uploaded name with the SHA-256 ingestion recorded, or the Parquet
 * ingestion made of it, saved as `<dataset name>-v<version>.parquet`. A version without that file
 * yet (still uploading, not validated) is a 409 that says when it will have one.
 */
export async function downloadDatasetVersion(
  deps: DownloadDatasetVersionDeps,
  caller: Owner,
  request: { datasetId: string; versionNumber: number; format: VersionDownloadFormat },
): Promise<VersionDownload> {
  const version = await withOwner(deps.db, caller, (trx) => findVersionFiles(trx, caller, request));
  if (!version) throw new NotFoundError('Dataset version', `${request.datasetId}/${request.versionNumber}`);
  const key = request.format === 'original' ? originalKey(version) : parquetKey(version);
  const stored = await deps.blobs.head(key);
  if (!stored) {
    deps.logger.error('a dataset version names an object that is not stored', {
      datasetVersionId: version.datasetVersionId,
      format: request.format,
    });
    throw new ConflictError(
      'DATASET_VERSION.FILE_MISSING',
      `The ${request.format === 'original' ? 'original file' : 'Parquet'} of version ${version.versionNumber} is no longer stored: upload the file again as a new version.`,
      { field: 'query.format' },
    );
  }
  const link =
    request.format === 'original'
      ? await downloadLink(deps, {
          key,
          fileName: version.originalFilename,
          fallbackName: `${version.datasetName}-v${version.versionNumber}`,
          sha256: version.sha256,
          sizeBytes: stored.size,
        })
      : await downloadLink(deps, {
          key,
          fileName: `${version.datasetName}-v${version.versionNumber}.parquet`,
          fallbackName: `dataset-v${version.versionNumber}.parquet`,
          sha256: null,
          sizeBytes: stored.size,
        });
  return { ...link, format: request.format };
}

function originalKey(version: VersionFiles): string {
  if (version.status === 'uploading' || !version.rawObjectKey) {
    throw new ConflictError(
      'DATASET_VERSION.NOT_UPLOADED',
      `Version ${version.versionNumber} has no file yet: send it to the upload link (or POST …/versions/${version.versionNumber}/complete once it is sent), then download it.`,
      { field: 'version' },
    );
  }
  return version.rawObjectKey;
}

function parquetKey(version: VersionFiles): string {
  if (!version.processedObjectKey) {
    const when =
      version.status === 'failed'
        ? 'it failed validation, so it has none: download format=original instead'
        : `it is ${version.status}; it has one once it is validated`;
    throw new ConflictError(
      'DATASET_VERSION.NO_PARQUET',
      `Version ${version.versionNumber} has no Parquet yet: ${when}.`,
      { field: 'query.format' },
    );
  }
  return version.processedObjectKey;
}
