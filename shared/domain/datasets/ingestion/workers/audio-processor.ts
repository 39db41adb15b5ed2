import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../../db/schema';
import { fitPrefix } from '../../../../kernel/bounded-json';
import type { UnpackArchive, UnpackLimits } from '../../../../ports/archive-reader.port';
import { MediaDecodeError, type MediaTranscoder } from '../../../../ports/media-transcoder.port';
import { objectKeys } from '../../../../storage/object-keys';
import { audioLevels } from '../../../audio/signal';
import {
  AudioDecodeError,
  decodeWav,
  encodeWav,
  looksLikeWav,
  readWavInfo,
  type PcmAudio,
} from '../../../audio/wav';
import {
  boundedMediaMetadata,
  ingestMediaFiles,
  type ManifestColumn,
  type MediaCandidate,
  type MediaFileError,
} from './media-archive';
import type { ModalityProcessor, ProcessorContext } from './modality-processor';
import { readHead } from './text-encoding';

/**
 * Audio datasets: one recording, or a zip of recordings in folders named after their class (or
 * with a manifest CSV `path,label`). WAV (PCM 8–32-bit, float) is read here; FLAC, MP3, Ogg and
 * the rest are decoded by the transcoder (ffmpeg). Every recording is stored as a WAV of its own
 * rate and channels (16-bit PCM) under the version's `audio/`, named by SHA-256, and described in
 * the manifest Parquet with its duration, rate, channels, level, silence and clipping. Files that
 * cannot be decoded are listed one by one and left out.
 */
export interface AudioProcessorDependencies {
  transcoder: MediaTranscoder;
  unpackArchive: UnpackArchive;
  limits?: UnpackLimits;
  /** Longest recording kept (longer ones are cut, with a note). Default 10 minutes. */
  maxSeconds?: number;
}

const MiB = 1024 * 1024;
export const AUDIO_ARCHIVE_LIMITS: UnpackLimits = {
  maxEntries: 50_000,
  maxUnpackedBytes: 4096 * MiB,
  maxEntryBytes: 512 * MiB,
};
const CONCURRENCY = 2;

export const AUDIO_MANIFEST_COLUMNS: readonly ManifestColumn[] = [
  { name: 'path', type: 'VARCHAR' },
  { name: 'label', type: 'VARCHAR' },
  { name: 'format', type: 'VARCHAR' },
  { name: 'duration_seconds', type: 'DOUBLE' },
  { name: 'sample_rate', type: 'INTEGER' },
  { name: 'channels', type: 'INTEGER' },
  { name: 'rms_dbfs', type: 'DOUBLE' },
  { name: 'peak_dbfs', type: 'DOUBLE' },
  { name: 'silence_ratio', type: 'DOUBLE' },
  { name: 'clipping_ratio', type: 'DOUBLE' },
  { name: 'size_bytes', type: 'BIGINT' },
  { name: 'sha256', type: 'VARCHAR' },
  { name: 'object_key', type: 'VARCHAR' },
];

export interface AudioManifestRow {
  path: string;
  label: string | null;
  format: string;
  duration_seconds: number;
  sample_rate: number;
  channels: number;
  rms_dbfs: number;
  peak_dbfs: number;
  silence_ratio: number;
  clipping_ratio: number;
  size_bytes: number;
  sha256: string;
  object_key: string;
}

const round = (value: number, places = 4) => Math.round(value * 10 ** places) / 10 ** places;

export function makeAudioProcessor(deps: AudioProcessorDependencies): ModalityProcessor {
  const maxSeconds = deps.maxSeconds ?? 600;
  return async (context) => {
    const { layout, rows, fileErrors, outcome } = await ingestMediaFiles(context, {
      unpackArchive: deps.unpackArchive,
      archiveLimits: deps.limits ?? AUDIO_ARCHIVE_LIMITS,
      columns: AUDIO_MANIFEST_COLUMNS,
      concurrency: CONCURRENCY,
      step: 'decoding audio',
      progressEvery: 20,
      missingCode: 'AUDIO.MISSING',
      none: { code: 'AUDIO.NONE', message: 'The archive holds no audio files.' },
      unreadableCode: 'AUDIO.CORRUPT',
      read: (candidate, index, fileErrors) =>
        readRecording(deps, maxSeconds, context, candidate, fileErrors, index),
    });
    return {
      ...outcome,
      modalityMetadata: boundedMediaMetadata(
        {
          layout,
          recordings: rows.length,
          profile: profileAudio(rows, fileErrors.length) as unknown as JsonValue,
        },
        fileErrors,
      ),
    };
  };
}

async function readRecording(
  deps: AudioProcessorDependencies,
  maxSeconds: number,
  context: ProcessorContext,
  candidate: MediaCandidate,
  fileErrors: MediaFileError[],
  index: number,
): Promise<AudioManifestRow | undefined> {
  let audio: PcmAudio;
  let format: string;
  try {
    const head = await readHead(candidate.localPath, 12);
    if (looksLikeWav(head)) {
      const bytes = new Uint8Array(await readFile(candidate.localPath));
      const info = readWavInfo(bytes);
      if (info.frames / info.sampleRate > maxSeconds)
        throw new AudioDecodeError(`The recording is longer than ${maxSeconds / 60} minutes.`, 'unsupported');
      audio = decodeWav(bytes);
      format = 'wav';
    } else {
      const facts = await deps.transcoder.probe(candidate.localPath);
      if (!facts.audio) throw new MediaDecodeError('The file holds no audio stream.', 'no-stream');
      if ((facts.durationSeconds ?? 0) > maxSeconds)
        throw new AudioDecodeError(`The recording is longer than ${maxSeconds / 60} minutes.`, 'unsupported');
      const wavPath = join(context.tempDir, `decoded-${index}.wav`);
      await deps.transcoder.audioToWav(candidate.localPath, wavPath, { maxSeconds });
      audio = decodeWav(new Uint8Array(await readFile(wavPath)));
      format = facts.audio.codec === 'vorbis' ? 'ogg' : facts.audio.codec;
    }
  } catch (error) {
    if (error instanceof AudioDecodeError || error instanceof MediaDecodeError) {
      const code =
        error instanceof AudioDecodeError && error.reason === 'unsupported'
          ? 'AUDIO.UNSUPPORTED'
          : error instanceof MediaDecodeError && error.reason === 'unavailable'
            ? 'AUDIO.DECODER_UNAVAILABLE'
            : 'AUDIO.CORRUPT';
      fileErrors.push({ path: candidate.path, code, message: error.message });
      return undefined;
    }
    throw error;
  }
  const wav = encodeWav(audio);
  const sha256 = createHash('sha256').update(wav).digest('hex');
  const { userId, datasetId, versionNumber } = context.version;
  const key = objectKeys.processedMedia(userId, datasetId, versionNumber, 'audio', sha256, 'wav');
  await context.blobs.put(key, wav, { contentType: 'audio/wav', contentLength: wav.byteLength });
  const levels = audioLevels(audio);
  return {
    path: candidate.path,
    label: candidate.label,
    format,
    duration_seconds: round(levels.durationSeconds),
    sample_rate: audio.sampleRate,
    channels: audio.channels.length,
    rms_dbfs: round(levels.rmsDbfs, 2),
    peak_dbfs: round(levels.peakDbfs, 2),
    silence_ratio: round(levels.silenceRatio),
    clipping_ratio: round(levels.clippingRatio, 6),
    size_bytes: wav.byteLength,
    sha256,
    object_key: key,
  };
}

function quantiles(values: number[]): { min: number; median: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(values.length, 1);
  return {
    min: round(sorted[0] ?? 0),
    median: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    max: round(sorted[sorted.length - 1] ?? 0),
    mean: round(mean),
  };
}

/** Classes, durations, rates, channels, levels, silence and clipping of the recordings kept. */
export function profileAudio(rows: readonly AudioManifestRow[], rejected: number) {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.label ?? '(none)', (counts.get(row.label ?? '(none)') ?? 0) + 1);
  const tally = (pick: (row: AudioManifestRow) => string | number) => {
    const out = new Map<string, number>();
    for (const row of rows) out.set(String(pick(row)), (out.get(String(pick(row))) ?? 0) + 1);
    return Object.fromEntries(out);
  };
  return {
    recordings: rows.length,
    rejected,
    classes: fitPrefix(
      [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([label, count]) => ({ label, count, share: round(count / rows.length) })),
      8 * 1024,
    ),
    classCount: counts.size,
    totalSeconds: round(
      rows.reduce((s, r) => s + r.duration_seconds, 0),
      2,
    ),
    durationSeconds: quantiles(rows.map((r) => r.duration_seconds)),
    sampleRates: tally((r) => r.sample_rate),
    channels: tally((r) => r.channels),
    formats: tally((r) => r.format),
    rmsDbfs: quantiles(rows.map((r) => r.rms_dbfs)),
    silenceRatio: quantiles(rows.map((r) => r.silence_ratio)),
    mostlySilent: rows.filter((r) => r.silence_ratio > 0.9).length,
    clipped: rows.filter((r) => r.clipping_ratio > 0.001).length,
  };
}
