import { ValidationError } from '../errors/app-error';

/**
 * Opaque cursors for keyset pagination on (created_at, id), newest first. The timestamp is kept
 * as PostgreSQL printed it (microseconds): a JavaScript Date would round it to milliseconds and
 * skip or repeat rows created within the same millisecond.
 */
export interface PageCursor {
  /** `2026-11-21T22:17:01.123456Z` */
  at: string;
  id: string;
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodePageCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id]), 'utf8').toString('base64url');
}

export function decodePageCursor(text: string): PageCursor {
  const invalid = () =>
    new ValidationError('cursor is not a cursor this API returned.', { field: 'query.cursor' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !AT.test(at) || !UUID.test(id)) throw invalid();
  return { at, id };
}
