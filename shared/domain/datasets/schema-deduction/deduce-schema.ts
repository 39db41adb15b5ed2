import { z } from 'zod';
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
