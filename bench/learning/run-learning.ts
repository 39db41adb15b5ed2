import type { ChildProcess } from 'node:child_process';
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
import { trainingCases, type TrainingCase } from './cases';
import { FEATURES, generateLearningData, MAX_TRAIN_ROWS, TEST_ROWS } from './data';
import type { LearningRequest } from './learning-measurement';
import {
  measureSklearn,
  probeSklearn,
  pythonEnvironment,
  type SklearnFitResult,
  type SklearnVersions,
} from './sklearn-baseline';

/**
 * The learning benchmark: our learners against scikit-learn on the same generated rows, each side
 * in processes of its own, scikit-learn single-threaded (our learners are single-threaded
 * JavaScript); then our gradient boosting's peak memory and prediction speed, and how far AutoML
 * runs past its time budget. Goals are checked here, on medians, never in tests: each line prints
 * its goal and whether this run met it.
 */
export interface LearningRunOptions {
  /** Runs one measurement in a child Node process (run.ts's, which Ctrl-C can stop). */
  measure: Measure;
  /** Told about the Python child, so Ctrl-C can stop it as well. */
  onChild: (child: ChildProcess | undefined) => void;
  /** A fresh, empty directory for the data files. */
  dataDir: string;
  python: string;
  env: NodeJS.ProcessEnv;
}

type Skipped = { skipped: string };

export interface TrainingReport {
  learner: string;
  label: string;
  rows: number;
  features: number;
  repetitions: number;
  note: string | null;
  ours:
    | { fitMs: Summary & { values: number[] }; testAccuracy: number | null; inertiaPerRow: number | null }
    | Skipped;
  sklearn:
    | {
        fitMs: Summary & { values: number[] };
        testAccuracy: number | null;
        inertiaPerRow: number | null;
        threadpools: { api: string; threads: number }[];
      }
    | Skipped;
  /** Ours / scikit-learn, median training time. */
  ratio: number | null;
  goal: { maxRatio: number };
  met: boolean | null;
}

export interface LearningReport {
  data: { trainRows: number; testRows: number; features: number; generateMs: number };
  sklearn: ({ available: true } & SklearnVersions) | { available: false; reason: string };
  training: TrainingReport[];
  peakRss: {
    rows: number;
    fitMs: number;
    peakRssBytes: number;
    startRssBytes: number;
    goal: { maxBytes: number };
    met: boolean;
  } | null;
  prediction: {
    trees: number;
    batch: {
      rows: number;
      ms: Summary;
      rowsPerSecond: number;
      goal: { minRowsPerSecond: number };
      met: boolean;
    };
    singleRow: {
      calls: number;
      minMs: number;
      medianMs: number;
      p99Ms: number;
      maxMs: number;
      goal: { maxMedianMs: number };
      met: boolean;
    };
  } | null;
  automl: {
    rows: number;
    budgets: {
      timeBudgetSeconds: number;
      runs: { seed: number; wallMs: number; overrunSeconds: number; trials: number; stopReason: string }[];
      overrunSeconds: Summary;
      goal: { maxOverrunSeconds: number };
      met: boolean;
    }[];
  } | null;
  elapsedMs: number;
  /** Measurements that failed (their lines say why). */
  failures: number;
}

const PEAK_RSS_GOAL_BYTES = 512 * MiB;
const BATCH_GOAL_ROWS_PER_SECOND = 100_000;
const SINGLE_ROW_GOAL_MS = 0.1;
const AUTOML_ROWS = 10_000;
const AUTOML_BUDGETS = [5, 10] as const;
const AUTOML_RUNS = 3;

export async function runLearning(options: LearningRunOptions): Promise<LearningReport> {
  const started = performance.now();
  const failures = new MeasurementFailures();
  const failed = (what: string, error: unknown): void => failures.record(what, error);
  const measure = <R extends LearningRequest>(request: R) => options.measure(request);

  const generating = performance.now();
  await generateLearningData(options.dataDir);
  const generateMs = performance.now() - generating;
  const pyEnv = pythonEnvironment(options.env);
  const probe = await probeSklearn(options.python, pyEnv);
  console.log(
    `\nlearning: ${count(MAX_TRAIN_ROWS)} training + ${count(TEST_ROWS)} test rows × ${FEATURES} features, ` +
      `8 Gaussian clusters, binary label (seeded; generated in ${seconds(generateMs)}); ` +
      (probe.ok
        ? `baseline scikit-learn ${probe.versions.sklearn} (numpy ${probe.versions.numpy}, Python ${probe.versions.python} at ${options.python}), OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`
        : `scikit-learn baselines SKIPPED: ${probe.reason}`),
  );

  // 1. Training time, ours / scikit-learn.
  console.log(
    '  training time (medians; each side in its own process, all repetitions there; accuracy on the test rows, k-means: inertia per row)',
  );
  const header = [
    pad('case', 24),
    padStart('rows', 7),
    padStart('reps', 4),
    pad('ours: median (min–max)', 29),
    pad('scikit-learn: median (min–max)', 29),
    padStart('ratio', 7),
    pad('goal', 6),
    pad('met', 7),
    'sanity: ours / scikit-learn',
  ].join('  ');
  console.log(`    ${header}`);
  const training: TrainingReport[] = [];
  for (const trainingCase of trainingCases()) {
    const report = await runTrainingCase(trainingCase, options, probe, pyEnv, failed);
    training.push(report);
    printTrainingRow(report);
  }

  // 2. Peak RSS of our gradient boosting on 100k rows.
  let peakRss: LearningReport['peakRss'] = null;
  try {
    const result = await measure({
      kind: 'learning-peak-rss',
      dataDir: options.dataDir,
      rows: MAX_TRAIN_ROWS,
    });
    peakRss = {
      rows: MAX_TRAIN_ROWS,
      fitMs: result.fitMs,
      peakRssBytes: result.peakRssBytes,
      startRssBytes: result.startRssBytes,
      goal: { maxBytes: PEAK_RSS_GOAL_BYTES },
      met: result.peakRssBytes <= PEAK_RSS_GOAL_BYTES,
    };
    console.log(
      `  peak RSS, hist gradient boosting (100 iterations) on ${count(MAX_TRAIN_ROWS)} × ${FEATURES}, its own process: ` +
        `${mib(result.peakRssBytes)} for the whole process (${mib(result.startRssBytes)} before the fit; fit ${seconds(result.fitMs)})  ` +
        `goal ≤ ${mib(PEAK_RSS_GOAL_BYTES)}  ${verdict(peakRss.met)}`,
    );
  } catch (error) {
    failed('peak RSS', error);
  }

  // 3. Prediction with a 100-tree gradient boosting model.
  let prediction: LearningReport['prediction'] = null;
  try {
    const result = await measure({
      kind: 'learning-predict',
      dataDir: options.dataDir,
      rows: MAX_TRAIN_ROWS,
      batchRepetitions: 5,
      singleRowCalls: 20_000,
    });
    const ms = summarize(result.batchMs);
    const rowsPerSecond = result.batchRows / (ms.median / 1000);
    prediction = {
      trees: result.trees,
      batch: {
        rows: result.batchRows,
        ms,
        rowsPerSecond,
        goal: { minRowsPerSecond: BATCH_GOAL_ROWS_PER_SECOND },
        met: rowsPerSecond >= BATCH_GOAL_ROWS_PER_SECOND,
      },
      singleRow: {
        ...result.singleRow,
        goal: { maxMedianMs: SINGLE_ROW_GOAL_MS },
        met: result.singleRow.medianMs <= SINGLE_ROW_GOAL_MS,
      },
    };
    console.log(`  prediction, hist gradient boosting with ${result.trees} trees (predict(), in process)`);
    console.log(
      `    batch of ${count(result.batchRows)} rows: ${count(Math.round(rowsPerSecond))} rows/s ` +
        `(median of ${ms.n}: ${milliseconds(ms.median)}; ${range(ms)})  goal ≥ ${count(BATCH_GOAL_ROWS_PER_SECOND)} rows/s  ${verdict(prediction.batch.met)}`,
    );
    const single = result.singleRow;
    console.log(
      `    one row: median ${single.medianMs.toFixed(4)} ms over ${count(single.calls)} calls after a warm-up ` +
        `(min ${single.minMs.toFixed(4)}, p99 ${single.p99Ms.toFixed(4)}, max ${single.maxMs.toFixed(3)} ms)  ` +
        `goal median ≤ ${SINGLE_ROW_GOAL_MS} ms  ${verdict(prediction.singleRow.met)}`,
    );
  } catch (error) {
    failed('prediction', error);
  }

  // 4. AutoML's time budget.
  let automl: LearningReport['automl'] = null;
  const budgets: NonNullable<LearningReport['automl']>['budgets'] = [];
  console.log(
    `  AutoML time budget, classification on ${count(AUTOML_ROWS)} rows (every learner, holdout, no ensemble; each run in its own process; overrun = wall time of runAutoMl − budget)`,
  );
  for (const timeBudgetSeconds of AUTOML_BUDGETS) {
    const runs: NonNullable<LearningReport['automl']>['budgets'][number]['runs'] = [];
    for (let seed = 0; seed < AUTOML_RUNS; seed += 1) {
      try {
        const result = await measure({
          kind: 'learning-automl',
          dataDir: options.dataDir,
          rows: AUTOML_ROWS,
          timeBudgetSeconds,
          seed,
        });
        const overrunSeconds = result.wallMs / 1000 - timeBudgetSeconds;
        runs.push({
          seed,
          wallMs: result.wallMs,
          overrunSeconds,
          trials: result.trials,
          stopReason: result.stopReason,
        });
        console.log(
          `    budget ${timeBudgetSeconds} s, seed ${seed}: wall ${(result.wallMs / 1000).toFixed(2)} s, overrun ${signed(overrunSeconds)} s; ` +
            `${result.trials} trials, stopped: ${result.stopReason}; best ${result.bestLearner ?? '—'} ` +
            `(${result.metric} ${result.validationScore === null ? '—' : result.validationScore.toFixed(4)})`,
        );
      } catch (error) {
        failed(`AutoML, budget ${timeBudgetSeconds} s, seed ${seed}`, error);
      }
    }
    if (runs.length === 0) continue;
    const overrun = summarize(runs.map((run) => run.overrunSeconds));
    const maxOverrunSeconds = Math.max(2, 0.05 * timeBudgetSeconds);
    const met = overrun.max <= maxOverrunSeconds;
    budgets.push({ timeBudgetSeconds, runs, overrunSeconds: overrun, goal: { maxOverrunSeconds }, met });
    console.log(
      `    budget ${timeBudgetSeconds} s: max overrun ${signed(overrun.max)} s over ${overrun.n} runs (median ${signed(overrun.median)} s)  ` +
        `goal ≤ max(2 s, 5 %) = ${maxOverrunSeconds} s  ${verdict(met)}`,
    );
  }
  if (budgets.length > 0) automl = { rows: AUTOML_ROWS, budgets };

  const elapsedMs = performance.now() - started;
  console.log(`  learning benchmark: ${seconds(elapsedMs)} in all`);
  return {
    data: { trainRows: MAX_TRAIN_ROWS, testRows: TEST_ROWS, features: FEATURES, generateMs },
    sklearn: probe.ok ? { available: true, ...probe.versions } : { available: false, reason: probe.reason },
    training,
    peakRss,
    prediction,
    automl,
    elapsedMs,
    failures: failures.count,
  };
}

async function runTrainingCase(
  trainingCase: TrainingCase,
  options: LearningRunOptions,
  probe: Awaited<ReturnType<typeof probeSklearn>>,
  pyEnv: NodeJS.ProcessEnv,
  failed: (what: string, error: unknown) => void,
): Promise<TrainingReport> {
  const what = `${trainingCase.label}, ${count(trainingCase.rows)} rows`;
  let ours: TrainingReport['ours'];
  try {
    const result = await options.measure({
      kind: 'learning-fit',
      dataDir: options.dataDir,
      rows: trainingCase.rows,
      repetitions: trainingCase.repetitions,
      fit: trainingCase.ours,
    });
    ours = {
      fitMs: { ...summarize(result.fitMs), values: result.fitMs },
      testAccuracy: result.testAccuracy,
      inertiaPerRow: result.inertiaPerRow,
    };
  } catch (error) {
    failed(`${what}, ours`, error);
    ours = { skipped: 'measurement failed' };
  }
  let sklearn: TrainingReport['sklearn'];
  if (!probe.ok) {
    sklearn = { skipped: probe.reason };
  } else {
    try {
      const result: SklearnFitResult = await measureSklearn(
        options.python,
        pyEnv,
        {
          dataDir: options.dataDir,
          learner: trainingCase.ours.learner,
          rows: trainingCase.rows,
          repetitions: trainingCase.repetitions,
          params: trainingCase.sklearn,
        },
        options.onChild,
      );
      sklearn = {
        fitMs: { ...summarize(result.fitMs), values: result.fitMs },
        testAccuracy: result.testAccuracy,
        inertiaPerRow: result.inertiaPerRow,
        threadpools: result.threadpools,
      };
    } catch (error) {
      failed(`${what}, scikit-learn`, error);
      sklearn = { skipped: 'measurement failed' };
    }
  }
  const ratio = 'fitMs' in ours && 'fitMs' in sklearn ? ours.fitMs.median / sklearn.fitMs.median : null;
  return {
    learner: trainingCase.ours.learner,
    label: trainingCase.label,
    rows: trainingCase.rows,
    features: FEATURES,
    repetitions: trainingCase.repetitions,
    note: trainingCase.note ?? null,
    ours,
    sklearn,
    ratio,
    goal: { maxRatio: trainingCase.goalRatio },
    met: ratio === null ? null : ratio <= trainingCase.goalRatio,
  };
}

function printTrainingRow(report: TrainingReport): void {
  const timing = (side: TrainingReport['ours'] | TrainingReport['sklearn']): string =>
    'fitMs' in side ? `${milliseconds(side.fitMs.median)} (${range(side.fitMs)})` : 'skipped';
  const sanity = (side: TrainingReport['ours'] | TrainingReport['sklearn']): string => {
    if (!('fitMs' in side)) return '—';
    if (side.testAccuracy !== null) return `acc ${side.testAccuracy.toFixed(3)}`;
    if (side.inertiaPerRow !== null) return `inertia/row ${side.inertiaPerRow.toFixed(2)}`;
    return '—';
  };
  const line = [
    pad(report.label, 24),
    padStart(count(report.rows), 7),
    padStart(String(report.repetitions), 4),
    pad(timing(report.ours), 29),
    pad(timing(report.sklearn), 29),
    padStart(report.ratio === null ? '—' : `${report.ratio.toFixed(2)}×`, 7),
    pad(`≤ ${report.goal.maxRatio}×`, 6),
    pad(report.met === null ? 'skipped' : verdict(report.met), 7),
    `${sanity(report.ours)} / ${sanity(report.sklearn)}`,
  ].join('  ');
  console.log(`    ${line}`);
  if (report.note) console.log(`      (${report.note})`);
}

function range(summary: Summary): string {
  return `${milliseconds(summary.min)}–${milliseconds(summary.max)}`;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}
