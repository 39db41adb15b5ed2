import * as z from 'zod';
import type { ColumnProfile } from '../profiling/profile-report';

/**
 * Schema deduction: from a column's engine type, its profile and a sample of its values (as
 * text), a proposed semantic type, a format where one applies, a confidence in [0, 1] and a few
 * sample values. Pure and rule-based, so the rules are documented by their tests.
 */
export const DEDUCER_VERSION = 'rules-1';

export const SEMANTIC_TYPES = [
  'integer',
  'float',
  'boolean',
  'date',
  'timestamp',
  'time',
  'categorical',
  'text',
  'id',
  'email',
  'url',
  'json',
] as const;
export type SemanticType = (typeof SEMANTIC_TYPES)[number];

export const deducedColumnSchema = z
  .object({
    name: z.string(),
    type: z.enum(SEMANTIC_TYPES),
    /** e.g. `%Y-%m-%d`, `uuid`, `decimal-comma`, `yes/no`. */
    format: z.string().nullable(),
    nullable: z.boolean(),
    confidence: z.number().min(0).max(1),
    /** The engine's storage type in the processed Parquet. */
    storageType: z.string(),
    samples: z.array(z.string()),
  })
  .meta({ id: 'DeducedColumn' });
export type DeducedColumn = z.infer<typeof deducedColumnSchema>;

export interface ColumnEvidence {
  profile: Pick<
    ColumnProfile,
    'name' | 'type' | 'kind' | 'count' | 'missing' | 'approxDistinct' | 'min' | 'max'
  >;
  /** Non-missing sample values as text. */
  samples: readonly string[];
  /** Date/timestamp formats the CSV reader detected, when known. */
  dateFormat?: string | null;
  timestampFormat?: string | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const URL_RE = /^(https?|ftp|s3):\/\/[^\s]+$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BOOL_WORDS: Record<string, string> = {
  true: 'true/false',
  false: 'true/false',
  yes: 'yes/no',
  no: 'yes/no',
  y: 'y/n',
  n: 'y/n',
  t: 't/f',
  f: 't/f',
};
const DECIMAL_COMMA = /^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d+$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const ISO_WEEK_TEXT = /^\d{4}-?W(0[1-9]|[1-4]\d|5[0-3])(-?[1-7])?$/;
const DATE_NAME = /date|day|dt|ymd|period|time|when/i;
const WEEK_NAME = /week|wk/i;
const TIME_NAME = /time|date|epoch|stamp|(^|_)ts$|_at$|created|updated|modified|when/i;
/** 2000-01-01 and 2040-01-01 in seconds since 1970: without a telling name, only this range is read as time. */
const EPOCH_PLAIN = [946_684_800, 2_208_988_800] as const;
/** 1980-01-01 and 2100-01-01, for columns whose name says they hold a time. */
const EPOCH_NAMED = [315_532_800, 4_102_444_800] as const;
const ID_NAME = /(^|[_\s-])(id|uuid|key|code)$|^id[_\s-]|Id$/;

/** Categorical when few distinct values compared to the rows (or very few in absolute terms). */
export const CATEGORICAL_MAX_DISTINCT = 50;
export const CATEGORICAL_MAX_RATIO = 0.5;

export function deduceColumn(evidence: ColumnEvidence): DeducedColumn {
  const { profile } = evidence;
  const samples = evidence.samples.filter((s) => s !== '');
  const base = {
    name: profile.name,
    nullable: profile.missing > 0,
    storageType: profile.type,
    samples: unique(samples).slice(0, 5),
  };
  const proposal = propose(evidence, samples);
  return { ...base, ...proposal, confidence: round2(proposal.confidence) };
}

function propose(
  evidence: ColumnEvidence,
  samples: readonly string[],
): { type: SemanticType; format: string | null; confidence: number } {
  const { profile } = evidence;
  const distinct = profile.approxDistinct;
  const allDistinct = profile.count > 0 && distinct >= profile.count * 0.99;
  const lowCardinality =
    profile.count > 0 &&
    distinct <= CATEGORICAL_MAX_DISTINCT &&
    (distinct / profile.count <= CATEGORICAL_MAX_RATIO || distinct <= 2);

  if (profile.count === 0) return { type: 'text', format: null, confidence: 0.1 };

  switch (profile.kind) {
    case 'boolean':
      return { type: 'boolean', format: null, confidence: 1 };
    case 'temporal': {
      const t = profile.type.toUpperCase();
      if (t === 'DATE') return { type: 'date', format: evidence.dateFormat ?? '%Y-%m-%d', confidence: 1 };
      if (t.startsWith('TIME') && !t.startsWith('TIMESTAMP'))
        return { type: 'time', format: null, confidence: 1 };
      return { type: 'timestamp', format: evidence.timestampFormat ?? null, confidence: 1 };
    }
    case 'numeric': {
      const integral = /INT/.test(profile.type.toUpperCase());
      if (integral) {
        const temporal = integerDate(profile, samples);
        if (temporal) return temporal;
        if (distinct <= 2 && profile.min !== null && Number(profile.min) >= 0 && Number(profile.max) <= 1) {
          return { type: 'boolean', format: '0/1', confidence: 0.7 };
        }
        if (allDistinct && ID_NAME.test(profile.name))
          return { type: 'id', format: 'integer', confidence: 0.9 };
        if (lowCardinality && distinct <= 10 && profile.count >= 50)
          return { type: 'categorical', format: 'integer codes', confidence: 0.6 };
        return { type: 'integer', format: null, confidence: 0.95 };
      }
      return { type: 'float', format: null, confidence: 0.95 };
    }
    case 'text': {
      const share = (re: RegExp) =>
        samples.length === 0 ? 0 : samples.filter((s) => re.test(s.trim())).length / samples.length;
      const uuid = share(UUID);
      if (uuid >= 0.9) return { type: 'id', format: 'uuid', confidence: uuid };
      const email = share(EMAIL);
      if (email >= 0.9) return { type: 'email', format: null, confidence: email };
      const url = share(URL_RE);
      if (url >= 0.9) return { type: 'url', format: null, confidence: url };
      const boolFormats = samples.map((s) => BOOL_WORDS[s.trim().toLowerCase()]);
      if (samples.length > 0 && boolFormats.every((f) => f !== undefined)) {
        const formats = unique(boolFormats.filter((f): f is string => f !== undefined));
        return {
          type: 'boolean',
          format: formats.length === 1 ? (formats[0] ?? null) : formats.join(','),
          confidence: 0.9,
        };
      }
      const decimalComma = share(DECIMAL_COMMA);
      if (decimalComma >= 0.9)
        return { type: 'float', format: 'decimal-comma', confidence: decimalComma * 0.9 };
      const isoTimestamp = share(ISO_TIMESTAMP);
      if (isoTimestamp >= 0.9)
        return { type: 'timestamp', format: 'ISO 8601', confidence: isoTimestamp * 0.8 };
      const isoWeek = share(ISO_WEEK_TEXT);
      if (isoWeek >= 0.9) return { type: 'date', format: '%G-W%V', confidence: isoWeek * 0.85 };
      const isoDate = share(ISO_DATE);
      if (isoDate >= 0.9) return { type: 'date', format: '%Y-%m-%d', confidence: isoDate * 0.8 };
      const json = samples.length === 0 ? 0 : samples.filter(looksLikeJson).length / samples.length;
      if (json >= 0.9) return { type: 'json', format: null, confidence: json * 0.8 };
      if (lowCardinality)
        return { type: 'categorical', format: null, confidence: distinct <= 20 ? 0.9 : 0.7 };
      const averageLength = samples.reduce((n, s) => n + s.length, 0) / Math.max(samples.length, 1);
      const hasSpaces =
        samples.length > 0 && samples.filter((s) => /\s/.test(s.trim())).length / samples.length > 0.5;
      if (allDistinct && !hasSpaces && averageLength <= 40) {
        return { type: 'id', format: null, confidence: ID_NAME.test(profile.name) ? 0.85 : 0.6 };
      }
      return { type: 'text', format: null, confidence: hasSpaces || averageLength > 40 ? 0.85 : 0.6 };
    }
    default:
      return { type: 'text', format: profile.type, confidence: 0.3 };
  }
}

/**
 * Integers that encode dates: YYYYMMDD (`19580329`), ISO year and week YYYYWW (`202405`, in a
 * column named like a week) and seconds or milliseconds since 1970. Proposed below full
 * confidence: the same digits are sometimes plain numbers.
 */
function integerDate(
  profile: ColumnEvidence['profile'],
  samples: readonly string[],
): { type: SemanticType; format: string; confidence: number } | undefined {
  const min = Number(profile.min);
  const max = Number(profile.max);
  if (samples.length === 0 || !Number.isFinite(min) || !Number.isFinite(max) || min < 0) return undefined;
  const all = (test: (s: string) => boolean) => samples.every((s) => test(s.trim()));
  if (min >= 18000101 && max <= 22001231 && all(isYearMonthDay))
    return { type: 'date', format: '%Y%m%d', confidence: DATE_NAME.test(profile.name) ? 0.85 : 0.75 };
  if (WEEK_NAME.test(profile.name) && min >= 180001 && max <= 220053 && all(isYearWeek))
    return { type: 'date', format: '%G%V', confidence: 0.75 };
  const named = TIME_NAME.test(profile.name);
  const within = ([low, high]: readonly [number, number], scale: number) =>
    min >= low * scale && max <= high * scale && profile.approxDistinct > 1;
  if (within(named ? EPOCH_NAMED : EPOCH_PLAIN, 1))
    return { type: 'timestamp', format: 'epoch-seconds', confidence: named ? 0.75 : 0.5 };
  if (named && within(EPOCH_NAMED, 1000))
    return { type: 'timestamp', format: 'epoch-milliseconds', confidence: 0.7 };
  return undefined;
}

function isYearMonthDay(value: string): boolean {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isYearWeek(value: string): boolean {
  const match = /^(\d{4})(\d{2})$/.exec(value);
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 53;
}

/** Overall confidence of a schema: the mean of its columns'. */
export function schemaConfidence(columns: readonly DeducedColumn[]): number {
  if (columns.length === 0) return 0;
  return round2(columns.reduce((n, c) => n + c.confidence, 0) / columns.length);
}

function looksLikeJson(value: string): boolean {
  const s = value.trim();
  if (!(s.startsWith('{') && s.endsWith('}')) && !(s.startsWith('[') && s.endsWith(']'))) return false;
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function round2(n: number): number {
  return Math.round(Math.min(1, Math.max(0, n)) * 100) / 100;
}
