import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SqlEngine } from '../../ports/sql-engine.port';
import {
  countParquetRows,
  describeParquet,
  openExportSource,
  removeStaging,
  type ExportSource,
} from './formats/export-source';
import { describeWrittenFile, type ExportedFile } from './formats/exported-files';
import { exportBaseName, type ExportFormat, type ExportOptions } from './formats/export-options';
import { writeCsv, writeJson, writeParquet } from './formats/flat-files';
import { writeHuggingface } from './formats/huggingface-layout';
import { planLayout } from './formats/layout-plan';
import { writePytorch } from './formats/pytorch-layout';
import { writeTensorflow } from './formats/tensorflow-layout';
import type { WriteContext, WrittenLayout } from './formats/written-layout';

/**
 * Writes one table (a local Parquet file) as a downloadable export in one of seven layouts: a
 * single CSV, JSON, JSON Lines or Parquet file, or a Hugging Face `datasets`, PyTorch or
 * TensorFlow layout of several files. Every layout is written in bounded batches (DuckDB COPY, or
 * row ranges of the file) so a table of millions of rows never sits in memory.
 *
 * The engine must be able to read `parquetPath` and write under `outDir` (its allowed
 * directories) and must keep insertion order (the engine's default). `outDir` is created when
 * missing and should be empty: the result lists every file written there (a hidden staging
 * folder used on the way is removed).
 *
 * A table or options that cannot be exported as asked (a missing column, text in PyTorch
 * features, more classes than allowed…) throw a `ValidationError` with an `EXPORT.*` code and a
 * message written for the user; any other error is internal.
 */
export {
  EXPORT_FORMATS,
  LABEL_TASKS,
  MAX_EXPORT_SHARDS,
  exportBaseName,
  exportOptionsSchema,
  exportSpecSchema,
  type ExportFormat,
  type ExportOptions,
  type ExportSpec,
  type LabelTask,
} from './formats/export-options';
export type { ExportedFile } from './formats/exported-files';

export interface ExportResult {
  files: ExportedFile[];
  /** Rows of the table exported (every split together). */
  rows: number;
  /** What a reader needs besides the files: columns and their dtypes, splits, label mapping… */
  metadata: Record<string, unknown>;
}

export interface ExportTableInput {
  parquetPath: string;
  outDir: string;
  format: ExportFormat;
  options: ExportOptions;
  /** Called with the fraction done (0 to 1), at least at the end. */
  onProgress?: (fraction: number) => void;
  /** Rows read per batch by the array and record layouts (default 65,536). */
  batchRows?: number;
  /**
   * Once aborted (a deadline, a cancel), the export stops at its next batch or file and rejects
   * with the signal's reason; the engine's statement in progress is the caller's to interrupt.
   */
  signal?: AbortSignal;
}

const DEFAULT_BATCH_ROWS = 65_536;
/** The share of progress the writing itself takes; planning and checksums take the rest. */
const WRITING = { from: 0.1, to: 0.95 };

/** Writes the table at `parquetPath` under `outDir` in `format`. */
export async function exportTable(engine: SqlEngine, input: ExportTableInput): Promise<ExportResult> {
  const options = { ...input.options, fileName: exportBaseName(input.options.fileName) };
  const report = (fraction: number) => input.onProgress?.(Math.min(1, Math.max(0, fraction)));
  const writing = (fraction: number) => report(WRITING.from + (WRITING.to - WRITING.from) * fraction);
  input.signal?.throwIfAborted();
  await requireInsertionOrder(engine);
  await mkdir(input.outDir, { recursive: true });
  const stagingDir = path.join(input.outDir, STAGING_FOLDER);
  let written: WrittenLayout;
  try {
    report(0);
    if (FLAT_FORMATS.has(input.format)) {
      const source: ExportSource = {
        path: input.parquetPath,
        columns: await describeParquet(engine, input.parquetPath),
        rows: await countParquetRows(engine, input.parquetPath),
      };
      written = await writeFlat(engine, input.format, source, input.outDir, options);
    } else {
      await mkdir(stagingDir, { recursive: true });
      const source = await openExportSource(engine, input.parquetPath, stagingDir);
      const plan = await planLayout(engine, source, options, stagingDir);
      report(WRITING.from);
      const context: WriteContext = {
        engine,
        outDir: input.outDir,
        options,
        progress: writing,
        batchRows: input.batchRows ?? DEFAULT_BATCH_ROWS,
        signal: input.signal,
      };
      if (input.format === 'huggingface') written = await writeHuggingface(context, plan);
      else if (input.format === 'pytorch') written = await writePytorch(context, plan);
      else written = await writeTensorflow(context, plan);
    }
  } finally {
    await removeStaging(stagingDir);
  }
  report(WRITING.to);
  const files: ExportedFile[] = [];
  for (const file of written.files) files.push(await describeWrittenFile(input.outDir, file));
  report(1);
  return {
    files,
    rows: written.rows,
    metadata: { format: input.format, fileName: options.fileName, ...written.metadata },
  };
}

const STAGING_FOLDER = '.export-staging';
const FLAT_FORMATS: ReadonlySet<ExportFormat> = new Set(['csv', 'json', 'jsonl', 'parquet']);

function writeFlat(
  engine: SqlEngine,
  format: ExportFormat,
  source: ExportSource,
  outDir: string,
  options: ExportOptions,
): Promise<WrittenLayout> {
  if (format === 'csv') return writeCsv(engine, source, outDir, options);
  if (format === 'parquet') return writeParquet(engine, source, outDir, options);
  return writeJson(engine, source, outDir, options, format === 'jsonl');
}

/** Batches and shards are cut by row position and COPY writes rows as read: order must hold. */
async function requireInsertionOrder(engine: SqlEngine): Promise<void> {
  const [row] = await engine.query(`SELECT current_setting('preserve_insertion_order') AS kept`);
  if (row?.['kept'] !== true) throw new Error('exportTable needs an engine that preserves insertion order');
}
