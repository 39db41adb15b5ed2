import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fitHoltWinters } from '../../shared/domain/forecasting/holt-winters';
import { pad, padStart, seconds, summarize, type Summary } from '../report-format';

/**
 * The forecasting benchmark: fitting Holt-Winters (additive trend and season, period 12,
 * smoothing parameters and initial states estimated) on statsmodels' co2 series averaged per
 * month (526 months, the committed reference fixture), by the code the ts.forecast node runs,
 * against statsmodels' ExponentialSmoothing(...).fit() on the same series in the same run, one
 * thread each. Medians over the repetitions, and each side's in-sample SSE (ours should be no
 * worse). No goal is set: the ratio is reported. Without statsmodels the comparison is skipped.
 */
export interface ForecastingRunOptions {
  dataDir: string;
  python: string;
  repetitions?: number;
}

export interface ForecastingBenchReport {
  months: number;
  repetitions: number;
  oursMs: Summary;
  oursSse: number;
  statsmodelsMs: Summary | null;
  statsmodelsSse: number | null;
  ratio: number | null;
  failures: number;
}

const run = promisify(execFile);

export async function runForecasting(options: ForecastingRunOptions): Promise<ForecastingBenchReport> {
  const repetitions = Math.max(5, options.repetitions ?? 5);
  const fixture = JSON.parse(
    await readFile(join(import.meta.dirname, '../../test/fixtures/forecasting/ets-reference.json'), 'utf8'),
  ) as { series: number[] };
  const y = Float64Array.from(fixture.series);
  console.log(`\nforecasting: Holt-Winters fit on ${y.length} months of co2, ${repetitions} repetitions`);
  const ours: number[] = [];
  let oursSse = NaN;
  for (let r = 0; r < repetitions; r += 1) {
    const started = performance.now();
    const fitted = fitHoltWinters(
      y,
      { trend: 'add', damped: false, seasonal: 'add' },
      { seasonalPeriod: 12, seed: 1 },
    );
    ours.push(performance.now() - started);
    oursSse = Number(fitted.describe()['sse']);
    console.log(`  repetition ${r + 1}: ours ${seconds(ours[r] ?? 0)}`);
  }
  const oursMs = summarize(ours);
  const report: ForecastingBenchReport = {
    months: y.length,
    repetitions,
    oursMs,
    oursSse,
    statsmodelsMs: null,
    statsmodelsSse: null,
    ratio: null,
    failures: 0,
  };
  try {
    await run(options.python, ['-c', 'import statsmodels']);
  } catch {
    console.log(`  statsmodels is not importable by ${options.python}: no comparison`);
    return report;
  }
  const file = join(options.dataDir, 'co2-monthly.json');
  await writeFile(file, JSON.stringify(fixture.series));
  const { stdout } = await run(
    options.python,
    [join(import.meta.dirname, 'ets_baseline.py'), file, String(repetitions)],
    {
      // eslint-disable-next-line no-restricted-properties -- the child inherits the benchmark's environment
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    },
  );
  const theirs = JSON.parse(stdout) as { ms: number[]; sse: number };
  report.statsmodelsMs = summarize(theirs.ms);
  report.statsmodelsSse = theirs.sse;
  report.ratio = oursMs.median / report.statsmodelsMs.median;
  console.log(
    `  ${pad('Holt-Winters fit (ours)', 40)} ${padStart(seconds(oursMs.median), 9)} median, SSE ${oursSse.toFixed(3)}`,
  );
  console.log(
    `  ${pad('statsmodels ExponentialSmoothing', 40)} ${padStart(seconds(report.statsmodelsMs.median), 9)} median, SSE ${theirs.sse.toFixed(3)}`,
  );
  console.log(`  ratio ${report.ratio.toFixed(2)}×`);
  return report;
}
