import type { Database } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import { ValidationError } from '../../kernel/app-error';
import type { Clock } from '../../kernel/clock.port';
import type { Logger } from '../../observability/logger';
import type { BlobStore } from '../../ports/blob-store.port';
import { getModel } from './get-model';
import { ModelArtifactCorruptError } from './model-predictors';

/** Download formats of a model: its JSON artifact today; ONNX is named so that asking for it is answered clearly. */
export const MODEL_DOWNLOAD_FORMATS = ['json', 'onnx'] as const;
export type ModelDownloadFormat = (typeof MODEL_DOWNLOAD_FORMATS)[number];

/** How long a download link stays valid. */
export const MODEL_DOWNLOAD_SECONDS = 300;

export interface ModelDownload {
  url: string;
  expiresAt: string;
  fileName: string;
  sha256: string | null;
  sizeBytes: number | null;
  format: 'json';
}

export interface DownloadModelDeps {
  db: Database;
  blobs: BlobStore;
  clock: Clock;
  logger: Logger;
}

/**
 * A file name safe in any Content-Disposition and file system: `<name>-v<version>.<ext>`, the name
 * reduced to letters, digits, `.`, `_` and `-` (at most 100 of them), `model` when nothing is left.
 */
export function modelFileName(name: string, version: number, extension: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/[-.]{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 100)
    .replace(/[-.]+$/g, '');
  return `${base || 'model'}-v${version}.${extension}`;
}

/**
 * A short-lived presigned GET of the caller's model artifact (another tenant's id is a 404),
 * saved as `<name>-v<version>.json`. ONNX export does not exist yet: asking for it is a 400 that
 * says so, and nothing is produced in its place.
 */
export async function downloadModel(
  deps: DownloadModelDeps,
  caller: Owner,
  modelId: string,
  format: ModelDownloadFormat,
): Promise<ModelDownload> {
  const model = await getModel(deps.db, caller, modelId);
  if (format === 'onnx')
    throw new ValidationError(
      'ONNX export is not available yet: download the model as JSON (format=json), the artifact PipeWeave predicts with.',
      { field: 'query.format', code: 'MODEL.FORMAT_NOT_AVAILABLE', details: { available: ['json'] } },
    );
  const stored = await deps.blobs.head(model.artifactKey);
  if (!stored) {
    deps.logger.error('model artifact is missing', { modelId: model.id, artifactKey: model.artifactKey });
    throw new ModelArtifactCorruptError(
      `The artifact of model ${model.id} is missing from storage; retrain the model.`,
    );
  }
  const fileName = modelFileName(model.name, model.version, 'json');
  const expiresAt = new Date(deps.clock.now().getTime() + MODEL_DOWNLOAD_SECONDS * 1000);
  const url = await deps.blobs.presignGet(model.artifactKey, MODEL_DOWNLOAD_SECONDS, {
    downloadName: fileName,
  });
  return {
    url,
    expiresAt: expiresAt.toISOString(),
    fileName,
    sha256: model.artifactSha256,
    sizeBytes: model.artifactSizeBytes ?? stored.size,
    format: 'json',
  };
}
