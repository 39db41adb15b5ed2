import { decodeEbcdic } from './ebcdic';
import { SegyFormatError } from './segy-errors';
import { BINARY_HEADER_FIELDS, readFields, SAMPLE_FORMATS, TRACE_HEADER_FIELDS } from './segy-fields';
import { decodeSamples } from './segy-samples';

/** Random access to a file's bytes, so the reader is pure and tested on arrays. */
export interface SegyByteSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export const TEXTUAL_HEADER_BYTES = 3200;
export const BINARY_HEADER_BYTES = 400;
export const TRACE_HEADER_BYTES = 240;

/** Where everything is in a file of fixed-length traces, and how samples are encoded. */
export interface SegyLayout {
  littleEndian: boolean;
  formatCode: number;
  formatName: string;
  bytesPerSample: number;
  samplesPerTrace: number;
  sampleIntervalMicros: number;
  sampleRateHz: number;
  revision: { major: number; minor: number };
  extendedTextualHeaders: number;
  /** Rev 2: 240-byte headers after each standard trace header, kept as they are. */
  additionalTraceHeaders: number;
  firstTraceOffset: number;
  traceHeaderBytes: number;
  traceBytes: number;
  traceCount: number;
}

export interface SegyFile {
  layout: SegyLayout;
  /** The 3,200-character textual header, decoded (EBCDIC code page 037 or ASCII). */
  textualHeader: string;
  textEncoding: 'ebcdic' | 'ascii';
  extendedTextualHeaders: string[];
  /** Binary header fields by name (segy-fields.ts), as signed integers. */
  binaryHeader: Record<string, number>;
  /** Every byte before the first trace, as in the file: a writer starts with these. */
  preamble: Uint8Array;
}

/** Consecutive traces: their raw headers and their samples as float32, trace after trace. */
export interface TraceBlock {
  /** 0-based index of the first trace. */
  start: number;
  count: number;
  headers: Uint8Array;
  samples: Float32Array;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeText(bytes: Uint8Array): { text: string; encoding: 'ebcdic' | 'ascii' } {
  let printable = 0;
  let asciiSpaces = 0;
  let ebcdicSpaces = 0;
  for (const b of bytes) {
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d) printable += 1;
    if (b === 0x20) asciiSpaces += 1;
    else if (b === 0x40) ebcdicSpaces += 1;
  }
  // EBCDIC text is mostly 0x40 (its space) and letters above 0x80; ASCII text is printable below
  // 0x7f with 0x20 for blanks.
  if (bytes[0] === 0xc3 || printable < bytes.length * 0.8 || ebcdicSpaces > asciiSpaces) {
    return { text: decodeEbcdic(bytes), encoding: 'ebcdic' };
  }
  return { text: String.fromCharCode(...bytes), encoding: 'ascii' };
}

function byteOrder(view: DataView): boolean {
  // Rev 2 states the byte order in bytes 3297–3300 as 0x01020304 written in the file's order.
  const marker = view.getUint32(3296, false);
  if (marker === 0x01020304) return false;
  if (marker === 0x04030201) return true;
  const big = view.getUint16(3224, false);
  const little = view.getUint16(3224, true);
  if (SAMPLE_FORMATS[big]) return false;
  if (SAMPLE_FORMATS[little]) return true;
  throw new SegyFormatError(
    'SEGY.UNKNOWN_FORMAT',
    `The data sample format code (binary header bytes 3225–3226) is ${big}, which SEG-Y does not define (it defines 1–3, 5–12, 15 and 16; 1 is IBM float, 5 IEEE float). Set it to the code of the samples' encoding.`,
  );
}

/** Reads the textual and binary headers and checks the file holds whole traces. */
export async function openSegy(source: SegyByteSource): Promise<SegyFile> {
  const headerBytes = TEXTUAL_HEADER_BYTES + BINARY_HEADER_BYTES;
  if (source.size < headerBytes) {
    throw new SegyFormatError(
      'SEGY.TOO_SHORT',
      `The file has ${source.size} bytes; a SEG-Y file starts with 3,600 bytes of textual and binary headers.`,
    );
  }
  const head = await source.read(0, headerBytes);
  const view = dataView(head);
  const little = byteOrder(view);
  const binaryHeader = readFields(view, BINARY_HEADER_FIELDS, 0, little);
  const formatCode = view.getUint16(3224, little);
  const format = SAMPLE_FORMATS[formatCode];
  if (!format) {
    throw new SegyFormatError(
      'SEGY.UNKNOWN_FORMAT',
      `The data sample format code (binary header bytes 3225–3226) is ${formatCode}, which SEG-Y does not define (1–3, 5–12, 15, 16).`,
    );
  }
  const revisionWord = view.getUint16(3500, little);
  const revision = { major: revisionWord >> 8, minor: revisionWord & 0xff };
  const rev2 = revision.major >= 2;

  let samples = view.getUint16(3220, little);
  let interval = view.getUint16(3216, little);
  if (rev2) {
    samples = view.getUint32(3268, little) || samples;
    interval = view.getFloat64(3272, little) || interval;
  }

  const textual = decodeText(head.subarray(0, TEXTUAL_HEADER_BYTES));
  let extended = view.getInt16(3504, little);
  const extendedTextualHeaders: string[] = [];
  let offset = headerBytes;
  // -1: a variable number of extended headers, the last one holding ((SEG: EndText)).
  const variable = extended === -1;
  for (let i = 0; variable ? i < 1000 : i < extended; i += 1) {
    if (offset + TEXTUAL_HEADER_BYTES > source.size) break;
    const text = decodeText(await source.read(offset, TEXTUAL_HEADER_BYTES)).text;
    extendedTextualHeaders.push(text);
    offset += TEXTUAL_HEADER_BYTES;
    if (variable && text.includes('((SEG: EndText))')) break;
  }
  extended = extendedTextualHeaders.length;

  const additional = rev2 ? view.getUint32(3506, little) : 0;
  const stated = rev2 ? Number(view.getBigUint64(3520, little)) : 0;
  const firstTraceOffset = stated > 0 ? stated : offset;
  const traceHeaderBytes = TRACE_HEADER_BYTES * (1 + additional);

  if (samples === 0 || interval === 0) {
    // Writers that leave the binary header blank put both in every trace header (bytes 115–118).
    if (firstTraceOffset + TRACE_HEADER_BYTES <= source.size) {
      const first = dataView(await source.read(firstTraceOffset, TRACE_HEADER_BYTES));
      samples ||= first.getUint16(114, little);
      interval ||= first.getUint16(116, little);
    }
  }
  if (interval <= 0) {
    throw new SegyFormatError(
      'SEGY.ZERO_SAMPLE_RATE',
      'The sample interval is 0 in the binary header (bytes 3217–3218) and in the first trace header (bytes 117–118), so the sample rate is unknown. Write the sample interval in microseconds there (2000 for 2 ms).',
    );
  }
  if (samples === 0) {
    throw new SegyFormatError(
      'SEGY.NO_SAMPLES',
      'The number of samples per trace is 0 in the binary header (bytes 3221–3222) and in the first trace header (bytes 115–116).',
    );
  }

  const traceBytes = traceHeaderBytes + samples * format.bytes;
  const body = Math.max(0, source.size - firstTraceOffset);
  const whole = Math.floor(body / traceBytes);
  const rest = body % traceBytes;
  if (rest !== 0) {
    await checkTraceLength(source, firstTraceOffset, little, samples, 0);
    throw new SegyFormatError(
      'SEGY.TRUNCATED',
      `The file ends inside trace ${whole + 1}: it holds ${rest} of the trace's ${traceBytes} bytes (${traceHeaderBytes}-byte header and ${samples} samples of ${format.bytes} bytes). The file may have been cut short; upload it again.`,
      whole + 1,
    );
  }
  return {
    layout: {
      littleEndian: little,
      formatCode,
      formatName: format.name,
      bytesPerSample: format.bytes,
      samplesPerTrace: samples,
      sampleIntervalMicros: interval,
      sampleRateHz: 1_000_000 / interval,
      revision,
      extendedTextualHeaders: extended,
      additionalTraceHeaders: additional,
      firstTraceOffset,
      traceHeaderBytes,
      traceBytes,
      traceCount: whole,
    },
    textualHeader: textual.text,
    textEncoding: textual.encoding,
    extendedTextualHeaders,
    binaryHeader,
    preamble: await source.read(0, firstTraceOffset),
  };
}

async function checkTraceLength(
  source: SegyByteSource,
  at: number,
  little: boolean,
  samples: number,
  index: number,
): Promise<void> {
  if (at + TRACE_HEADER_BYTES > source.size) return;
  const declared = dataView(await source.read(at, TRACE_HEADER_BYTES)).getUint16(114, little);
  assertTraceLength(declared, samples, index);
}

function assertTraceLength(declared: number, samples: number, index: number): void {
  // 0 means "as the binary header says"; counts above 65,535 (rev 2) do not fit the field.
  if (declared !== 0 && samples <= 0xffff && declared !== samples) {
    throw new SegyFormatError(
      'SEGY.INCONSISTENT_TRACE_LENGTH',
      `Trace ${index + 1} declares ${declared} samples (trace header bytes 115–116) but the binary header declares ${samples} per trace (bytes 3221–3222). Traces of different lengths are not supported: write every trace with ${samples} samples.`,
      index + 1,
    );
  }
}

/** Reads traces [start, start + count) in one read: headers as they are, samples as float32. */
export async function readTraces(
  source: SegyByteSource,
  layout: SegyLayout,
  start: number,
  count: number,
): Promise<TraceBlock> {
  const n = Math.max(0, Math.min(count, layout.traceCount - start));
  const bytes = await source.read(layout.firstTraceOffset + start * layout.traceBytes, n * layout.traceBytes);
  if (bytes.length < n * layout.traceBytes) {
    const index = start + Math.floor(bytes.length / layout.traceBytes);
    throw new SegyFormatError('SEGY.TRUNCATED', `The file ends inside trace ${index + 1}.`, index + 1);
  }
  return decodeTraceBlock(bytes, layout, start, n);
}

/** Decodes `count` whole traces held in `bytes` (the file's bytes of those traces). */
export function decodeTraceBlock(
  bytes: Uint8Array,
  layout: SegyLayout,
  start: number,
  count: number,
): TraceBlock {
  const ns = layout.samplesPerTrace;
  const headers = new Uint8Array(count * layout.traceHeaderBytes);
  const samples = new Float32Array(count * ns);
  const view = dataView(bytes);
  for (let t = 0; t < count; t += 1) {
    const at = t * layout.traceBytes;
    assertTraceLength(view.getUint16(at + 114, layout.littleEndian), ns, start + t);
    headers.set(bytes.subarray(at, at + layout.traceHeaderBytes), t * layout.traceHeaderBytes);
    decodeSamples(
      view,
      at + layout.traceHeaderBytes,
      ns,
      layout.formatCode,
      layout.littleEndian,
      samples,
      t * ns,
    );
  }
  return { start, count, headers, samples };
}

/** The standard trace header fields of trace `index` of a block, by name (segy-fields.ts). */
export function traceHeaderFields(
  block: TraceBlock,
  layout: SegyLayout,
  index: number,
): Record<string, number> {
  const view = dataView(block.headers);
  return readFields(view, TRACE_HEADER_FIELDS, index * layout.traceHeaderBytes, layout.littleEndian);
}

/** The textual header as its 40 card images of 80 columns, trailing blanks removed. */
export function textualHeaderLines(text: string): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 80) lines.push(text.slice(i, i + 80).trimEnd());
  return lines;
}
