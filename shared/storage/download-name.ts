/**
 * The name a download is saved under, and the `Content-Disposition` header that carries it. Names
 * come from users (an uploaded file's name, a dataset's, an export's `fileName`), so they are
 * reduced to one safe file name before they reach a header or someone's file system: no
 * directories, no control or bidirectional-override characters, no leading dots, bounded length.
 */

const MAX_DOWNLOAD_NAME = 180;
const MAX_EXTENSION = 16;

/** C0 and C1 controls, DEL, and the characters that reorder text (a name could hide `exe.csv` as `vsc.exe`). */
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `name` as a file name a browser may save: its last path segment (`/` and `\` both count),
 * without unsafe characters, runs of whitespace as one space, no leading dots or trailing dots and
 * spaces, at most 180 characters with the extension kept. `fallback` when nothing is left.
 */
export function safeDownloadName(name: string, fallback: string): string {
  const base = name.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/\s+/g, ' ')
    .replace(UNSAFE, '')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (cleaned === '') return fallback === 'download' ? fallback : safeDownloadName(fallback, 'download');
  const characters = [...cleaned];
  if (characters.length <= MAX_DOWNLOAD_NAME) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= MAX_EXTENSION ? cleaned.slice(dot) : '';
  const stem = [...cleaned.slice(0, cleaned.length - extension.length)];
  return (
    stem
      .slice(0, MAX_DOWNLOAD_NAME - extension.length)
      .join('')
      .trimEnd() + extension
  );
}

/**
 * RFC 6266 `attachment` with both forms of the name: a quoted ASCII fallback (accents dropped,
 * anything else outside printable ASCII, quotes, backslashes and `%` as `_`) for old clients, and
 * the exact UTF-8 name as an RFC 8187 (5987) `filename*`. The name is made safe first.
 */
export function contentDisposition(name: string): string {
  const safe = safeDownloadName(name, 'download');
  const ascii = safe
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(safe)}`;
}

/** Percent-encoding of everything but RFC 8187's attr-char (`encodeURIComponent` leaves `'()*` as they are). */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
