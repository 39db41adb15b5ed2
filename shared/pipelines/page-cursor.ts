import { decodeCursor, encodeCursor } from '../db/page-cursor';
import { ValidationError } from '../errors/app-error';

/**
 * Cursors of the pipeline list: the shared keyset cursor, with the timestamp as PostgreSQL printed
 * it in ISO form with microseconds (a JavaScript Date would round it to milliseconds and skip or
 * repeat rows created within the same millisecond).
 */
export interface PageCursor {
  /** `2026-11-21T22:17:01.123456Z` */
  at: string;
  id: string;
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodePageCursor(cursor: PageCursor): string {
  return encodeCursor({ createdAt: cursor.at, id: cursor.id });
}

export function decodePageCursor(text: string): PageCursor {
  const { createdAt, id } = decodeCursor(text);
  if (!AT.test(createdAt)) {
    throw new ValidationError('The cursor is not valid: use nextCursor from a previous page.', {
      field: 'query.cursor',
      code: 'REQUEST.INVALID_CURSOR',
    });
  }
  return { at: createdAt, id };
}
