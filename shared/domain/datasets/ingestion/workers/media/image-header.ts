import { ascii, view } from './byte-reader';

/** Image format and dimensions from the first bytes of the file: PNG, JPEG, GIF, WebP, TIFF. No decoding, no native code. */
export interface ImageHeader {
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'tiff';
  width: number;
  height: number;
  /** Bits per channel sample when the header says (PNG, JPEG). */
  bitDepth?: number;
  /** Channels when the header says (JPEG components; PNG from its colour type). */
  channels?: number;
}

/** Bytes the parser needs: JPEG's frame header may come after a large EXIF block. */
export const IMAGE_HEAD_BYTES = 512 * 1024;

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function parseImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length < 12) return undefined;
  const dv = view(bytes);
  if (
    bytes[0] === 0x89 &&
    ascii(bytes, 1, 3) === 'PNG' &&
    ascii(bytes, 12, 4) === 'IHDR' &&
    bytes.length >= 26
  ) {
    const colorType = bytes[25] ?? 0;
    return {
      format: 'png',
      width: dv.getUint32(16),
      height: dv.getUint32(20),
      bitDepth: bytes[24] ?? 0,
      ...(PNG_CHANNELS[colorType] ? { channels: PNG_CHANNELS[colorType] } : {}),
    };
  }
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') {
    return { format: 'gif', width: dv.getUint16(6, true), height: dv.getUint16(8, true) };
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP' && bytes.length >= 30) {
    const chunk = ascii(bytes, 12, 4);
    if (chunk === 'VP8 ')
      return {
        format: 'webp',
        width: dv.getUint16(26, true) & 0x3fff,
        height: dv.getUint16(28, true) & 0x3fff,
      };
    if (chunk === 'VP8L') {
      const b0 = bytes[21] ?? 0;
      const b1 = bytes[22] ?? 0;
      const b2 = bytes[23] ?? 0;
      const b3 = bytes[24] ?? 0;
      return {
        format: 'webp',
        width: 1 + (((b1 & 0x3f) << 8) | b0),
        height: 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)),
      };
    }
    if (chunk === 'VP8X') {
      const u24 = (at: number) =>
        (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16);
      return { format: 'webp', width: 1 + u24(24), height: 1 + u24(27) };
    }
    return undefined;
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return parseJpeg(bytes, dv);
  if (
    (ascii(bytes, 0, 2) === 'II' && dv.getUint16(2, true) === 42) ||
    (ascii(bytes, 0, 2) === 'MM' && dv.getUint16(2, false) === 42)
  ) {
    return parseTiff(bytes, dv, ascii(bytes, 0, 2) === 'II');
  }
  return undefined;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function parseJpeg(bytes: Uint8Array, dv: DataView): ImageHeader | undefined {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (SOF.has(marker)) {
      return {
        format: 'jpeg',
        bitDepth: bytes[i + 4] ?? 8,
        height: dv.getUint16(i + 5),
        width: dv.getUint16(i + 7),
        channels: bytes[i + 9] ?? 0,
      };
    }
    if (marker === 0xd9 || marker === 0xda) return undefined;
    i += 2 + dv.getUint16(i + 2);
  }
  return undefined;
}

function parseTiff(bytes: Uint8Array, dv: DataView, little: boolean): ImageHeader | undefined {
  const ifd = dv.getUint32(4, little);
  if (ifd + 2 > bytes.length) return undefined;
  const entries = dv.getUint16(ifd, little);
  let width: number | undefined;
  let height: number | undefined;
  for (let e = 0; e < entries; e += 1) {
    const at = ifd + 2 + e * 12;
    if (at + 12 > bytes.length) break;
    const tag = dv.getUint16(at, little);
    const type = dv.getUint16(at + 2, little);
    const value = type === 3 ? dv.getUint16(at + 8, little) : dv.getUint32(at + 8, little);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return width !== undefined && height !== undefined ? { format: 'tiff', width, height } : undefined;
}
