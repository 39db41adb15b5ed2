import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegTranscoder } from '../../../../../../../shared/adapters/media/ffmpeg-transcoder';
import { sharpImageCodec } from '../../../../../../../shared/adapters/image/sharp-image-codec';
import { encodeWav } from '../../../../../../../shared/domain/audio/wav';
import { createNodeHarness, USER_ID, type NodeHarness } from '../../../../../support/node-test-context';
import { tone } from '../../../../../../support/audio/synth';

const OTHER_USER = '99999999-9999-4999-8999-999999999999';
const VERSION = `33333333-3333-4333-8333-333333333333/1`;
const options = { images: sharpImageCodec, media: ffmpegTranscoder };

let h: NodeHarness;
let stored: string;

/** A manifest of one row per key (null: a row without a key). */
async function manifest(name: string, keys: (string | null)[]): Promise<string> {
  const values = keys.map((k, i) => `(${i}, ${k === null ? 'NULL' : `'${k}'`})`).join(', ');
  return h.table(`processed/${name}.parquet`, `SELECT * FROM (VALUES ${values}) AS t(n, object_key)`);
}

beforeAll(async () => {
  h = await createNodeHarness();
  stored = `processed/${USER_ID}/${VERSION}/audio/a.wav`;
  await h.blobs.put(stored, encodeWav(tone({ frequency: 440, seconds: 0.2 })));
});

afterAll(async () => {
  await h.close();
});

describe('media manifests', { timeout: 30_000 }, () => {
  it.each([
    ['image.features', 'images'],
    ['image.resize', 'images'],
    ['audio.features', 'recordings'],
    ['audio.resample', 'recordings'],
    ['video.frames', 'clips'],
    ['video.features', 'frames'],
  ])("%s refuses another account's object, naming its %s", async (node, noun) => {
    const table = await manifest(`foreign-${node}`, [`processed/${OTHER_USER}/${VERSION}/x/y.bin`, stored]);
    await expect(h.run(node, { table: { key: table } }, {}, options)).rejects.toThrow(
      `Row 1: "object_key" does not name one of your stored ${noun}.`,
    );
  });

  it("refuses a key that climbs out of the caller's objects", async () => {
    const table = await manifest('climb', [`processed/${USER_ID}/../${OTHER_USER}/${VERSION}/a.wav`]);
    await expect(h.run('audio.features', { table: { key: table } }, {}, options)).rejects.toThrow(
      'Row 1: "object_key" does not name one of your stored recordings.',
    );
  });

  it('says which row names an object no longer stored, and one without a key', async () => {
    const gone = await manifest('gone', [`processed/${USER_ID}/${VERSION}/video/gone.mp4`]);
    await expect(h.run('video.frames', { table: { key: gone } }, {}, options)).rejects.toThrow(
      'Row 1: the clip gone.mp4 is no longer stored.',
    );
    const audioGone = await manifest('audio-gone', [
      stored,
      `processed/${USER_ID}/${VERSION}/audio/gone.wav`,
    ]);
    await expect(h.run('audio.features', { table: { key: audioGone } }, {}, options)).rejects.toThrow(
      'Row 2: the recording gone.wav is no longer stored.',
    );
    const missing = await manifest('missing', [stored, null]);
    await expect(h.run('audio.features', { table: { key: missing } }, {}, options)).rejects.toThrow(
      'Row 2 has no "object_key".',
    );
  });

  it('says a clip without a video stream holds none, in its own words', async () => {
    const table = await manifest('not-video', [stored]);
    await expect(h.run('video.frames', { table: { key: table } }, {}, options)).rejects.toThrow(
      /^Row 1: The file holds no video stream\.$/,
    );
  });

  it("reads the caller's own recording", async () => {
    const table = await manifest('own', [stored]);
    const result = await h.run('audio.features', { table: { key: table } }, {}, options);
    expect(result.outputs['table']).toMatchObject({ rows: 1 });
  });

  it('refuses a table that is not a manifest, saying what to connect', async () => {
    const plain = await h.table('processed/plain.parquet', 'SELECT 1 AS n');
    await expect(h.run('audio.features', { table: { key: plain } }, {}, options)).rejects.toThrow(
      'The input is not an audio manifest: it has no text column "object_key" naming each stored recording. Connect an audio dataset or audio.resample.',
    );
    await expect(h.run('video.features', { table: { key: plain } }, {}, options)).rejects.toThrow(
      'Connect a video dataset through video.frames.',
    );
  });
});
