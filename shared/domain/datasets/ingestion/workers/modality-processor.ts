import type { Dataset, DatasetVersion } from '../../dataset-records';
import type { JsonValue } from '../../../../db/schema';
import type { BlobStore } from '../../../../ports/blob-store.port';
import type { ProfileReport, ProfileWarning } from '../../profiling/profile-report';
import type { OpenSqlEngine, SqlEngine } from '../../../../ports/sql-engine.port';
import type { DeducedColumn } from '../../schema-deduction/deduce-schema';

/**
 * What a modality worker does with one downloaded file. A processor validates and converts the
 * file and describes it; the shared flow (ingest-version.ts) does the rest: status, progress,
 * hashing, dedupe, storing results. A file at fault throws FileValidationFailure.
 */
export interface ProcessorContext {
  dataset: Dataset;
  version: DatasetVersion;
  /** The downloaded raw object. */
  filePath: string;
  sizeBytes: number;
  sha256: string;
  /** A directory of this message's own, removed afterwards. */
  tempDir: string;
  blobs: BlobStore;
  /** The SQL engine, opened on first use and closed by the flow. */
  engine(): Promise<SqlEngine>;
  /** Where the Parquet output goes (`objectKeys.processed` / `processedManifest`). */
  processedKey: string;
  manifestKey: string;
  now: Date;
  /** The uploader's tier and what it lets an archive unpack to (absent: the processor's own limit). */
  archiveLimit?: { tier: string; maxUnpackedBytes: number };
  progress(percent: number, stage: string): Promise<void>;
}

export interface ProcessorOutcome {
  processedObjectKey: string;
  processedSizeBytes: number;
  rowCount: number;
  columnCount: number;
  columnsMetadata: JsonValue;
  modalityMetadata: Record<string, JsonValue>;
  profile?: ProfileReport;
  schema?: DeducedColumn[];
  warnings?: ProfileWarning[];
}

export type ModalityProcessor = (context: ProcessorContext) => Promise<ProcessorOutcome>;

export interface ProcessorDependencies {
  openEngine: OpenSqlEngine;
}
