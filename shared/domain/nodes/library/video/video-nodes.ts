import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { MediaDecodeError, type MediaTranscoder } from '../../../../ports/media-transcoder.port';
import { createTable, findColumn, numberColumn, stringColumn, type Table } from '../../../learning/table';
import { defineNode, type NodeContext } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { writeFrameOutput } from '../../table-frames';
import { imageFeatureNames, imageFeatures } from '../../../image/image-features';
import { imageFeaturesParams } from '../image/image-nodes';
import { imageCodecOf, storeNodeImage } from '../image/image-table';
import {
  eachRow,
  type ManifestKind,
  OBJECT_KEY_COLUMN,
  objectKeysOf,
  readMediaManifest,
  readOwnObject,
} from '../media/media-manifest';

/**
 * Video nodes over video manifests (one row per stored clip). `video.frames` samples frames from
 * every clip (N a second, up to a cap) into an image manifest that the image nodes read, one row
 * per frame with its clip and time; `video.features` turns the frames into image features and
 * pools them per clip (mean and standard deviation), one row per clip for the tabular learners.
 */
const compute = z
  .enum(['lambda', 'fargate'])
  .default('lambda')
  .describe('Where the node runs: Fargate for more video than a Lambda handles in 15 minutes.');

function transcoderOf(context: NodeContext): MediaTranscoder {
  if (!context.media)
    throw new NodeError('This host cannot read video: run the node on the node runner.', 'type');
  return context.media;
}

const VIDEO_MANIFEST: ManifestKind = {
  what: 'a video manifest',
  noun: 'clip',
  connect: 'Connect a video dataset.',
};

const FRAME_MANIFEST: ManifestKind = {
  what: 'a frame manifest',
  noun: 'frame',
  connect: 'Connect a video dataset through video.frames.',
};

const textAt = (table: Table, name: string, row: number): string | null => {
  const column = findColumn(table, name);
  return column?.kind === 'string' ? (column.values[row] ?? null) : null;
};

export const videoFramesNode = defineNode({
  key: 'video.frames',
  params: z
    .object({
      perSecond: z.number().min(0.05).max(30).default(1).describe('Frames sampled per second of video.'),
      maxFrames: z.number().int().min(1).max(1000).default(32).describe('At most this many frames per clip.'),
      width: z.number().int().min(16).max(1920).default(224).describe('Frames are scaled to this width.'),
      compute,
    })
    .strict(),
  runtimeFor: (params) => params.compute,
  async run(context, inputs, params) {
    const media = transcoderOf(context);
    const table = await readMediaManifest(context, inputs, VIDEO_MANIFEST);
    const keys = objectKeysOf(table);
    const frames: { clipRow: number; seconds: number; key: string; sha256: string; size: number }[][] = [];
    await eachRow(context, table.nRows, 1, 'sampling frames', async (row) => {
      const clip = join(context.workDir, `clip-${row}`);
      const out = join(context.workDir, `frames-${row}`);
      await writeFile(clip, await readOwnObject(context, keys[row], row, 'clip'));
      await mkdir(out, { recursive: true });
      let sampled;
      try {
        sampled = await media.extractFrames(clip, out, params);
      } catch (error) {
        if (error instanceof MediaDecodeError)
          throw new NodeError(`Row ${row + 1}: ${error.message}`, 'inputs.table');
        throw error;
      }
      const stored = [];
      for (const frame of sampled) {
        const bytes = new Uint8Array(await readFile(frame.path));
        const { key: frameKey, sha256 } = await storeNodeImage(context, bytes, 'png');
        stored.push({ clipRow: row, seconds: frame.seconds, key: frameKey, sha256, size: bytes.byteLength });
      }
      frames[row] = stored;
      await rm(clip, { force: true });
      await rm(out, { recursive: true, force: true });
    });
    const flat = frames.flat();
    const images = imageCodecOf(context);
    const sizes = await Promise.all(
      flat.map(async (f) => images.inspect(await context.blobs.getBytes(f.key))),
    );
    const result = createTable(
      [
        stringColumn(
          'clip_path',
          flat.map((f) => textAt(table, 'path', f.clipRow)),
        ),
        stringColumn(
          'label',
          flat.map((f) => textAt(table, 'label', f.clipRow)),
        ),
        numberColumn(
          'frame_seconds',
          flat.map((f) => f.seconds),
        ),
        numberColumn(
          'width',
          sizes.map((s) => s.width),
        ),
        numberColumn(
          'height',
          sizes.map((s) => s.height),
        ),
        numberColumn(
          'channels',
          sizes.map((s) => s.channels),
        ),
        stringColumn(
          'format',
          flat.map(() => 'png'),
        ),
        numberColumn(
          'size_bytes',
          flat.map((f) => f.size),
        ),
        stringColumn(
          'sha256',
          flat.map((f) => f.sha256),
        ),
        stringColumn(
          OBJECT_KEY_COLUMN,
          flat.map((f) => f.key),
        ),
      ],
      flat.length,
    );
    const output = await writeFrameOutput(context, 'table', result);
    return { outputs: { table: output }, metrics: { clips: table.nRows, frames: flat.length } };
  },
});

export const videoFeaturesNode = defineNode({
  key: 'video.features',
  params: imageFeaturesParams,
  runtimeFor: (params) => params.compute,
  async run(context, inputs, params) {
    const codec = imageCodecOf(context);
    const table = await readMediaManifest(context, inputs, FRAME_MANIFEST);
    const keys = objectKeysOf(table);
    const channels = params.colour === 'grey' ? 1 : 3;
    const options = { ...params };
    const names = imageFeatureNames(options, channels);
    const perFrame: Float64Array[] = new Array(table.nRows);
    await eachRow(context, table.nRows, 4, 'computing frame features', async (row) => {
      const pixels = await codec.decode(await readOwnObject(context, keys[row], row, 'frame'), {
        width: params.size,
        height: params.size,
        fit: 'fill',
        channels,
      });
      perFrame[row] = imageFeatures(pixels, options);
    });
    // Pool per clip, in the order clips first appear.
    const clipOf = (row: number) => textAt(table, 'clip_path', row) ?? `row-${row + 1}`;
    const clips = new Map<string, number[]>();
    for (let row = 0; row < table.nRows; row += 1)
      clips.set(clipOf(row), [...(clips.get(clipOf(row)) ?? []), row]);
    const clipNames = [...clips.keys()];
    const means = names.map(() => new Float64Array(clipNames.length));
    const stds = names.map(() => new Float64Array(clipNames.length));
    clipNames.forEach((clip, c) => {
      const rows = clips.get(clip) ?? [];
      for (let f = 0; f < names.length; f += 1) {
        const values = rows.map((r) => perFrame[r]?.[f] ?? NaN);
        const mean = values.reduce((s, v) => s + v, 0) / values.length;
        (means[f] as Float64Array)[c] = mean;
        (stds[f] as Float64Array)[c] = Math.sqrt(
          values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length,
        );
      }
    });
    const firstRow = (clip: string) => clips.get(clip)?.[0] ?? 0;
    const result = createTable(
      [
        stringColumn('clip_path', clipNames),
        stringColumn(
          'label',
          clipNames.map((clip) => textAt(table, 'label', firstRow(clip))),
        ),
        numberColumn(
          'frames',
          clipNames.map((clip) => clips.get(clip)?.length ?? 0),
        ),
        ...names.flatMap((name, f) => [
          numberColumn(`${name}_mean`, means[f] ?? new Float64Array(0)),
          numberColumn(`${name}_std`, stds[f] ?? new Float64Array(0)),
        ]),
      ],
      clipNames.length,
    );
    const output = await writeFrameOutput(context, 'table', result);
    return {
      outputs: { table: output },
      metrics: { clips: clipNames.length, frames: table.nRows, features: names.length * 2 },
    };
  },
});

export const videoNodes = [videoFramesNode, videoFeaturesNode];
