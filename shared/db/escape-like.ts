/**
 * Escapes `%`, `_` and `\` so user text matches itself inside a LIKE/ILIKE pattern (PostgreSQL's
 * default escape character is the backslash). Add the wildcards around the result.
 */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
