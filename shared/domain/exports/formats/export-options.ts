import * as z from 'zod';

/** What an export may be asked for: its format and that format's options, validated with defaults. */

// One list of formats: the database's check constraint and the API accept the same ones.
import { EXPORT_FORMATS, type ExportFormat } from '../../../db/schema';

export { EXPORT_FORMATS, type ExportFormat };

/** How a label column is turned into targets: class indices (with their names) or numbers. */
export const LABEL_TASKS = ['classification', 'regression'] as const;
export type LabelTask = (typeof LABEL_TASKS)[number];

/** Options of every format; `exportOptionsSchema(format)` accepts only the ones its format reads. */
export interface ExportOptions {
  /**
   * Base name of the export, sanitised (no folders, no extension; letters, digits, `.`, `_`, `-`):
   * csv/json/jsonl/parquet write `<fileName>.<ext>`; the layouts name their dataset with it.
   */
  fileName: string;
  /** csv: prefix text cells that a spreadsheet would run as a formula with `'` (default true). */
  neutraliseFormulas?: boolean;
  /** csv: one character between cells (default `,`). */
  delimiter?: string;
  /** Layouts: the column holding the targets (the label); the others are features. */
  labelColumn?: string;
  /**
   * Layouts: classification writes class indices (sorted class names in the metadata);
   * regression writes numbers. Default: classification for text, boolean and integer labels,
   * regression for other numbers.
   */
  task?: LabelTask;
  /** Layouts: a column whose values name each row's split (`train`, `test`, …); not exported itself. */
  splitColumn?: string;
  /** Layouts: a seeded random train/test split (the same rows as the `table.split` node with the same seed). */
  split?: { testFraction: number; seed: number };
  /** huggingface, tensorflow: files per split (default 1). */
  shards?: number;
  /** pytorch: standardise features with the train split's mean and standard deviation (default false). */
  normalise?: boolean;
}

/** The largest number of shards a split may be cut into. */
export const MAX_EXPORT_SHARDS = 1_024;

const columnName = z.string().min(1).max(255);

const fileNameSchema = z
  .string()
  .max(1_000)
  .optional()
  .transform((name) => exportBaseName(name))
  .describe('Base name of the export; folders and extensions are removed, other characters become `_`.');

const delimiterSchema = z
  .string()
  .length(1)
  .refine((d) => !['"', "'", '\r', '\n'].includes(d) && !/[A-Za-z0-9]/.test(d), {
    message:
      'use one punctuation character or tab as the delimiter (not a quote, letter, digit or line break)',
  });

const layoutFields = {
  fileName: fileNameSchema,
  labelColumn: columnName.optional(),
  task: z.enum(LABEL_TASKS).optional(),
  splitColumn: columnName.optional(),
  split: z
    .object({
      testFraction: z.number().gt(0).lt(1),
      seed: z.number().int().min(0).max(2_147_483_647).default(42),
    })
    .strict()
    .optional(),
};

const layoutChecks = <
  T extends {
    labelColumn?: string | undefined;
    splitColumn?: string | undefined;
    split?: unknown;
    task?: unknown;
  },
>(
  schema: z.ZodType<T>,
) =>
  schema
    .refine((o) => !(o.splitColumn !== undefined && o.split !== undefined), {
      message: 'give splitColumn or split, not both',
      path: ['split'],
    })
    .refine((o) => o.labelColumn === undefined || o.labelColumn !== o.splitColumn, {
      message: 'the label column cannot also be the split column',
      path: ['splitColumn'],
    })
    .refine((o) => o.task === undefined || o.labelColumn !== undefined, {
      message: 'task needs a labelColumn',
      path: ['task'],
    });

const shardsSchema = z.number().int().min(1).max(MAX_EXPORT_SHARDS).default(1);

const csvOptions = z
  .object({
    fileName: fileNameSchema,
    neutraliseFormulas: z.boolean().default(true),
    delimiter: delimiterSchema.default(','),
  })
  .strict();
const fileOnlyOptions = z.object({ fileName: fileNameSchema }).strict();
const huggingfaceOptions = layoutChecks(z.object({ ...layoutFields, shards: shardsSchema }).strict());
const pytorchOptions = layoutChecks(
  z.object({ ...layoutFields, normalise: z.boolean().default(false) }).strict(),
);
const tensorflowOptions = layoutChecks(z.object({ ...layoutFields, shards: shardsSchema }).strict());

const OPTION_SCHEMAS = {
  csv: csvOptions,
  json: fileOnlyOptions,
  jsonl: fileOnlyOptions,
  parquet: fileOnlyOptions,
  huggingface: huggingfaceOptions,
  pytorch: pytorchOptions,
  tensorflow: tensorflowOptions,
} satisfies { [F in ExportFormat]: z.ZodType<ExportOptions> };

/** The options `format` accepts, with their defaults applied (`{}` is valid for every format). */
export function exportOptionsSchema(format: ExportFormat): z.ZodType<ExportOptions> {
  return OPTION_SCHEMAS[format];
}

/** `{ format, options }` in one schema, discriminated on the format (for request bodies). */
export const exportSpecSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('csv'), options: csvOptions.prefault({}) }).strict(),
  z.object({ format: z.literal('json'), options: fileOnlyOptions.prefault({}) }).strict(),
  z.object({ format: z.literal('jsonl'), options: fileOnlyOptions.prefault({}) }).strict(),
  z.object({ format: z.literal('parquet'), options: fileOnlyOptions.prefault({}) }).strict(),
  z.object({ format: z.literal('huggingface'), options: huggingfaceOptions.prefault({}) }).strict(),
  z.object({ format: z.literal('pytorch'), options: pytorchOptions.prefault({}) }).strict(),
  z.object({ format: z.literal('tensorflow'), options: tensorflowOptions.prefault({}) }).strict(),
]);
export type ExportSpec = z.output<typeof exportSpecSchema>;

/**
 * A safe base name: the last path segment, without an export extension, with characters other
 * than letters, digits, `.`, `_` and `-` replaced by `_`; `data` when nothing is left.
 */
export function exportBaseName(name: string | undefined): string {
  const segment = (name ?? '').split(/[/\\]/).pop() ?? '';
  const stem = segment.replace(/\.(csv|json|jsonl|ndjson|parquet|zip|tar|gz|tgz|npy|tfrecord)$/i, '');
  const cleaned = stem
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .replace(/[._-]+$/, '')
    .slice(0, 100);
  return cleaned.length > 0 ? cleaned : 'data';
}
