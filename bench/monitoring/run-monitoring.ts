import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dinsightConfigSchema } from '../../shared/domain/monitoring/dinsight-config';
import { fitBaselineMap, projectRow } from '../../shared/domain/monitoring/dinsight-map';
import { fitFeatureSpaceScorer, scoreRow } from '../../shared/domain/monitoring/feature-space-scorer';
import { fitMahalanobis, mahalanobis } from '../../shared/domain/monitoring/mahalanobis-2d';
import { pairwiseDistances } from '../../shared/domain/monitoring/pairwise-distances';
import { quantile } from '../../shared/domain/monitoring/thresholds';
import { syntheticDriftSet } from '../../test/unit/shared/domain/monitoring/synthetic-drift-set';
import { milliseconds, pad, padStart, seconds, summarize, verdict, type Summary } from '../report-format';

/**
 * The monitoring benchmark, on seeded synthetic rows (a mixture of Gaussian clusters, 1,024
 * features), by the code the monitoring nodes run:
 * - the baseline map of 1,000 rows: pairwise distances and DInsight's fit (default parameters:
 *   Adam, imax 1000, gamma0 1e-7), then the feature-space scorer the analysis also calibrates;
 *   the map alone against a plain NumPy/SciPy implementation of the same fit
 *   (monitoring/dinsight_baseline.py, one thread) in the same run. Wall and CPU time are both
 *   given; on a shared machine the CPU time is the fairer "one vCPU" figure, and the ratio uses it;
 * - the projection of new rows on a map of 2,000 rows (position, feature-space scores and the 2-D
 *   Mahalanobis score of each row), p95 per row; that map is fitted with fewer iterations to keep
 *   the run short, the projections with the default parameters;
 * - detection over 10 seeds (1,024 features, 500 baseline rows, 200 new rows per seed): recall on
 *   rows shifted by 1.5× the median nearest-neighbour distance, false positives on unshifted rows.
 */
export interface MonitoringRunOptions {
  dataDir: string;
  python: string;
  repetitions?: number;
}

const FEATURES = 1024;
const MAP_ROWS = 1000;
const PROJECTION_BASELINE_ROWS = 2000;
const PROJECTION_ROWS = 100;
const PROJECTION_MAP_IMAX = 40;
const DETECTION_SEEDS = 10;
const GOALS = { mapMs: 20_000, projectionP95Ms: 50, recall: 0.9, falsePositiveRate: 0.01 };

const run = promisify(execFile);
const config = dinsightConfigSchema.parse({});

function timed<T>(work: () => T): { value: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = work();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

export async function runMonitoring(options: MonitoringRunOptions) {
  const repetitions = Math.max(5, options.repetitions ?? 5);
  const map = await measureBaselineMap(options, repetitions);
  const projection = measureProjection();
  const detection = measureDetection();
  return { goals: GOALS, map, projection, detection, failures: map.failures };
}

async function measureBaselineMap(options: MonitoringRunOptions, repetitions: number) {
  console.log(
    `\nmonitoring: baseline map of ${MAP_ROWS} rows × ${FEATURES} features, ${repetitions} repetitions`,
  );
  const { baseline } = syntheticDriftSet({
    seed: 1,
    baselineRows: MAP_ROWS,
    newRows: 0,
    features: FEATURES,
    shift: 0,
  });
  const mapMs: number[] = [];
  const mapCpuMs: number[] = [];
  const totalMs: number[] = [];
  const totalCpuMs: number[] = [];
  const iterations: number[] = [];
  for (let r = 0; r < repetitions; r += 1) {
    const fitted = timed(() => {
      const distances = pairwiseDistances(baseline);
      return { distances, map: fitBaselineMap(distances, { ...config, seed: 42 + r }) };
    });
    const scorer = timed(() =>
      fitFeatureSpaceScorer(baseline, fitted.value.distances, {
        threshold: { method: 'quantile', quantile: config.quantile },
        components: config.pcaComponents,
        seed: config.seed,
      }),
    );
    mapMs.push(fitted.ms);
    mapCpuMs.push(fitted.cpuMs);
    totalMs.push(fitted.ms + scorer.ms);
    totalCpuMs.push(fitted.cpuMs + scorer.cpuMs);
    iterations.push(fitted.value.map.iterations);
    console.log(
      `  repetition ${r + 1}: map ${seconds(fitted.ms)} (CPU ${seconds(fitted.cpuMs)}, ${fitted.value.map.iterations} iterations), with the scorer ${seconds(fitted.ms + scorer.ms)}`,
    );
  }
  const ours = {
    mapMs: summarize(mapMs),
    mapCpuMs: summarize(mapCpuMs),
    withScorerMs: summarize(totalMs),
    withScorerCpuMs: summarize(totalCpuMs),
    iterations: summarize(iterations),
  };
  const goalMet = ours.withScorerCpuMs.median <= GOALS.mapMs;
  console.log(
    `  ${pad('map + scorer (ours), CPU', 44)} ${padStart(seconds(ours.withScorerCpuMs.median), 9)} median (goal ≤ ${seconds(GOALS.mapMs)}: ${verdict(goalMet)}), wall ${seconds(ours.withScorerMs.median)}`,
  );
  let failures = 0;
  const numpy = await measureNumpyMap(options, baseline.values, repetitions).catch((error: unknown) => {
    failures += 1;
    console.error(
      `  the NumPy/SciPy baseline failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return null;
  });
  const ratio = numpy ? ours.mapCpuMs.median / numpy.cpuMs.median : null;
  if (numpy && ratio !== null) {
    console.log(
      `  ${pad('map alone (ours), CPU', 44)} ${padStart(seconds(ours.mapCpuMs.median), 9)} median, ${ours.iterations.median} iterations`,
    );
    console.log(
      `  ${pad('map alone (NumPy/SciPy baseline), CPU', 44)} ${padStart(seconds(numpy.cpuMs.median), 9)} median, ${numpy.iterations.median} iterations, wall ${seconds(numpy.ms.median)}`,
    );
    console.log(`  ratio ours ÷ NumPy/SciPy (CPU, median) ${ratio.toFixed(2)}×`);
  }
  return { rows: MAP_ROWS, features: FEATURES, repetitions, ours, goalMet, numpy, ratio, failures };
}

async function measureNumpyMap(options: MonitoringRunOptions, values: Float64Array, repetitions: number) {
  try {
    await run(options.python, ['-c', 'import numpy, scipy']);
  } catch {
    console.log(`  numpy/scipy are not importable by ${options.python}: no comparison`);
    return null;
  }
  const file = join(options.dataDir, 'baseline-rows.f64');
  await writeFile(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  const { stdout } = await run(
    options.python,
    [
      join(import.meta.dirname, 'dinsight_baseline.py'),
      file,
      String(MAP_ROWS),
      String(FEATURES),
      String(repetitions),
    ],
    {
      // eslint-disable-next-line no-restricted-properties -- the child inherits the benchmark's environment
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 1 << 20,
    },
  );
  const theirs = JSON.parse(stdout) as { ms: number[]; cpuMs: number[]; iterations: number[] };
  return {
    ms: summarize(theirs.ms),
    cpuMs: summarize(theirs.cpuMs),
    iterations: summarize(theirs.iterations),
  };
}

function measureProjection() {
  console.log(
    `\nmonitoring: projection of ${PROJECTION_ROWS} new rows on a map of ${PROJECTION_BASELINE_ROWS} rows × ${FEATURES} features`,
  );
  const set = syntheticDriftSet({
    seed: 2,
    baselineRows: PROJECTION_BASELINE_ROWS,
    newRows: PROJECTION_ROWS / 2,
    features: FEATURES,
    shift: 1.5,
  });
  const distances = pairwiseDistances(set.baseline);
  const map = fitBaselineMap(distances, { ...config, imax: PROJECTION_MAP_IMAX });
  const scorer = fitFeatureSpaceScorer(set.baseline, distances, {
    threshold: { method: 'quantile', quantile: config.quantile },
    components: config.pcaComponents,
    seed: config.seed,
  });
  const model2d = fitMahalanobis(map.coordinates, map.lowdim, config.sensitivity);
  const perRowMs: number[] = [];
  const perRowCpuMs: number[] = [];
  for (const rows of [set.fresh, set.shifted]) {
    for (let i = 0; i < rows.rows; i += 1) {
      const placed = timed(() => {
        const point = projectRow(map, set.baseline, rows, i, config);
        return {
          point,
          scores: scoreRow(scorer, set.baseline, rows, i),
          m: mahalanobis(model2d, point.position),
        };
      });
      perRowMs.push(placed.ms);
      perRowCpuMs.push(placed.cpuMs);
    }
  }
  const p95Ms = quantile(Float64Array.from(perRowMs), 0.95);
  const p95CpuMs = quantile(Float64Array.from(perRowCpuMs), 0.95);
  const goalMet = p95CpuMs <= GOALS.projectionP95Ms;
  console.log(
    `  ${pad('per row, p95 (CPU)', 44)} ${padStart(milliseconds(p95CpuMs), 9)} (goal ≤ ${GOALS.projectionP95Ms} ms: ${verdict(goalMet)}), wall p95 ${milliseconds(p95Ms)}`,
  );
  const wall: Summary = summarize(perRowMs);
  console.log(
    `  ${pad('per row, wall', 44)} min ${milliseconds(wall.min)}, median ${milliseconds(wall.median)}, max ${milliseconds(wall.max)}`,
  );
  return {
    baselineRows: PROJECTION_BASELINE_ROWS,
    rows: perRowMs.length,
    mapImax: PROJECTION_MAP_IMAX,
    perRowMs: wall,
    perRowCpuMs: summarize(perRowCpuMs),
    p95Ms,
    p95CpuMs,
    goalMet,
  };
}

function measureDetection() {
  console.log(
    `\nmonitoring: detection over ${DETECTION_SEEDS} seeds (${FEATURES} features, shift 1.5× median NN distance)`,
  );
  let flaggedShifted = 0;
  let flaggedFresh = 0;
  let total = 0;
  for (let seed = 1; seed <= DETECTION_SEEDS; seed += 1) {
    const set = syntheticDriftSet({ seed, baselineRows: 500, newRows: 200, features: FEATURES, shift: 1.5 });
    const scorer = fitFeatureSpaceScorer(set.baseline, pairwiseDistances(set.baseline), {
      threshold: { method: 'quantile', quantile: config.quantile },
      components: config.pcaComponents,
      seed,
    });
    for (let i = 0; i < set.fresh.rows; i += 1) {
      if (scoreRow(scorer, set.baseline, set.shifted, i).nearestDistance >= scorer.nearestThreshold)
        flaggedShifted += 1;
      if (scoreRow(scorer, set.baseline, set.fresh, i).nearestDistance >= scorer.nearestThreshold)
        flaggedFresh += 1;
      total += 1;
    }
  }
  const recall = flaggedShifted / total;
  const falsePositiveRate = flaggedFresh / total;
  const goalMet = recall >= GOALS.recall && falsePositiveRate <= GOALS.falsePositiveRate;
  console.log(
    `  recall ${(recall * 100).toFixed(1)} % (goal ≥ 90 %), false positives ${(falsePositiveRate * 100).toFixed(2)} % (goal ≤ 1 %): ${verdict(goalMet)}`,
  );
  return { seeds: DETECTION_SEEDS, rowsPerSeed: 200, shift: 1.5, recall, falsePositiveRate, goalMet };
}
