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
import { runAudio } from './audio/run-audio';
import { runForecasting } from './forecasting/run-forecasting';
import { runMonitoring } from './monitoring/run-monitoring';
import { runColdStart } from './cold-start/run-cold-start';
import { runRuns } from './runs/run-runs';
import { runLearning } from './learning/run-learning';
import { runText } from './text/run-text';
import { runPrediction } from './prediction/run-prediction';
import { runSeismic } from './seismic/run-seismic';
import {
  measureInChild,
  type DuckDbBaselineResult,
  type JavaScriptBaselineResult,
  type MeasurementRequest,
  type PipelineResult,
} from './measurement';
import { stopOrphanedPostmaster } from './stop-orphaned-postmaster';
import { summarize, type Summary } from './report-format';
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
 *   npm run bench                                    (ingestion: a 200 MB CSV of 10 columns, 5 repetitions)
 *   BENCH_ROWS=200000 BENCH_COLS=10 npm run bench   (a CSV of that many rows instead; BENCH_REPETITIONS=5 by default)
 *   BENCH_LARGE=1 npm run bench                      (then a CSV of at least 1 GiB; minutes)
 *   npm run bench -- --only learning                 (or ingestion, prediction, exports, image, audio, text, api, forecasting, monitoring, cold-start, runs: one alone)
 *   npm run bench -- --only audio                    (100 one-minute WAVs; BENCH_AUDIO_FILES=…, BENCH_AUDIO_SECONDS=… for fewer)
 *   npm run bench -- --only seismic                  (a 256 MiB SEG-Y line; BENCH_SEISMIC_MB=… or BENCH_LARGE=1 for 1 GiB)
 *   BENCH_PYTHON=/usr/bin/python3                    (default; the interpreter with scikit-learn)
 */
// eslint-disable-next-line no-restricted-properties -- benchmark knobs, not product configuration
const env = process.env;
// Measurements run in child processes that inherit this: the SDK's notice about its future
// Node 22 floor concerns deployments (Lambda runs nodejs22.x), not a benchmark on Node 20.
env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
const rows = env.BENCH_ROWS === undefined ? undefined : Number(env.BENCH_ROWS);
/** Every figure is a min / median / max over at least five repetitions. */
const repetitions = Math.max(5, Number(env.BENCH_REPETITIONS ?? 5));
const columns = Number(env.BENCH_COLS ?? 10);
const large = env.BENCH_LARGE === '1';
const python = env.BENCH_PYTHON ?? '/usr/bin/python3';
const BENCHMARKS = [
  'ingestion',
  'learning',
  'prediction',
  'exports',
  'image',
  'audio',
  'text',
  'api',
  'forecasting',
  'monitoring',
  'cold-start',
  'runs',
  'seismic',
] as const;
type Benchmark = (typeof BENCHMARKS)[number];
const only = parseOnly(process.argv.slice(2));
const selected = (benchmark: Benchmark): boolean => only === undefined || only === benchmark;
const GiB = 2 ** 30;
const MiB = 2 ** 20;
/** The ingestion goals: time against the plain DuckDB session, and peak RSS on the 1 GiB file. */
const INGESTION_GOALS = { timeVsDuckDb: 1.3, peakRssBytesAt1GiB: 512 * MiB };

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
    cases.push(
      await runCase(
        rows === undefined ? '200 MB' : `${rows} rows`,
        rows === undefined ? { minBytes: 200_000_000, columns } : { rows, columns },
      ),
    );
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
  if (selected('audio') && !stopping)
    results['audio'] = await runWithDataDir('pw-bench-audio-', (dataDir) =>
      runAudio({
        dataDir,
        python,
        repetitions,
        ...(env.BENCH_AUDIO_FILES ? { files: Number(env.BENCH_AUDIO_FILES) } : {}),
        ...(env.BENCH_AUDIO_SECONDS ? { secondsPerFile: Number(env.BENCH_AUDIO_SECONDS) } : {}),
      }),
    );
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
  if (selected('cold-start') && !stopping)
    results['cold-start'] = await runWithDataDir('pw-bench-cold-start-', (dataDir) =>
      runColdStart({ dataDir }),
    );
  if (selected('runs') && !stopping)
    results['runs'] = await runWithDataDir('pw-bench-runs-', (dataDir) => runRuns({ dataDir }));
  if (selected('seismic') && !stopping)
    results['seismic'] = await runWithDataDir('pw-bench-seismic-', (dataDir) =>
      runSeismic({
        dataDir,
        python,
        megabytes: Number(env.BENCH_SEISMIC_MB ?? (large ? 1024 : 256)),
        repetitions,
        onChild: trackChild,
      }),
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
    const csvPath = join(root, 'input.csv');
    const generating = performance.now();
    const csv = await generateCsv(csvPath, shape);
    console.log(
      `\n${name}: ${csv.rows.toLocaleString('en-US')} rows × ${shape.columns} columns, ` +
        `${csv.bytes.toLocaleString('en-US')} bytes (${(csv.bytes / GiB).toFixed(3)} GiB = ${(csv.bytes / MiB).toFixed(1)} MiB)` +
        `${shape.minBytes ? `, at least ${shape.minBytes.toLocaleString('en-US')} bytes as asked` : ''}; generated in ${seconds(performance.now() - generating)}; ` +
        `${repetitions} repetitions, each measurement in a process of its own`,
    );

    const runs: {
      pipeline: PipelineResult;
      duckdb: DuckDbBaselineResult;
      javascript: JavaScriptBaselineResult;
    }[] = [];
    for (let repetition = 0; repetition < repetitions && !stopping; repetition += 1) {
      // PostgreSQL's directory gets its own temp dir: the postgres user must reach its parent.
      const postgresRoot = mkdtempSync(join(tmpdir(), 'pw-bench-pg-'));
      cleanup.defer(`stop any PostgreSQL left in ${postgresRoot} and remove it`, async () => {
        await stopOrphanedPostmaster(join(postgresRoot, 'pgdata'));
        await rm(postgresRoot, { recursive: true, force: true });
      });
      let pipeline: PipelineResult;
      try {
        pipeline = await measure({
          kind: 'pipeline',
          csvPath,
          directory: join(root, `pipeline-${repetition}`),
          postgresRoot,
        });
      } catch (error) {
        failed = true;
        if (!stopping)
          console.log(
            `  tabular worker: MEASUREMENT FAILED: ${error instanceof Error ? error.message : String(error)}`,
          );
        break;
      }
      const duckdb = await measure({
        kind: 'duckdb',
        csvPath,
        directory: join(root, `duckdb-${repetition}`),
        engine: pipeline.engine ?? {},
      });
      const javascript = await measure({ kind: 'javascript', csvPath });
      if (repetition === 0) {
        printPipeline(pipeline);
        printDuckDb(duckdb);
        printJavaScript(javascript);
      }
      console.log(
        `  repetition ${repetition + 1}: tabular worker ${seconds(pipeline.wallMs)} / ${mib(pipeline.peakRssBytes)}, ` +
          `DuckDB ${seconds(duckdb.wallMs)} / ${mib(duckdb.peakRssBytes)}, JavaScript ${seconds(javascript.wallMs)} / ${mib(javascript.peakRssBytes)}`,
      );
      runs.push({ pipeline, duckdb, javascript });
    }
    const figure = (pick: (run: (typeof runs)[number]) => number): Summary => summarize(runs.map(pick));
    const figures = {
      pipelineMs: figure((run) => run.pipeline.wallMs),
      pipelinePeakRssBytes: figure((run) => run.pipeline.peakRssBytes),
      duckDbMs: figure((run) => run.duckdb.wallMs),
      duckDbPeakRssBytes: figure((run) => run.duckdb.peakRssBytes),
      javaScriptMs: figure((run) => run.javascript.wallMs),
      javaScriptPeakRssBytes: figure((run) => run.javascript.peakRssBytes),
    };
    const ratios =
      runs.length > 0
        ? {
            timeVsDuckDb: figures.pipelineMs.median / figures.duckDbMs.median,
            peakRssVsDuckDb: figures.pipelinePeakRssBytes.median / figures.duckDbPeakRssBytes.median,
            timeVsJavaScript: figures.pipelineMs.median / figures.javaScriptMs.median,
            peakRssVsJavaScript: figures.pipelinePeakRssBytes.median / figures.javaScriptPeakRssBytes.median,
          }
        : undefined;
    if (ratios) printRatios(figures, ratios, runs.length);
    return {
      name,
      csv: { ...csv, columns: shape.columns },
      repetitions: runs.length,
      ...figures,
      ...(ratios ? { ratios } : {}),
      goals: INGESTION_GOALS,
      runs,
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
  figures: Record<'pipelineMs' | 'pipelinePeakRssBytes' | 'duckDbMs' | 'duckDbPeakRssBytes', Summary>,
  ratios: {
    timeVsDuckDb: number;
    peakRssVsDuckDb: number;
    timeVsJavaScript: number;
    peakRssVsJavaScript: number;
  },
  n: number,
): void {
  const range = (s: Summary, show: (value: number) => string) =>
    `${show(s.min)} / ${show(s.median)} / ${show(s.max)}`;
  console.log(`  min / median / max of ${n}:`);
  console.log(
    `    tabular worker ${range(figures.pipelineMs, seconds)}, peak RSS ${range(figures.pipelinePeakRssBytes, mib)}`,
  );
  console.log(
    `    plain DuckDB   ${range(figures.duckDbMs, seconds)}, peak RSS ${range(figures.duckDbPeakRssBytes, mib)}`,
  );
  console.log(
    `  ratios of medians, tabular worker / plain DuckDB session: time ${ratios.timeVsDuckDb.toFixed(2)}× (goal ≤ ${INGESTION_GOALS.timeVsDuckDb}×), peak RSS ${ratios.peakRssVsDuckDb.toFixed(2)}×`,
  );
  console.log(
    `  ratios of medians, tabular worker / naive JavaScript pass: time ${ratios.timeVsJavaScript.toFixed(2)}×, peak RSS ${ratios.peakRssVsJavaScript.toFixed(2)}×`,
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
