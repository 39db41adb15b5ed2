import * as z from 'zod';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb } from '../../db/schema';

/**
 * How to read a delimited text file, when detection should not decide: given at upload
 * (`csv` in the upload request) or afterwards with a re-ingest. Every field is optional; what is
 * not given is detected. `header` is true, false, or the 1-based line number of the header row
 * (lines above it are skipped); `skipRows` skips that many lines before the header or first row.
 */
export const CSV_ENCODINGS = ['utf-8', 'windows-1252', 'latin-1', 'utf-16le', 'utf-16be'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

const oneCharacter = (what: string) =>
  z
    .string()
    .length(1, `${what} is one character`)
    .refine((c) => c !== '\n' && c !== '\r', `${what} cannot be a line break`);

export const csvParseOptionsSchema = z
  .object({
    delimiter: z
      .union([oneCharacter('delimiter'), z.literal('whitespace')])
      .optional()
      .describe('One character (`,` `;` `\\t` `|` …) or `whitespace` for runs of spaces and tabs.'),
    header: z
      .union([z.boolean(), z.number().int().min(1).max(1000)])
      .optional()
      .describe('true, false (columns get generated names) or the 1-based line number of the header row.'),
    skipRows: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .describe('Lines to skip at the start of the file.'),
    quote: oneCharacter('quote').optional(),
    escape: oneCharacter('escape').optional(),
    encoding: z.enum(CSV_ENCODINGS).optional(),
    nullValues: z
      .array(z.string().max(50))
      .max(20)
      .optional()
      .describe('Values read as missing (e.g. `NA`, `-`); the empty field always is.'),
    decimal: z.enum(['.', ',']).optional().describe('Decimal separator of numbers.'),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (typeof options.header === 'number' && options.skipRows !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['skipRows'],
        message: 'give either header as a line number (the lines above it are skipped) or skipRows, not both',
      });
    }
    if (options.decimal === ',' && options.delimiter === ',') {
      ctx.addIssue({
        code: 'custom',
        path: ['decimal'],
        message: 'the decimal separator cannot also be the delimiter: use `;` or a tab as delimiter',
      });
    }
    if (options.quote !== undefined && options.quote === options.delimiter) {
      ctx.addIssue({ code: 'custom', path: ['quote'], message: 'the quote cannot also be the delimiter' });
    }
  })
  .meta({ id: 'CsvParseOptions' });
export type CsvParseOptions = z.infer<typeof csvParseOptionsSchema>;

/** Stored options, read back leniently: a value that no longer parses counts as not given. */
export function storedCsvOptions(value: unknown): CsvParseOptions | undefined {
  if (value === null || value === undefined) return undefined;
  const parsed = csvParseOptionsSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Lines to skip and whether there is a header, from the given options (undefined: detect). */
export function givenLayout(options: CsvParseOptions | undefined): {
  skipLines?: number;
  header?: boolean;
} {
  if (!options) return {};
  if (typeof options.header === 'number') return { skipLines: options.header - 1, header: true };
  return {
    ...(options.skipRows === undefined ? {} : { skipLines: options.skipRows }),
    ...(options.header === undefined ? {} : { header: options.header }),
  };
}

/** Stores the options given for a version (replacing any given before). */
export async function recordCsvOptions(
  trx: DatabaseTransaction,
  datasetVersionId: string,
  options: CsvParseOptions,
): Promise<void> {
  await trx
    .updateTable('dataset_versions')
    .set({ csv_options: jsonb(options) })
    .where('id', '=', datasetVersionId)
    .execute();
}
