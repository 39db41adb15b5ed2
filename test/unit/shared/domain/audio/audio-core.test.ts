import { describe, expect, it } from 'vitest';
import {
  audioFeatureNames,
  audioFeatures,
  createAudioFeatureExtractor,
  DEFAULT_AUDIO_FEATURES,
  melFilterbank,
} from '../../../../../shared/domain/audio/audio-features';
import { audioLevels, resample, toMono } from '../../../../../shared/domain/audio/signal';
import { AudioDecodeError, decodeWav, encodeWav, readWavInfo } from '../../../../../shared/domain/audio/wav';
import { tone } from '../../../../support/audio/synth';

/** A WAV file written by hand: `bits`-bit PCM (or float), with an optional extensible header. */
function handWav(samples: number[], bits: 8 | 16 | 24 | 32, float = false, extensible = false): Uint8Array {
  const width = bits / 8;
  const fmtSize = extensible ? 40 : 16;
  const data = samples.length * width;
  const out = new Uint8Array(12 + 8 + fmtSize + 8 + data);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, out.length - 8, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, extensible ? 0xfffe : float ? 3 : 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 8000, true);
  view.setUint32(28, 8000 * width, true);
  view.setUint16(32, width, true);
  view.setUint16(34, bits, true);
  if (extensible) {
    view.setUint16(36, 22, true);
    view.setUint16(44, float ? 3 : 1, true);
  }
  const dataAt = 20 + fmtSize;
  text(dataAt, 'data');
  view.setUint32(dataAt + 4, data, true);
  samples.forEach((v, i) => {
    const at = dataAt + 8 + i * width;
    if (float) view.setFloat32(at, v, true);
    else if (bits === 8) out[at] = Math.round(v * 127) + 128;
    else if (bits === 16) view.setInt16(at, Math.round(v * 32767), true);
    else if (bits === 24) {
      const raw = Math.round(v * 8388607) & 0xffffff;
      out[at] = raw & 0xff;
      out[at + 1] = (raw >> 8) & 0xff;
      out[at + 2] = (raw >> 16) & 0xff;
    } else view.setInt32(at, Math.round(v * 2147483647), true);
  });
  return out;
}

const SAMPLES = [0, 0.5, -0.5, 0.25, -1, 0.999];

describe('WAV', () => {
  it.each([
    [8, false, false, 1 / 64],
    [16, false, false, 1e-4],
    [24, false, false, 1e-6],
    [32, false, false, 1e-7],
    [32, true, false, 1e-7],
    [16, false, true, 1e-4],
  ] as const)('reads %i-bit (float %s, extensible %s) samples', (bits, float, extensible, tolerance) => {
    const audio = decodeWav(handWav(SAMPLES, bits, float, extensible));
    expect(audio.sampleRate).toBe(8000);
    expect(audio.channels).toHaveLength(1);
    [...(audio.channels[0] ?? [])].forEach((v, i) =>
      expect(Math.abs(v - (SAMPLES[i] ?? 0))).toBeLessThan(tolerance),
    );
  });

  it('writes what it reads, channels and rate kept', () => {
    const stereo = tone({ frequency: 440, seconds: 0.05, channels: 2, sampleRate: 22_050 });
    const back = decodeWav(encodeWav(stereo));
    expect(back.sampleRate).toBe(22_050);
    expect(back.channels).toHaveLength(2);
    expect(readWavInfo(encodeWav(stereo))).toMatchObject({
      channelCount: 2,
      bitsPerSample: 16,
      encoding: 'pcm',
    });
    const a = stereo.channels[1] ?? new Float32Array();
    const b = back.channels[1] ?? new Float32Array();
    for (let i = 0; i < a.length; i += 1) expect(Math.abs((a[i] ?? 0) - (b[i] ?? 0))).toBeLessThan(1e-4);
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(() => decodeWav(new TextEncoder().encode('hello, this is not audio'))).toThrow(AudioDecodeError);
    const adpcm = handWav(SAMPLES, 16);
    new DataView(adpcm.buffer).setUint16(20, 2, true);
    expect(() => decodeWav(adpcm)).toThrow(/format code 2 is not PCM/);
    expect(() => decodeWav(handWav(SAMPLES, 16).subarray(0, 30))).toThrow(/cut short|no data chunk/);
  });
});

describe('signal', () => {
  it('mixes channels to mono and measures level, silence and clipping', () => {
    const half = tone({ frequency: 1000, seconds: 1, amplitude: 1 });
    const mono = toMono(half);
    mono.fill(0, 8000);
    const levels = audioLevels({ sampleRate: 16_000, channels: [mono] });
    expect(levels.durationSeconds).toBe(1);
    expect(levels.silenceRatio).toBeCloseTo(0.5, 1);
    expect(levels.peakDbfs).toBeCloseTo(0, 1);
    // A full-scale sine is −3 dBFS; half of it silent takes 3 dB more off.
    expect(levels.rmsDbfs).toBeCloseTo(-6.02, 1);
    expect(levels.clippingRatio).toBeGreaterThan(0);
  });

  it('resamples without moving the pitch', () => {
    const a = tone({ frequency: 1000, seconds: 0.5, sampleRate: 44_100 });
    const down = resample(a.channels[0] ?? new Float32Array(), 44_100, 16_000);
    expect(down.length).toBe(8000);
    const features = audioFeatures(down, 16_000);
    const centroid = features[audioFeatureNames(DEFAULT_AUDIO_FEATURES).indexOf('centroid_hz_mean')] ?? 0;
    expect(centroid).toBeGreaterThan(950);
    expect(centroid).toBeLessThan(1100);
  });
});

describe('features', () => {
  it('builds triangular mel filters that cover the spectrum in order', () => {
    const filters = melFilterbank(16_000, 512, 40);
    expect(filters).toHaveLength(40);
    const peaks = filters.map((f) => f.indexOf(Math.max(...f)));
    expect(peaks).toEqual([...peaks].sort((a, b) => a - b));
    expect(Math.min(...filters.map((f) => Math.max(...f)))).toBeGreaterThan(0);
  });

  it('places a pure tone: centroid and roll-off near its pitch, zero crossings twice per period', () => {
    const names = audioFeatureNames(DEFAULT_AUDIO_FEATURES);
    const features = audioFeatures(
      tone({ frequency: 2000, seconds: 0.5 }).channels[0] ?? new Float32Array(),
      16_000,
    );
    expect(features).toHaveLength(names.length);
    const value = (name: string) => features[names.indexOf(name)] ?? NaN;
    expect(value('centroid_hz_mean')).toBeGreaterThan(1900);
    expect(value('centroid_hz_mean')).toBeLessThan(2150);
    expect(value('rolloff_hz_mean')).toBeGreaterThan(1900);
    expect(value('rolloff_hz_mean')).toBeLessThan(2200);
    expect(value('zcr_mean')).toBeCloseTo((2 * 2000) / 16_000, 2);
    expect(features.every(Number.isFinite)).toBe(true);
  });

  it('gives every recording the same features from one extractor as from a fresh computation', () => {
    const extractor = createAudioFeatureExtractor(16_000, DEFAULT_AUDIO_FEATURES);
    const recordings = [
      tone({ frequency: 440, seconds: 0.4 }),
      tone({ frequency: 0, seconds: 0.25, noise: 0.3, seed: 7 }),
      tone({ frequency: 3100, seconds: 0.3, noise: 0.05, seed: 3 }),
    ].map((audio) => audio.channels[0] ?? new Float32Array());
    const reused = recordings.map((samples) => extractor.features(samples));
    const fresh = recordings.map((samples) => audioFeatures(samples, 16_000));
    expect(reused).toEqual(fresh);
    // Different recordings, different rows: nothing of one recording leaks into the next.
    expect(reused[0]).not.toEqual(reused[1]);
    expect(extractor.features(recordings[0] ?? new Float32Array())).toEqual(reused[0]);
  });

  it('tells a low hum from a high whistle and from hiss', () => {
    const names = audioFeatureNames(DEFAULT_AUDIO_FEATURES);
    const centroid = (f: Float64Array) => f[names.indexOf('centroid_hz_mean')] ?? NaN;
    const of = (frequency: number, noise: number) =>
      audioFeatures(
        tone({ frequency, seconds: 0.3, noise, amplitude: frequency ? 0.5 : 0 }).channels[0] ??
          new Float32Array(),
        16_000,
      );
    const hum = of(220, 0.02);
    const whistle = of(2600, 0.02);
    const hiss = of(0, 0.3);
    expect(centroid(hum)).toBeLessThan(centroid(whistle));
    expect(centroid(whistle)).toBeLessThan(centroid(hiss));
  });
});
