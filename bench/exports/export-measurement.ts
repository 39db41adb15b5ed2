import type { ExportFormat } from '../../shared/domain/exports/export-table';

/** What the exports benchmark asks of a measurement process (./measure-export.ts). */
export type ExportRequest =
  | { kind: 'export-table'; dataDir: string; rows: number }
  | { kind: 'export-copy'; dataDir: string; parquetPath: string }
  | {
      kind: 'export-format';
      dataDir: string;
      parquetPath: string;
      format: ExportFormat;
      options: Record<string, unknown>;
    };

export interface ExportTableResult {
  kind: 'export-table';
  parquetPath: string;
  rows: number;
  columns: number;
  bytes: number;
  generateMs: number;
}

/** One export (or the plain COPY it is compared with), measured in a process of its own. */
export interface ExportRunResult {
  kind: 'export-copy' | 'export-format';
  wallMs: number;
  /** Peak RSS of the process since just before the export (modules loaded, DuckDB not yet open). */
  peakRssBytes: number;
  startRssBytes: number;
  peakRssScope: 'step' | 'process';
  rows: number;
  files: number;
  bytes: number;
}

export type ExportMeasurement = ExportTableResult | ExportRunResult;
