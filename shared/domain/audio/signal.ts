import type { PcmAudio } from './wav';

/** Channel mixing, resampling and the level statistics of a recording, on typed arrays. */

export function toMono(audio: PcmAudio): Float32Array {
  const [first, ...rest] = audio.channels;
  if (!first) return new Float32Array(0);
  if (rest.length === 0) return first;
  const out = new Float32Array(first.length);
  const n = audio.channels.length;
  for (const channel of audio.channels)
    for (let i = 0; i < out.length; i += 1) out[i] = (out[i] ?? 0) + (channel[i] ?? 0) / n;
  return out;
}

/** Zero crossings each side of the windowed-sinc kernel. */
const HALF_TAPS = 16;

/**
 * Band-limited resampling: each output sample is the input convolved with a Hann-windowed sinc
 * whose cut-off is the lower of the two Nyquist frequencies (so downsampling does not alias).
 */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to || samples.length === 0) return samples;
  const ratio = to / from;
  const length = Math.max(1, Math.round(samples.length * ratio));
  const out = new Float32Array(length);
  const cutoff = Math.min(1, ratio);
  const reach = HALF_TAPS / cutoff;
  for (let i = 0; i < length; i += 1) {
    const centre = i / ratio;
    const lo = Math.max(0, Math.ceil(centre - reach));
    const hi = Math.min(samples.length - 1, Math.floor(centre + reach));
    let sum = 0;
    let weights = 0;
    for (let j = lo; j <= hi; j += 1) {
      const x = (j - centre) * cutoff;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const window = 0.5 + 0.5 * Math.cos((Math.PI * (j - centre)) / reach);
      const w = sinc * window;
      sum += (samples[j] ?? 0) * w;
      weights += w;
    }
    out[i] = weights === 0 ? 0 : sum / weights;
  }
  return out;
}

export interface AudioLevels {
  durationSeconds: number;
  /** Root mean square level in dBFS (a full-scale sine is −3 dBFS); −inf is reported as −120. */
  rmsDbfs: number;
  peakDbfs: number;
  /** Share of 20 ms frames whose level is below −50 dBFS. */
  silenceRatio: number;
  /** Share of samples at full scale (|x| ≥ 0.999). */
  clippingRatio: number;
}

const FLOOR_DB = -120;
const SILENCE_DB = -50;
const toDb = (amplitude: number) =>
  amplitude > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(amplitude)) : FLOOR_DB;

export function audioLevels(audio: PcmAudio): AudioLevels {
  const mono = toMono(audio);
  const frames = audio.channels[0]?.length ?? 0;
  let squares = 0;
  let peak = 0;
  let clipped = 0;
  let total = 0;
  for (const channel of audio.channels)
    for (let i = 0; i < channel.length; i += 1) {
      const v = channel[i] ?? 0;
      const a = Math.abs(v);
      squares += v * v;
      if (a > peak) peak = a;
      if (a >= 0.999) clipped += 1;
      total += 1;
    }
  const frameLength = Math.max(1, Math.round(audio.sampleRate * 0.02));
  let silent = 0;
  let counted = 0;
  for (let start = 0; start < mono.length; start += frameLength) {
    const end = Math.min(mono.length, start + frameLength);
    let sum = 0;
    for (let i = start; i < end; i += 1) sum += (mono[i] ?? 0) ** 2;
    if (toDb(Math.sqrt(sum / (end - start))) < SILENCE_DB) silent += 1;
    counted += 1;
  }
  return {
    durationSeconds: frames / audio.sampleRate,
    rmsDbfs: toDb(Math.sqrt(squares / Math.max(total, 1))),
    peakDbfs: toDb(peak),
    silenceRatio: counted === 0 ? 1 : silent / counted,
    clippingRatio: total === 0 ? 0 : clipped / total,
  };
}
