import type { QueueModality } from '../../config/config';
import type { DatasetVersionFormat } from '../../db/schema';

/**
 * What a file's extension says about it: the stored format and the modality whose worker reads
 * it. Used by the upload API (declared file name), the drop folder (which has nothing else to go
 * on) and scheduled refreshes.
 */
export interface FileKind {
  extension: string;
  format: DatasetVersionFormat;
  modality: QueueModality;
  /** Content type to use when none was declared. */
  contentType: string;
}

const KINDS: readonly FileKind[] = [
  { extension: 'csv', format: 'csv', modality: 'tabular', contentType: 'text/csv' },
  { extension: 'tsv', format: 'tsv', modality: 'tabular', contentType: 'text/tab-separated-values' },
  { extension: 'json', format: 'json', modality: 'tabular', contentType: 'application/json' },
  { extension: 'jsonl', format: 'jsonl', modality: 'tabular', contentType: 'application/x-ndjson' },
  { extension: 'ndjson', format: 'jsonl', modality: 'tabular', contentType: 'application/x-ndjson' },
  {
    extension: 'parquet',
    format: 'parquet',
    modality: 'tabular',
    contentType: 'application/vnd.apache.parquet',
  },
  {
    extension: 'xlsx',
    format: 'excel',
    modality: 'tabular',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  { extension: 'txt', format: 'text', modality: 'text', contentType: 'text/plain' },
  { extension: 'segy', format: 'segy', modality: 'seismic', contentType: 'application/octet-stream' },
  { extension: 'sgy', format: 'segy', modality: 'seismic', contentType: 'application/octet-stream' },
  { extension: 'mseed', format: 'miniseed', modality: 'seismic', contentType: 'application/vnd.fdsn.mseed' },
  {
    extension: 'miniseed',
    format: 'miniseed',
    modality: 'seismic',
    contentType: 'application/vnd.fdsn.mseed',
  },
  { extension: 'wav', format: 'wav', modality: 'audio', contentType: 'audio/wav' },
  { extension: 'mp3', format: 'mp3', modality: 'audio', contentType: 'audio/mpeg' },
  { extension: 'flac', format: 'flac', modality: 'audio', contentType: 'audio/flac' },
  { extension: 'ogg', format: 'ogg', modality: 'audio', contentType: 'audio/ogg' },
  { extension: 'oga', format: 'ogg', modality: 'audio', contentType: 'audio/ogg' },
  { extension: 'png', format: 'png', modality: 'image', contentType: 'image/png' },
  { extension: 'jpg', format: 'jpeg', modality: 'image', contentType: 'image/jpeg' },
  { extension: 'jpeg', format: 'jpeg', modality: 'image', contentType: 'image/jpeg' },
  { extension: 'tif', format: 'tiff', modality: 'image', contentType: 'image/tiff' },
  { extension: 'tiff', format: 'tiff', modality: 'image', contentType: 'image/tiff' },
  { extension: 'mp4', format: 'mp4', modality: 'video', contentType: 'video/mp4' },
  { extension: 'mov', format: 'mov', modality: 'video', contentType: 'video/quicktime' },
  { extension: 'webm', format: 'webm', modality: 'video', contentType: 'video/webm' },
  // An archive of files: its modality is the dataset's (see ARCHIVE_MODALITIES).
  { extension: 'zip', format: 'zip', modality: 'image', contentType: 'application/zip' },
];

/** Dataset modalities whose worker reads a zip archive of their files. */
const ARCHIVE_MODALITIES: ReadonlySet<string> = new Set(['image', 'text', 'audio', 'video']);

const BY_EXTENSION = new Map(KINDS.map((kind) => [kind.extension, kind]));

export const SUPPORTED_EXTENSIONS: readonly string[] = KINDS.map((kind) => kind.extension);

/** Lower-case extension without the dot (`Sales.CSV` → `csv`), or '' when there is none. */
export function fileExtension(fileName: string): string {
  const base = fileName.split('/').pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The file name without its extension (`sales 2026.csv` → `sales 2026`). */
export function fileStem(fileName: string): string {
  const base = fileName.split('/').pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function fileKindOf(fileName: string): FileKind | undefined {
  return BY_EXTENSION.get(fileExtension(fileName));
}

/**
 * Formats a dataset of a given modality accepts. A `multimodal` dataset takes any supported file;
 * time series arrive as tables.
 */
export function acceptsFormat(datasetModality: string, kind: FileKind): boolean {
  if (kind.format === 'zip') return ARCHIVE_MODALITIES.has(datasetModality);
  if (datasetModality === 'multimodal') return true;
  if (datasetModality === 'timeseries') return kind.modality === 'tabular';
  if (datasetModality === 'text') return kind.modality === 'text' || kind.modality === 'tabular';
  return kind.modality === datasetModality;
}

/** The queue that processes a version of a dataset with this modality and this file. */
export function queueFor(datasetModality: string, kind: FileKind): QueueModality {
  if (datasetModality === 'timeseries' || datasetModality === 'text') return datasetModality;
  // An archive goes to the worker of the files it holds: the dataset's modality.
  if (kind.format === 'zip' && (datasetModality === 'audio' || datasetModality === 'video'))
    return datasetModality;
  return kind.modality;
}
