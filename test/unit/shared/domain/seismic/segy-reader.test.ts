import { describe, expect, it } from 'vitest';
import {
  openSegy,
  readTraces,
  traceHeaderFields,
  textualHeaderLines,
} from '../../../../../shared/domain/seismic/segy/segy-reader';
import { SegyFormatError } from '../../../../../shared/domain/seismic/segy/segy-errors';
import { bytesSegySource } from '../../../../../shared/domain/seismic/segy/segy-sources';
import {
  BINARY_HEADER_FIELDS,
  TRACE_HEADER_FIELDS,
  applyScalar,
} from '../../../../../shared/domain/seismic/segy/segy-fields';
import { ibmToNumber, numberToIbm } from '../../../../../shared/domain/seismic/segy/ibm-float';
import { fixtureBytes, fixtureSource, float32s, reference } from './seismic-reference';

const FILES = Object.entries(reference.files);

describe('reading SEG-Y as segyio does', () => {
  it.each(FILES)('%s: textual and binary headers', async (name, expected) => {
    const file = await openSegy(fixtureSource(name));

    expect(file.textEncoding).toBe('ebcdic');
    expect(file.textualHeader).toBe(expected.textualHeader);
    expect(textualHeaderLines(file.textualHeader)[0]).toBe(
      'C 1 PIPEWEAVE SYNTHETIC 2-D LINE FOR READER AND WRITER PARITY',
    );
    expect(file.layout.littleEndian).toBe(expected.endian === 'little');
    expect(file.layout.formatCode).toBe(expected.format);
    expect(file.layout.traceCount).toBe(expected.tracecount);
    expect(file.layout.samplesPerTrace).toBe(expected.samplesPerTrace);
    expect(file.layout.sampleRateHz).toBe(500);
    for (const field of BINARY_HEADER_FIELDS) {
      expect([field.name, file.binaryHeader[field.name]]).toEqual([
        field.name,
        expected.binaryHeader[String(field.byte)],
      ]);
    }
  });

  it.each(FILES)('%s: every trace header field and every sample', async (name, expected) => {
    const source = fixtureSource(name);
    const file = await openSegy(source);
    const block = await readTraces(source, file.layout, 0, file.layout.traceCount);

    expect(TRACE_HEADER_FIELDS.map((f) => f.byte)).toEqual(reference.traceHeaderFields);
    for (let t = 0; t < block.count; t += 1) {
      const fields = traceHeaderFields(block, file.layout, t);
      expect(TRACE_HEADER_FIELDS.map((f) => fields[f.name])).toEqual(expected.traceHeaders[t]);
    }
    expect(block.samples).toEqual(float32s(expected.samples));
  });

  it('reads a range of traces in the middle, and the named header fields', async () => {
    const source = fixtureSource('synthetic-ibm-big.sgy');
    const file = await openSegy(source);

    const block = await readTraces(source, file.layout, 10, 4);
    const fields = traceHeaderFields(block, file.layout, 1);

    expect(block.start).toBe(10);
    expect(block.count).toBe(4);
    expect(fields['inline']).toBe(101);
    expect(fields['crossline']).toBe(1012);
    expect(fields['offset']).toBe(100 + 25 * 11);
    expect(applyScalar(fields['cdp_x'] ?? 0, fields['coordinate_scalar'] ?? 0)).toBeCloseTo(
      450_012.5 + 137.5,
      6,
    );
    expect(applyScalar(fields['receiver_group_elevation'] ?? 0, fields['elevation_scalar'] ?? 0)).toBe(125);
    const all = await readTraces(source, file.layout, 0, 24);
    expect(block.samples).toEqual(all.samples.subarray(10 * 301, 14 * 301));
  });
});

describe('IBM floats', () => {
  it.each([
    [0xc276a000, -118.625],
    [0x42640000, 100],
    [0x41100000, 1],
    [0x3f800000, 0.03125],
    [0x00000000, 0],
  ])('%s is %s exactly, and back', (bits, value) => {
    expect(ibmToNumber(bits)).toBe(value);
    expect(numberToIbm(value)).toBe(bits);
  });

  it('round-trips the samples of the IBM fixture bit for bit', async () => {
    const bytes = fixtureBytes('synthetic-ibm-big.sgy');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < 301; i += 1) {
      const bits = view.getUint32(3600 + 240 + 4 * i, false);
      expect(numberToIbm(ibmToNumber(bits))).toBe(bits);
    }
  });
});

function patched(name: string, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = fixtureBytes(name).slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

async function problem(bytes: Uint8Array): Promise<SegyFormatError> {
  const source = bytesSegySource(bytes);
  try {
    const file = await openSegy(source);
    await readTraces(source, file.layout, 0, file.layout.traceCount);
  } catch (error) {
    if (error instanceof SegyFormatError) return error;
    throw error;
  }
  throw new Error('the file was read without a problem');
}

describe('files that cannot be read say why', () => {
  const traceBytes = 240 + 301 * 4;

  it('a truncated file names the trace it ends in', async () => {
    const bytes = fixtureBytes('synthetic-ibm-big.sgy').subarray(0, 3600 + 17 * traceBytes + 500);

    const error = await problem(bytes);

    expect(error.code).toBe('SEGY.TRUNCATED');
    expect(error.trace).toBe(18);
    expect(error.message).toContain('trace 18');
  });

  it('an unknown sample format code', async () => {
    const error = await problem(patched('synthetic-ibm-big.sgy', (v) => v.setUint16(3224, 4, false)));

    expect(error.code).toBe('SEGY.UNKNOWN_FORMAT');
    expect(error.message).toContain('is 4');
    expect(error.message).toContain('3225–3226');
  });

  it('a trace whose length differs from the binary header', async () => {
    const error = await problem(
      patched('synthetic-ibm-big.sgy', (v) => v.setUint16(3600 + 6 * traceBytes + 114, 300, false)),
    );

    expect(error.code).toBe('SEGY.INCONSISTENT_TRACE_LENGTH');
    expect(error.trace).toBe(7);
    expect(error.message).toContain('Trace 7 declares 300 samples');
  });

  it('a sample rate of 0', async () => {
    const error = await problem(
      patched('synthetic-ieee-little.sgy', (v) => {
        v.setUint16(3216, 0, true);
        v.setUint16(3600 + 116, 0, true);
      }),
    );

    expect(error.code).toBe('SEGY.ZERO_SAMPLE_RATE');
    expect(error.message).toContain('sample interval is 0');
  });

  it('a sample interval only in the trace headers is used', async () => {
    const file = await openSegy(
      bytesSegySource(patched('synthetic-ibm-big.sgy', (v) => v.setUint16(3216, 0, false))),
    );

    expect(file.layout.sampleIntervalMicros).toBe(2000);
  });
});

describe('SEG-Y rev 2', () => {
  it('reads the byte-order marker, extended sample count and interval, and an extended textual header', async () => {
    const original = fixtureBytes('synthetic-ieee-little.sgy');
    const bytes = new Uint8Array(original.length + 3200);
    bytes.set(original.subarray(0, 3600));
    bytes.fill(0x40, 3600, 6800);
    bytes.set(original.subarray(3600), 6800);
    const view = new DataView(bytes.buffer);
    view.setUint32(3296, 0x01020304, true);
    view.setUint16(3500, 0x0200, true);
    view.setInt16(3504, 1, true);
    view.setUint16(3220, 0, true);
    view.setUint32(3268, 301, true);
    view.setUint16(3216, 0, true);
    view.setFloat64(3272, 2000, true);

    const source = bytesSegySource(bytes);
    const file = await openSegy(source);
    const block = await readTraces(source, file.layout, 0, 24);

    expect(file.layout.revision).toEqual({ major: 2, minor: 0 });
    expect(file.layout.littleEndian).toBe(true);
    expect(file.extendedTextualHeaders).toEqual([' '.repeat(3200)]);
    expect(file.layout.firstTraceOffset).toBe(6800);
    expect(file.layout.sampleRateHz).toBe(500);
    expect(block.samples).toEqual(float32s(reference.files['synthetic-ieee-little.sgy']?.samples ?? ''));
  });
});
