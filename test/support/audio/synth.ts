import type { PcmAudio } from '../../../shared/domain/audio/wav';

/** Seeded recordings for audio tests: tones, chirps and noise, in −1…1. */
export function seededNoise(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 0xffffffff) * 2 - 1;
  };
}

export interface ToneOptions {
  frequency: number;
  seconds: number;
  sampleRate?: number;
  amplitude?: number;
  noise?: number;
  seed?: number;
  channels?: number;
}

export function tone(options: ToneOptions): PcmAudio {
  const sampleRate = options.sampleRate ?? 16_000;
  const n = Math.round(options.seconds * sampleRate);
  const random = seededNoise(options.seed ?? 1);
  const amplitude = options.amplitude ?? 0.5;
  const noise = options.noise ?? 0;
  const mono = new Float32Array(n);
  for (let i = 0; i < n; i += 1)
    mono[i] =
      (options.frequency > 0 ? amplitude * Math.sin((2 * Math.PI * options.frequency * i) / sampleRate) : 0) +
      noise * random();
  return { sampleRate, channels: Array.from({ length: options.channels ?? 1 }, () => mono.slice()) };
}

/** Three classes a classifier can tell apart: a low hum, a high whistle, and hiss. */
export function labelledRecording(label: 'hum' | 'whistle' | 'hiss', index: number): PcmAudio {
  const seed = index * 7 + (label === 'hum' ? 1 : label === 'whistle' ? 2 : 3);
  const jitter = seededNoise(seed)() * 0.1;
  if (label === 'hiss') return tone({ frequency: 0, seconds: 0.5, noise: 0.3 + jitter, seed });
  const frequency = (label === 'hum' ? 220 : 2600) * (1 + jitter);
  return tone({ frequency, seconds: 0.5, noise: 0.05, seed, amplitude: 0.4 + jitter });
}
