import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDbEngine } from '../../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import {
  exportOptionsSchema,
  exportTable,
  type ExportFormat,
  type ExportResult,
  type ExportTableInput,
} from '../../../../../../shared/domain/exports/export-table';
import type { SqlEngine } from '../../../../../../shared/ports/sql-engine.port';

/**
 * A temp directory with a real DuckDB session allowed to read and write only inside it: tables
 * are written there as Parquet, exports go to folders below it, readers read them back.
 */
export interface ExportWorkspace {
  root: string;
  engine: SqlEngine;
  /** Writes the rows of `select` to `{root}/{name}.parquet` and returns its path. */
  table(name: string, select: string): Promise<string>;
  /** A fresh export folder path below the root. */
  outDir(name: string): string;
  /**
   * Writes `select` as table `name` and exports it in `format` to folder `name`, with `options`
   * parsed as a request's would be.
   */
  exportAs(
    name: string,
    select: string,
    format: ExportFormat,
    options?: unknown,
    more?: Pick<ExportTableInput, 'batchRows' | 'onProgress' | 'signal'> & { engine?: SqlEngine },
  ): Promise<{ table: string; outDir: string; result: ExportResult }>;
  close(): Promise<void>;
}

export async function openExportWorkspace(): Promise<ExportWorkspace> {
  const root = await mkdtemp(path.join(tmpdir(), 'pw-export-'));
  await mkdir(path.join(root, 'spill'));
  const engine = await openDuckDbEngine({
    tempDirectory: path.join(root, 'spill'),
    allowedDirectories: [root],
  });
  const table = async (name: string, select: string) => {
    const file = path.join(root, `${name}.parquet`);
    await engine.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
    return file;
  };
  const outDir = (name: string) => path.join(root, 'out', name);
  return {
    root,
    engine,
    table,
    outDir,
    async exportAs(name, select, format, options = {}, more = {}) {
      const parquetPath = await table(name, select);
      const result = await exportTable(more.engine ?? engine, {
        parquetPath,
        outDir: outDir(name),
        format,
        options: exportOptionsSchema(format).parse(options),
        ...(more.batchRows === undefined ? {} : { batchRows: more.batchRows }),
        ...(more.onProgress === undefined ? {} : { onProgress: more.onProgress }),
        ...(more.signal === undefined ? {} : { signal: more.signal }),
      });
      return { table: parquetPath, outDir: outDir(name), result };
    },
    async close() {
      engine.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** An engine that counts the batches read by row position (statements filtering on file_row_number). */
export function countingBatches(inner: SqlEngine): SqlEngine & { batches: () => number } {
  let batches = 0;
  return {
    ...inner,
    columns: (sql, params) => {
      if (/file_row_number >= \$\d+ AND file_row_number < \$\d+/.test(sql)) batches += 1;
      return inner.columns(sql, params);
    },
    batches: () => batches,
  };
}
