/**
 * Decoding, transforming and encoding images (shared/adapters/image implements it with sharp,
 * i.e. libvips). The core decides what to do with pixels (features, perceptual hashes, seeded
 * augmentation plans); the codec only reads and writes them.
 */

/** Interleaved 8-bit pixels, row by row: `channels` bytes per pixel. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface ImageFacts {
  /** As the decoder names it: jpeg, png, webp, gif, tiff. */
  format: string;
  width: number;
  height: number;
  /** Channels as stored (1 grey, 2 grey + alpha, 3 colour, 4 colour + alpha). */
  channels: number;
  hasAlpha: boolean;
}

export type ResizeFit = 'fill' | 'cover' | 'contain' | 'inside';

/** One step applied to an image, in order. */
export type ImageOperation =
  | { op: 'resize'; width: number; height: number; fit: ResizeFit }
  | { op: 'flipHorizontal' }
  | { op: 'flipVertical' }
  /** Degrees clockwise; the corners a non-right angle uncovers are filled black. */
  | { op: 'rotate'; degrees: number }
  | { op: 'crop'; left: number; top: number; width: number; height: number }
  /** Multipliers (1 = unchanged) and a hue shift in degrees. */
  | { op: 'modulate'; brightness: number; saturation: number; hue: number }
  /** Stretches the luminance to the full 0–255 range. */
  | { op: 'stretchContrast' }
  | { op: 'greyscale' }
  /** Composites transparency onto white and drops the alpha channel. */
  | { op: 'flatten' };

export type EncodedFormat = 'png' | 'jpeg' | 'webp';

export interface DecodeOptions {
  /** Resize to exactly width × height (`fill`) or as `fit` says; absent: the image's own size. */
  width?: number;
  height?: number;
  fit?: ResizeFit;
  channels: 1 | 3;
  /** Refuse (`too-large`) an image with more pixels than this; absent: the codec's own limit. */
  maxPixels?: number;
}

/** The bytes are not an image the codec can read: corrupt, truncated, or too large to decode. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(
    readonly reason: 'corrupt' | 'too-large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ImageCodec {
  /** Reads the header and decodes every pixel once, so a truncated or damaged file fails here. */
  inspect(bytes: Uint8Array): Promise<ImageFacts>;
  /** Decodes to 8-bit grey or sRGB pixels (transparency flattened onto white), resized if asked. */
  decode(bytes: Uint8Array, options: DecodeOptions): Promise<RawImage>;
  /** Applies the operations in order and encodes the result. */
  transform(
    bytes: Uint8Array,
    operations: readonly ImageOperation[],
    output: { format: EncodedFormat; quality?: number },
  ): Promise<{ bytes: Uint8Array; width: number; height: number; channels: number }>;
}
