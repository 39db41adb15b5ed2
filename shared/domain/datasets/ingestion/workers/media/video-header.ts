import { ascii, view, type ByteSource } from './byte-reader';

/** Container sniffing: MP4/QuickTime (ftyp brand, duration from moov/mvhd) and WebM/Matroska (EBML DocType). */
export interface VideoHeader {
  container: 'mp4' | 'webm' | 'matroska';
  brand?: string;
  durationSeconds?: number;
  timescale?: number;
}

export async function parseVideoHeader(source: ByteSource): Promise<VideoHeader | undefined> {
  const head = await source.read(0, 64);
  if (head.length >= 8 && ascii(head, 4, 4) === 'ftyp') return parseMp4(source, ascii(head, 8, 4).trim());
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    const text = ascii(head, 0, head.length);
    return { container: text.includes('webm') ? 'webm' : 'matroska' };
  }
  return undefined;
}

async function parseMp4(source: ByteSource, brand: string): Promise<VideoHeader> {
  // Walk top-level boxes (moov may follow a large mdat) without reading their bodies.
  let at = 0;
  while (at + 8 <= source.size) {
    const header = await source.read(at, 16);
    const dv = view(header);
    let size = dv.getUint32(0);
    const type = ascii(header, 4, 4);
    let headerSize = 8;
    if (size === 1 && header.length >= 16) {
      size = Number(dv.getBigUint64(8));
      headerSize = 16;
    } else if (size === 0) {
      size = source.size - at;
    }
    if (size < headerSize) break;
    if (type === 'moov') {
      const moov = await source.read(at + headerSize, Math.min(size - headerSize, 1 << 20));
      const mvhd = findBox(moov, 'mvhd');
      if (mvhd !== undefined) {
        const mv = view(moov);
        const version = moov[mvhd] ?? 0;
        const timescale = version === 1 ? mv.getUint32(mvhd + 20) : mv.getUint32(mvhd + 12);
        const duration = version === 1 ? Number(mv.getBigUint64(mvhd + 24)) : mv.getUint32(mvhd + 16);
        return {
          container: 'mp4',
          brand,
          timescale,
          ...(timescale > 0 ? { durationSeconds: duration / timescale } : {}),
        };
      }
      break;
    }
    at += size;
  }
  return { container: 'mp4', brand };
}

/** Offset of a child box's body (after its 8-byte header) within `bytes`. */
function findBox(bytes: Uint8Array, type: string): number | undefined {
  const dv = view(bytes);
  let at = 0;
  while (at + 8 <= bytes.length) {
    const size = dv.getUint32(at);
    if (ascii(bytes, at + 4, 4) === type) return at + 8;
    if (size < 8) return undefined;
    at += size;
  }
  return undefined;
}
