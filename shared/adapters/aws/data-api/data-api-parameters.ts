import type { Field, SqlParameter } from '@aws-sdk/client-rds-data';
import { parameterName } from './sql-text';

/**
 * JavaScript values → Data API parameters.
 *
 * The Data API binds a `stringValue` as `character varying`, not as an untyped literal the way
 * `pg` does, so SQL that compares a string parameter with a uuid, enum, array or jsonb column
 * must cast it (`${id}::uuid`); the cast is harmless on `pg`, so the same SQL runs on both.
 *
 * - string → stringValue, no typeHint (guessing "looks like a uuid" breaks text columns that hold
 *   uuid-shaped values).
 * - number: safe integer → longValue; other finite number → doubleValue; NaN/±Infinity →
 *   stringValue `NaN`/`Infinity`/`-Infinity` (JSON cannot carry them; cast `::float8`).
 * - bigint → longValue within ±(2^53−1) (the SDK writes longValue as a JSON number), otherwise the
 *   exact decimal as stringValue: cast it (`::int8`, `::numeric`).
 * - boolean → booleanValue; null/undefined → isNull.
 * - Date → stringValue `YYYY-MM-DD HH:MM:SS.mmm` (UTC) with typeHint TIMESTAMP. The value is a
 *   `timestamp`; stored into `timestamptz` it is read in the session time zone, which is UTC on
 *   Aurora unless someone changes it.
 * - Uint8Array/Buffer → blobValue.
 * - Array of primitives/Dates/nested arrays → a PostgreSQL array literal (`{"a","b"}`) as
 *   stringValue — the same text `pg` sends for a JS array — so `= any(${ids}::uuid[])` and
 *   `${tags}::text[]` read the same on both drivers (no `jsonb_array_elements_text` detour).
 * - Plain object, or an array whose elements are objects → JSON text with typeHint JSON. The value
 *   is `json`: it is assigned to a jsonb column as is; cast `::jsonb` to use jsonb operators.
 */
export function toSqlParameters(values: readonly unknown[]): SqlParameter[] {
  return values.map((value, index) => ({ name: parameterName(index + 1), ...toParameterValue(value) }));
}

export function toParameterValue(value: unknown): Pick<SqlParameter, 'value' | 'typeHint'> {
  if (value === null || value === undefined) return { value: { isNull: true } };
  switch (typeof value) {
    case 'string':
      return { value: { stringValue: value } };
    case 'boolean':
      return { value: { booleanValue: value } };
    case 'number':
      return { value: numberField(value) };
    case 'bigint':
      return {
        value:
          value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
            ? { longValue: Number(value) }
            : { stringValue: value.toString() },
      };
    case 'object':
      break;
    default:
      throw new TypeError(`Cannot send a ${typeof value} as a SQL parameter.`);
  }
  if (value instanceof Date) {
    return { value: { stringValue: formatTimestamp(value) }, typeHint: 'TIMESTAMP' };
  }
  if (value instanceof Uint8Array) return { value: { blobValue: value } };
  if (Array.isArray(value) && !value.some(isJsonObject)) {
    return { value: { stringValue: toArrayLiteral(value) } };
  }
  return { value: { stringValue: JSON.stringify(value) }, typeHint: 'JSON' };
}

function numberField(value: number): Field {
  if (Number.isSafeInteger(value)) return { longValue: value };
  if (Number.isFinite(value)) return { doubleValue: value };
  return { stringValue: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, the form the Data API accepts with typeHint TIMESTAMP. */
export function formatTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new TypeError('Cannot send an invalid Date as a SQL parameter.');
  const iso = date.toISOString();
  // toISOString gives ±YYYYYY for years outside 0–9999, which PostgreSQL would not read as such.
  if (!/^\d{4}-/.test(iso)) throw new TypeError(`Cannot send the date ${iso} as a SQL parameter.`);
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function isJsonObject(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  );
}

/** PostgreSQL array input syntax; every element is quoted so commas, braces and spaces are safe. */
export function toArrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`;
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return toArrayLiteral(value);
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (value instanceof Uint8Array) text = `\\x${Buffer.from(value).toString('hex')}`;
  else if (typeof value === 'boolean') text = value ? 't' : 'f';
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
