import { view, type ByteSource } from './byte-reader';

/**
 * SEG-Y (rev 0/1/2): the 3,200-byte textual header (EBCDIC or ASCII), the 400-byte binary header
 * (sample interval, samples per trace, data format code, revision, extended headers) and the
 * trace count. Traces of one fixed length are counted from the file size; otherwise each trace
 * header is read for its own sample count.
 */
export interface SegyHeader {
  textualHeader: string;
  textEncoding: 'ebcdic' | 'ascii';
  byteOrder: 'big-endian' | 'little-endian';
  sampleIntervalMicros: number;
  sampleRateHz: number;
  samplesPerTrace: number;
  formatCode: number;
  formatName: string;
  bytesPerSample: number;
  revision: string;
  extendedTextualHeaders: number;
  traces: number;
  recordLengthSeconds: number;
}

export class SegyFormatError extends Error {
  override name = 'SegyFormatError';
}

export const SEGY_FORMATS: Record<number, { name: string; bytes: number }> = {
  1: { name: '4-byte IBM floating point', bytes: 4 },
  2: { name: "4-byte two's complement integer", bytes: 4 },
  3: { name: "2-byte two's complement integer", bytes: 2 },
  5: { name: '4-byte IEEE floating point', bytes: 4 },
  6: { name: '8-byte IEEE floating point', bytes: 8 },
  7: { name: "3-byte two's complement integer", bytes: 3 },
  8: { name: "1-byte two's complement integer", bytes: 1 },
  9: { name: "8-byte two's complement integer", bytes: 8 },
  10: { name: '4-byte unsigned integer', bytes: 4 },
  11: { name: '2-byte unsigned integer', bytes: 2 },
  12: { name: '8-byte unsigned integer', bytes: 8 },
  15: { name: '3-byte unsigned integer', bytes: 3 },
  16: { name: '1-byte unsigned integer', bytes: 1 },
};

const TEXT = 3200;
const BINARY = 400;
const TRACE_HEADER = 240;

export async function parseSegy(source: ByteSource): Promise<SegyHeader> {
  if (source.size < TEXT + BINARY) {
    throw new SegyFormatError(
      `The file has ${source.size} bytes; a SEG-Y file starts with 3,600 bytes of headers.`,
    );
  }
  const headers = await source.read(0, TEXT + BINARY);
  const dv = view(headers);
  const formatBe = dv.getUint16(3224, false);
  const formatLe = dv.getUint16(3224, true);
  const little = !SEGY_FORMATS[formatBe] && Boolean(SEGY_FORMATS[formatLe]);
  const formatCode = little ? formatLe : formatBe;
  const format = SEGY_FORMATS[formatCode];
  if (!format) {
    throw new SegyFormatError(
      `The binary header's data sample format code (bytes 3225–3226) is ${formatBe}, which is not a SEG-Y format (1–3, 5–12, 15, 16). Is this a SEG-Y file?`,
    );
  }
  const interval = dv.getUint16(3216, little);
  const samples = dv.getUint16(3220, little);
  if (interval === 0)
    throw new SegyFormatError('The binary header gives a sample interval of 0 µs (bytes 3217–3218).');
  const revisionRaw = dv.getUint16(3500, little);
  const extended = Math.max(0, dv.getInt16(3504, little));
  const ebcdic = (headers[0] ?? 0) === 0xc3 || countAscii(headers.subarray(0, TEXT)) < TEXT * 0.8;
  const textualHeader = ebcdic
    ? ebcdicToAscii(headers.subarray(0, TEXT))
    : String.fromCharCode(...headers.subarray(0, TEXT));

  const firstTrace = TEXT + BINARY + extended * TEXT;
  const traceBytes = TRACE_HEADER + samples * format.bytes;
  let traces: number;
  const body = source.size - firstTrace;
  if (samples > 0 && body >= 0 && body % traceBytes === 0) {
    traces = body / traceBytes;
  } else {
    traces = await countVariableTraces(source, firstTrace, format.bytes, little, samples);
  }
  return {
    textualHeader: textualHeader.replace(/\s+$/g, ''),
    textEncoding: ebcdic ? 'ebcdic' : 'ascii',
    byteOrder: little ? 'little-endian' : 'big-endian',
    sampleIntervalMicros: interval,
    sampleRateHz: 1_000_000 / interval,
    samplesPerTrace: samples,
    formatCode,
    formatName: format.name,
    bytesPerSample: format.bytes,
    revision: `${revisionRaw >> 8}.${revisionRaw & 0xff}`,
    extendedTextualHeaders: extended,
    traces,
    recordLengthSeconds: (samples * interval) / 1_000_000,
  };
}

async function countVariableTraces(
  source: ByteSource,
  start: number,
  bytesPerSample: number,
  little: boolean,
  defaultSamples: number,
): Promise<number> {
  let at = start;
  let traces = 0;
  while (at < source.size) {
    if (at + TRACE_HEADER > source.size) {
      throw new SegyFormatError(
        `Trace ${traces + 1} at byte ${at} is cut short: the file ends inside its 240-byte header.`,
      );
    }
    const header = await source.read(at, TRACE_HEADER);
    // Trace header bytes 115–116; writers that leave it 0 rely on the binary header's count.
    const samples = view(header).getUint16(114, little) || defaultSamples;
    at += TRACE_HEADER + samples * bytesPerSample;
    if (at > source.size) {
      throw new SegyFormatError(
        `Trace ${traces + 1} declares ${samples} samples but the file ends before them; the upload may be truncated.`,
      );
    }
    traces += 1;
  }
  return traces;
}

function countAscii(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d) n += 1;
  return n;
}

/** EBCDIC (code page 037) to ASCII for the characters textual headers use. */
const EBCDIC: Record<number, string> = {
  0x40: ' ',
  0x4b: '.',
  0x4c: '<',
  0x4d: '(',
  0x4e: '+',
  0x50: '&',
  0x5a: '!',
  0x5b: '$',
  0x5c: '*',
  0x5d: ')',
  0x5e: ';',
  0x60: '-',
  0x61: '/',
  0x6b: ',',
  0x6c: '%',
  0x6d: '_',
  0x6e: '>',
  0x6f: '?',
  0x7a: ':',
  0x7b: '#',
  0x7c: '@',
  0x7d: "'",
  0x7e: '=',
  0x7f: '"',
};
const ranges: [number, string][] = [
  [0x81, 'abcdefghi'],
  [0x91, 'jklmnopqr'],
  [0xa2, 'stuvwxyz'],
  [0xc1, 'ABCDEFGHI'],
  [0xd1, 'JKLMNOPQR'],
  [0xe2, 'STUVWXYZ'],
  [0xf0, '0123456789'],
];
for (const [start, chars] of ranges) [...chars].forEach((c, i) => (EBCDIC[start + i] = c));

export function ebcdicToAscii(bytes: Uint8Array): string {
  let out = '';
  bytes.forEach((b, i) => {
    out += EBCDIC[b] ?? ' ';
    // Textual headers are 40 card images of 80 columns.
    if (i % 80 === 79) out += '\n';
  });
  return out;
}

/** ASCII textual headers are also 40 × 80 without line breaks. */
export function textualHeaderLines(text: string): string[] {
  if (text.includes('\n')) return text.split('\n').map((l) => l.trimEnd());
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 80) lines.push(text.slice(i, i + 80).trimEnd());
  return lines;
}
