/**
 * JSON for responses. `bigint` (PostgreSQL int8 and counters) becomes a number while it is a
 * safe integer and a decimal string beyond that, so precision is never lost silently.
 */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  });
}
