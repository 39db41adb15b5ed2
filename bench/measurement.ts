import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SqlEngineSettings } from '../shared/ports/sql-engine.port';
import type { LearningRequest, LearningResult } from './learning/learning-measurement';
import type { PredictionRequest, PredictionResult } from './prediction/prediction-measurement';

/**
 * Each measurement runs in a child process of its own, so its peak RSS is its own: DuckDB and
 * the allocator keep memory after a query, and a second measurement in the same process would
 * start from the first one's high-water mark.
 */
/** Absent fields mean the DuckDB adapter's defaults. */
export type EngineSettings = Pick<SqlEngineSettings, 'threads' | 'memoryLimitMb' | 'preserveInsertionOrder'>;

export type MeasurementRequest =
  | { kind: 'pipeline'; csvPath: string; directory: string; postgresRoot: string }
  | { kind: 'duckdb'; csvPath: string; directory: string; engine: EngineSettings }
  | { kind: 'javascript'; csvPath: string }
  | LearningRequest
  | PredictionRequest;

interface Measured {
  wallMs: number;
  peakRssBytes: number;
  /** `step`: the peak was reset just before the measured work; `process`: it covers the whole child. */
  peakRssScope: 'step' | 'process';
  /** RSS when the measured work started (modules loaded, servers up): the floor under the peak. */
  startRssBytes: number;
  rowCount: number | null;
}

export interface PipelineResult extends Measured {
  kind: 'pipeline';
  status: string;
  columnCount: number | null;
  /** `name:semanticType` per column, as recorded on the version. */
  columnTypes: string[];
  validationErrors: unknown;
  processedSizeBytes: number | null;
  profile: { storage: string; sizeBytes: number | null } | null;
  schemaProposed: boolean;
  /** Time in each stage the worker reported (its ingestion job's `stage`, polled), in order. */
  stages: { stage: string; ms: number }[];
  /** The upload to the local S3 before the worker ran (not part of `wallMs`). */
  uploadMs: number;
  /** Largest size of the worker's temp dir (download, UTF-8 copy, Parquet, engine spill). */
  peakTempBytes: number;
  /** The settings the worker opened DuckDB with. */
  engine: EngineSettings | null;
  /** Records the handler returned as failed (the message would be retried by SQS). */
  batchItemFailures: number;
}

export interface DuckDbBaselineResult extends Measured {
  kind: 'duckdb';
  parquetBytes: number;
  summarizedColumns: number;
}

export interface JavaScriptBaselineResult extends Measured {
  kind: 'javascript';
}

export type MeasurementResult =
  PipelineResult | DuckDbBaselineResult | JavaScriptBaselineResult | LearningResult | PredictionResult;

/** Runs one measurement in a child process and resolves with its result (see `measureInChild`). */
export type Measure = <R extends MeasurementRequest>(
  request: R,
) => Promise<Extract<MeasurementResult, { kind: R['kind'] }>>;

const CHILD_ENTRY = fileURLToPath(new URL('./measure.ts', import.meta.url));

/**
 * Runs one measurement in a child Node process (same loader as this one; the local S3 server
 * needs the legacy OpenSSL provider). `onChild` lets the caller stop the child on Ctrl-C.
 */
export function measureInChild<R extends MeasurementRequest>(
  request: R,
  onChild: (child: ChildProcess | undefined) => void,
): Promise<Extract<MeasurementResult, { kind: R['kind'] }>> {
  return measureInChildProcess<R, MeasurementResult>(CHILD_ENTRY, request, onChild);
}

/**
 * The same for any child entry (`entry` reads the request as JSON in its first argument and sends
 * back one result with the request's `kind` over IPC): a benchmark with measurements of its own.
 */
export function measureInChildProcess<R extends { kind: string }, T extends { kind: string }>(
  entry: string,
  request: R,
  onChild: (child: ChildProcess | undefined) => void,
): Promise<Extract<T, { kind: R['kind'] }>> {
  return new Promise((resolve, reject) => {
    const child = fork(entry, [JSON.stringify(request)], {
      execArgv: [...process.execArgv, '--openssl-legacy-provider'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    onChild(child);
    let result: T | undefined;
    child.on('message', (message: T) => {
      result = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      onChild(undefined);
      if (result && result.kind === request.kind && code === 0) {
        resolve(result as Extract<T, { kind: R['kind'] }>);
      } else {
        reject(
          new Error(
            `the ${request.kind} measurement ended with ${signal ? `signal ${signal}` : `exit code ${code}`} and no result`,
          ),
        );
      }
    });
  });
}
