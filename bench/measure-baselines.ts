import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { openDuckDbEngine } from '../shared/adapters/duckdb/duckdb-sql-engine';
import { sqlNumber, sqlString } from '../shared/ports/sql-engine.port';
import { CleanupStack } from './cleanup-stack';
import type { DuckDbBaselineResult, JavaScriptBaselineResult, MeasurementRequest } from './measurement';
import { peakRssBytes, resetPeakRss } from './peak-rss';

/**
 * The same core work without our pipeline: one plain DuckDB session, with the settings the worker
 * used (threads, memory limit), converts the CSV to Parquet with DuckDB's own detection and
 * summarizes the Parquet file. No download, hashing, encoding check, dialect detection, reject
 * tracking, object store, database writes, histograms, top values, correlations, duplicates or
 * schema deduction: the ratio against it is what all of that costs.
 */
export async function measureDuckDbBaseline(
  request: Extract<MeasurementRequest, { kind: 'duckdb' }>,
): Promise<DuckDbBaselineResult> {
  const cleanup = new CleanupStack();
  const removeHandlers = cleanup.onTermination();
  try {
    cleanup.defer('remove the baseline directory', () =>
      rm(request.directory, { recursive: true, force: true }),
    );
    // Not recursive: if the benchmark's own temp dir is gone, it is being torn down.
    await mkdir(request.directory);
    const parquet = join(request.directory, 'baseline.parquet');
    const scope = resetPeakRss() ? 'step' : 'process';
    const startRssBytes = process.memoryUsage().rss;
    const started = performance.now();
    const engine = await openDuckDbEngine({
      tempDirectory: join(request.directory, 'spill'),
      // Its own directory (Parquet, spill) and the input's: the adapter refuses every other path.
      allowedDirectories: [request.directory, dirname(request.csvPath)],
      ...request.engine,
    });
    cleanup.defer('close DuckDB', async () => engine.close());
    await engine.run(
      `COPY (SELECT * FROM read_csv(${sqlString(request.csvPath)})) TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const summary = await engine.all(`SUMMARIZE SELECT * FROM read_parquet(${sqlString(parquet)})`);
    await engine.close();
    const wallMs = performance.now() - started;
    return {
      kind: 'duckdb',
      wallMs,
      peakRssBytes: peakRssBytes(),
      peakRssScope: scope,
      startRssBytes,
      rowCount: sqlNumber(summary[0]?.count) ?? null,
      parquetBytes: (await stat(parquet)).size,
      summarizedColumns: summary.length,
    };
  } finally {
    removeHandlers();
    await cleanup.run();
  }
}

/**
 * A naive single pass in plain JavaScript, kept as a floor for "how fast can one read the bytes":
 * it splits each line on commas (no quoting, so quoted values containing a comma shift the
 * columns after them), infers no types, writes no Parquet, and computes only
 * count/missing/min/max/mean/std per column (Welford) and value counts for non-numeric cells.
 * Its row count is a line count.
 */
export async function measureJavaScriptBaseline(
  request: Extract<MeasurementRequest, { kind: 'javascript' }>,
): Promise<JavaScriptBaselineResult> {
  const scope = resetPeakRss() ? 'step' : 'process';
  const startRssBytes = process.memoryUsage().rss;
  const started = performance.now();
  const rowCount = await naiveColumnStatistics(request.csvPath);
  return {
    kind: 'javascript',
    wallMs: performance.now() - started,
    peakRssBytes: peakRssBytes(),
    peakRssScope: scope,
    startRssBytes,
    rowCount,
  };
}

interface ColumnStatistics {
  n: number;
  missing: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  text: Map<string, number>;
}

async function naiveColumnStatistics(path: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let stats: ColumnStatistics[] | undefined;
  let count = 0;
  for await (const line of lines) {
    const cells = line.split(',');
    if (!stats) {
      stats = cells.map(() => ({
        n: 0,
        missing: 0,
        min: Infinity,
        max: -Infinity,
        mean: 0,
        m2: 0,
        text: new Map(),
      }));
      continue;
    }
    count += 1;
    cells.forEach((cell, i) => {
      const s = stats?.[i];
      if (!s) return;
      if (cell === '') {
        s.missing += 1;
        return;
      }
      const x = Number(cell);
      if (Number.isNaN(x)) {
        s.text.set(cell, (s.text.get(cell) ?? 0) + 1);
        return;
      }
      s.n += 1;
      const delta = x - s.mean;
      s.mean += delta / s.n;
      s.m2 += delta * (x - s.mean);
      if (x < s.min) s.min = x;
      if (x > s.max) s.max = x;
    });
  }
  return count;
}
