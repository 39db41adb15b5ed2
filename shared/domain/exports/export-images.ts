import { ValidationError } from '../../kernel/app-error';
import type { BlobStore } from '../../ports/blob-store.port';
import type { SqlEngine } from '../../ports/sql-engine.port';
import type { ExportFormat, ExportOptions } from './formats/export-options';
import {
  IMAGE_LAYOUT_FORMATS,
  isImageManifest,
  writeImageLayout,
  type ImageLayoutFormat,
  type ImageLayoutResult,
} from './formats/image-layouts';

/**
 * Image datasets in the Hugging Face, PyTorch and TensorFlow layouts: the images a manifest names
 * are copied from storage, and only the export owner's own images are read, whatever the table says.
 */
export interface ImageExportRequest {
  parquetPath: string;
  outDir: string;
  format: ExportFormat;
  options: ExportOptions;
  onProgress?: (fraction: number) => void;
}

const isLayout = (format: ExportFormat): format is ImageLayoutFormat =>
  (IMAGE_LAYOUT_FORMATS as readonly string[]).includes(format);

export async function isImageLayoutExport(engine: SqlEngine, request: ImageExportRequest): Promise<boolean> {
  return isLayout(request.format) && (await isImageManifest(engine, request.parquetPath));
}

export async function exportImages(
  engine: SqlEngine,
  blobs: Pick<BlobStore, 'getBytes'>,
  userId: string,
  request: ImageExportRequest,
): Promise<ImageLayoutResult> {
  if (!isLayout(request.format)) throw new Error(`${request.format} is not an image layout`);
  return writeImageLayout(engine, {
    ...request,
    format: request.format,
    readImage: async (key) => {
      const own = key.startsWith(`processed/${userId}/`) || key.startsWith(`jobs/${userId}/`);
      if (!own || key.includes('..'))
        throw new ValidationError('The table names an image that is not one of yours.', {
          code: 'EXPORT.FOREIGN_IMAGE',
          field: 'source',
        });
      return blobs.getBytes(key);
    },
  });
}
