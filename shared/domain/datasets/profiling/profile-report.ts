import * as z from 'zod';
import { dataApiJsonBytes, fitPrefix } from '../../../kernel/bounded-json';
import { textProfileSchema } from './text-profile';

/**
 * The shape of a dataset version's profile (EDA report), stored as JSON: in eda_reports.full_report
 * when small (see eda-report-repository.ts), else at `objectKeys.edaReport(...)`. `summary` (always
 * in Postgres) is a subset.
 * Statistics come from the SQL engine's SUMMARIZE aggregates (approximate distinct counts and
 * quantiles); min/max are text for non-numeric columns.
 */
export const PROFILE_REPORT_VERSION = '1';

export const columnKindSchema = z.enum(['numeric', 'temporal', 'boolean', 'text', 'other']);

/**
 * A column's type as stored, in the names the proposed schema uses for its `type` (the schema
 * may go further: an integer column proposed as `id`, `categorical` or a `date`).
 */
export const LOGICAL_TYPES = [
  'integer',
  'float',
  'boolean',
  'date',
  'timestamp',
  'time',
  'text',
  'json',
] as const;
export type LogicalType = (typeof LOGICAL_TYPES)[number];

/** Statistics computed with sketches (HyperLogLog distinct counts, t-digest quantiles), not exactly. */
export const APPROXIMATE_STATISTICS = ['approxDistinct', 'q25', 'q50', 'q75'] as const;
export type ColumnKind = z.infer<typeof columnKindSchema>;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const histogramBinSchema = z.object({ lower: z.number(), upper: z.number(), count: z.number().int() });

export const columnProfileSchema = z
  .object({
    name: z.string(),
    /** The engine's type (BIGINT, DOUBLE, VARCHAR, DATE, …): the schema's `storageType`. */
    type: z.string(),
    kind: columnKindSchema,
    logicalType: z
      .enum(LOGICAL_TYPES)
      .optional()
      .describe(
        "The stored type in the schema's type names (integer, float, boolean, date, timestamp, time, text, json).",
      ),
    /** Non-missing values. */
    count: z.number().int(),
    missing: z.number().int(),
    missingPercent: z.number(),
    approxDistinct: z.number().int().describe('Approximate (HyperLogLog sketch), not an exact count.'),
    min: scalar,
    max: scalar,
    mean: z.number().nullable(),
    std: z.number().nullable(),
    q25: scalar.describe('Approximate quartile (t-digest sketch).'),
    q50: scalar.describe('Approximate median (t-digest sketch).'),
    q75: scalar.describe('Approximate quartile (t-digest sketch).'),
    skewness: z.number().nullable(),
    /** Most frequent values (as text), most frequent first; empty when not computed. */
    topValues: z.array(z.object({ value: z.string().nullable(), count: z.number().int() })),
    /** Equal-width bins over [min, max] for numeric columns. */
    histogram: z.array(histogramBinSchema).nullable(),
  })
  .meta({ id: 'ColumnProfile' });
export type ColumnProfile = z.infer<typeof columnProfileSchema>;

export const PROFILE_WARNING_CODES = [
  'constant',
  'all_missing',
  'high_missing',
  'high_cardinality',
  'skewed',
  'target_leakage',
  'duplicate_rows',
  'profile_truncated',
  'type_conflict',
  'duplicate_header',
  'empty_header',
  'encoding_converted',
  'rows_skipped',
  'preamble_skipped',
  'generated_header',
] as const;
export const profileWarningSchema = z
  .object({
    code: z.enum(PROFILE_WARNING_CODES),
    message: z.string(),
    column: z.string().optional(),
    columns: z.array(z.string()).optional(),
    value: z.number().optional(),
  })
  .meta({ id: 'ProfileWarning' });
export type ProfileWarning = z.infer<typeof profileWarningSchema>;

export const correlationSchema = z.object({ a: z.string(), b: z.string(), r: z.number() });

export const profileReportSchema = z
  .object({
    reportVersion: z.literal(PROFILE_REPORT_VERSION),
    generatedAt: z.string(),
    rowCount: z.number().int(),
    columnCount: z.number().int(),
    duplicateRows: z.number().int(),
    duplicateRowPercent: z.number(),
    columns: z.array(columnProfileSchema),
    /** Pearson correlations between numeric columns (the first `limits.correlationColumns`). */
    correlations: z.array(correlationSchema),
    warnings: z.array(profileWarningSchema),
    /** How much was profiled in detail: wide tables get summary statistics for every column, the rest for the first ones. */
    limits: z.object({
      detailedColumns: z.number().int(),
      correlationColumns: z.number().int(),
      truncated: z.boolean(),
    }),
    /**
     * The first rows, values as JSON: integers as numbers when they fit in ±(2^53 − 1), as strings
     * beyond (JSON numbers lose precision there); decimals, dates and timestamps as strings.
     */
    preview: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.unknown())) }),
    /** Which column statistics are approximate (computed with sketches). */
    approximate: z.array(z.enum(APPROXIMATE_STATISTICS)).optional(),
    /** Text datasets: documents, tokens, vocabulary, top terms and language. */
    text: textProfileSchema.optional(),
  })
  .meta({ id: 'ProfileReport' });
export type ProfileReport = z.infer<typeof profileReportSchema>;

/** What is always kept in Postgres (eda_reports.summary). */
export const profileSummarySchema = z
  .object({
    reportVersion: z.literal(PROFILE_REPORT_VERSION),
    rowCount: z.number().int(),
    columnCount: z.number().int(),
    missingPercent: z.number(),
    duplicateRows: z.number().int(),
    /** Columns per kind. */
    dtypes: z.record(z.string(), z.number().int()),
    warningCount: z.number().int(),
    /** Per column (the first SUMMARY_COLUMN_LIMIT that fit SUMMARY_LIMIT_BYTES): name, type and missing %. */
    columns: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        logicalType: z.enum(LOGICAL_TYPES).optional(),
        missingPercent: z.number(),
      }),
    ),
  })
  .meta({ id: 'ProfileSummary' });
export type ProfileSummary = z.infer<typeof profileSummarySchema>;

export const SUMMARY_COLUMN_LIMIT = 500;
/** The summary always lives in Postgres, read through the Data API (see data-api-json.ts). */
export const SUMMARY_LIMIT_BYTES = 8 * 1024;

export function summarizeProfile(report: ProfileReport): ProfileSummary {
  const dtypes: Record<string, number> = {};
  let missing = 0;
  for (const column of report.columns) {
    dtypes[column.kind] = (dtypes[column.kind] ?? 0) + 1;
    missing += column.missing;
  }
  const cells = report.rowCount * report.columnCount;
  const summary: ProfileSummary = {
    reportVersion: PROFILE_REPORT_VERSION,
    rowCount: report.rowCount,
    columnCount: report.columnCount,
    missingPercent: cells === 0 ? 0 : round((missing / cells) * 100, 4),
    duplicateRows: report.duplicateRows,
    dtypes,
    warningCount: report.warnings.length,
    columns: [],
  };
  const columns = report.columns.slice(0, SUMMARY_COLUMN_LIMIT).map((c) => ({
    name: c.name,
    type: c.type,
    ...(c.logicalType ? { logicalType: c.logicalType } : {}),
    missingPercent: c.missingPercent,
  }));
  return { ...summary, columns: fitPrefix(columns, SUMMARY_LIMIT_BYTES - dataApiJsonBytes(summary)) };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
