import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExportFormat } from '../../shared/domain/exports/export-table';
import { EXPORT_ENGINE_MEMORY_MB } from '../../shared/domain/exports/run-export';
import { measureInChildProcess } from '../measurement';
import {
  count,
  MeasurementFailures,
  MiB,
  mib,
  pad,
  padStart,
  seconds,
  summarize,
  verdict,
  type Summary,
} from '../report-format';
import type { ExportMeasurement, ExportRequest, ExportRunResult } from './export-measurement';

/**
 * The exports benchmark: a generated table of 1,000,000 rows × 20 columns (an id, 15 doubles, 3
 * integers and a 5-class text label) exported to each format by `exportTable` with the exports
 * worker's engine settings (one thread, its memory limit), each run in a process of its own,
 * against DuckDB alone copying the same table to Parquet (`COPY … TO … (FORMAT parquet)`, same
 * settings) in the same run. Time is the median over the repetitions, as a ratio to the COPY's
 * median; peak RSS is the largest of the process over its repetitions. Goals are printed with
 * whether this run met them; only errors fail the run. The worker's download of the table and
 * upload of the files are not part of it.
 */
export interface ExportsRunOptions {
  /** Told about each measurement process, so Ctrl-C can stop it. */
  onChild: (child: ChildProcess | undefined) => void;
  /** True once Ctrl-C was pressed: nothing new starts. */
  stopping: () => boolean;
  /** A fresh, empty directory for the table and the exports. */
  dataDir: string;
  rows?: number;
  repetitions?: number;
}

const ENTRY = fileURLToPath(new URL('./measure-export.ts', import.meta.url));
const DEFAULT_ROWS = 1_000_000;
const DEFAULT_REPETITIONS = 5;
const PEAK_RSS_GOAL_BYTES = 512 * MiB;
const LAYOUT = { labelColumn: 'label', split: { testFraction: 0.2, seed: 42 } };

/** Each format, the options it is exported with, and its goal as a multiple of the COPY's time. */
const CASES: { format: ExportFormat; options: Record<string, unknown>; maxRatio: number; what: string }[] = [
  { format: 'csv', options: {}, maxRatio: 2, what: 'CSV (formula cells neutralised)' },
  { format: 'json', options: {}, maxRatio: 2, what: 'JSON array' },
  { format: 'jsonl', options: {}, maxRatio: 2, what: 'JSON Lines' },
  { format: 'parquet', options: {}, maxRatio: 2, what: 'Parquet (zstd)' },
  { format: 'huggingface', options: LAYOUT, maxRatio: 2, what: 'Hugging Face (Parquet shards, card)' },
  { format: 'pytorch', options: LAYOUT, maxRatio: 4, what: 'PyTorch (npy arrays)' },
  { format: 'tensorflow', options: LAYOUT, maxRatio: 4, what: 'TensorFlow (TFRecord)' },
];

export interface ExportCaseReport {
  format: ExportFormat;
  wallMs: Summary;
  /** Median ÷ the COPY's median. */
  ratio: number;
  peakRssBytes: number;
  startRssBytes: number;
  files: number;
  bytes: number;
  goal: { maxRatio: number; maxPeakRssBytes: number };
  met: { time: boolean; peakRss: boolean };
}

export interface ExportsReport {
  table: { rows: number; columns: number; parquetBytes: number; generateMs: number };
  engine: { threads: number; memoryLimitMb: number };
  repetitions: number;
  copy: { wallMs: Summary; peakRssBytes: number; bytes: number } | null;
  formats: ExportCaseReport[];
  elapsedMs: number;
  failures: number;
}

export async function runExports(options: ExportsRunOptions): Promise<ExportsReport> {
  const started = performance.now();
  const failures = new MeasurementFailures();
  const repetitions = options.repetitions ?? DEFAULT_REPETITIONS;
  const measure = <R extends ExportRequest>(request: R) =>
    options.stopping()
      ? Promise.reject(new Error('stopped by a signal'))
      : measureInChildProcess<R, ExportMeasurement>(ENTRY, request, options.onChild);

  const table = await measure({
    kind: 'export-table',
    dataDir: options.dataDir,
    rows: options.rows ?? DEFAULT_ROWS,
  });
  console.log(
    `\nexports: ${count(table.rows)} rows × ${table.columns} columns (Parquet ${mib(table.bytes, 1)}, generated in ${seconds(table.generateMs)}); ` +
      `exportTable with the worker's engine (1 thread, ${EXPORT_ENGINE_MEMORY_MB} MB); ${repetitions} repetitions, each in its own process`,
  );
  const runs = async (request: Exclude<ExportRequest, { kind: 'export-table' }>) => {
    const results: ExportRunResult[] = [];
    for (let i = 0; i < repetitions; i += 1) results.push(await measure(request));
    return results;
  };

  let copy: ExportsReport['copy'] = null;
  try {
    const results = await runs({
      kind: 'export-copy',
      dataDir: options.dataDir,
      parquetPath: table.parquetPath,
    });
    copy = {
      wallMs: summarize(results.map((r) => r.wallMs)),
      peakRssBytes: Math.max(...results.map((r) => r.peakRssBytes)),
      bytes: results[0]?.bytes ?? 0,
    };
    console.log(
      `  baseline: DuckDB COPY … TO Parquet of the same table: ${seconds(copy.wallMs.median)} (${seconds(copy.wallMs.min)}–${seconds(copy.wallMs.max)}), ` +
        `peak RSS ${mib(copy.peakRssBytes)}, ${mib(copy.bytes, 1)} written`,
    );
  } catch (error) {
    failures.record('baseline COPY', error);
  }

  console.log(
    `    ${[pad('format', 36), pad('time: median (min–max)', 24), padStart('÷ COPY', 7), pad('goal', 6), pad('met', 7), padStart('peak RSS', 9), pad('goal', 9), pad('met', 7), padStart('written', 10), 'files'].join('  ')}`,
  );
  const formats: ExportCaseReport[] = [];
  for (const exportCase of CASES) {
    const results = await failures.attempt(exportCase.what, () =>
      runs({
        kind: 'export-format',
        dataDir: options.dataDir,
        parquetPath: table.parquetPath,
        format: exportCase.format,
        options: exportCase.options,
      }),
    );
    if (!results) continue;
    const wallMs = summarize(results.map((r) => r.wallMs));
    const peak = Math.max(...results.map((r) => r.peakRssBytes));
    const ratio = copy ? wallMs.median / copy.wallMs.median : Number.NaN;
    const report: ExportCaseReport = {
      format: exportCase.format,
      wallMs,
      ratio,
      peakRssBytes: peak,
      startRssBytes: Math.min(...results.map((r) => r.startRssBytes)),
      files: results[0]?.files ?? 0,
      bytes: results[0]?.bytes ?? 0,
      goal: { maxRatio: exportCase.maxRatio, maxPeakRssBytes: PEAK_RSS_GOAL_BYTES },
      met: { time: ratio <= exportCase.maxRatio, peakRss: peak <= PEAK_RSS_GOAL_BYTES },
    };
    formats.push(report);
    console.log(
      `    ${[
        pad(exportCase.what, 36),
        pad(`${seconds(wallMs.median)} (${seconds(wallMs.min)}–${seconds(wallMs.max)})`, 24),
        padStart(Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—', 7),
        pad(`≤ ${exportCase.maxRatio}×`, 6),
        pad(verdict(report.met.time), 7),
        padStart(mib(peak), 9),
        pad(`≤ ${mib(PEAK_RSS_GOAL_BYTES)}`, 9),
        pad(verdict(report.met.peakRss), 7),
        padStart(mib(report.bytes, 1), 10),
        String(report.files),
      ].join('  ')}`,
    );
  }
  const missed = formats.filter((f) => !f.met.time || !f.met.peakRss).map((f) => f.format);
  if (missed.length > 0) console.log(`  goals missed: ${missed.join(', ')} (printed, not failed)`);
  return {
    table: {
      rows: table.rows,
      columns: table.columns,
      parquetBytes: table.bytes,
      generateMs: table.generateMs,
    },
    engine: { threads: 1, memoryLimitMb: EXPORT_ENGINE_MEMORY_MB },
    repetitions,
    copy,
    formats,
    elapsedMs: performance.now() - started,
    failures: failures.count,
  };
}
