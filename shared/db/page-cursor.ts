import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { ValidationError } from '../kernel/app-error';

/**
 * Keyset pagination over `(created_at DESC, id DESC)`: the cursor is the last row's position,
 * opaque to clients (base64url JSON), so pages stay stable while new rows arrive. Every list of
 * the API (datasets, pipelines, jobs, users, audit logs) pages through the helpers here:
 *
 *   const query = trx.selectFrom('datasets').selectAll().select(positionOf('created_at').as(POSITION));
 *   // after the cursor (400 REQUEST.INVALID_CURSOR for one we did not issue), newest first, one extra row
 *   const rows = await newestFirst(query, cursor, limit + 1).execute();
 *   return toPage(rows, limit, toView);
 */
export interface PagePosition {
  /** UTC, ISO 8601 with exactly six fractional digits (`2026-11-21T22:17:01.123456Z`): a Date would drop the microseconds. */
  createdAt: string;
  id: string;
}

/** The column alias lists select the position text under (see `positionOf`). */
export const POSITION = 'page_position';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;

export function invalidCursor(field = 'query.cursor'): ValidationError {
  return new ValidationError('The cursor is not valid: use nextCursor from a previous page.', {
    field,
    code: 'REQUEST.INVALID_CURSOR',
  });
}

/** A real instant in the exact form `positionOf` prints (the calendar checked, not only the shape). */
function isPositionTimestamp(text: string): boolean {
  const match = AT.exec(text);
  if (!match) return false;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (year === undefined || year < 1 || hour === undefined || hour > 23) return false;
  const date = new Date(Date.UTC(year, (month ?? 0) - 1, day, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() + 1 === month &&
    date.getUTCDate() === day &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

export function encodeCursor(position: PagePosition): string {
  if (!isPositionTimestamp(position.createdAt) || !UUID.test(position.id)) {
    throw new Error(`Not a page position: ${JSON.stringify(position)} (select it with positionOf).`);
  }
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, field = 'query.cursor'): PagePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor(field);
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalidCursor(field);
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string') throw invalidCursor(field);
  if (!isPositionTimestamp(createdAt) || !UUID.test(id)) throw invalidCursor(field);
  return { createdAt, id };
}

/** The position text of a timestamp column, in the cursor's exact form (microseconds kept). */
export function positionOf(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/**
 * Rows strictly after the cursor's position in `(created_at DESC, id DESC)` order; the query as is
 * without a cursor. Decodes the cursor first: one that was not issued here is a 400.
 */
export function whereAfter<Q extends { where(expression: Expression<SqlBool>): Q }>(
  query: Q,
  cursor: string | undefined,
  columns: { createdAt: string; id: string } = { createdAt: 'created_at', id: 'id' },
): Q {
  if (cursor === undefined) return query;
  const after = decodeCursor(cursor);
  return query.where(
    sql<SqlBool>`(${sql.ref(columns.createdAt)}, ${sql.ref(columns.id)}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
  );
}

/**
 * The page from up to `limit + 1` rows (fetch one more than you show): the first `limit` rows,
 * mapped, and the next page's cursor from the last one shown when more exist.
 */
/**
 * A keyset page, newest first: the rows after `cursor` in (created_at, id) descending order,
 * `limit` of them. The order is the one `whereAfter`'s comparison assumes, so both live here.
 */
export function newestFirst<
  Q extends {
    where(expression: Expression<SqlBool>): Q;
    orderBy(expression: Expression<unknown>, direction: 'desc'): Q;
    limit(limit: number): Q;
  },
>(
  query: Q,
  cursor: string | undefined,
  limit: number,
  columns: { createdAt: string; id: string } = { createdAt: 'created_at', id: 'id' },
): Q {
  return whereAfter(query, cursor, columns)
    .orderBy(sql.ref(columns.createdAt), 'desc')
    .orderBy(sql.ref(columns.id), 'desc')
    .limit(limit);
}

export function toPage<R extends { id: string; [POSITION]: string }, T>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last[POSITION], id: last.id }) : null,
  };
}
