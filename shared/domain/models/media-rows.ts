import { ValidationError, type ProblemIssue } from '../../kernel/app-error';
import { ImageDecodeError, type ImageCodec } from '../../ports/image-codec.port';
import { audioFeatureNames, createAudioFeatureExtractor } from '../audio/audio-features';
import { resample, toMono } from '../audio/signal';
import { AudioDecodeError, decodeWav, encodeWav, looksLikeWav, readWavInfo } from '../audio/wav';
import type { AudioMediaInput, ImageMediaInput, MediaInput } from '../learning/media-input';
import { imageFeatureNames, imageFeatures } from '../image/image-features';
import { rowField, type PredictionRow } from './prediction-rows';

/**
 * Rows that carry a file for a model trained on image or audio features: each row's `field`
 * (`image` or `audio`) holds `{"base64": "…"}`, the file's bytes. The file is decoded and turned
 * into the features exactly as the training pipeline made them from the ingested file (the image
 * decoded to size × size; the recording read as ingestion stores it, 16-bit PCM, mixed to mono and
 * resampled), so the row then predicts like any row of those features. Every problem names its
 * row and field.
 */

/**
 * At most this many bytes per file, once decoded from base64: its base64 text (4 characters per 3
 * bytes) and the JSON around it fit one prediction request (`MAX_PREDICTION_BYTES`).
 */
export const MAX_MEDIA_FILE_BYTES = 700_000;
/** The longest base64 text of a file within `MAX_MEDIA_FILE_BYTES`. */
export const MAX_MEDIA_BASE64_CHARS = Math.ceil(MAX_MEDIA_FILE_BYTES / 3) * 4;
/** The most pixels an image sent for prediction may have (a small PNG can declare many more). */
export const MAX_PREDICTION_IMAGE_PIXELS = 25_000_000;
/**
 * The longest recording one row may hold, in seconds: a small file declaring a very low sample
 * rate would otherwise resample into hundreds of megabytes in the request path.
 */
export const MAX_RECORDING_SECONDS = 600;
/** Issues listed in one answer; the rest are counted. */
const MAX_ISSUES = 20;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface MediaRowDeps {
  /** The image decoder, loaded when a row carries an image. */
  loadImageCodec?: () => Promise<ImageCodec>;
}

class RowProblem extends Error {}

/** The bytes of a row's file, or the problem with them. */
function fileBytes(row: PredictionRow, i: number, media: MediaInput): Uint8Array {
  const shape = `send {"${media.field}": {"base64": "<the file's bytes in base64>"}}`;
  if (!Object.hasOwn(row, media.field))
    throw new RowProblem(
      `Row ${i} lacks "${media.field}": this model predicts from the ${media.kind} file; ${shape}.`,
    );
  const value = row[media.field];
  const encoded =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)['base64']
      : undefined;
  if (typeof encoded !== 'string')
    throw new RowProblem(`Row ${i}, "${media.field}" is not an object with a "base64" string; ${shape}.`);
  const text = encoded.replace(/\s+/g, '');
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text))
    throw new RowProblem(
      `Row ${i}, "${media.field}.base64" is not base64 (standard alphabet, padded with "="); encode the file's bytes, e.g. with base64 -w0.`,
    );
  const size = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  if (size > MAX_MEDIA_FILE_BYTES)
    throw new RowProblem(
      `Row ${i}, "${media.field}": the file takes ${size} bytes; at most ${MAX_MEDIA_FILE_BYTES} fit one row: send a smaller ${media.kind === 'image' ? 'image' : 'recording'}, or predict in a pipeline on a dataset.`,
    );
  return new Uint8Array(Buffer.from(text, 'base64'));
}

async function imageRowFeatures(
  codec: ImageCodec,
  media: ImageMediaInput,
  bytes: Uint8Array,
  i: number,
): Promise<Record<string, number>> {
  const { size, colour, ...options } = media.features;
  const channels = colour === 'grey' ? 1 : 3;
  let pixels;
  try {
    pixels = await codec.decode(bytes, {
      width: size,
      height: size,
      fit: 'fill',
      channels,
      maxPixels: MAX_PREDICTION_IMAGE_PIXELS,
    });
  } catch (error) {
    if (error instanceof ImageDecodeError)
      throw new RowProblem(
        `Row ${i}, "${media.field}": the image cannot be decoded (${error.message}); send a PNG, JPEG, GIF, WebP or TIFF file.`,
      );
    throw error;
  }
  const values = imageFeatures(pixels, options);
  return Object.fromEntries(imageFeatureNames(options, channels).map((name, f) => [name, values[f] ?? NaN]));
}

function audioRowFeatures(
  extractor: ReturnType<typeof createAudioFeatureExtractor>,
  media: AudioMediaInput,
  bytes: Uint8Array,
  i: number,
): Record<string, number> {
  if (!looksLikeWav(bytes.subarray(0, 12)))
    throw new RowProblem(
      `Row ${i}, "${media.field}": not a WAV file; send WAV (PCM 8–32-bit or float) here, or predict FLAC, MP3 and Ogg recordings in a pipeline on an audio dataset.`,
    );
  let audio;
  try {
    const info = readWavInfo(bytes);
    const seconds = info.frames / info.sampleRate;
    if (seconds > MAX_RECORDING_SECONDS)
      throw new RowProblem(
        `Row ${i}, "${media.field}": the recording lasts ${Math.round(seconds)} s (${info.frames} frames at ${info.sampleRate} Hz); at most ${MAX_RECORDING_SECONDS} s fit one row: send a shorter recording, or predict in a pipeline on an audio dataset.`,
      );
    // As ingestion stores it: 16-bit PCM at its own rate and channels.
    audio = decodeWav(encodeWav(decodeWav(bytes)));
  } catch (error) {
    if (error instanceof AudioDecodeError)
      throw new RowProblem(`Row ${i}, "${media.field}": the recording cannot be decoded (${error.message}).`);
    throw error;
  }
  const values = extractor.features(resample(toMono(audio), audio.sampleRate, extractor.sampleRate));
  return Object.fromEntries(audioFeatureNames(extractor.options).map((name, f) => [name, values[f] ?? NaN]));
}

/**
 * The rows with each file replaced by its features (other keys kept). Every row that cannot be
 * read is reported: a ValidationError lists up to 20, each with its row and field.
 */
export async function mediaRowsToFeatureRows(
  media: MediaInput,
  rows: readonly PredictionRow[],
  deps: MediaRowDeps,
): Promise<PredictionRow[]> {
  const codec = media.kind === 'image' ? await deps.loadImageCodec?.() : undefined;
  if (media.kind === 'image' && !codec)
    throw new Error('Image prediction needs an image codec, and none was given.');
  const extractor =
    media.kind === 'audio'
      ? createAudioFeatureExtractor(media.features.sampleRate, {
          nFft: media.features.nFft,
          hop: media.features.hop,
          nMels: media.features.nMels,
          nMfcc: media.features.nMfcc,
          rolloff: media.features.rolloff,
        })
      : undefined;
  const issues: ProblemIssue[] = [];
  let issueCount = 0;
  const out: PredictionRow[] = [];
  for (const [i, row] of rows.entries()) {
    try {
      const bytes = fileBytes(row, i, media);
      const features =
        media.kind === 'image' && codec
          ? await imageRowFeatures(codec, media, bytes, i)
          : media.kind === 'audio' && extractor
            ? audioRowFeatures(extractor, media, bytes, i)
            : {};
      const { [media.field]: _file, ...rest } = row;
      out.push({ ...rest, ...features });
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      issueCount += 1;
      if (issues.length < MAX_ISSUES)
        issues.push({ field: rowField(i, media.field), message: error.message });
    }
  }
  if (issues.length > 0) {
    const more = issueCount > issues.length ? ` (and ${issueCount - issues.length} more)` : '';
    const first = issues[0]?.message ?? '';
    throw new ValidationError(
      issueCount === 1 ? first : `${issueCount} rows cannot be read${more}. ${first}`,
      {
        issues,
        code: 'PREDICTION.INVALID_FILE',
        details: { issueCount },
      },
    );
  }
  return out;
}
