import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharpImageCodec } from '../../../../../shared/adapters/image/sharp-image-codec';
import { audioFeatureNames, DEFAULT_AUDIO_FEATURES } from '../../../../../shared/domain/audio/audio-features';
import { encodeWav } from '../../../../../shared/domain/audio/wav';
import { imageFeatureNames } from '../../../../../shared/domain/image/image-features';
import type { AudioMediaInput, ImageMediaInput } from '../../../../../shared/domain/learning/media-input';
import {
  MAX_MEDIA_BASE64_CHARS,
  MAX_MEDIA_FILE_BYTES,
  MAX_PREDICTION_IMAGE_PIXELS,
  MAX_RECORDING_SECONDS,
  mediaRowsToFeatureRows,
} from '../../../../../shared/domain/models/media-rows';
import { MAX_PREDICTION_BYTES } from '../../../../../shared/domain/models/prediction-rows';
import { ValidationError } from '../../../../../shared/kernel/app-error';
import { tone } from '../../../../support/audio/synth';

const audio: AudioMediaInput = {
  kind: 'audio',
  field: 'audio',
  features: { sampleRate: 16_000, nFft: 512, hop: 256, nMels: 40, nMfcc: 13, rolloff: 0.85 },
};
const image: ImageMediaInput = {
  kind: 'image',
  field: 'image',
  features: { size: 32, colour: 'rgb', pixelGrid: 4, histogramBins: 4, hog: true, hogSize: 32, hogCell: 8 },
};
const base64 = (bytes: Uint8Array) => ({ base64: Buffer.from(bytes).toString('base64') });
const deps = { loadImageCodec: async () => sharpImageCodec };

async function failure(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('rows that carry a file', () => {
  it('turns a WAV recording into the audio features, keeping the other keys', async () => {
    const wav = encodeWav(tone({ frequency: 880, seconds: 0.3, sampleRate: 22_050 }), 'float32');
    const [row] = await mediaRowsToFeatureRows(audio, [{ audio: base64(wav), id: 7 }], deps);
    const names = audioFeatureNames(DEFAULT_AUDIO_FEATURES);
    expect(Object.keys(row ?? {}).sort()).toEqual([...names, 'id'].sort());
    expect(row?.['id']).toBe(7);
    // Resampled to the model's 16 kHz: the spectral centroid sits near the tone.
    expect(Number(row?.['centroid_hz_mean'])).toBeGreaterThan(800);
    expect(Number(row?.['centroid_hz_mean'])).toBeLessThan(1000);
  });

  it('turns an image into the image features the model was trained on', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c00' } })
      .png()
      .toBuffer();
    const [row] = await mediaRowsToFeatureRows(image, [{ image: base64(png) }], deps);
    expect(Object.keys(row ?? {})).toEqual(imageFeatureNames(image.features, 3));
    expect(Object.values(row ?? {}).every((v) => Number.isFinite(v))).toBe(true);
  });

  it('names the row and field of each file that cannot be read', async () => {
    const error = await failure(
      mediaRowsToFeatureRows(
        audio,
        [
          { audio: base64(encodeWav(tone({ frequency: 440, seconds: 0.1 }))) },
          { audio: base64(new TextEncoder().encode('ID3 not a wav file')) },
          { audio: { base64: 'not base64!' } },
          { audio: 'recording.wav' },
          {},
        ],
        deps,
      ),
    );
    expect(error.code).toBe('PREDICTION.INVALID_FILE');
    expect(error.issues.map((i) => i.field)).toEqual([
      'body.rows[1].audio',
      'body.rows[2].audio',
      'body.rows[3].audio',
      'body.rows[4].audio',
    ]);
    expect(error.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^Row 1, "audio": not a WAV file; send WAV/),
      expect.stringMatching(/^Row 2, "audio.base64" is not base64/),
      expect.stringMatching(/^Row 3, "audio" is not an object with a "base64" string/),
      expect.stringMatching(/^Row 4 lacks "audio"/),
    ]);
  });

  it('refuses a file over the per-file limit before decoding it', async () => {
    const big = new Uint8Array(MAX_MEDIA_FILE_BYTES + 3);
    const error = await failure(mediaRowsToFeatureRows(image, [{ image: base64(big) }], deps));
    expect(error.issues[0]).toMatchObject({ field: 'body.rows[0].image' });
    expect(error.message).toContain(`at most ${MAX_MEDIA_FILE_BYTES} fit one row`);
  });

  it('takes a file as large as the limit in one request', () => {
    const largest = JSON.stringify({ rows: [{ image: { base64: 'A'.repeat(MAX_MEDIA_BASE64_CHARS) } }] });
    expect(Buffer.byteLength(largest)).toBeLessThan(MAX_PREDICTION_BYTES);
    expect(Buffer.from('A'.repeat(MAX_MEDIA_BASE64_CHARS), 'base64').length).toBeGreaterThanOrEqual(
      MAX_MEDIA_FILE_BYTES,
    );
  });

  it('refuses a small image that declares more pixels than a request may decode', async () => {
    // 6,000 × 5,000 of one colour: a few kilobytes of PNG, 30 megapixels once decoded.
    const vast = await sharp({
      create: { width: 6_000, height: 5_000, channels: 3, background: { r: 200, g: 10, b: 10 } },
    })
      .png()
      .toBuffer();
    expect(vast.length).toBeLessThan(MAX_MEDIA_FILE_BYTES);
    const error = await failure(mediaRowsToFeatureRows(image, [{ image: base64(vast) }], deps));
    expect(error.issues[0]).toMatchObject({ field: 'body.rows[0].image' });
    expect(error.message).toContain(
      `more than ${MAX_PREDICTION_IMAGE_PIXELS.toLocaleString('en-US')} pixels`,
    );
  });

  it('refuses a small WAV whose low sample rate makes it too long to resample in a request', async () => {
    // 40,000 frames declared at 10 Hz: more than an hour of sound in 80 KB.
    const slow = encodeWav({ sampleRate: 10, channels: [new Float32Array(40_000)] });
    const error = await failure(mediaRowsToFeatureRows(audio, [{ audio: base64(slow) }], deps));
    expect(error.issues[0]).toMatchObject({ field: 'body.rows[0].audio' });
    expect(error.message).toContain(`at most ${MAX_RECORDING_SECONDS} s fit one row`);
  });

  it('says an image cannot be decoded, with the formats it takes', async () => {
    const error = await failure(
      mediaRowsToFeatureRows(
        image,
        [{ image: base64(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2])) }],
        deps,
      ),
    );
    expect(error.message).toMatch(
      /^Row 0, "image": the image cannot be decoded .*; send a PNG, JPEG, GIF, WebP or TIFF file\.$/,
    );
  });
});
