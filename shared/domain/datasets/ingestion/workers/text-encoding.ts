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

/** Detects the encoding and, unless the file is plain UTF-8, writes a UTF-8 copy to `outPath`. */
export async function normalizeToUtf8(path: string, outPath: string): Promise<NormalizedText> {
  const bom = encodingFromBom(await readHead(path, 4));
  let encoding: TextEncoding;
  if (bom) encoding = bom;
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
