import type { z } from 'zod';
import type { Logger } from '../../observability/logger';
import type { BlobStore } from '../../ports/blob-store.port';
import type { ImageCodec } from '../../ports/image-codec.port';
import type { MediaTranscoder } from '../../ports/media-transcoder.port';
import type { SqlEngine } from '../../ports/sql-engine.port';
import type { JobResults } from './job-results.port';
import type { LearningRecords } from './learning-records.port';
import type { MonitoringRecords } from './monitoring-records.port';
import type { RegisteredModels } from './registered-models.port';

/**
 * A node is a function `(context, inputs, params) → outputs` registered under its node-type key
 * (the keys of the catalog in shared/db/reference-data.ts). Inputs and outputs are object keys of
 * Parquet (or exported) files, never data: the state machine carries them between states.
 */

/** One table a node reads, by input port. */
export interface TableRef {
  key: string;
  rows?: number;
  /**
   * The fitted transforms that made this table from the rows a source read (a JSON object key):
   * a model trained on it replays them at prediction.
   */
  transformsKey?: string;
}

export type NodeInputs = Readonly<Record<string, TableRef>>;

export interface NodePortOutput {
  key: string;
  format: 'parquet' | 'csv' | 'json' | 'segy';
  rows?: number;
  bytes?: number;
  /** How many columns the table has. */
  columnCount?: number;
  /** The first column names (at most `MAX_LISTED_COLUMNS`): the full list is in the file. */
  columns?: string[];
  /** True when `columns` lists only the first of `columnCount` columns. */
  columnsTruncated?: boolean;
  /** Suggested download name (export nodes). */
  fileName?: string;
  /** See `TableRef.transformsKey`. */
  transformsKey?: string;
}

export type NodeMetricValue = number | string | boolean;

/** What a node returns and what `RecordNodeSuccess` stores as the node's output. */
export interface NodeResult {
  outputs: Record<string, NodePortOutput>;
  metrics: Record<string, NodeMetricValue>;
}

/** What a `dataset.source` node reads, resolved by the host from the job and the node's params. */
export interface ResolvedDatasetVersion {
  datasetId: string;
  datasetVersionId: string;
  versionNumber: number;
  processedObjectKey: string;
  rowCount: number | null;
}

/** The dataset a job runs on, as training nodes need it (target and problem type by default). */
export interface JobDataset {
  datasetId: string;
  datasetVersionId: string;
  versionNumber: number;
  sha256: string | null;
  targetColumn: string | null;
  problemType: string | null;
}

export interface DatasetSourceRequest {
  /** Absent: the dataset version the job was started with. */
  datasetId?: string;
  version: number | 'current';
}

export interface NodeContext {
  jobId: string;
  userId: string;
  nodeId: string;
  nodeType: string;
  attempt: number;
  blobs: BlobStore;
  tables: SqlEngine;
  /** A private scratch directory, removed after the node. */
  workDir: string;
  /** Aborted when the job is cancelled or the host shuts down: stop at the next step. */
  signal: AbortSignal;
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** The object key of an output port of this node. */
  outputKey(port: string, extension?: string): string;
  resolveDataset(request: DatasetSourceRequest): Promise<ResolvedDatasetVersion>;
  /** The dataset version the job was started with, if any. */
  jobDataset(): Promise<JobDataset | null>;
  /** Experiments, runs and models a training node records. */
  learning: LearningRecords;
  /** The owner's registered models a prediction node loads. */
  models: RegisteredModels;
  /** The job's results a node records (and the dataset versions they become). */
  results: JobResults;
  /** Decodes and writes images (image nodes); hosts without one cannot run them. */
  images?: ImageCodec;
  /** Reads video frames (video nodes); hosts without one cannot run them. */
  media?: MediaTranscoder;
  /** Analyses, monitored points, anomalies and alerts (monitoring nodes). */
  monitoring?: MonitoringRecords;
  /** Reports progress within the node (0–1) and what it is doing; also a heartbeat. */
  progress(fraction: number, step: string): Promise<void>;
}

export interface NodeImplementation<P = unknown> {
  key: string;
  /** Parses the node's params (defaults applied); mirrors the catalog's JSON Schema. */
  params: z.ZodType<P>;
  run(context: NodeContext, inputs: NodeInputs, params: P): Promise<NodeResult>;
  /**
   * Where this node must run for these params when its type's runtime cannot hold the work (e.g. a
   * search longer than a Lambda may run); absent or undefined: the type's runtime.
   */
  runtimeFor?(params: P): 'lambda' | 'fargate' | undefined;
  /**
   * Seconds the node is allowed to run for these params, when it runs to a budget (an AutoML
   * search) rather than in proportion to its rows: the run's estimate reserves for all of it.
   */
  budgetSecondsFor?(params: P): number | undefined;
}

/** Keeps the params type of one node while the registry holds nodes of every params type. */
export function defineNode<S extends z.ZodType>(node: {
  key: string;
  params: S;
  run(context: NodeContext, inputs: NodeInputs, params: z.infer<S>): Promise<NodeResult>;
  runtimeFor?(params: z.infer<S>): 'lambda' | 'fargate' | undefined;
  budgetSecondsFor?(params: z.infer<S>): number | undefined;
}): NodeImplementation<unknown> {
  return node as unknown as NodeImplementation<unknown>;
}
