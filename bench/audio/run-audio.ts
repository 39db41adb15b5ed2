import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  audioFeatureNames,
  createAudioFeatureExtractor,
  DEFAULT_AUDIO_FEATURES,
} from '../../shared/domain/audio/audio-features';
import { toMono } from '../../shared/domain/audio/signal';
import { decodeWav, encodeWav } from '../../shared/domain/audio/wav';
import { pad, padStart, seconds, summarize, verdict, type Summary } from '../report-format';

/**
 * The audio benchmark: N recordings (16-bit PCM WAV, 16 kHz mono, tones and noise synthesised
 * here) read and turned into the features audio.features computes by default (MFCC means and
 * deviations, 40 log-mel means, zero-crossing rate, spectral centroid, roll-off and RMS), through
 * the same decoder and feature code the node runs, on one thread; against the same features
 * written with numpy and scipy (bench/audio/audio_features.py: python3-librosa is not packaged
 * here) over the same files in the same run, timed inside Python (its start-up excluded). Both
 * features of the first file are compared. Medians over the repetitions; the goal is ≤ 2×.
 */
export interface AudioRunOptions {
  dataDir: string;
  python: string;
  files?: number;
  secondsPerFile?: number;
  repetitions?: number;
}

export interface AudioBenchReport {
  files: number;
  secondsPerFile: number;
  repetitions: number;
  oursMs: Summary;
  numpyScipyMs: Summary;
  ratio: number;
  goal: number;
  met: boolean;
  /** The largest difference between the two sets of features of the first file, relative to its scale. */
  maxRelativeDifference: number;
  /** Measurements that failed (an error throws instead: always 0). */
  failures: number;
}

const run = promisify(execFile);
const GOAL = 2;
const SAMPLE_RATE = 16_000;

export async function runAudio(options: AudioRunOptions): Promise<AudioBenchReport> {
  const files = options.files ?? 100;
  const secondsPerFile = options.secondsPerFile ?? 60;
  const repetitions = Math.max(5, options.repetitions ?? 5);
  const source = join(options.dataDir, 'wav');
  await mkdir(source, { recursive: true });
  console.log(
    `\naudio: ${files} WAV recordings of ${secondsPerFile} s (16 kHz mono) → MFCC, log-mel and spectral features, ${repetitions} repetitions`,
  );
  const paths: string[] = [];
  for (let i = 0; i < files; i += 1) {
    const path = join(source, `${String(i).padStart(4, '0')}.wav`);
    await writeFile(path, encodeWav({ sampleRate: SAMPLE_RATE, channels: [synthesise(i, secondsPerFile)] }));
    paths.push(path);
  }
  const script = join(import.meta.dirname, 'audio_features.py');

  const ours: number[] = [];
  const theirs: number[] = [];
  let oursFirst: Float64Array | undefined;
  let theirsFirst: number[] = [];
  for (let r = 0; r < repetitions; r += 1) {
    let started = performance.now();
    const extractor = createAudioFeatureExtractor(SAMPLE_RATE, DEFAULT_AUDIO_FEATURES);
    for (const path of paths) {
      const audio = decodeWav(new Uint8Array(await readFile(path)));
      const features = extractor.features(toMono(audio));
      oursFirst ??= features;
    }
    ours.push(performance.now() - started);

    started = performance.now();
    const { stdout } = await run(options.python, [script, ...paths], { maxBuffer: 16 * 1024 * 1024 });
    const answer = JSON.parse(stdout) as { ms: number; first: number[] };
    theirs.push(answer.ms);
    theirsFirst = answer.first;
    console.log(
      `  repetition ${r + 1}: ours ${seconds(ours[r] ?? 0)}, numpy/scipy ${seconds(answer.ms)} (${seconds(performance.now() - started)} with start-up)`,
    );
  }
  const names = audioFeatureNames(DEFAULT_AUDIO_FEATURES);
  if (!oursFirst || theirsFirst.length !== names.length)
    throw new Error(`numpy/scipy computed ${theirsFirst.length} features; ours ${names.length}`);
  const first = oursFirst;
  const maxRelativeDifference = Math.max(
    ...names.map((_, f) => {
      const a = first[f] ?? NaN;
      const b = theirsFirst[f] ?? NaN;
      return Math.abs(a - b) / Math.max(1, Math.abs(b));
    }),
  );
  const oursMs = summarize(ours);
  const numpyScipyMs = summarize(theirs);
  const ratio = oursMs.median / numpyScipyMs.median;
  const met = ratio <= GOAL;
  console.log(
    `  ${pad('read + features (ours)', 44)} ${padStart(seconds(oursMs.median), 9)} median (${seconds(oursMs.min)}–${seconds(oursMs.max)})`,
  );
  console.log(
    `  ${pad('numpy/scipy, same features', 44)} ${padStart(seconds(numpyScipyMs.median), 9)} median (${seconds(numpyScipyMs.min)}–${seconds(numpyScipyMs.max)})`,
  );
  console.log(
    `  ratio ${ratio.toFixed(2)}× · goal ≤ ${GOAL}× · ${verdict(met)} · features agree within ${maxRelativeDifference.toExponential(1)} (relative)`,
  );
  return {
    files,
    secondsPerFile,
    repetitions,
    oursMs,
    numpyScipyMs,
    ratio,
    goal: GOAL,
    met,
    maxRelativeDifference,
    failures: 0,
  };
}

/** A seeded recording: a tone that glides, a second partial and noise, different per index. */
function synthesise(index: number, secondsLong: number): Float32Array {
  const n = Math.round(secondsLong * SAMPLE_RATE);
  const out = new Float32Array(n);
  const base = 110 + ((index * 37) % 900);
  let state = (index + 1) * 2654435761;
  for (let i = 0; i < n; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const t = i / SAMPLE_RATE;
    const f = base * (1 + 0.1 * Math.sin(0.5 * t));
    out[i] =
      0.4 * Math.sin(2 * Math.PI * f * t) +
      0.15 * Math.sin(4 * Math.PI * f * t) +
      0.1 * (state / 2147483648 - 0.5);
  }
  return out;
}
