import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openDuckDbEngine } from '../../shared/adapters/duckdb/duckdb-sql-engine';
import { exportOptionsSchema, exportTable } from '../../shared/domain/exports/export-table';
import { EXPORT_ENGINE_MEMORY_MB } from '../../shared/domain/exports/run-export';
import type { SqlEngine } from '../../shared/ports/sql-engine.port';
import { peakRssBytes, resetPeakRss } from '../peak-rss';
import type {
  ExportMeasurement,
  ExportRequest,
  ExportRunResult,
  ExportTableResult,
} from './export-measurement';

/**
 * Child process entry of one exports measurement: the request comes as JSON in the first
 * argument, the result goes back over IPC. Exports run with the exports worker's own engine
 * settings (one thread, its memory limit, spilling to a scratch directory).
 */
const request = JSON.parse(process.argv[2] ?? '{}') as ExportRequest;

/** Feature columns of the generated table: 15 DOUBLE and 3 INTEGER, then an id and a 5-class label. */
const DOUBLES = 15;
const INTEGERS = 3;

async function engineIn(dataDir: string): Promise<{ engine: SqlEngine; workDir: string }> {
  const workDir = await mkdtemp(join(dataDir, 'work-'));
  const engine = await openDuckDbEngine({
    tempDirectory: join(workDir, 'engine'),
    allowedDirectories: [dataDir],
    threads: 1,
    memoryLimitMb: EXPORT_ENGINE_MEMORY_MB,
  });
  return { engine, workDir };
}

async function sizeOf(directory: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

async function generate(input: Extract<ExportRequest, { kind: 'export-table' }>): Promise<ExportTableResult> {
  const { engine, workDir } = await engineIn(input.dataDir);
  const parquetPath = join(input.dataDir, 'table.parquet');
  const started = performance.now();
  const doubles = Array.from(
    { length: DOUBLES },
    (_, i) => `round(random() * ${i + 1} - 0.5, 4) AS f${String(i + 1).padStart(2, '0')}`,
  );
  const integers = Array.from(
    { length: INTEGERS },
    (_, i) => `((i * ${i + 7}) % ${100 * (i + 1)})::INTEGER AS n${i + 1}`,
  );
  await engine.run(`SELECT setseed(0.42)`);
  await engine.run(
    `COPY (SELECT i AS id, ${[...doubles, ...integers].join(', ')},
                  ['alpha', 'beta', 'gamma', 'delta', '=epsilon'][(i % 5) + 1] AS label
             FROM range(${input.rows}) t(i))
       TO '${parquetPath}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  const generateMs = performance.now() - started;
  engine.close();
  await rm(workDir, { recursive: true, force: true });
  return {
    kind: 'export-table',
    parquetPath,
    rows: input.rows,
    columns: 2 + DOUBLES + INTEGERS,
    bytes: (await stat(parquetPath)).size,
    generateMs,
  };
}

async function timed(
  input: Exclude<ExportRequest, { kind: 'export-table' }>,
  work: (engine: SqlEngine, outDir: string) => Promise<number>,
): Promise<ExportRunResult> {
  const peakRssScope = resetPeakRss() ? 'step' : 'process';
  const startRssBytes = process.memoryUsage.rss();
  const started = performance.now();
  const { engine, workDir } = await engineIn(input.dataDir);
  const outDir = join(workDir, 'out');
  const rows = await work(engine, outDir);
  const wallMs = performance.now() - started;
  const peak = peakRssBytes();
  engine.close();
  const written = await sizeOf(outDir);
  await rm(workDir, { recursive: true, force: true });
  return { kind: input.kind, wallMs, peakRssBytes: peak, startRssBytes, peakRssScope, rows, ...written };
}

async function measure(): Promise<ExportMeasurement> {
  switch (request.kind) {
    case 'export-table':
      return generate(request);
    case 'export-copy':
      // The baseline: DuckDB alone copying the same table to Parquet, same settings.
      return timed(request, async (engine, outDir) => {
        await mkdir(outDir, { recursive: true });
        const [written] = await engine.query(
          `COPY (SELECT * FROM read_parquet('${request.parquetPath}')) TO '${join(outDir, 'copy.parquet')}' (FORMAT parquet)`,
        );
        return Number(written?.['Count'] ?? 0);
      });
    case 'export-format': {
      const { format, parquetPath } = request;
      const options = exportOptionsSchema(format).parse(request.options);
      return timed(request, async (engine, outDir) => {
        const result = await exportTable(engine, { parquetPath, outDir, format, options });
        return result.rows;
      });
    }
  }
}

try {
  const result = await measure();
  await new Promise<void>((resolve, reject) =>
    process.send
      ? process.send(result, undefined, {}, (error) => (error ? reject(error) : resolve()))
      : resolve(),
  );
  process.exit(0);
} catch (error) {
  console.error(`the ${String(request.kind)} measurement failed:`, error);
  process.exit(1);
}
