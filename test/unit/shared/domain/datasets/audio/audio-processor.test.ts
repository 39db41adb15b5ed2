import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackZip } from '../../../../../../shared/adapters/archive/unpack-zip';
import { openDuckDbEngine } from '../../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import { ffmpegTranscoder } from '../../../../../../shared/adapters/media/ffmpeg-transcoder';
import { encodeWav } from '../../../../../../shared/domain/audio/wav';
import type { Dataset, DatasetVersion } from '../../../../../../shared/domain/datasets/dataset-records';
import { acceptsFormat, fileKindOf } from '../../../../../../shared/domain/datasets/file-formats';
import { makeAudioProcessor } from '../../../../../../shared/domain/datasets/ingestion/workers/audio-processor';
import { FileValidationFailure } from '../../../../../../shared/domain/datasets/ingestion/workers/file-validation-failure';
import type { ProcessorContext } from '../../../../../../shared/domain/datasets/ingestion/workers/modality-processor';
import type { SqlEngine } from '../../../../../../shared/ports/sql-engine.port';
import { MemoryBlobs } from '../../../../../integration/support/memory-blobs';
import { labelledRecording, tone } from '../../../../../support/audio/synth';

const USER = '11111111-1111-4111-8111-111111111111';
const DATASET = '22222222-2222-4222-8222-222222222222';
const processAudio = makeAudioProcessor({ transcoder: ffmpegTranscoder, unpackArchive: unpackZip });
const ffmpeg = join(
  dirname(createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/package.json')),
  'ffmpeg',
);

let dir: string;
let engine: SqlEngine | undefined;
let blobs: MemoryBlobs;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audio-processor-'));
  blobs = new MemoryBlobs();
});
afterEach(async () => {
  engine?.close();
  engine = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function run(fileName: string, bytes: Uint8Array) {
  const filePath = join(dir, 'raw');
  await writeFile(filePath, bytes);
  const context: ProcessorContext = {
    dataset: { id: DATASET, userId: USER, modality: 'audio' } as Dataset,
    version: {
      id: '33333333-3333-4333-8333-333333333333',
      datasetId: DATASET,
      userId: USER,
      versionNumber: 1,
      originalFilename: fileName,
      originalFormat: fileKindOf(fileName)?.format ?? 'unknown',
    } as DatasetVersion,
    filePath,
    sizeBytes: bytes.byteLength,
    sha256: 'x'.repeat(64),
    tempDir: dir,
    blobs,
    engine: async () =>
      (engine ??= await openDuckDbEngine({ tempDirectory: join(dir, 'engine'), threads: 1 })),
    processedKey: `processed/${USER}/${DATASET}/1/data.parquet`,
    manifestKey: `processed/${USER}/${DATASET}/1/manifest.parquet`,
    now: new Date(),
    progress: async () => {},
  };
  return processAudio(context);
}

async function manifestRows(): Promise<Record<string, unknown>[]> {
  const file = join(dir, 'read-back.parquet');
  const bytes = blobs.objects.get(`processed/${USER}/${DATASET}/1/manifest.parquet`);
  if (!bytes) throw new Error('no manifest was stored');
  await writeFile(file, bytes);
  const e = await openDuckDbEngine({ tempDirectory: join(dir, 'engine2'), threads: 1 });
  try {
    return await e.all(`SELECT * FROM read_parquet('${file}') ORDER BY path`);
  } finally {
    e.close();
  }
}

/** The WAV encoded as FLAC by the same ffmpeg the platform uses. */
async function asFlac(wav: Uint8Array): Promise<Uint8Array> {
  await writeFile(join(dir, 'in.wav'), wav);
  const result = spawnSync(ffmpeg, ['-v', 'error', '-y', '-i', join(dir, 'in.wav'), join(dir, 'out.flac')]);
  expect(result.status, result.stderr.toString()).toBe(0);
  return new Uint8Array(await readFile(join(dir, 'out.flac')));
}

describe('audio ingestion', () => {
  it('accepts audio files and zips of them for audio datasets', () => {
    for (const name of ['a.wav', 'a.flac', 'a.mp3', 'a.ogg', 'set.zip'])
      expect(acceptsFormat('audio', fileKindOf(name) ?? ({} as never)), name).toBe(true);
  });

  it('reads a zip in folders per class: one manifest row per recording, stored as WAV, corrupt files listed', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const label of ['hum', 'whistle'] as const)
      for (let i = 0; i < 2; i += 1) files[`${label}/${i}.wav`] = encodeWav(labelledRecording(label, i));
    files['hiss/0.flac'] = await asFlac(encodeWav(labelledRecording('hiss', 0)));
    files['hiss/broken.wav'] = new TextEncoder().encode('RIFF....WAVEfmt nothing useful here');
    files['hiss/notes.txt'] = new TextEncoder().encode('not audio');
    const outcome = await run('sounds.zip', zipSync(files));
    expect(outcome.rowCount).toBe(5);
    const rows = await manifestRows();
    expect(rows.map((r) => `${String(r['label'])}:${String(r['format'])}`)).toEqual([
      'hiss:flac',
      'hum:wav',
      'hum:wav',
      'whistle:wav',
      'whistle:wav',
    ]);
    for (const row of rows) {
      expect(Number(row['duration_seconds'])).toBeCloseTo(0.5, 2);
      expect(Number(row['sample_rate'])).toBe(16_000);
      expect(blobs.objects.has(String(row['object_key']))).toBe(true);
      expect(String(row['object_key'])).toMatch(
        new RegExp(`^processed/${USER}/${DATASET}/1/audio/[0-9a-f]{64}\\.wav$`),
      );
    }
    const metadata = outcome.modalityMetadata as Record<string, unknown>;
    expect(metadata['layout']).toBe('folders');
    expect(metadata['fileErrorCount']).toBe(2);
    const errors = metadata['fileErrors'] as { path: string; code: string; message: string }[];
    expect(errors.map((e) => e.path)).toEqual(['hiss/broken.wav', 'hiss/notes.txt']);
    expect(errors.every((e) => !e.message.includes(dir))).toBe(true);
    const profile = metadata['profile'] as {
      classes: { label: string; count: number }[];
      recordings: number;
    };
    expect(profile.recordings).toBe(5);
    expect(profile.classes.map((c) => `${c.label}=${c.count}`)).toEqual(['hum=2', 'whistle=2', 'hiss=1']);
  });

  it('reports level, silence and clipping per recording', async () => {
    const loud = tone({ frequency: 440, seconds: 1, amplitude: 1.5 });
    await run('loud.wav', encodeWav(loud));
    const [row] = await manifestRows();
    expect(Number(row?.['clipping_ratio'])).toBeGreaterThan(0.1);
    expect(Number(row?.['peak_dbfs'])).toBeCloseTo(0, 0);
    const quiet = tone({ frequency: 440, seconds: 1, amplitude: 0.001 });
    await run('quiet.wav', encodeWav(quiet));
    const [silent] = await manifestRows();
    expect(Number(silent?.['silence_ratio'])).toBe(1);
  });

  it('fails a single file that is not audio with the reason, and no server path', async () => {
    const failure = await run(
      'noise.wav',
      new TextEncoder().encode('this is plain text, not a recording'),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FileValidationFailure);
    const text = JSON.stringify((failure as FileValidationFailure).issues);
    expect(text).toMatch(/AUDIO\.CORRUPT|AUDIO\.UNSUPPORTED/);
    expect(text).not.toContain(dir);
  });
});
