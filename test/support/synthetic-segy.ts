import { encodeEbcdic } from '../../shared/domain/seismic/segy/ebcdic';
import type { SegyLayout } from '../../shared/domain/seismic/segy/segy-reader';
import { encodeSegy } from '../../shared/domain/seismic/segy/segy-writer';

/**
 * A synthetic 2-D line written by PipeWeave's SEG-Y writer: reflectivity (a flat, a dipping and a
 * curved reflector) convolved with a Ricker wavelet, plus seeded Gaussian noise. Rev 1, IEEE
 * float, big-endian; every trace header carries its inline, crossline, CDP, CDP x/y with a
 * coordinate scalar, offset and sample count. The clean file has the same headers and the
 * noise-free traces, so it can serve as a denoising reference.
 */
export interface SyntheticLine {
  noisy: Uint8Array;
  clean: Uint8Array;
  traces: number;
  samplesPerTrace: number;
  sampleIntervalMicros: number;
}

export function syntheticSegyLine(
  options: {
    traces?: number;
    samplesPerTrace?: number;
    sampleIntervalMicros?: number;
    peakHz?: number;
    noise?: number;
    seed?: number;
  } = {},
): SyntheticLine {
  const traces = options.traces ?? 400;
  const ns = options.samplesPerTrace ?? 1000;
  const dtMicros = options.sampleIntervalMicros ?? 2000;
  const dt = dtMicros / 1_000_000;
  const random = gaussian(options.seed ?? 7);

  const wavelet = ricker(options.peakHz ?? 25, dt);
  const half = (wavelet.length - 1) / 2;
  const clean = new Float32Array(traces * ns);
  for (let t = 0; t < traces; t += 1) {
    const x = t / Math.max(1, traces - 1);
    const spikes: [number, number][] = [
      [Math.round(ns * 0.2), 1],
      [Math.round(ns * (0.35 + 0.25 * x)), -0.8],
      [Math.round(ns * (0.75 - 0.1 * Math.sin(Math.PI * x))), 0.6],
    ];
    for (const [at, amplitude] of spikes) {
      for (let k = 0; k < wavelet.length; k += 1) {
        const i = at + k - half;
        if (i >= 0 && i < ns) clean[t * ns + i] = (clean[t * ns + i] ?? 0) + amplitude * (wavelet[k] ?? 0);
      }
    }
  }
  const noisy = new Float32Array(clean.length);
  const level = options.noise ?? 0.3;
  for (let i = 0; i < clean.length; i += 1) noisy[i] = (clean[i] ?? 0) + level * random();

  const layout = bigEndianLayout(5, ns, dtMicros, traces);
  const preamble = rev1Preamble(layout, [
    'C01 SYNTHETIC 2-D LINE: REFLECTIVITY CONVOLVED WITH A RICKER WAVELET, PLUS NOISE',
    `C02 ${traces} TRACES OF ${ns} SAMPLES AT ${dtMicros} US, IEEE FLOAT, BIG-ENDIAN`,
    'C39 SEG-Y REV1',
    'C40 END TEXTUAL HEADER',
  ]);
  const binary = new DataView(preamble.buffer, 3200, 400);
  binary.setInt32(0, 1); // job id
  binary.setInt32(4, 7); // line number
  binary.setInt16(28, 4); // sorting: horizontally stacked

  const headers = new Uint8Array(traces * 240);
  const view = new DataView(headers.buffer);
  for (let t = 0; t < traces; t += 1) {
    const at = t * 240;
    view.setInt32(at + 0, t + 1);
    view.setInt32(at + 4, t + 1);
    view.setInt32(at + 8, 1001);
    view.setInt32(at + 12, t + 1);
    view.setInt32(at + 20, 2000 + t);
    view.setInt16(at + 28, 1);
    view.setInt32(at + 36, 25 * t);
    view.setInt16(at + 70, -100);
    view.setInt32(at + 180, 45_000_000 + 1250 * t);
    view.setInt32(at + 184, 650_000_000 - 300 * t);
    view.setInt16(at + 114, ns);
    view.setInt16(at + 116, dtMicros);
    view.setInt32(at + 188, 7);
    view.setInt32(at + 192, 100 + t);
  }
  return {
    noisy: encodeSegy(preamble, layout, [{ count: traces, headers, samples: noisy }]),
    clean: encodeSegy(preamble, layout, [{ count: traces, headers, samples: clean }]),
    traces,
    samplesPerTrace: ns,
    sampleIntervalMicros: dtMicros,
  };
}

/** The layout of a rev 1 file of fixed-length big-endian traces with 4-byte samples (IBM float: 1, IEEE: 5). */
export function bigEndianLayout(formatCode: 1 | 5, ns: number, dtMicros: number, traces: number): SegyLayout {
  return {
    littleEndian: false,
    formatCode,
    formatName: formatCode === 1 ? '4-byte IBM floating point' : '4-byte IEEE floating point',
    bytesPerSample: 4,
    samplesPerTrace: ns,
    sampleIntervalMicros: dtMicros,
    sampleRateHz: 1_000_000 / dtMicros,
    revision: { major: 1, minor: 0 },
    extendedTextualHeaders: 0,
    additionalTraceHeaders: 0,
    firstTraceOffset: 3600,
    traceHeaderBytes: 240,
    traceBytes: 240 + 4 * ns,
    traceCount: traces,
  };
}

/** The textual header (EBCDIC, one line of 80 characters per entry) and the binary header of that layout. */
export function rev1Preamble(layout: SegyLayout, textLines: readonly string[]): Uint8Array {
  const preamble = new Uint8Array(3600);
  preamble.set(
    encodeEbcdic(
      textLines
        .map((line) => line.padEnd(80).slice(0, 80))
        .join('')
        .padEnd(3200),
    ),
  );
  const binary = new DataView(preamble.buffer, 3200, 400);
  binary.setInt16(16, layout.sampleIntervalMicros);
  binary.setInt16(20, layout.samplesPerTrace);
  binary.setInt16(24, layout.formatCode);
  binary.setInt16(300, 0x0100);
  binary.setInt16(302, 1);
  return preamble;
}

function ricker(peakHz: number, dt: number): Float64Array {
  const half = Math.ceil(1.5 / peakHz / dt);
  const out = new Float64Array(2 * half + 1);
  for (let k = -half; k <= half; k += 1) {
    const a = (Math.PI * peakHz * k * dt) ** 2;
    out[k + half] = (1 - 2 * a) * Math.exp(-a);
  }
  return out;
}

/** Standard normal draws from a seeded generator (mulberry32 and Box–Muller). */
function gaussian(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(state ^ (state >>> 15), 1 | state);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
