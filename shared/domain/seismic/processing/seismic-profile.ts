import { fft, nextPowerOfTwo } from '../../signal/fft';

/**
 * The profile of a seismic dataset, accumulated block by block (memory bounded by one block and
 * the per-trace figures): amplitude statistics, dead and clipped traces, RMS per trace, and the
 * mean amplitude spectrum with its dominant frequency (from at most `spectrumTraces` traces
 * spread over the file).
 */
export interface SeismicProfile {
  traces: number;
  samplesPerTrace: number;
  sampleRateHz: number;
  amplitude: { min: number; max: number; mean: number; std: number; rms: number };
  deadTraces: { count: number; first: number[] };
  clippedTraces: { count: number; first: number[]; clipLevel: number };
  rmsPerTrace: { min: number; median: number; max: number };
  dominantFrequencyHz: number;
  spectrum: { frequencyHz: number[]; amplitude: number[] };
  spectrumTraces: number;
}

const LISTED = 20;
/** A trace is clipped when this many of its samples sit at the file's largest magnitude. */
const CLIPPED_SAMPLES = 3;

export class SeismicProfiler {
  private count = 0;
  private sum = 0;
  private sumSquares = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly dead: number[] = [];
  private deadCount = 0;
  /** Per trace: its largest magnitude and how many samples reach it. */
  private readonly peak: Float32Array;
  private readonly atPeak: Uint32Array;
  readonly rms: Float32Array;
  private readonly nfft: number;
  private readonly spectrumSum: Float64Array;
  private spectrumCount = 0;
  private readonly stride: number;

  constructor(
    private readonly traces: number,
    private readonly ns: number,
    private readonly sampleRateHz: number,
    spectrumTraces = 512,
  ) {
    this.peak = new Float32Array(traces);
    this.atPeak = new Uint32Array(traces);
    this.rms = new Float32Array(traces);
    this.nfft = nextPowerOfTwo(ns);
    this.spectrumSum = new Float64Array(this.nfft / 2 + 1);
    this.stride = Math.max(1, Math.floor(traces / spectrumTraces));
  }

  add(start: number, samples: Float32Array): void {
    const ns = this.ns;
    const n = Math.floor(samples.length / ns);
    for (let t = 0; t < n; t += 1) {
      const index = start + t;
      let squares = 0;
      let peak = 0;
      let atPeak = 0;
      for (let i = 0; i < ns; i += 1) {
        const v = samples[t * ns + i] ?? 0;
        this.sum += v;
        squares += v * v;
        if (v < this.min) this.min = v;
        if (v > this.max) this.max = v;
        const a = Math.abs(v);
        if (a > peak) {
          peak = a;
          atPeak = 1;
        } else if (a === peak) atPeak += 1;
      }
      this.sumSquares += squares;
      this.count += ns;
      this.rms[index] = Math.sqrt(squares / ns);
      this.peak[index] = peak;
      this.atPeak[index] = atPeak;
      if (peak === 0) {
        this.deadCount += 1;
        if (this.dead.length < LISTED) this.dead.push(index);
      }
      if (index % this.stride === 0) this.addSpectrum(samples, t * ns);
    }
  }

  private addSpectrum(samples: Float32Array, at: number): void {
    const re = new Float64Array(this.nfft);
    const im = new Float64Array(this.nfft);
    for (let i = 0; i < this.ns; i += 1) re[i] = samples[at + i] ?? 0;
    fft(re, im);
    for (let k = 0; k < this.spectrumSum.length; k += 1) {
      this.spectrumSum[k] = (this.spectrumSum[k] ?? 0) + Math.hypot(re[k] ?? 0, im[k] ?? 0);
    }
    this.spectrumCount += 1;
  }

  finish(bins = 128): SeismicProfile {
    const mean = this.count ? this.sum / this.count : 0;
    const variance = this.count ? Math.max(0, this.sumSquares / this.count - mean * mean) : 0;
    let clipLevel = 0;
    for (const p of this.peak) if (p > clipLevel) clipLevel = p;
    const clipped: number[] = [];
    let clippedCount = 0;
    for (let t = 0; t < this.traces; t += 1) {
      if (clipLevel > 0 && this.peak[t] === clipLevel && (this.atPeak[t] ?? 0) >= CLIPPED_SAMPLES) {
        clippedCount += 1;
        if (clipped.length < LISTED) clipped.push(t);
      }
    }
    const sortedRms = Float32Array.from(this.rms).sort();
    const meanSpectrum = Array.from(this.spectrumSum, (v) =>
      this.spectrumCount ? v / this.spectrumCount : 0,
    );
    let dominant = 0;
    for (let k = 1; k < meanSpectrum.length; k += 1) {
      if ((meanSpectrum[k] ?? 0) > (meanSpectrum[dominant] ?? 0)) dominant = k;
    }
    const binHz = this.sampleRateHz / this.nfft;
    // Averaged into at most `bins` bands so the profile stays small.
    const group = Math.max(1, Math.ceil(meanSpectrum.length / bins));
    const frequencyHz: number[] = [];
    const amplitude: number[] = [];
    for (let k = 0; k < meanSpectrum.length; k += group) {
      const slice = meanSpectrum.slice(k, k + group);
      frequencyHz.push(round((k + (slice.length - 1) / 2) * binHz, 3));
      amplitude.push(round(slice.reduce((a, b) => a + b, 0) / slice.length, 6));
    }
    return {
      traces: this.traces,
      samplesPerTrace: this.ns,
      sampleRateHz: this.sampleRateHz,
      amplitude: {
        min: this.count ? this.min : 0,
        max: this.count ? this.max : 0,
        mean,
        std: Math.sqrt(variance),
        rms: this.count ? Math.sqrt(this.sumSquares / this.count) : 0,
      },
      deadTraces: { count: this.deadCount, first: this.dead },
      clippedTraces: { count: clippedCount, first: clipped, clipLevel },
      rmsPerTrace: {
        min: sortedRms[0] ?? 0,
        median: sortedRms[Math.floor(sortedRms.length / 2)] ?? 0,
        max: sortedRms[sortedRms.length - 1] ?? 0,
      },
      dominantFrequencyHz: round(dominant * binHz, 3),
      spectrum: { frequencyHz, amplitude },
      spectrumTraces: this.spectrumCount,
    };
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
