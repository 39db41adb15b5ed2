import { ValidationError } from '../errors/app-error';

/**
 * Keyset pagination over `(created_at DESC, id DESC)`: the cursor is the last row's position,
 * opaque to clients (base64url JSON), so pages stay stable while new rows arrive. Every list of
 * the API (datasets, pipelines, jobs, users, audit logs) encodes its cursors here.
 */
export interface PagePosition {
  /** The timestamp as PostgreSQL prints it (`created_at::text`): microseconds, which a Date would drop. */
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, field = 'query.cursor'): PagePosition {
  const invalid = () =>
    new ValidationError('The cursor is not valid: use nextCursor from a previous page.', {
      field,
      code: 'REQUEST.INVALID_CURSOR',
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string') throw invalid();
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime()) || !UUID.test(id)) throw invalid();
  return { createdAt, id };
}
