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

/**
 * Bytes `value` takes in a Data API response, as a jsonb column: what `JSON.stringify` would
 * write, encoded once more, counted token by token without building either text and without
 * recursion (a deeply nested value is measured, not a stack overflow).
 */
export function dataApiJsonBytes(value: unknown): number {
  let bytes = 2; // the quotes around the string
  const active = new Set<object>();
  // Each frame: a value to measure (`converted` once `toJSON` has been applied to it), or the end
  // of a container (to leave the cycle check).
  const stack: ({ value: unknown; key: string; converted?: true } | { leave: object })[] = [
    { value, key: '' },
  ];
  while (stack.length > 0) {
    const frame = stack.pop();
    if (!frame) break;
    if ('leave' in frame) {
      active.delete(frame.leave);
      continue;
    }
    const current = frame.converted ? frame.value : jsonValueOf(frame.value, frame.key);
    if (current === undefined) {
      bytes += 4; // null (undefined at the top or in an array; omitted object members never get here)
      continue;
    }
    if (current === null || typeof current !== 'object') {
      bytes += scalarBytes(current);
      continue;
    }
    if (active.has(current)) throw new TypeError('Converting circular structure to JSON');
    active.add(current);
    stack.push({ leave: current });
    bytes += 2; // [] or {}
    if (Array.isArray(current)) {
      bytes += Math.max(0, current.length - 1); // commas
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], key: String(i) });
      continue;
    }
    let members = 0;
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] ?? '';
      const member = jsonValueOf((current as Record<string, unknown>)[key], key);
      if (member === undefined) continue;
      members++;
      bytes += stringBytes(key) + 1; // "key":
      stack.push({ value: member, key, converted: true });
    }
    bytes += Math.max(0, members - 1);
  }
  return bytes;
}

/** The value `JSON.stringify` writes for `value` (after `toJSON`), or undefined when it leaves it out. */
function jsonValueOf(value: unknown, key: string): unknown {
  let out = value;
  if (out !== null && typeof out === 'object' && typeof (out as { toJSON?: unknown }).toJSON === 'function')
    out = (out as { toJSON: (key: string) => unknown }).toJSON(key);
  if (out instanceof Number || out instanceof String || out instanceof Boolean) out = out.valueOf();
  if (out === undefined || typeof out === 'function' || typeof out === 'symbol') return undefined;
  if (typeof out === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
  return out;
}

function scalarBytes(value: unknown): number {
  if (typeof value === 'string') return stringBytes(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4;
  if (typeof value === 'boolean') return value ? 4 : 5;
  return 4; // null
}

/** A JSON string as the Data API sends it: `"` and `\\` escaped again, all but printable ASCII as `\u` escapes. */
function stringBytes(text: string): number {
  let bytes = 4; // its quotes, \" each
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 || code === 0x5c)
      bytes += 4; // \" or \\, escaped again
    else if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) bytes += 3;
    else if (code < 0x20)
      bytes += 7; // \u00XX, its backslash escaped again
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        bytes += 12; // a pair, each half a \u escape
        i++;
      } else bytes += 7; // a lone surrogate, written as a \u escape of four hex digits
    } else if (code > 0x7e) bytes += 6;
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
