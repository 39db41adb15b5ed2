import { execFile, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { butterworthSos, ZeroPhaseFilter } from '../../shared/domain/seismic/processing/butterworth';
import { openSegy, readTraces } from '../../shared/domain/seismic/segy/segy-reader';
import { withSegyFile } from '../../shared/domain/seismic/segy/segy-sources';
import { encodeTraceBlock } from '../../shared/domain/seismic/segy/segy-writer';
import { chunkTracesFor } from '../../shared/domain/seismic/trace-store';
import { mib, pad, padStart, seconds, summarize, verdict, type Summary } from '../report-format';
import { bigEndianLayout, rev1Preamble } from '../../test/support/synthetic-segy';
import type { SeismicNodeMeasurement } from './measure-seismic-node';

/**
 * The seismic benchmark, on one generated SEG-Y line (IBM float, big-endian, 1,000 samples at
 * 2 ms per trace; 256 MiB by default, `BENCH_SEISMIC_MB` or 1 GiB with BENCH_LARGE=1), in the
 * same run as its references:
 * - reading it: every trace's samples and inline/crossline by our reader (chunk by chunk, as
 *   ingestion reads) against segyio doing the same, with both reads' sums compared (goal ≤ 1.5×);
 * - a zero-phase Butterworth band-pass of its first 4,096 traces against scipy.signal.sosfiltfilt
 *   with the same design (goal ≤ 2×, and within 1e-6 of it);
 * - the peak RSS of the `seismic.bandpass` node run on the whole file in a child process, as a
 *   host runs it (goal ≤ 1 GiB).
 * Every figure is a min / median / max over the repetitions. Without segyio or scipy the
 * comparisons are skipped and said so.
 */
export interface SeismicRunOptions {
  dataDir: string;
  python: string;
  megabytes: number;
  repetitions?: number;
  onChild?: (child: ChildProcess) => void;
}

export interface SeismicBenchReport {
  /** Measurements that could not be made (an error stops the benchmark instead). */
  failures: number;
  fileBytes: number;
  traces: number;
  samplesPerTrace: number;
  repetitions: number;
  read: {
    oursMs: Summary;
    segyioMs: Summary | null;
    ratio: number | null;
    /** CPU time of each side's process (less sensitive than wall time to others sharing the machine). */
    oursCpuMs: Summary;
    segyioCpuMs: Summary | null;
    cpuRatio: number | null;
    goal: number;
    met: boolean | null;
    /** Both readers' sums of every sample (float64) and of the inline/crossline numbers agree. */
    sameValues: boolean | null;
  };
  bandpass: {
    traces: number;
    oursMs: Summary;
    scipyMs: Summary | null;
    ratio: number | null;
    goal: number;
    maxAbsDifference: number | null;
    met: boolean | null;
  };
  node: {
    nodeType: 'seismic.bandpass';
    ms: Summary;
    peakRssBytes: Summary;
    peakReset: boolean;
    goalBytes: number;
    met: boolean;
  };
}

const run = promisify(execFile);
const NS = 1000;
const INTERVAL_MICROS = 2000;
const FS = 1_000_000 / INTERVAL_MICROS;
const BAND = { order: 4, lowHz: 5, highHz: 80 };
const BANDPASS_TRACES = 4096;
const GOALS = { readVsSegyio: 1.5, bandpassVsScipy: 2, nodePeakRssBytes: 2 ** 30 };
const BASELINE = join(import.meta.dirname, 'segyio_baseline.py');

export async function runSeismic(options: SeismicRunOptions): Promise<SeismicBenchReport> {
  const repetitions = Math.max(5, options.repetitions ?? 5);
  const file = join(options.dataDir, 'line.sgy');
  const traces = Math.max(BANDPASS_TRACES, Math.floor((options.megabytes * 2 ** 20) / (240 + 4 * NS)));
  console.log(
    `\nseismic: a SEG-Y line of ${traces} traces × ${NS} samples (IBM float), ${repetitions} repetitions`,
  );
  await writeSyntheticLine(file, traces);
  const fileBytes = (await stat(file)).size;
  console.log(`  wrote ${mib(fileBytes)} with our writer`);
  const python = await pythonHas(options.python);

  // Reading.
  const ours: number[] = [];
  const oursCpu: number[] = [];
  let read: LineRead | undefined;
  for (let r = 0; r < repetitions; r += 1) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    read = await readLine(file);
    ours.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    oursCpu.push((used.user + used.system) / 1000);
    console.log(
      `  read repetition ${r + 1}: ours ${seconds(ours[r] ?? 0)} (CPU ${seconds(oursCpu[r] ?? 0)})`,
    );
  }
  const oursRead = summarize(ours);
  const oursReadCpu = summarize(oursCpu);
  let segyio: (LineSums & { ms: number[]; cpuMs: number[] }) | undefined;
  if (python.segyio) {
    const { stdout } = await run(
      options.python,
      [BASELINE, 'read', file, String(repetitions), String(chunkTracesFor(NS))],
      { env: singleThreaded(), maxBuffer: 1 << 20 },
    );
    segyio = JSON.parse(stdout) as LineSums & { ms: number[]; cpuMs: number[] };
  } else console.log(`  segyio is not importable by ${options.python}: no read comparison`);
  const segyioRead = segyio ? summarize(segyio.ms) : null;
  const readRatio = segyioRead ? oursRead.median / segyioRead.median : null;
  const segyioReadCpu = segyio ? summarize(segyio.cpuMs) : null;
  const cpuRatio = segyioReadCpu ? oursReadCpu.median / segyioReadCpu.median : null;
  const sameValues =
    segyio && read
      ? segyio.traces === read.traces &&
        segyio.inlineSum === read.inlineSum &&
        segyio.crosslineSum === read.crosslineSum &&
        Math.abs(segyio.sum - read.sum) <= 1e-9 * Math.max(1, Math.abs(read.sum))
      : null;
  console.log(
    `  ${pad('read (ours)', 36)} ${padStart(seconds(oursRead.median), 9)} median` +
      (segyioRead && readRatio !== null
        ? `; segyio ${seconds(segyioRead.median)}: ${readRatio.toFixed(2)}× (goal ≤ ${GOALS.readVsSegyio}×) ${verdict(readRatio <= GOALS.readVsSegyio)}; same values: ${String(sameValues)}`
        : ''),
  );
  if (segyioReadCpu && cpuRatio !== null)
    console.log(
      `  ${pad('read CPU time (ours)', 36)} ${padStart(seconds(oursReadCpu.median), 9)} median; segyio ${seconds(segyioReadCpu.median)}: ${cpuRatio.toFixed(2)}×`,
    );

  // Band-pass against scipy.
  const input = await firstTraces(file, BANDPASS_TRACES);
  const filter = new ZeroPhaseFilter(butterworthSos({ ...BAND, sampleRateHz: FS }));
  const filtered = new Float32Array(input.length);
  const oursBandpass: number[] = [];
  for (let r = 0; r < repetitions; r += 1) {
    const started = performance.now();
    for (let t = 0; t < BANDPASS_TRACES; t += 1) filter.apply(input, filtered, t * NS, NS);
    oursBandpass.push(performance.now() - started);
  }
  const oursFilter = summarize(oursBandpass);
  let scipyFilter: Summary | null = null;
  let maxAbsDifference: number | null = null;
  if (python.scipy) {
    const inPath = join(options.dataDir, 'bandpass-in.f32');
    const outPath = join(options.dataDir, 'bandpass-out.f64');
    await writeFile(inPath, new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    const { stdout } = await run(
      options.python,
      [
        BASELINE,
        'bandpass',
        inPath,
        String(NS),
        String(FS),
        String(BAND.order),
        String(BAND.lowHz),
        String(BAND.highHz),
        String(repetitions),
        outPath,
      ],
      { env: singleThreaded() },
    );
    scipyFilter = summarize((JSON.parse(stdout) as { ms: number[] }).ms);
    const bytes = await readFile(outPath);
    const expected = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    maxAbsDifference = 0;
    for (let i = 0; i < expected.length; i += 1) {
      maxAbsDifference = Math.max(maxAbsDifference, Math.abs((filtered[i] ?? 0) - (expected[i] ?? 0)));
    }
  } else console.log(`  scipy is not importable by ${options.python}: no band-pass comparison`);
  const bandpassRatio = scipyFilter ? oursFilter.median / scipyFilter.median : null;
  console.log(
    `  ${pad(`band-pass of ${BANDPASS_TRACES} traces (ours)`, 36)} ${padStart(seconds(oursFilter.median), 9)} median` +
      (scipyFilter && bandpassRatio !== null && maxAbsDifference !== null
        ? `; sosfiltfilt ${seconds(scipyFilter.median)}: ${bandpassRatio.toFixed(2)}× (goal ≤ ${GOALS.bandpassVsScipy}×) ${verdict(bandpassRatio <= GOALS.bandpassVsScipy)}; max |difference| ${maxAbsDifference.toExponential(2)} ${verdict(maxAbsDifference <= 1e-6)}`
        : ''),
  );

  // The node's peak RSS on the whole file.
  const node = await measureNode(file, repetitions, options.onChild);
  const peak = summarize(node.peakRssBytes);
  const nodeMs = summarize(node.ms);
  console.log(
    `  ${pad('seismic.bandpass node on the file', 36)} ${padStart(seconds(nodeMs.median), 9)} median, peak RSS ${mib(peak.max)} max (goal ≤ ${mib(GOALS.nodePeakRssBytes)}) ${verdict(peak.max <= GOALS.nodePeakRssBytes)}${node.peakReset ? '' : ' (peak includes the setup)'}`,
  );

  return {
    failures: 0,
    fileBytes,
    traces,
    samplesPerTrace: NS,
    repetitions,
    read: {
      oursMs: oursRead,
      segyioMs: segyioRead,
      ratio: readRatio,
      oursCpuMs: oursReadCpu,
      segyioCpuMs: segyioReadCpu,
      cpuRatio,
      goal: GOALS.readVsSegyio,
      met: readRatio === null ? null : readRatio <= GOALS.readVsSegyio,
      sameValues,
    },
    bandpass: {
      traces: BANDPASS_TRACES,
      oursMs: oursFilter,
      scipyMs: scipyFilter,
      ratio: bandpassRatio,
      goal: GOALS.bandpassVsScipy,
      maxAbsDifference,
      met:
        bandpassRatio === null || maxAbsDifference === null
          ? null
          : bandpassRatio <= GOALS.bandpassVsScipy && maxAbsDifference <= 1e-6,
    },
    node: {
      nodeType: 'seismic.bandpass',
      ms: nodeMs,
      peakRssBytes: peak,
      peakReset: node.peakReset,
      goalBytes: GOALS.nodePeakRssBytes,
      met: peak.max <= GOALS.nodePeakRssBytes,
    },
  };
}

interface LineSums {
  traces: number;
  sum: number;
  inlineSum: number;
  crosslineSum: number;
}
type LineRead = LineSums;

/** What segyio's side does: every sample and the inline/crossline of every trace, chunk by chunk. */
async function readLine(file: string): Promise<LineRead> {
  return withSegyFile(file, async (source) => {
    const { layout } = await openSegy(source);
    const chunk = chunkTracesFor(layout.samplesPerTrace);
    const sums: LineRead = { traces: layout.traceCount, sum: 0, inlineSum: 0, crosslineSum: 0 };
    for (let start = 0; start < layout.traceCount; start += chunk) {
      const block = await readTraces(source, layout, start, chunk);
      const headers = new DataView(block.headers.buffer, block.headers.byteOffset, block.headers.byteLength);
      for (let t = 0; t < block.count; t += 1) {
        const at = t * layout.traceHeaderBytes;
        sums.inlineSum += headers.getInt32(at + 188, layout.littleEndian);
        sums.crosslineSum += headers.getInt32(at + 192, layout.littleEndian);
      }
      // An indexed loop: for…of over a typed array costs several times more here.
      let sum = 0;
      const samples = block.samples;
      for (let i = 0; i < samples.length; i += 1) sum += samples[i] ?? 0;
      sums.sum += sum;
    }
    return sums;
  });
}

async function firstTraces(file: string, count: number): Promise<Float32Array> {
  return withSegyFile(file, async (source) => {
    const { layout } = await openSegy(source);
    return (await readTraces(source, layout, 0, count)).samples;
  });
}

/** A line written by our writer, block by block: three reflectors through a 25 Hz wavelet, plus noise. */
async function writeSyntheticLine(file: string, traces: number): Promise<void> {
  const layout = bigEndianLayout(1, NS, INTERVAL_MICROS, traces);
  const preamble = rev1Preamble(layout, [
    'C01 SYNTHETIC LINE FOR THE SEISMIC BENCHMARK',
    'C40 END TEXTUAL HEADER',
  ]);
  const wavelet = Array.from({ length: 61 }, (_, k) => {
    const a = (Math.PI * 25 * (k - 30) * (INTERVAL_MICROS / 1e6)) ** 2;
    return (1 - 2 * a) * Math.exp(-a);
  });
  let state = 12345;
  const noise = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const handle = await open(file, 'w');
  try {
    await handle.write(preamble);
    const block = 4096;
    for (let first = 0; first < traces; first += block) {
      const count = Math.min(block, traces - first);
      const headers = new Uint8Array(count * 240);
      const view = new DataView(headers.buffer);
      const samples = new Float32Array(count * NS);
      for (let t = 0; t < count; t += 1) {
        const trace = first + t;
        view.setInt32(t * 240, trace + 1);
        view.setInt32(t * 240 + 20, 1000 + trace);
        view.setInt16(t * 240 + 114, NS);
        view.setInt16(t * 240 + 116, INTERVAL_MICROS);
        view.setInt32(t * 240 + 188, 1 + Math.floor(trace / 1000));
        view.setInt32(t * 240 + 192, 1 + (trace % 1000));
        const reflectors = [200, 400 + ((trace * 7) % 200), 750];
        for (const at of reflectors)
          for (let k = 0; k < wavelet.length; k += 1) {
            const i = at + k - 30;
            if (i >= 0 && i < NS) samples[t * NS + i] = (samples[t * NS + i] ?? 0) + (wavelet[k] ?? 0);
          }
        for (let i = 0; i < NS; i += 1) samples[t * NS + i] = (samples[t * NS + i] ?? 0) + 0.4 * noise();
      }
      await handle.write(encodeTraceBlock(layout, { count, headers, samples }));
    }
  } finally {
    await handle.close();
  }
}

async function pythonHas(python: string): Promise<{ segyio: boolean; scipy: boolean }> {
  const importable = (module: string) =>
    run(python, ['-c', `import ${module}`]).then(
      () => true,
      () => false,
    );
  return { segyio: await importable('segyio'), scipy: await importable('scipy.signal') };
}

function singleThreaded(): NodeJS.ProcessEnv {
  // eslint-disable-next-line no-restricted-properties -- the child inherits the benchmark's environment
  return { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
}

async function measureNode(
  file: string,
  repetitions: number,
  onChild?: (child: ChildProcess) => void,
): Promise<SeismicNodeMeasurement> {
  const child = fork(
    join(import.meta.dirname, 'measure-seismic-node.ts'),
    [JSON.stringify({ file, repetitions })],
    { execArgv: [...process.execArgv] },
  );
  onChild?.(child);
  let measurement: SeismicNodeMeasurement | undefined;
  child.on('message', (message) => {
    measurement = message as SeismicNodeMeasurement;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0 || !measurement) throw new Error(`the seismic node measurement exited with ${String(code)}`);
  return measurement;
}
