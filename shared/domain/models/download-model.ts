import { createHash } from 'node:crypto';
import type { Database } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import type { Clock } from '../../kernel/clock.port';
import type { Logger } from '../../observability/logger';
import type { BlobStore } from '../../ports/blob-store.port';
import { objectKeys } from '../../storage/object-keys';
import { DOWNLOAD_LINK_SECONDS, downloadLink, type DownloadLink } from '../exports/download-link';
import { ModelArtifactError } from '../learning/model-artifact';
import { getModel } from './get-model';
import { ModelArtifactCorruptError, readArtifactText } from './model-predictors';
import type { Model } from './model-repository';
import { exportOnnxModel, ONNX_EXPORT_VERSION } from './onnx/export-onnx-model';

/** Download formats of a model: its JSON artifact, or the same model as one ONNX graph. */
export const MODEL_DOWNLOAD_FORMATS = ['json', 'onnx'] as const;
export type ModelDownloadFormat = (typeof MODEL_DOWNLOAD_FORMATS)[number];

/** How long a download link stays valid (as every download's). */
export const MODEL_DOWNLOAD_SECONDS = DOWNLOAD_LINK_SECONDS;

export type ModelDownload = DownloadLink & { format: ModelDownloadFormat };

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

/** What a stored ONNX export records about itself (S3 object metadata). */
const ONNX_METADATA = { sha256: 'sha256', source: 'source-sha256', exporter: 'exporter' } as const;

interface LinkedObject {
  key: string;
  sha256: string | null;
  sizeBytes: number;
}

/**
 * The model's ONNX export: the stored one when it was made from the same artifact by the same
 * exporter version, otherwise exported now from the verified artifact and stored beside it
 * (`models/{user}/{model}/model.onnx`), so that later downloads only presign it. A model that
 * has no faithful ONNX form is refused (OnnxExportUnsupportedError, a 400) and nothing is stored.
 */
async function onnxObjectOf(deps: DownloadModelDeps, model: Model): Promise<LinkedObject> {
  const key = objectKeys.modelOnnx(model.ownerId, model.id);
  const source = model.artifactSha256?.toLowerCase() ?? '';
  const stored = await deps.blobs.head(key);
  const metadata = stored?.metadata ?? {};
  const sha256 = metadata[ONNX_METADATA.sha256];
  if (
    stored &&
    sha256 &&
    metadata[ONNX_METADATA.source] === source &&
    metadata[ONNX_METADATA.exporter] === String(ONNX_EXPORT_VERSION)
  )
    return { key, sha256, sizeBytes: stored.size };
  const text = await readArtifactText(deps, model);
  let bytes: Uint8Array;
  try {
    bytes = exportOnnxModel(text);
  } catch (error) {
    if (!(error instanceof ModelArtifactError)) throw error;
    deps.logger.error('model artifact cannot be exported', { modelId: model.id, error });
    throw new ModelArtifactCorruptError(
      `The artifact of model ${model.id} cannot be read as a model; retrain the model.`,
      { cause: error },
    );
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  await deps.blobs.put(key, bytes, {
    contentType: 'application/octet-stream',
    contentLength: bytes.byteLength,
    metadata: {
      [ONNX_METADATA.sha256]: digest,
      [ONNX_METADATA.source]: source,
      [ONNX_METADATA.exporter]: String(ONNX_EXPORT_VERSION),
    },
  });
  deps.logger.info('model exported to ONNX', { modelId: model.id, sizeBytes: bytes.byteLength });
  return { key, sha256: digest, sizeBytes: bytes.byteLength };
}

/** The JSON artifact as the model records it (the object must still be there). */
async function jsonObjectOf(deps: DownloadModelDeps, model: Model): Promise<LinkedObject> {
  const stored = await deps.blobs.head(model.artifactKey);
  if (!stored) {
    deps.logger.error('model artifact is missing', { modelId: model.id, artifactKey: model.artifactKey });
    throw new ModelArtifactCorruptError(
      `The artifact of model ${model.id} is missing from storage; retrain the model.`,
    );
  }
  return {
    key: model.artifactKey,
    sha256: model.artifactSha256,
    sizeBytes: model.artifactSizeBytes ?? stored.size,
  };
}

/**
 * A short-lived presigned GET of the caller's model (another tenant's id is a 404): the JSON
 * artifact, saved as `<name>-v<version>.json`, or its ONNX export, saved as
 * `<name>-v<version>.onnx`, with the SHA-256 and size of the file the link serves.
 */
export async function downloadModel(
  deps: DownloadModelDeps,
  caller: Owner,
  modelId: string,
  format: ModelDownloadFormat,
): Promise<ModelDownload> {
  const model = await getModel(deps.db, caller, modelId);
  const object = format === 'onnx' ? await onnxObjectOf(deps, model) : await jsonObjectOf(deps, model);
  const fileName = modelFileName(model.name, model.version, format);
  const link = await downloadLink(deps, { ...object, fileName, fallbackName: fileName });
  return { ...link, format };
}
