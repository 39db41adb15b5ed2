import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';

/**
 * Text encoding of uploaded files. The SQL engine reads UTF-8; anything else is converted first:
 * UTF-16 (by its BOM) and, when the bytes are not valid UTF-8, Latin-1 (read as Windows-1252, its
 * common superset, which is what spreadsheet exports labelled "Latin-1" contain).
 */
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export function encodingFromBom(head: Uint8Array): TextEncoding | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8-bom';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

export async function readHead(path: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Streams the file once through a fatal UTF-8 decoder. */
export async function isValidUtf8(path: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      decoder.decode(chunk as Buffer, { stream: true });
    }
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

export interface NormalizedText {
  encoding: TextEncoding;
  /** A UTF-8 file without BOM: the input itself when nothing had to change. */
  path: string;
  converted: boolean;
}

/**
 * Detects the encoding (or takes the one given) and, unless the file is plain UTF-8, writes a UTF-8
 * copy to `outPath`.
 */
export async function normalizeToUtf8(
  path: string,
  outPath: string,
  given?: Exclude<TextEncoding, 'utf-8-bom'>,
): Promise<NormalizedText> {
  const bom = encodingFromBom(await readHead(path, 4));
  let encoding: TextEncoding;
  if (bom && (given === undefined || given === 'utf-8' || bom === given))
    encoding = bom === 'utf-8-bom' || given === undefined ? bom : given;
  else if (given) encoding = given;
  else encoding = (await isValidUtf8(path)) ? 'utf-8' : 'windows-1252';
  if (encoding === 'utf-8') return { encoding, path, converted: false };
  await transcode(path, outPath, encoding);
  return { encoding, path: outPath, converted: true };
}

async function transcode(
  path: string,
  outPath: string,
  encoding: Exclude<TextEncoding, 'utf-8'>,
): Promise<void> {
  const label = encoding === 'utf-8-bom' ? 'utf-8' : encoding;
  // The WHATWG decoder drops the BOM of its own encoding (ignoreBOM false).
  const decoder = new TextDecoder(label);
  const out = createWriteStream(outPath);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const text = decoder.decode(chunk as Buffer, { stream: true });
      if (text && !out.write(text)) await once(out, 'drain');
    }
    const rest = decoder.decode();
    if (rest) out.write(rest);
  } finally {
    out.end();
    await once(out, 'close');
  }
}

/** Magic numbers of common binary files, for saying what a file that is not text looks like. */
const SIGNATURES: readonly { bytes: readonly number[]; offset?: number; looksLike: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], looksLike: 'a zip archive' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], looksLike: 'a zip archive' },
  { bytes: [0x1f, 0x8b], looksLike: 'a gzip-compressed file' },
  { bytes: [0x42, 0x5a, 0x68], looksLike: 'a bzip2-compressed file' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], looksLike: 'an xz-compressed file' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], looksLike: 'a zstd-compressed file' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], looksLike: 'a 7-Zip archive' },
  { bytes: [0x52, 0x61, 0x72, 0x21], looksLike: 'a RAR archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46], looksLike: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], looksLike: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], looksLike: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], looksLike: 'a GIF image' },
  { bytes: [0x42, 0x4d], looksLike: 'a BMP image' },
  { bytes: [0x49, 0x49, 0x2a, 0x00], looksLike: 'a TIFF image' },
  { bytes: [0x4d, 0x4d, 0x00, 0x2a], looksLike: 'a TIFF image' },
  { bytes: [0x52, 0x49, 0x46, 0x46], looksLike: 'a RIFF file (WAV audio, AVI video or WebP image)' },
  { bytes: [0x66, 0x74, 0x79, 0x70], offset: 4, looksLike: 'an MP4/MOV video or HEIC image' },
  { bytes: [0x49, 0x44, 0x33], looksLike: 'an MP3 audio file' },
  { bytes: [0x4f, 0x67, 0x67, 0x53], looksLike: 'an Ogg audio file' },
  { bytes: [0x66, 0x4c, 0x61, 0x43], looksLike: 'a FLAC audio file' },
  { bytes: [0x50, 0x41, 0x52, 0x31], looksLike: 'a Parquet file' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], looksLike: 'a Microsoft Office 97-2003 document' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], looksLike: 'a Linux program (ELF)' },
  { bytes: [0x4d, 0x5a], looksLike: 'a Windows program' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66], looksLike: 'an SQLite database' },
  { bytes: [0x89, 0x48, 0x44, 0x46], looksLike: 'an HDF5 file' },
  { bytes: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], looksLike: 'a NumPy array file (.npy)' },
];

/**
 * What a file that is not text looks like (`a zip archive`, `a PNG image`…), or undefined when its
 * start reads as text. A file without a known signature is binary when its start holds NUL bytes
 * (outside UTF-16, which has them by design) or mostly control characters.
 */
export function describeBinary(head: Uint8Array): string | undefined {
  for (const { bytes, offset = 0, looksLike } of SIGNATURES) {
    if (head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b)) {
      // "BM" and "MZ" also start ordinary words: only trust them with a NUL nearby.
      if (bytes.length === 2 && looksLike !== 'a gzip-compressed file' && !head.subarray(0, 64).includes(0))
        continue;
      return looksLike;
    }
  }
  if (encodingFromBom(head)?.startsWith('utf-16')) return undefined;
  const sample = head.subarray(0, 8192);
  if (sample.length === 0) return undefined;
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return 'a binary file';
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20) || byte === 0x7f) control += 1;
  }
  return control / sample.length > 0.1 ? 'a binary file' : undefined;
}
