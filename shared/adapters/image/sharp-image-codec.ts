import type { Sharp, SharpOptions } from 'sharp';
import {
  ImageDecodeError,
  type DecodeOptions,
  type ImageCodec,
  type ImageFacts,
  type ImageOperation,
  type RawImage,
} from '../../ports/image-codec.port';

/**
 * The image codec on sharp (libvips). Every decode fails on the first decoder error rather than
 * returning a half-grey picture, and refuses images above MAX_IMAGE_PIXELS before allocating
 * them; sharp's errors become ImageDecodeError with a reason the caller can show per file.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;
let loading: Promise<SharpFactory> | undefined;

/**
 * sharp (a native binding, a Lambda layer in AWS) is loaded on the first image: the workers and
 * the node runner import this module whatever they process, and only image work needs it.
 */
function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then((module) => module.default);
  return loading;
}

const WHITE = { r: 255, g: 255, b: 255 };
const BLACK = { r: 0, g: 0, b: 0, alpha: 1 };

async function open(bytes: Uint8Array, maxPixels: number = MAX_IMAGE_PIXELS): Promise<Sharp> {
  const sharp = await loadSharp();
  return sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, sequentialRead: true });
}

function translate(error: unknown, maxPixels: number = MAX_IMAGE_PIXELS): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message))
    throw new ImageDecodeError(
      'too-large',
      `The image has more than ${maxPixels.toLocaleString('en-US')} pixels.`,
      {
        cause: error,
      },
    );
  // libvips messages name the loader and what it found ("VipsJpeg: premature end of JPEG file").
  const reason = message.replace(/\s+/g, ' ').trim().slice(0, 200);
  throw new ImageDecodeError('corrupt', reason || 'The image could not be decoded.', { cause: error });
}

async function rawPixels(pipeline: Sharp, channels: 1 | 3): Promise<RawImage> {
  const shaped = channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  const { data, info } = await shaped.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new ImageDecodeError('corrupt', `decoded ${info.channels} channels`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels,
  };
}

function apply(pipeline: Sharp, operation: ImageOperation): Sharp {
  switch (operation.op) {
    case 'resize':
      return pipeline.resize(operation.width, operation.height, { fit: operation.fit, background: WHITE });
    case 'flipHorizontal':
      return pipeline.flop();
    case 'flipVertical':
      return pipeline.flip();
    case 'rotate':
      return pipeline.rotate(operation.degrees, { background: BLACK });
    case 'crop':
      return pipeline.extract({
        left: operation.left,
        top: operation.top,
        width: operation.width,
        height: operation.height,
      });
    case 'modulate':
      return pipeline.modulate({
        brightness: operation.brightness,
        saturation: operation.saturation,
        hue: Math.round(operation.hue),
      });
    case 'stretchContrast':
      return pipeline.normalise();
    case 'greyscale':
      return pipeline.greyscale().toColourspace('b-w');
    case 'flatten':
      return pipeline.flatten({ background: WHITE });
  }
}

export const sharpImageCodec: ImageCodec = {
  async inspect(bytes): Promise<ImageFacts> {
    try {
      const meta = await (await open(bytes)).metadata();
      // Metadata reads the header only: decoding every pixel finds truncated and damaged data
      // (into a thumbnail, so a 100-megapixel image never sits in memory whole).
      await (await open(bytes)).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
      return {
        format: meta.format ?? 'unknown',
        width: meta.autoOrient?.width ?? meta.width ?? 0,
        height: meta.autoOrient?.height ?? meta.height ?? 0,
        channels: meta.channels ?? 0,
        hasAlpha: meta.hasAlpha ?? false,
      };
    } catch (error) {
      return translate(error);
    }
  },

  async decode(bytes, options: DecodeOptions): Promise<RawImage> {
    try {
      // Orientation from EXIF is applied first, so pixels are as a viewer shows them.
      let pipeline = (await open(bytes, options.maxPixels)).autoOrient().flatten({ background: WHITE });
      if (options.width !== undefined || options.height !== undefined)
        pipeline = pipeline.resize(options.width ?? null, options.height ?? null, {
          fit: options.fit ?? 'fill',
          background: WHITE,
        });
      return await rawPixels(pipeline, options.channels);
    } catch (error) {
      if (error instanceof ImageDecodeError) throw error;
      return translate(error, options.maxPixels);
    }
  },

  async transform(bytes, operations, output) {
    try {
      const sharp = await loadSharp();
      let pipeline = (await open(bytes)).autoOrient();
      for (const operation of operations) {
        // sharp runs its steps in an order of its own: each step is applied to the pixels the
        // previous one made, kept raw (no re-encoding in between).
        const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
        const raw = { width: info.width, height: info.height, channels: info.channels };
        pipeline = apply(sharp(data, { raw, limitInputPixels: MAX_IMAGE_PIXELS }), operation);
      }
      const encoded =
        output.format === 'jpeg'
          ? pipeline.flatten({ background: WHITE }).jpeg({ quality: output.quality ?? 90 })
          : output.format === 'webp'
            ? pipeline.webp({ quality: output.quality ?? 90 })
            : pipeline.png();
      const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
      return {
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.height,
        channels: info.channels,
      };
    } catch (error) {
      if (error instanceof ImageDecodeError) throw error;
      return translate(error);
    }
  },
};
