/**
 * Features of a recording for the tabular learners, computed on typed arrays the way librosa
 * computes them by default: a power spectrogram (Hann window, frames centred), a Slaney-style mel
 * filterbank with Slaney area normalisation, log-mel in dB (10·log10, floored at 80 dB under the
 * loudest bin), MFCC as the orthonormal DCT-II of the log-mel bands; per frame also the
 * zero-crossing rate, spectral centroid and 85 % roll-off and RMS. Each becomes its mean and
 * standard deviation over frames (log-mel bands: their means).
 */

import { fft } from '../signal/fft';

export interface AudioFeatureOptions {
  /** Frame length (a power of two). */
  nFft: number;
  hop: number;
  nMels: number;
  nMfcc: number;
  /** Roll-off: the frequency under which this share of the energy lies. */
  rolloff: number;
}

export const DEFAULT_AUDIO_FEATURES: AudioFeatureOptions = {
  nFft: 512,
  hop: 256,
  nMels: 40,
  nMfcc: 13,
  rolloff: 0.85,
};

export function audioFeatureNames(options: AudioFeatureOptions): string[] {
  const names: string[] = [];
  for (let i = 0; i < options.nMfcc; i += 1) names.push(`mfcc_${i}_mean`);
  for (let i = 0; i < options.nMfcc; i += 1) names.push(`mfcc_${i}_std`);
  for (let i = 0; i < options.nMels; i += 1) names.push(`logmel_${i}_mean`);
  for (const f of ['zcr', 'centroid_hz', 'rolloff_hz', 'rms']) names.push(`${f}_mean`, `${f}_std`);
  return names;
}

// Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;
const hzToMel = (hz: number) =>
  hz < MIN_LOG_HZ ? hz / F_SP : MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
const melToHz = (mel: number) =>
  mel < MIN_LOG_MEL ? F_SP * mel : MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));

/** nMels × (nFft/2 + 1) triangular filters over 0…sampleRate/2, Slaney-normalised. */
export function melFilterbank(sampleRate: number, nFft: number, nMels: number): Float64Array[] {
  const bins = nFft / 2 + 1;
  const maxMel = hzToMel(sampleRate / 2);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz((maxMel * i) / (nMels + 1)));
  const freqs = Array.from({ length: bins }, (_, k) => (k * sampleRate) / nFft);
  return Array.from({ length: nMels }, (_, m) => {
    const lo = edges[m] ?? 0;
    const centre = edges[m + 1] ?? 0;
    const hi = edges[m + 2] ?? 0;
    const norm = 2 / (hi - lo);
    const filter = new Float64Array(bins);
    for (let k = 0; k < bins; k += 1) {
      const f = freqs[k] ?? 0;
      const rising = (f - lo) / (centre - lo);
      const falling = (hi - f) / (hi - centre);
      filter[k] = Math.max(0, Math.min(rising, falling)) * norm;
    }
    return filter;
  });
}

function meanStd(values: Float64Array): [number, number] {
  if (values.length === 0) return [0, 0];
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return [mean, Math.sqrt(sq / values.length)];
}

export interface AudioFeatureExtractor {
  sampleRate: number;
  options: AudioFeatureOptions;
  /** The features of `samples` (mono, at the extractor's rate), in the order of `audioFeatureNames`. */
  features(samples: Float32Array): Float64Array;
}

/**
 * An extractor for one sample rate and set of options: the Hann window, the mel filterbank and
 * the DCT table are built once here and reused for every recording it is given.
 */
export function createAudioFeatureExtractor(
  sampleRate: number,
  options: AudioFeatureOptions = DEFAULT_AUDIO_FEATURES,
): AudioFeatureExtractor {
  const { nFft, nMels, nMfcc } = options;
  const window = Float64Array.from(
    { length: nFft },
    (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nFft),
  );
  const filters = melFilterbank(sampleRate, nFft, nMels);
  // Orthonormal DCT-II, row c: cos(π c (2m + 1) / 2M) scaled.
  const dct = Array.from({ length: nMfcc }, (_, c) =>
    Float64Array.from(
      { length: nMels },
      (_, m) =>
        Math.cos((Math.PI * c * (2 * m + 1)) / (2 * nMels)) *
        (c === 0 ? Math.sqrt(1 / nMels) : Math.sqrt(2 / nMels)),
    ),
  );
  // Each triangular filter is zero outside a few bins: only its non-zero span is summed.
  const spans = filters.map((filter) => {
    let first = filter.findIndex((w) => w > 0);
    if (first < 0) first = 0;
    let last = filter.length - 1;
    while (last > first && !((filter[last] ?? 0) > 0)) last -= 1;
    return { first, last };
  });
  return {
    sampleRate,
    options,
    features: (samples) => extractFeatures(samples, sampleRate, options, window, filters, spans, dct),
  };
}

/** The features of `samples` (mono) at `sampleRate`, in the order of `audioFeatureNames`. */
export function audioFeatures(
  samples: Float32Array,
  sampleRate: number,
  options: AudioFeatureOptions = DEFAULT_AUDIO_FEATURES,
): Float64Array {
  return createAudioFeatureExtractor(sampleRate, options).features(samples);
}

function extractFeatures(
  samples: Float32Array,
  sampleRate: number,
  options: AudioFeatureOptions,
  window: Float64Array,
  filters: readonly Float64Array[],
  spans: readonly { first: number; last: number }[],
  dct: readonly Float64Array[],
): Float64Array {
  const { nFft, hop, nMels, nMfcc } = options;
  const bins = nFft / 2 + 1;
  const pad = nFft / 2;
  const frames = 1 + Math.floor(samples.length / hop);
  const mel = Array.from({ length: frames }, () => new Float64Array(nMels));
  const zcr = new Float64Array(frames);
  const centroid = new Float64Array(frames);
  const rolloff = new Float64Array(frames);
  const rms = new Float64Array(frames);
  const re = new Float64Array(nFft);
  const im = new Float64Array(nFft);
  const power = new Float64Array(bins);
  // Frames are centred: the signal is padded by reflection, as librosa does by default.
  const n = samples.length;
  const at = (i: number) => {
    if (i >= 0 && i < n) return samples[i] ?? 0;
    if (n === 1) return samples[0] ?? 0;
    let j = i;
    while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
    return samples[j] ?? 0;
  };
  let maxPower = 0;
  for (let t = 0; t < frames; t += 1) {
    const start = t * hop - pad;
    let crossings = 0;
    let energy = 0;
    let previous = at(start);
    for (let i = 0; i < nFft; i += 1) {
      const v = at(start + i);
      re[i] = v * (window[i] ?? 0);
      im[i] = 0;
      energy += v * v;
      if (i > 0 && v >= 0 !== previous >= 0) crossings += 1;
      previous = v;
    }
    zcr[t] = crossings / nFft;
    rms[t] = Math.sqrt(energy / nFft);
    fft(re, im);
    let total = 0;
    let weighted = 0;
    for (let k = 0; k < bins; k += 1) {
      const p = (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
      power[k] = p;
      total += p;
      weighted += p * ((k * sampleRate) / nFft);
    }
    centroid[t] = total > 0 ? weighted / total : 0;
    let cumulative = 0;
    let roll = 0;
    for (let k = 0; k < bins; k += 1) {
      cumulative += power[k] ?? 0;
      if (cumulative >= options.rolloff * total) {
        roll = (k * sampleRate) / nFft;
        break;
      }
    }
    rolloff[t] = roll;
    const bands = mel[t] as Float64Array;
    for (let m = 0; m < nMels; m += 1) {
      const filter = filters[m] as Float64Array;
      const { first, last } = spans[m] ?? { first: 0, last: bins - 1 };
      let s = 0;
      for (let k = first; k <= last; k += 1) s += (filter[k] ?? 0) * (power[k] ?? 0);
      bands[m] = s;
      if (s > maxPower) maxPower = s;
    }
  }
  // power_to_db(ref=1, amin=1e-10, top_db=80)
  const top = 10 * Math.log10(Math.max(1e-10, maxPower));
  for (const bands of mel)
    for (let m = 0; m < nMels; m += 1)
      bands[m] = Math.max(10 * Math.log10(Math.max(1e-10, bands[m] ?? 0)), top - 80);
  const mfcc = Array.from({ length: nMfcc }, () => new Float64Array(frames));
  for (let t = 0; t < frames; t += 1) {
    const bands = mel[t] as Float64Array;
    for (let c = 0; c < nMfcc; c += 1) {
      const row = dct[c] as Float64Array;
      let s = 0;
      for (let m = 0; m < nMels; m += 1) s += (bands[m] ?? 0) * (row[m] ?? 0);
      (mfcc[c] as Float64Array)[t] = s;
    }
  }
  const out: number[] = [];
  const stats = mfcc.map(meanStd);
  for (const [mean] of stats) out.push(mean);
  for (const [, std] of stats) out.push(std);
  for (let m = 0; m < nMels; m += 1) out.push(meanStd(Float64Array.from(mel, (bands) => bands[m] ?? 0))[0]);
  for (const series of [zcr, centroid, rolloff, rms]) out.push(...meanStd(series));
  return Float64Array.from(out);
}
