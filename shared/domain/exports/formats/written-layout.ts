import type { SqlEngine } from '../../../ports/sql-engine.port';
import type { ExportOptions } from './export-options';

/** What a format writer wrote under the export folder; `exportTable` adds sizes and checksums. */
export interface WrittenFile {
  relativePath: string;
  contentType: string;
  rows?: number;
}

export interface WrittenLayout {
  files: WrittenFile[];
  rows: number;
  metadata: Record<string, unknown>;
}

/** What a layout writer is given besides the plan of its layout. */
export interface WriteContext {
  engine: SqlEngine;
  outDir: string;
  options: ExportOptions;
  /** Reports the fraction (0–1) of the writing done. */
  progress: (fraction: number) => void;
  /** Rows per batch, for writers that read the table by row position. */
  batchRows: number;
  /** Once aborted, the writer stops at the next batch or file with the signal's reason. */
  signal: AbortSignal | undefined;
}
