import { ValidationError } from '../../kernel/app-error';
import type { FileKind } from './file-formats';

/**
 * The content types an upload may declare for its file's extension. The declared type is bound
 * into the presigned POST and served back with downloads, so it may not be just anything: a
 * `.csv` declared as `text/html` or `application/x-msdownload` would be served as that. Besides
 * the extension's own type, each format lists the types common clients send for it (browsers on
 * Windows send `application/vnd.ms-excel` for `.csv`, many tools `application/octet-stream` for
 * binary files). Parameters such as `; charset=utf-8` are allowed.
 */
const ALSO_ALLOWED: Readonly<Record<string, readonly string[]>> = {
  csv: ['application/csv', 'text/plain', 'application/vnd.ms-excel'],
  tsv: ['text/plain'],
  json: ['text/plain', 'text/json'],
  jsonl: ['application/jsonl', 'application/json', 'text/plain'],
  parquet: ['application/x-parquet', 'application/octet-stream'],
  excel: ['application/octet-stream'],
  text: [],
  segy: ['application/x-segy'],
  miniseed: ['application/octet-stream'],
  wav: ['audio/x-wav', 'audio/wave', 'audio/vnd.wave'],
  mp3: ['audio/mp3'],
  flac: ['audio/x-flac'],
  ogg: ['application/ogg'],
  jpeg: ['image/pjpeg'],
  zip: ['application/x-zip-compressed', 'application/octet-stream'],
};

/** Every content type an upload of this kind may declare, its own first. */
export function allowedContentTypes(kind: FileKind): string[] {
  return [...new Set([kind.contentType, ...(ALSO_ALLOWED[kind.format] ?? [])])];
}

/** 400 naming the allowed types when `contentType` (its media type, any case) is not one of them. */
export function assertAllowedContentType(
  kind: FileKind,
  contentType: string,
  field = 'body.contentType',
): void {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const allowed = allowedContentTypes(kind);
  if (allowed.includes(mediaType)) return;
  throw new ValidationError(
    `A .${kind.extension} file is uploaded as ${allowed.join(', ')} (got "${contentType.slice(0, 100)}"); leave contentType out to use ${kind.contentType}.`,
    { code: 'UPLOAD.CONTENT_TYPE_NOT_ALLOWED', field, details: { allowed } },
  );
}
