import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openDuckDbEngine } from '../shared/adapters/duckdb/duckdb-sql-engine';
import { profileTable } from '../shared/profiling/profile-table';
import { sqlString } from '../shared/profiling/sql-engine.port';

/**
 * `npm run bench`: profiles a generated CSV with the DuckDB profiler (convert to Parquet + the
 * full profile the workers build) and with a baseline in the same run: a straightforward
 * single-pass JavaScript parse computing count/missing/min/max/mean/std per column. Prints times
 * and the ratio; asserts nothing.
 *
 *   BENCH_ROWS=200000 BENCH_COLS=10 npm run bench    (defaults)
 *   BENCH_LARGE=1 npm run bench                       (adds a ~1 GB file)
 */
// eslint-disable-next-line no-restricted-properties -- benchmark knobs, not product configuration
const env = process.env;
const rows = Number(env.BENCH_ROWS ?? 200_000);
const cols = Number(env.BENCH_COLS ?? 10);
const large = env.BENCH_LARGE === '1';

async function generate(path: string, rowCount: number, columnCount: number): Promise<number> {
  const out = createWriteStream(path);
  const header = [
    'id',
    ...Array.from({ length: columnCount - 1 }, (_, i) => (i % 3 === 2 ? `label_${i}` : `x_${i}`)),
  ];
  out.write(`${header.join(',')}\n`);
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const labels = ['alpha', 'beta', 'gamma', 'delta'];
  for (let r = 0; r < rowCount; r += 1) {
    const cells = [String(r)];
    for (let c = 1; c < columnCount; c += 1) {
      if (random() < 0.02) cells.push('');
      else if ((c - 1) % 3 === 2) cells.push(labels[Math.floor(random() * labels.length)] ?? 'alpha');
      else cells.push((random() * 1000 - 100).toFixed(3));
    }
    if (!out.write(`${cells.join(',')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return (await stat(path)).size;
}

async function duckDbProfile(path: string, dir: string): Promise<number> {
  const engine = await openDuckDbEngine({
    tempDirectory: join(dir, 'spill'),
    threads: 1,
    memoryLimit: '1GB',
  });
  try {
    const parquet = join(dir, 'data.parquet');
    await engine.run(
      `COPY (SELECT * FROM read_csv(${sqlString(path)})) TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const report = await profileTable(engine, `read_parquet(${sqlString(parquet)})`);
    return report.rowCount;
  } finally {
    await engine.close();
  }
}

/** The baseline: one pass, split on commas (the generated file has no quotes), Welford per column. */
async function javascriptProfile(path: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let header: string[] | undefined;
  let stats: {
    n: number;
    missing: number;
    min: number;
    max: number;
    mean: number;
    m2: number;
    text: Map<string, number>;
  }[] = [];
  let count = 0;
  for await (const line of lines) {
    const cells = line.split(',');
    if (!header) {
      header = cells;
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
      const s = stats[i];
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

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T; rssMb: number }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) };
}

async function runCase(name: string, rowCount: number, columnCount: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-bench-'));
  try {
    const csv = join(dir, 'input.csv');
    const bytes = await generate(csv, rowCount, columnCount);
    console.log(
      `\n${name}: ${rowCount.toLocaleString()} rows × ${columnCount} columns, ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    const duck = await timed(() => duckDbProfile(csv, dir));
    console.log(
      `  DuckDB convert + profile  ${duck.ms.toFixed(0).padStart(8)} ms  rows ${duck.value}  rss ${duck.rssMb} MiB`,
    );
    const summarize = await timed(async () => {
      const engine = await openDuckDbEngine({
        tempDirectory: join(dir, 'spill'),
        threads: 1,
        memoryLimit: '1GB',
      });
      try {
        return (await engine.all(`SUMMARIZE SELECT * FROM read_csv(${sqlString(csv)})`)).length;
      } finally {
        await engine.close();
      }
    });
    console.log(
      `  DuckDB SUMMARIZE only     ${summarize.ms.toFixed(0).padStart(8)} ms  columns ${summarize.value}`,
    );
    const js = await timed(() => javascriptProfile(csv));
    console.log(
      `  JavaScript single pass    ${js.ms.toFixed(0).padStart(8)} ms  rows ${js.value}  rss ${js.rssMb} MiB`,
    );
    console.log(
      `  ratio JavaScript / DuckDB SUMMARIZE (same statistics plus quantiles): ${(js.ms / summarize.ms).toFixed(2)}×`,
    );
    console.log(
      `  ratio JavaScript / DuckDB full profile (also Parquet, histograms, top values, correlations, duplicates): ${(js.ms / duck.ms).toFixed(2)}×`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await runCase('default', rows, cols);
// About 1 GB at ~95 bytes per row of 10 columns.
if (large) await runCase('large (BENCH_LARGE=1)', 11_000_000, 10);
