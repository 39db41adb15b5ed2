import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER_SETTINGS } from '../infra/aws/stacks/ingestion-stack';
import { CleanupStack } from './cleanup-stack';
import { generateCsv, type CsvShape } from './generate-csv';
import { runApi } from './api/run-api';
import { runExports } from './exports/run-exports';
import { runImage } from './image/run-image';
import { runForecasting } from './forecasting/run-forecasting';
import { runMonitoring } from './monitoring/run-monitoring';
import { runLearning } from './learning/run-learning';
import { runText } from './text/run-text';
import { runPrediction } from './prediction/run-prediction';
import {
  measureInChild,
  type DuckDbBaselineResult,
  type JavaScriptBaselineResult,
  type MeasurementRequest,
  type PipelineResult,
} from './measurement';
import { stopOrphanedPostmaster } from './stop-orphaned-postmaster';
import { RESULTS_PATH, writeResults } from './write-results';

/**
 * `npm run bench`: a generated CSV goes through the real tabular ingestion path (local S3 →
 * tabular worker handler → PostgreSQL, DuckDB with the worker's own settings), and through two
 * baselines measured in the same run, each in its own process:
 * - a plain DuckDB session doing the core work only (CSV → Parquet, SUMMARIZE), same settings:
 *   the ratio is our pipeline's overhead;
 * - a naive JavaScript pass (no quoting, no types, no Parquet): a floor, not equivalent work.
 * Prints times, peak RSS and ratios; asserts nothing.
 *
 * Then the learning benchmark (learning/run-learning.ts): our learners' training time against
 * scikit-learn's on the same generated rows, gradient boosting's peak RSS and prediction speed,
 * and AutoML's overrun of its time budget; each line with its goal and whether this run met it.
 *
 * Then the prediction benchmark (prediction/run-prediction.ts): a 100-tree model's artifact
 * predicting in process (rows/s), and online over the local platform's authenticated predict
 * route against a bare node:http server with the same predictor (latency, req/s), each figure
 * against its goal.
 *
 * Then the exports benchmark (exports/run-exports.ts): a 1,000,000-row × 20-column table exported
 * to each format with the exports worker's engine settings, each against DuckDB's own COPY of the
 * table to Parquet in the same run, and its peak RSS against its goal. The figures go to
 * bench/results/latest.json.
 *
 *   BENCH_ROWS=200000 BENCH_COLS=10 npm run bench   (defaults; ingestion well under 30 s, learning minutes)
 *   BENCH_LARGE=1 npm run bench                      (then a CSV of at least 1 GiB; minutes)
 *   npm run bench -- --only learning                 (or ingestion, prediction, exports, image, text, api, forecasting, monitoring: one alone)
 *   BENCH_PYTHON=/usr/bin/python3                    (default; the interpreter with scikit-learn)
 */
// eslint-disable-next-line no-restricted-properties -- benchmark knobs, not product configuration
const env = process.env;
// Measurements run in child processes that inherit this: the SDK's notice about its future
// Node 22 floor concerns deployments (Lambda runs nodejs22.x), not a benchmark on Node 20.
env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
const rows = Number(env.BENCH_ROWS ?? 200_000);
const columns = Number(env.BENCH_COLS ?? 10);
const large = env.BENCH_LARGE === '1';
const python = env.BENCH_PYTHON ?? '/usr/bin/python3';
const BENCHMARKS = [
  'ingestion',
  'learning',
  'prediction',
  'exports',
  'image',
  'text',
  'api',
  'forecasting',
  'monitoring',
] as const;
type Benchmark = (typeof BENCHMARKS)[number];
const only = parseOnly(process.argv.slice(2));
const selected = (benchmark: Benchmark): boolean => only === undefined || only === benchmark;
const GiB = 2 ** 30;
const MiB = 2 ** 20;

const cleanup = new CleanupStack();
let activeChild: ChildProcess | undefined;
let stopping = false;
cleanup.onTermination(async (signal) => {
  stopping = true;
  const child = activeChild;
  if (!child || child.exitCode !== null) return;
  // The child cleans up after itself on the signal; wait for it (it may be stopping PostgreSQL).
  child.kill(signal);
  await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 30_000))]);
});
function measure<R extends MeasurementRequest>(request: R) {
  // After Ctrl-C nothing new starts: the cleanup is already running.
  if (stopping) return Promise.reject(new Error('stopped by a signal'));
  return measureInChild(request, trackChild);
}

const tabular = WORKER_SETTINGS.tabular;
console.log(
  `PipeWeave benchmark · Node ${process.version} · ${cpus().length} CPU(s) · AWS tabular worker: ${tabular.memorySize} MB, ${tabular.timeout.toSeconds()} s timeout`,
);

let failed = false;
const results: Record<string, unknown> = {};
try {
  if (selected('ingestion')) {
    const cases: Record<string, unknown>[] = [];
    results['ingestion'] = { cases };
    cases.push(await runCase('default', { rows, columns }));
    if (large) cases.push(await runCase('large (BENCH_LARGE=1)', { minBytes: GiB, columns: 10 }));
  }
  if (selected('learning') && !stopping)
    results['learning'] = await runWithDataDir('pw-bench-learning-', (dataDir) =>
      runLearning({ measure, onChild: trackChild, dataDir, python, env }),
    );
  if (selected('prediction') && !stopping)
    results['prediction'] = await runWithDataDir('pw-bench-prediction-', (dataDir) =>
      runPrediction({ measure, onChild: trackChild, cleanup, dataDir }),
    );
  if (selected('exports') && !stopping)
    results['exports'] = await runWithDataDir('pw-bench-exports-', (dataDir) =>
      runExports({ onChild: trackChild, stopping: () => stopping, dataDir }),
    );
  if (selected('image') && !stopping)
    results['image'] = await runWithDataDir('pw-bench-image-', (dataDir) => runImage({ dataDir }));
  if (selected('text') && !stopping)
    results['text'] = await runWithDataDir('pw-bench-text-', (dataDir) => runText({ dataDir, python }));
  if (selected('api') && !stopping)
    results['api'] = await runWithDataDir('pw-bench-api-', (dataDir) => runApi({ dataDir }));
  if (selected('forecasting') && !stopping)
    results['forecasting'] = await runWithDataDir('pw-bench-forecasting-', (dataDir) =>
      runForecasting({ dataDir, python }),
    );
  if (selected('monitoring') && !stopping)
    results['monitoring'] = await runWithDataDir('pw-bench-monitoring-', (dataDir) =>
      runMonitoring({ dataDir, python }),
    );
} catch (error) {
  failed = true;
  console.error(`\nbenchmark failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await cleanup.run();
}
if (!stopping && Object.keys(results).length > 0) {
  await writeResults(results);
  console.log(`\nresults: ${RESULTS_PATH}`);
}
process.exit(failed ? 1 : 0);

function parseOnly(args: readonly string[]): Benchmark | undefined {
  const index = args.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (index < 0) return undefined;
  const arg = args[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  const benchmark = BENCHMARKS.find((name) => name === value);
  if (!benchmark) {
    console.error(`--only takes one of: ${BENCHMARKS.join(', ')} (got ${value ?? 'nothing'})`);
    process.exit(2);
  }
  return benchmark;
}

/**
 * Runs one benchmark with a fresh data directory, removed afterwards with everything else it left
 * to clean up; a benchmark reporting failed measurements fails the run.
 */
async function runWithDataDir(
  prefix: string,
  run: (dataDir: string) => Promise<{ failures: number }>,
): Promise<unknown> {
  try {
    const dataDir = mkdtempSync(join(tmpdir(), prefix));
    cleanup.defer(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    const report = await run(dataDir);
    if (report.failures > 0) failed = true;
    return report;
  } finally {
    await cleanup.run();
  }
}

function trackChild(child: ChildProcess | undefined): void {
  activeChild = child;
}

async function runCase(name: string, shape: CsvShape): Promise<Record<string, unknown>> {
  try {
    // Created synchronously, so no signal can arrive between creating a dir and deferring its removal.
    const root = mkdtempSync(join(tmpdir(), 'pw-bench-'));
    cleanup.defer(`remove ${root}`, () => rm(root, { recursive: true, force: true }));
    // PostgreSQL's directory gets its own temp dir: the postgres user must reach its parent.
    const postgresRoot = mkdtempSync(join(tmpdir(), 'pw-bench-pg-'));
    cleanup.defer(`stop any PostgreSQL left in ${postgresRoot} and remove it`, async () => {
      await stopOrphanedPostmaster(join(postgresRoot, 'pgdata'));
      await rm(postgresRoot, { recursive: true, force: true });
    });

    const csvPath = join(root, 'input.csv');
    const generating = performance.now();
    const csv = await generateCsv(csvPath, shape);
    console.log(
      `\n${name}: ${csv.rows.toLocaleString('en-US')} rows × ${shape.columns} columns, ` +
        `${csv.bytes.toLocaleString('en-US')} bytes (${(csv.bytes / GiB).toFixed(3)} GiB = ${(csv.bytes / MiB).toFixed(1)} MiB)` +
        `${shape.minBytes ? `, at least ${shape.minBytes.toLocaleString('en-US')} bytes as asked` : ''}; generated in ${seconds(performance.now() - generating)}`,
    );

    const recorded: Record<string, unknown> = { name, csv: { ...csv, columns: shape.columns } };
    let pipeline: PipelineResult | undefined;
    try {
      pipeline = await measure({
        kind: 'pipeline',
        csvPath,
        directory: join(root, 'pipeline'),
        postgresRoot,
      });
      printPipeline(pipeline);
      recorded['pipeline'] = pipeline;
    } catch (error) {
      failed = true;
      if (stopping) return recorded;
      console.log(
        `  tabular worker: MEASUREMENT FAILED: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const duckdb = await measure({
      kind: 'duckdb',
      csvPath,
      directory: join(root, 'duckdb'),
      engine: pipeline?.engine ?? {},
    });
    printDuckDb(duckdb);
    const javascript = await measure({ kind: 'javascript', csvPath });
    printJavaScript(javascript);
    if (pipeline) printRatios(pipeline, duckdb, javascript);
    return {
      ...recorded,
      duckdb,
      javascript,
      ...(pipeline
        ? {
            ratios: {
              timeVsDuckDb: pipeline.wallMs / duckdb.wallMs,
              peakRssVsDuckDb: pipeline.peakRssBytes / duckdb.peakRssBytes,
              timeVsJavaScript: pipeline.wallMs / javascript.wallMs,
              peakRssVsJavaScript: pipeline.peakRssBytes / javascript.peakRssBytes,
            },
          }
        : {}),
    };
  } finally {
    await cleanup.run();
  }
}

function printPipeline(result: PipelineResult): void {
  const engine = result.engine
    ? `DuckDB threads=${result.engine.threads ?? 'adapter default'}, memory_limit=${result.engine.memoryLimitMb ? `${result.engine.memoryLimitMb}MB` : 'adapter default'}`
    : 'DuckDB never opened';
  console.log(
    `  tabular worker, real path (SQS record → handler → S3 download + sha256 → encoding/dialect checks → Parquet → S3 → profile → schema → PostgreSQL; ${engine})`,
  );
  console.log(
    `    version ${result.status.toUpperCase()}  rows ${count(result.rowCount)}  columns ${count(result.columnCount)}  ` +
      `wall ${seconds(result.wallMs)}  peak RSS ${mib(result.peakRssBytes)}${peakNote(result)}  ` +
      `peak temp disk ${mib(result.peakTempBytes)}`,
  );
  console.log(
    `    stages (polled every 0.1 s): ${result.stages.map((s) => `${s.stage} ${seconds(s.ms)}`).join(' · ')}`,
  );
  console.log(
    `    Parquet ${result.processedSizeBytes === null ? '—' : mib(result.processedSizeBytes)}  ` +
      `profile ${result.profile ? `in ${result.profile.storage}${result.profile.sizeBytes === null ? '' : ` (${(result.profile.sizeBytes / 1024).toFixed(0)} KiB)`}` : 'none'}  ` +
      `schema ${result.schemaProposed ? 'proposed' : 'none'}  handler batch failures ${result.batchItemFailures}  ` +
      `(upload before the run, not counted: ${seconds(result.uploadMs)})`,
  );
  if (result.columnTypes.length > 0) console.log(`    column types: ${result.columnTypes.join(' ')}`);
  if (result.validationErrors)
    console.log(`    validation errors: ${JSON.stringify(result.validationErrors)}`);
  const overTimeout = result.wallMs / 1000 > tabular.timeout.toSeconds();
  const overMemory = result.peakRssBytes > tabular.memorySize * 1_000_000;
  if (overTimeout || overMemory) {
    console.log(
      `    note: above the AWS tabular worker's ${overTimeout ? `${tabular.timeout.toSeconds()} s timeout` : ''}${overTimeout && overMemory ? ' and ' : ''}${overMemory ? `${tabular.memorySize} MB memory` : ''} on this machine (whose CPUs differ from Lambda's)`,
    );
  }
}

function printDuckDb(result: DuckDbBaselineResult): void {
  console.log(
    '  baseline: plain DuckDB session, same settings (COPY read_csv(auto) → Parquet, then SUMMARIZE; no pipeline around it)',
  );
  console.log(
    `    rows ${count(result.rowCount)}  columns ${result.summarizedColumns}  wall ${seconds(result.wallMs)}  ` +
      `peak RSS ${mib(result.peakRssBytes)}${peakNote(result)}  Parquet ${mib(result.parquetBytes)}`,
  );
}

function printJavaScript(result: JavaScriptBaselineResult): void {
  console.log(
    '  baseline: naive JavaScript pass (splits lines on commas: ignores quoting, infers no types, writes no Parquet; count/missing/min/max/mean/std per column)',
  );
  console.log(
    `    rows ${count(result.rowCount)} (lines)  wall ${seconds(result.wallMs)}  ` +
      `peak RSS ${mib(result.peakRssBytes)}${peakNote(result)}`,
  );
}

function printRatios(
  pipeline: PipelineResult,
  duckdb: DuckDbBaselineResult,
  javascript: JavaScriptBaselineResult,
): void {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  console.log(
    `  ratios, tabular worker / plain DuckDB session: time ${ratio(pipeline.wallMs, duckdb.wallMs)}, peak RSS ${ratio(pipeline.peakRssBytes, duckdb.peakRssBytes)}`,
  );
  console.log(
    `  ratios, tabular worker / naive JavaScript pass: time ${ratio(pipeline.wallMs, javascript.wallMs)}, peak RSS ${ratio(pipeline.peakRssBytes, javascript.peakRssBytes)}`,
  );
}

function peakNote(result: { peakRssScope: 'step' | 'process'; startRssBytes: number }): string {
  return result.peakRssScope === 'process' ? ' (whole process)' : ` (${mib(result.startRssBytes)} at start)`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}

function count(value: number | null): string {
  return value === null ? '—' : value.toLocaleString('en-US');
}
