import type { ArrayValue, ColumnMetadata, Field } from '@aws-sdk/client-rds-data';
import { DatabaseError } from '../../../db/database-error';

/**
 * Data API records → row objects with the JavaScript types repositories expect (the same ones the
 * `pg` adapter produces): uuid/text/numeric/date → string, int2/4/8 → number (an int8 beyond
 * ±(2^53−1) throws instead of rounding), float → number, bool → boolean, json/jsonb → parsed
 * value, timestamp/timestamptz → Date, bytea → Buffer, PostgreSQL arrays → arrays.
 *
 * We read `records` + `columnMetadata` rather than `formatRecordsAs: 'JSON'`: the JSON format drops
 * the column types (a timestamptz, a numeric and a jsonb all arrive as plain strings or doubles, so
 * we could not tell a Date from text nor keep numeric exact). With `resultSetOptions` asking for
 * longs and decimals as strings, int8 and numeric arrive exactly and are decoded by column type.
 */
export type Row = Record<string, unknown>;

export function decodeRecords(
  records: readonly Field[][] | undefined,
  columns: readonly ColumnMetadata[] | undefined,
): Row[] {
  if (!records || records.length === 0) return [];
  const cols = columns ?? [];
  const names = cols.map((c, i) => c.label || c.name || `column${i + 1}`);
  const types = cols.map((c) => normaliseTypeName(c.typeName));
  return records.map((record) => {
    const row: Row = {};
    record.forEach((field, i) => {
      const name = names[i] ?? `column${i + 1}`;
      row[name] = decodeField(field, types[i] ?? '', name);
    });
    return row;
  });
}

function normaliseTypeName(typeName: string | undefined): string {
  // Quoted (enum) names and schema-qualified names reach us now and then; only the bare name matters.
  return (typeName ?? '').replace(/"/g, '').replace(/^.*\./, '').toLowerCase();
}

const INTEGER_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'serial',
  'serial4',
  'serial8',
  'bigserial',
  'smallserial',
  'oid',
  'xid',
]);
const FLOAT_TYPES = new Set(['float4', 'float8']);
const TIMESTAMP_TYPES = new Set(['timestamp', 'timestamptz']);
const JSON_TYPES = new Set(['json', 'jsonb']);
const BOOL_TYPES = new Set(['bool', 'boolean']);

export function decodeField(field: Field, typeName: string, column: string): unknown {
  if (field.isNull) return null;
  if (field.arrayValue !== undefined) {
    return decodeArray(field.arrayValue, typeName.startsWith('_') ? typeName.slice(1) : typeName, column);
  }
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue);
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.longValue !== undefined) return decodeScalar(field.longValue, typeName, column);
  if (field.doubleValue !== undefined) return decodeScalar(field.doubleValue, typeName, column);
  if (field.stringValue !== undefined) {
    if (typeName.startsWith('_')) {
      return parseArrayLiteral(field.stringValue).map(function decode(item): unknown {
        return Array.isArray(item)
          ? item.map(decode)
          : item === null
            ? null
            : decodeScalar(item, typeName.slice(1), column);
      });
    }
    return decodeScalar(field.stringValue, typeName, column);
  }
  // An empty Field is how the Data API shows a value it cannot represent.
  return null;
}

function decodeScalar(value: string | number | boolean, typeName: string, column: string): unknown {
  if (INTEGER_TYPES.has(typeName)) return toSafeInteger(value, column);
  if (FLOAT_TYPES.has(typeName)) return typeof value === 'number' ? value : Number(value);
  if (BOOL_TYPES.has(typeName)) return typeof value === 'boolean' ? value : value === 't' || value === 'true';
  if (typeof value !== 'string') {
    // numeric with scale 0 may still come as longValue for some callers' settings: keep it exact as text.
    if (typeName === 'numeric' || typeName === 'decimal' || typeName === 'money') return String(value);
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw unsafeInteger(column, String(value));
    }
    return value;
  }
  if (JSON_TYPES.has(typeName)) return JSON.parse(value) as unknown;
  if (TIMESTAMP_TYPES.has(typeName)) return parseTimestamp(value);
  return value;
}

function toSafeInteger(value: string | number | boolean, column: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw unsafeInteger(column, String(value));
  return n;
}

/** The same error the `pg` adapter raises (SQLSTATE 22003, numeric value out of range). */
function unsafeInteger(column: string, text: string): DatabaseError {
  return new DatabaseError(
    `Column "${column}" holds ${text}, beyond JavaScript's safe integer range: select it as text (::text) to read it exactly.`,
    '22003',
  );
}

function decodeArray(array: ArrayValue, elementType: string, column: string): unknown[] {
  if (array.arrayValues)
    return array.arrayValues.map((inner) =>
      inner === null ? null : decodeArray(inner, elementType, column),
    );
  const items: (string | number | boolean | null)[] =
    array.stringValues ?? array.longValues ?? array.doubleValues ?? array.booleanValues ?? [];
  return items.map((item) =>
    item === null || item === undefined ? null : decodeScalar(item, elementType, column),
  );
}

const TIMESTAMP_PATTERN =
  /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The Data API prints timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]`, timestamptz in UTC without an
 * offset. An offset, when present, is honoured. `infinity` and out-of-range values stay text.
 */
export function parseTimestamp(text: string): Date | string {
  const m = TIMESTAMP_PATTERN.exec(text.trim());
  if (!m) return text;
  const [, day, time, fraction = '', zone] = m;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  let offset = 'Z';
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    offset = `${digits.slice(0, 3)}:${digits.slice(3, 5) || '00'}`;
  }
  const date = new Date(`${day}T${time}.${millis}${offset}`);
  return Number.isNaN(date.getTime()) ? text : date;
}

type ArrayItem = string | null | ArrayItem[];

/** Parses PostgreSQL array output (`{a,"b c",NULL,{1,2}}`) into nested arrays of strings. */
export function parseArrayLiteral(text: string): ArrayItem[] {
  let i = 0;
  const src = text.trim().replace(/^\[[^\]]*\](\[[^\]]*\])*=/, ''); // drop explicit bounds like [0:2]=
  function parseList(): ArrayItem[] {
    const out: ArrayItem[] = [];
    if (src[i] !== '{') throw new SyntaxError(`Not a PostgreSQL array: ${text}`);
    i++;
    if (src[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (src[i] === '{') out.push(parseList());
      else if (src[i] === '"') {
        let value = '';
        i++;
        while (i < src.length && src[i] !== '"') {
          if (src[i] === '\\') i++;
          value += src[i] ?? '';
          i++;
        }
        i++;
        out.push(value);
      } else {
        let j = i;
        while (j < src.length && src[j] !== ',' && src[j] !== '}') j++;
        const raw = src.slice(i, j).trim();
        out.push(raw.toUpperCase() === 'NULL' ? null : raw);
        i = j;
      }
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === '}') {
        i++;
        return out;
      }
      throw new SyntaxError(`Malformed PostgreSQL array: ${text}`);
    }
  }
  return parseList();
}
