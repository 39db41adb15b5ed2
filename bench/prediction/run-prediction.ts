import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureMatrix } from '../../shared/domain/learning/learner';
import { MAX_PREDICTION_ROWS } from '../../shared/domain/models/prediction-rows';
import type { CleanupStack } from '../cleanup-stack';
import { generateLearningData, loadSplit, MAX_TRAIN_ROWS } from '../learning/data';
import type { Measure } from '../measurement';
import {
  count,
  MeasurementFailures,
  MiB,
  mib,
  milliseconds,
  pad,
  padStart,
  seconds,
  summarize,
  verdict,
  type Summary,
} from '../report-format';
import { stopOrphanedPostmaster } from '../stop-orphaned-postmaster';
import { percentile, postPrediction, runLoad } from './load';
import type { OnnxSize, PredictionTrainResult } from './prediction-measurement';
import { startPredictionServer, type RunningPredictionServer, type ServeRequest } from './prediction-server';

/**
 * The prediction benchmark, on one gradient boosting model of 100 trees trained in process on the
 * learning benchmark's generated rows:
 * 1. batch: the artifact's predictor (`loadPredictor` → `predictTable`) over 100,000 rows in one
 *    thread, against a goal in rows per second per vCPU;
 * 2. online: `POST /models/{id}/predict` with a bearer token on the local platform (the stack
 *    `npm start` runs), 1 row per request over 8 connections and 1,000 rows per request over one,
 *    each figure against a bare `node:http` server predicting the same rows in process with the
 *    same predictor, measured in the same run (repetitions alternate between the two), and
 *    against its goal;
 * 3. ONNX: the exported file's size against the JSON artifact, for that model and for a random
 *    forest of 100 trees (the baseline is the JSON artifact; there is no goal);
 * 4. the `model.predict` node over 1,000,000 rows: wall time and peak RSS, against a memory goal.
 * Figures are min / median / max over the repetitions; goals are judged on medians and never fail
 * the run: only errors do (`failures`).
 */
export interface PredictionRunOptions {
  /** Runs one measurement in a child Node process (run.ts's, which Ctrl-C can stop). */
  measure: Measure;
  /** Told about each server process, so Ctrl-C can stop it. */
  onChild: (child: ChildProcess | undefined) => void;
  /** Stops the servers and removes the platform's directory, whatever happens. */
  cleanup: CleanupStack;
  /** A fresh, empty directory for the data files and the model artifact. */
  dataDir: string;
}

/** A figure on both servers: min/median/max over the repetitions, and platform ÷ bare medians. */
export interface ServerFigure {
  platform: Summary;
  bare: Summary;
  ratio: number;
}

interface Goal {
  /** The figure the goal is judged on (a median over the repetitions). */
  figure: string;
  limit: number;
  direction: 'at most' | 'at least';
  /** Figure ÷ limit. */
  ratio: number;
  met: boolean;
}

export interface PredictionReport {
  model: Omit<PredictionTrainResult, 'kind'> | null;
  batch: {
    rows: number;
    repetitions: number;
    ms: Summary;
    rowsPerSecond: Summary;
    peakRssBytes: number;
    peakRssScope: 'step' | 'process';
    goal: Goal;
  } | null;
  /** Not `node`: that key holds the Node version in bench/results/latest.json. */
  predictNode: {
    rows: number;
    inputBytes: number;
    repetitions: number;
    batches: number;
    wallMs: Summary;
    rowsPerSecond: Summary;
    peakRssBytes: Summary;
    peakRssScope: 'step' | 'process';
    accuracy: number | null;
    goal: Goal;
  } | null;
  online: {
    oneRow: {
      connections: number;
      secondsPerRepetition: number;
      requests: { platform: number; bare: number };
      p50Ms: ServerFigure;
      p99Ms: ServerFigure;
      requestsPerSecond: ServerFigure;
      goal: Goal;
    };
    thousandRows: {
      rowsPerRequest: number;
      connections: number;
      requestsPerRepetition: number;
      p50Ms: ServerFigure;
      /** The slowest of each repetition's requests. */
      maxMs: ServerFigure;
      goal: Goal;
    };
    /** CPU time of the load generator per request (it shares the machine with the servers). */
    clientCpuMsPerRequest: number;
  } | null;
  /** Each tree ensemble's ONNX export against its JSON artifact (ratio: ONNX ÷ JSON bytes). */
  onnx: { ensembles: (OnnxSize & { ratio: number | null })[] } | null;
  /** The machine's 1-minute load average when the benchmark started and ended. */
  loadAverage: { start: number; end: number };
  elapsedMs: number;
  /** Measurements that failed (their lines say why). */
  failures: number;
}

const TRAIN_ROWS = 20_000;
const BATCH_ROWS = MAX_TRAIN_ROWS;
const REPETITIONS = 5;
const CONNECTIONS = 8;
const ONE_ROW_SECONDS = 3;
const THOUSAND_ROW_REQUESTS = 20;
const WARM_UP_MS = 2_000;
const BATCH_GOAL_ROWS_PER_SECOND = 100_000;
const ONE_ROW_GOAL_P99_MS = 30;
const THOUSAND_ROWS_GOAL_MS = 100;
const NODE_ROWS = 1_000_000;
const NODE_GOAL_PEAK_RSS_BYTES = 512 * MiB;

export async function runPrediction(options: PredictionRunOptions): Promise<PredictionReport> {
  const started = performance.now();
  const loadAverageAtStart = loadavg()[0] ?? Number.NaN;
  const failures = new MeasurementFailures();
  const artifactPath = join(options.dataDir, 'model.json');

  await generateLearningData(options.dataDir);
  const model = await failures.attempt('training the model', () => trainModel(options, artifactPath));
  // Every other measurement but the ONNX sizes uses the trained model's artifact.
  const withModel = <T>(what: string, work: () => Promise<T>): Promise<T | null> =>
    model ? failures.attempt(what, work) : Promise.resolve(null);
  const batch = await withModel('batch prediction', () =>
    measureBatch(options.measure, options.dataDir, artifactPath),
  );
  const predictNode = await withModel('model.predict node', () =>
    measureNode(options.measure, options.dataDir, artifactPath),
  );
  const online = await withModel('online prediction', () => measureOnline(options, artifactPath));
  const onnx = await failures.attempt('ONNX export sizes', () =>
    measureOnnxSizes(options.measure, options.dataDir),
  );

  const elapsedMs = performance.now() - started;
  const loadAverage = { start: loadAverageAtStart, end: loadavg()[0] ?? Number.NaN };
  console.log(
    `  prediction benchmark: ${seconds(elapsedMs)} in all; 1-minute load average ${loadAverage.start.toFixed(2)} at its start, ` +
      `${loadAverage.end.toFixed(2)} at its end (anything else running shares the ${cpus().length} CPU(s))`,
  );
  return {
    model,
    batch,
    predictNode,
    online,
    onnx,
    loadAverage,
    elapsedMs,
    failures: failures.count,
  };
}

async function trainModel(
  options: PredictionRunOptions,
  artifactPath: string,
): Promise<NonNullable<PredictionReport['model']>> {
  const { kind: _kind, ...trained } = await options.measure({
    kind: 'prediction-train',
    dataDir: options.dataDir,
    rows: TRAIN_ROWS,
    artifactPath,
  });
  console.log(
    `\nprediction: hist gradient boosting, ${trained.trees} trees on ${trained.features} features, trained in process on ` +
      `${count(trained.trainRows)} generated rows in ${seconds(trained.fitMs)} (test accuracy ${trained.testAccuracy.toFixed(3)}); ` +
      `JSON artifact ${bytes(trained.artifactBytes)}`,
  );
  return trained;
}

async function measureBatch(
  measure: Measure,
  dataDir: string,
  artifactPath: string,
): Promise<NonNullable<PredictionReport['batch']>> {
  const result = await measure({
    kind: 'prediction-batch',
    dataDir,
    artifactPath,
    rows: BATCH_ROWS,
    repetitions: REPETITIONS,
  });
  const ms = summarize(result.batchMs);
  const rowsPerSecond = summarize(result.batchMs.map((time) => result.rows / (time / 1000)));
  const goal = atLeast('median rows/s', rowsPerSecond.median, BATCH_GOAL_ROWS_PER_SECOND);
  console.log(
    `  batch, in process (loadPredictor → predictTable; one thread, so per vCPU), ${count(result.rows)} rows, ${ms.n} repetitions after a warm-up:`,
  );
  console.log(
    `    ${count(Math.round(rowsPerSecond.median))} rows/s (min ${count(Math.round(rowsPerSecond.min))}, max ${count(Math.round(rowsPerSecond.max))}); ` +
      `per call ${milliseconds(ms.median)} (${milliseconds(ms.min)}–${milliseconds(ms.max)})  ` +
      `goal ≥ ${count(BATCH_GOAL_ROWS_PER_SECOND)} rows/s per vCPU: ${goalText(goal)}`,
  );
  console.log(
    `    peak RSS ${mib(result.peakRssBytes)}${result.peakRssScope === 'process' ? ' (whole process)' : ` over the calls (${mib(result.startRssBytes)} before them)`}`,
  );
  return {
    rows: result.rows,
    repetitions: ms.n,
    ms,
    rowsPerSecond,
    peakRssBytes: result.peakRssBytes,
    peakRssScope: result.peakRssScope,
    goal,
  };
}

/**
 * The node over NODE_ROWS rows, each repetition in a process of its own (its peak RSS is its own);
 * the goal is judged on the highest peak.
 */
async function measureNode(
  measure: Measure,
  dataDir: string,
  artifactPath: string,
): Promise<NonNullable<PredictionReport['predictNode']>> {
  const parquetPath = join(dataDir, 'node-input.parquet');
  const input = await measure({ kind: 'prediction-node-input', dataDir, rows: NODE_ROWS, parquetPath });
  const runs = [];
  for (let repetition = 0; repetition < REPETITIONS; repetition += 1)
    runs.push(
      await measure({
        kind: 'prediction-node',
        directory: join(dataDir, `node-${repetition}`),
        parquetPath,
        artifactPath,
      }),
    );
  const first = runs[0];
  if (!first) throw new Error('no repetition ran');
  const wallMs = summarize(runs.map((run) => run.wallMs));
  const rowsPerSecond = summarize(runs.map((run) => run.rows / (run.wallMs / 1000)));
  const peakRssBytes = summarize(runs.map((run) => run.peakRssBytes));
  const goal = atMost('highest peak RSS bytes', peakRssBytes.max, NODE_GOAL_PEAK_RSS_BYTES);
  console.log(
    `  model.predict node over ${count(first.rows)} rows (a ${mib(input.bytes)} Parquet file; DuckDB with the Lambda node runner's settings; ` +
      `objects as local files, no S3 transfer), ${runs.length} repetitions, each in its own process:`,
  );
  console.log(
    `    wall ${seconds(wallMs.median)} (${seconds(wallMs.min)}–${seconds(wallMs.max)}), ${count(Math.round(rowsPerSecond.median))} rows/s; ` +
      `${first.batches} batches; accuracy ${first.accuracy === null ? '—' : first.accuracy.toFixed(3)}`,
  );
  console.log(
    `    peak RSS ${mib(peakRssBytes.median)} (${mib(peakRssBytes.min)}–${mib(peakRssBytes.max)})` +
      `${first.peakRssScope === 'process' ? ', whole process' : `, ${mib(first.startRssBytes)} before the run`}  ` +
      `goal ≤ ${mib(NODE_GOAL_PEAK_RSS_BYTES)} at the highest: ${goalText(goal)}`,
  );
  return {
    rows: first.rows,
    inputBytes: input.bytes,
    repetitions: runs.length,
    batches: first.batches,
    wallMs,
    rowsPerSecond,
    peakRssBytes,
    peakRssScope: first.peakRssScope,
    accuracy: first.accuracy,
    goal,
  };
}

async function measureOnnxSizes(
  measure: Measure,
  dataDir: string,
): Promise<NonNullable<PredictionReport['onnx']>> {
  const result = await measure({
    kind: 'prediction-onnx',
    dataDir,
    rows: TRAIN_ROWS,
    learners: ['hist_gradient_boosting', 'random_forest'],
  });
  console.log(
    `  ONNX export (exportOnnxModel) against the JSON artifact, tree ensembles of 100 trees trained in process on ${count(TRAIN_ROWS)} rows (ratio: ONNX ÷ JSON):`,
  );
  const ensembles = result.ensembles.map((size) => {
    const label = `${size.learner.replaceAll('_', ' ')}, ${size.trees} trees`;
    if ('refused' in size) {
      console.log(`    ${pad(label, 32)}  JSON ${bytes(size.jsonBytes)}  ONNX refused: ${size.refused}`);
      return { ...size, ratio: null };
    }
    const ratio = size.onnxBytes / size.jsonBytes;
    console.log(
      `    ${pad(label, 32)}  JSON ${bytes(size.jsonBytes)}  ONNX ${bytes(size.onnxBytes)}  ${ratio.toFixed(2)}×  (exported in ${milliseconds(size.exportMs)})`,
    );
    return { ...size, ratio };
  });
  return { ensembles };
}

function bytes(value: number): string {
  return `${count(value)} bytes (${mib(value, 2)})`;
}

interface Sample {
  p50: number;
  p99: number;
  max: number;
  requestsPerSecond: number;
  requests: number;
  clientCpuMs: number;
}

type Side = 'platform' | 'bare';
const SIDES: readonly Side[] = ['platform', 'bare'];

async function measureOnline(
  options: PredictionRunOptions,
  artifactPath: string,
): Promise<NonNullable<PredictionReport['online']>> {
  const rows = rowObjects(loadSplit(options.dataDir, 'test').x);
  const oneRowBodies = rows.slice(0, 1_000).map((row) => JSON.stringify({ rows: [row] }));
  const thousandRowBodies = Array.from({ length: Math.floor(rows.length / MAX_PREDICTION_ROWS) }, (_, i) =>
    JSON.stringify({ rows: rows.slice(i * MAX_PREDICTION_ROWS, (i + 1) * MAX_PREDICTION_ROWS) }),
  );

  // Its own temp dir: PostgreSQL's owner must reach the data dir's parent.
  const platformDir = mkdtempSync(join(tmpdir(), 'pw-bench-predict-'));
  options.cleanup.defer(`stop any PostgreSQL left in ${platformDir} and remove it`, async () => {
    await stopOrphanedPostmaster(join(platformDir, 'postgres'));
    await rm(platformDir, { recursive: true, force: true });
  });
  const start = (request: ServeRequest): Promise<RunningPredictionServer> => {
    const starting = startPredictionServer(request, options.onChild);
    options.cleanup.defer(`stop the ${request.server} prediction server`, () =>
      starting.then(
        (server) => server.stop(),
        () => undefined,
      ),
    );
    return starting;
  };
  const booting = performance.now();
  const servers: Record<Side, RunningPredictionServer> = {
    bare: await start({ server: 'bare', artifactPath }),
    platform: await start({ server: 'platform', artifactPath, directory: platformDir }),
  };
  console.log(
    `  online: POST /models/{id}/predict with a bearer token, metered against the user's credits, on the local platform (npm start's stack, booted in ${seconds(performance.now() - booting)}) ` +
      'against a bare node:http server predicting in process with the same predictor; each in its own process, ' +
      `load from a fetch loop in this one; ${REPETITIONS} repetitions alternating between the two; min / median / max`,
  );
  await checkSamePredictions(servers, thousandRowBodies[0] ?? '');

  for (const side of SIDES) {
    await runLoad(servers[side].target, oneRowBodies, { connections: CONNECTIONS, durationMs: WARM_UP_MS });
    await runLoad(servers[side].target, thousandRowBodies, { connections: 1, requests: 5 });
  }
  const oneRow: Record<Side, Sample[]> = { platform: [], bare: [] };
  const thousandRows: Record<Side, Sample[]> = { platform: [], bare: [] };
  for (let repetition = 0; repetition < REPETITIONS; repetition += 1) {
    for (const side of SIDES) {
      const run = await runLoad(servers[side].target, oneRowBodies, {
        connections: CONNECTIONS,
        durationMs: ONE_ROW_SECONDS * 1000,
      });
      oneRow[side].push(sample(run));
    }
  }
  for (let repetition = 0; repetition < REPETITIONS; repetition += 1) {
    for (const side of SIDES) {
      const run = await runLoad(servers[side].target, thousandRowBodies, {
        connections: 1,
        requests: THOUSAND_ROW_REQUESTS,
      });
      thousandRows[side].push(sample(run));
    }
  }

  const figure = (samples: Record<Side, Sample[]>, pick: (s: Sample) => number): ServerFigure => {
    const platform = summarize(samples.platform.map(pick));
    const bare = summarize(samples.bare.map(pick));
    return { platform, bare, ratio: platform.median / bare.median };
  };
  const oneRowP99 = figure(oneRow, (s) => s.p99);
  const thousandRowsP50 = figure(thousandRows, (s) => s.p50);
  const report: NonNullable<PredictionReport['online']> = {
    oneRow: {
      connections: CONNECTIONS,
      secondsPerRepetition: ONE_ROW_SECONDS,
      requests: {
        platform: oneRow.platform.reduce((sum, s) => sum + s.requests, 0),
        bare: oneRow.bare.reduce((sum, s) => sum + s.requests, 0),
      },
      p50Ms: figure(oneRow, (s) => s.p50),
      p99Ms: oneRowP99,
      requestsPerSecond: figure(oneRow, (s) => s.requestsPerSecond),
      goal: atMost('platform median p99 ms', oneRowP99.platform.median, ONE_ROW_GOAL_P99_MS),
    },
    thousandRows: {
      rowsPerRequest: MAX_PREDICTION_ROWS,
      connections: 1,
      requestsPerRepetition: THOUSAND_ROW_REQUESTS,
      p50Ms: thousandRowsP50,
      maxMs: figure(thousandRows, (s) => s.max),
      goal: atMost('platform median p50 ms', thousandRowsP50.platform.median, THOUSAND_ROWS_GOAL_MS),
    },
    clientCpuMsPerRequest: clientCpuPerRequest([oneRow, thousandRows]),
  };
  printOnline(report);
  return report;
}

/** Both servers must answer the same rows with the same predictions, or the ratios compare different work. */
async function checkSamePredictions(
  servers: Record<Side, RunningPredictionServer>,
  body: string,
): Promise<void> {
  const [platform, bare] = await Promise.all(
    SIDES.map(async (side) => {
      const answer = JSON.parse(await postPrediction(servers[side].target, body)) as {
        predictions?: unknown;
      };
      return JSON.stringify(answer.predictions);
    }),
  );
  if (platform === undefined || platform !== bare)
    throw new Error('the platform and the bare server predict the same rows differently');
}

function clientCpuPerRequest(runs: readonly Record<Side, Sample[]>[]): number {
  const samples = runs.flatMap((bySide) => SIDES.flatMap((side) => bySide[side]));
  const requests = samples.reduce((sum, s) => sum + s.requests, 0);
  return samples.reduce((sum, s) => sum + s.clientCpuMs, 0) / Math.max(1, requests);
}

function sample(run: Awaited<ReturnType<typeof runLoad>>): Sample {
  return {
    p50: percentile(run.latenciesMs, 0.5),
    p99: percentile(run.latenciesMs, 0.99),
    max: percentile(run.latenciesMs, 1),
    requestsPerSecond: run.requests / (run.elapsedMs / 1000),
    requests: run.requests,
    clientCpuMs: run.clientCpuMs,
  };
}

/** The rows as a client sends them: one object per row, `{ f0: …, f1: …, … }`. */
function rowObjects(x: FeatureMatrix): Record<string, number>[] {
  return Array.from({ length: x.nRows }, (_, row) =>
    Object.fromEntries(x.columns.map((column, j) => [x.names[j] ?? `f${j}`, column[row] ?? Number.NaN])),
  );
}

function printOnline(report: NonNullable<PredictionReport['online']>): void {
  const { oneRow, thousandRows, clientCpuMsPerRequest } = report;
  const header = [
    pad('figure', 34),
    pad('platform: median (min–max)', 30),
    pad('bare node:http: median (min–max)', 34),
    padStart('ratio', 7),
    'goal',
  ].join('  ');
  console.log(`    ${header}`);
  const line = (label: string, figure: ServerFigure, unit: 'ms' | 'req/s', goal?: Goal): void => {
    const show = unit === 'ms' ? milliseconds : (value: number) => `${count(Math.round(value))} req/s`;
    const side = (s: Summary) => `${show(s.median)} (${show(s.min)}–${show(s.max)})`;
    const cells = [
      pad(label, 34),
      pad(side(figure.platform), 30),
      pad(side(figure.bare), 34),
      padStart(`${figure.ratio.toFixed(2)}×`, 7),
      goal ? `${goal.direction === 'at most' ? '≤' : '≥'} ${goal.limit} ${unit}: ${goalText(goal)}` : '',
    ];
    console.log(`    ${cells.join('  ').trimEnd()}`);
  };
  const one = `1 row, ${oneRow.connections} connections`;
  line(`${one}: p50`, oneRow.p50Ms, 'ms');
  line(`${one}: p99`, oneRow.p99Ms, 'ms', oneRow.goal);
  line(`${one}: throughput`, oneRow.requestsPerSecond, 'req/s');
  const thousand = `${count(thousandRows.rowsPerRequest)} rows, 1 connection`;
  line(`${thousand}: p50`, thousandRows.p50Ms, 'ms', thousandRows.goal);
  line(`${thousand}: slowest`, thousandRows.maxMs, 'ms');
  console.log(
    `    (1 row: ${oneRow.secondsPerRepetition} s per repetition, ${count(oneRow.requests.platform)} platform and ${count(oneRow.requests.bare)} bare requests in all; ` +
      `${count(thousandRows.rowsPerRequest)} rows: ${thousandRows.requestsPerRepetition} requests per repetition; ratio = platform ÷ bare, of the medians; ` +
      `the load generator used ${clientCpuMsPerRequest.toFixed(2)} ms of CPU per request on the same ${cpus().length} CPU(s))`,
  );
}

function atMost(figure: string, value: number, limit: number): Goal {
  return { figure, limit, direction: 'at most', ratio: value / limit, met: value <= limit };
}

function atLeast(figure: string, value: number, limit: number): Goal {
  return { figure, limit, direction: 'at least', ratio: value / limit, met: value >= limit };
}

function goalText(goal: Goal): string {
  return `${goal.ratio.toFixed(2)}× the goal, ${verdict(goal.met)}`;
}
