/**
 * Limits for JSON kept in PostgreSQL columns. In AWS the database is read through the RDS Data API,
 * which cannot return a row over 64 KB (and its cursor fallback pages rows, it cannot split one):
 * a row written with a larger jsonb value can be stored but never read back. A jsonb value comes
 * back as JSON text inside the JSON response, so it is measured as that: encoded twice, with every
 * non-ASCII character counted as a `\u` escape of four hex digits. A row's JSON columns together stay under
 * `ROW_JSON_BUDGET_BYTES`, leaving room for its other columns; anything larger is capped (a count
 * plus the first entries) or stored in the object store.
 */
export const DATA_API_ROW_LIMIT_BYTES = 64 * 1024;
export const ROW_JSON_BUDGET_BYTES = 48 * 1024;

/** Bytes `value` takes in a Data API response, as a jsonb column. */
export function dataApiJsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? 'null';
  let bytes = 2; // the quotes around the string
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 || code === 0x5c)
      bytes += 2; // \" and \\ escaped again
    else if (code < 0x20 || code > 0x7e)
      bytes += 6; // a \u escape of four hex digits (a surrogate pair is two)
    else bytes += 1;
  }
  return bytes;
}

/**
 * The longest prefix of `items` whose JSON array fits `budgetBytes` (measured as `dataApiJsonBytes`),
 * found in one pass.
 */
export function fitPrefix<T>(items: readonly T[], budgetBytes: number): T[] {
  let used = dataApiJsonBytes([]);
  let count = 0;
  for (const item of items) {
    // The item plus the comma before it, without the quotes a whole value would add.
    const cost = dataApiJsonBytes(item) - 2 + (count > 0 ? 1 : 0);
    if (used + cost > budgetBytes) break;
    used += cost;
    count++;
  }
  return items.slice(0, count);
}

/** Cuts text to at most `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
