import { createHash } from 'node:crypto';
import * as z from 'zod';
import { audioFeatureNames, createAudioFeatureExtractor } from '../../../audio/audio-features';
import { audioLevels, resample, toMono } from '../../../audio/signal';
import { AudioDecodeError, decodeWav, encodeWav, type PcmAudio } from '../../../audio/wav';
import { createTable, numberColumn, stringColumn } from '../../../learning/table';
import { defineNode, type NodeContext } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { writeFrameOutput } from '../../table-frames';
import {
  eachRow,
  type ManifestKind,
  OBJECT_KEY_COLUMN,
  objectKeysOf,
  readMediaManifest,
  readOwnObject,
  writeMediaFeatures,
} from '../media/media-manifest';

/**
 * Audio nodes over audio manifests (one row per stored WAV recording: an audio dataset version's
 * manifest, or what `audio.resample` wrote). `audio.resample` writes every recording at one rate
 * (and optionally mono); `audio.features` turns each into log-mel, MFCC, zero-crossing, spectral
 * centroid and roll-off statistics for the tabular learners.
 */
const CONCURRENCY = 2;

const compute = z
  .enum(['lambda', 'fargate'])
  .default('lambda')
  .describe('Where the node runs: Fargate for more audio than a Lambda handles in 15 minutes.');

const AUDIO_MANIFEST: ManifestKind = {
  what: 'an audio manifest',
  noun: 'recording',
  connect: 'Connect an audio dataset or audio.resample.',
};

/** Reads and decodes one stored recording of the caller's; another account's key is refused. */
async function readOwnRecording(
  context: NodeContext,
  key: string | null | undefined,
  row: number,
): Promise<PcmAudio> {
  const bytes = await readOwnObject(context, key, row, 'recording');
  try {
    return decodeWav(bytes);
  } catch (error) {
    if (error instanceof AudioDecodeError)
      throw new NodeError(`Row ${row + 1}: ${error.message}`, 'inputs.table');
    throw error;
  }
}

export const audioResampleNode = defineNode({
  key: 'audio.resample',
  params: z
    .object({
      sampleRate: z.number().int().min(1000).max(192_000).default(16_000).describe('Rate written, in Hz.'),
      mono: z.boolean().default(true).describe('Mix the channels down to one.'),
      compute,
    })
    .strict(),
  runtimeFor: (params) => params.compute,
  async run(context, inputs, params) {
    const table = await readMediaManifest(context, inputs, AUDIO_MANIFEST);
    const keys = objectKeysOf(table);
    const written = Array.from({ length: table.nRows }, () => ({
      key: '',
      sha256: '',
      size: 0,
      channels: 0,
      seconds: 0,
    }));
    await eachRow(context, table.nRows, CONCURRENCY, 'resampling audio', async (row) => {
      const audio = await readOwnRecording(context, keys[row], row);
      const sources = params.mono ? [toMono(audio)] : audio.channels;
      const out: PcmAudio = {
        sampleRate: params.sampleRate,
        channels: sources.map((channel) => resample(channel, audio.sampleRate, params.sampleRate)),
      };
      const wav = encodeWav(out);
      const sha256 = createHash('sha256').update(wav).digest('hex');
      const outKey = context.outputKey(`wav-${sha256.slice(0, 60)}`, 'wav');
      await context.blobs.put(outKey, wav, { contentType: 'audio/wav', contentLength: wav.byteLength });
      written[row] = {
        key: outKey,
        sha256,
        size: wav.byteLength,
        channels: out.channels.length,
        seconds: audioLevels(out).durationSeconds,
      };
    });
    const replaced = new Set([
      OBJECT_KEY_COLUMN,
      'sample_rate',
      'channels',
      'size_bytes',
      'sha256',
      'duration_seconds',
      'format',
    ]);
    const kept = table.columns.filter((c) => !replaced.has(c.name));
    const result = createTable(
      [
        ...kept,
        stringColumn(
          'format',
          written.map(() => 'wav'),
        ),
        numberColumn(
          'duration_seconds',
          written.map((w) => w.seconds),
        ),
        numberColumn(
          'sample_rate',
          written.map(() => params.sampleRate),
        ),
        numberColumn(
          'channels',
          written.map((w) => w.channels),
        ),
        numberColumn(
          'size_bytes',
          written.map((w) => w.size),
        ),
        stringColumn(
          'sha256',
          written.map((w) => w.sha256),
        ),
        stringColumn(
          OBJECT_KEY_COLUMN,
          written.map((w) => w.key),
        ),
      ],
      table.nRows,
    );
    const out = await writeFrameOutput(context, 'table', result);
    return { outputs: { table: out }, metrics: { rows: table.nRows, sampleRate: params.sampleRate } };
  },
});

export const audioFeaturesParams = z
  .object({
    sampleRate: z
      .number()
      .int()
      .min(4000)
      .max(48_000)
      .default(16_000)
      .describe('Each recording is mixed to mono and resampled to this rate first.'),
    nFft: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048)]).default(512),
    hop: z.number().int().min(32).max(2048).default(256),
    nMels: z.number().int().min(8).max(128).default(40),
    nMfcc: z.number().int().min(1).max(40).default(13),
    rolloff: z.number().min(0.5).max(0.99).default(0.85),
    keep: z
      .array(z.string().min(1).max(255))
      .max(50)
      .default(['label'])
      .describe('Columns of the manifest copied beside the features when present (e.g. label, path).'),
    compute,
  })
  .strict()
  .refine((p) => p.nMfcc <= p.nMels, { message: 'nMfcc must not exceed nMels' });

export const audioFeaturesNode = defineNode({
  key: 'audio.features',
  params: audioFeaturesParams,
  runtimeFor: (params) => params.compute,
  async run(context, inputs, params) {
    const table = await readMediaManifest(context, inputs, AUDIO_MANIFEST);
    const keys = objectKeysOf(table);
    const options = {
      nFft: params.nFft,
      hop: params.hop,
      nMels: params.nMels,
      nMfcc: params.nMfcc,
      rolloff: params.rolloff,
    };
    const names = audioFeatureNames(options);
    const columns = names.map(() => new Float64Array(table.nRows));
    // Every recording is resampled to one rate: the window and filterbank serve them all.
    const extractor = createAudioFeatureExtractor(params.sampleRate, options);
    await eachRow(context, table.nRows, CONCURRENCY, 'computing audio features', async (row) => {
      const audio = await readOwnRecording(context, keys[row], row);
      const mono = resample(toMono(audio), audio.sampleRate, params.sampleRate);
      const features = extractor.features(mono);
      for (let f = 0; f < features.length; f += 1) (columns[f] as Float64Array)[row] = features[f] ?? NaN;
    });
    return writeMediaFeatures(
      context,
      table,
      { names, columns, keep: params.keep },
      { kind: 'audio', field: 'audio', features: { sampleRate: params.sampleRate, ...options } },
    );
  },
});

export const audioNodes = [audioResampleNode, audioFeaturesNode];
