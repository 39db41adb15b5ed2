import { describe, expect, it } from 'vitest';
import { ExampleEncoder } from '../../../../../../shared/domain/exports/formats/tf-example';
import { tfRecordFrame } from '../../../../../../shared/domain/exports/formats/tfrecord';
import { decodeExampleWithProtobufjs } from '../support/example-proto';
import { crc32cBitwise, decodeExample, maskCrc, readTfRecords } from '../support/tfrecord-reader';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('ExampleEncoder', () => {
  // Each Example{features{feature{key: "a" value{…}}}} assembled by hand from the wire format:
  // Example 0a <len> | Features' map entry 0a <len> | key 0a 01 61 | value 12 <len> | Feature
  // (bytes_list 0a, float_list 12, int64_list 1a) <len> | the list's packed field 0a <len> …
  it.each([
    ['int64 1', 'int64', 1, '0a0c 0a0a 0a0161 1205 1a03 0a01 01'],
    // 1.5 is float32 0x3fc00000, little-endian.
    ['float 1.5', 'float', 1.5, '0a0f 0a0d 0a0161 1208 1206 0a04 0000c03f'],
    ['bytes "hi"', 'bytes', new Uint8Array([0x68, 0x69]), '0a0d 0a0b 0a0161 1206 0a04 0a02 6869'],
    // Negative int64 is its 64-bit two's complement: ten varint bytes.
    ['int64 -1', 'int64', -1, '0a15 0a13 0a0161 120e 1a0c 0a0a ffffffffffffffffff01'],
    // Beyond 2^53 as a bigint: 2^53 + 1 is seven-bit groups 1, 0 ×6, 0x10.
    ['int64 2^53 + 1', 'int64', 2n ** 53n + 1n, '0a13 0a11 0a0161 120c 1a0a 0a08 8180808080808010'],
  ] as const)('encodes %s as the wire format says', (_name, kind, value, expected) => {
    const bytes = new ExampleEncoder([{ key: 'a', kind }]).encode([value]);
    expect(hex(bytes)).toBe(expected.replaceAll(' ', ''));
  });

  it('leaves out missing values and keeps the column order', () => {
    const encoder = new ExampleEncoder([
      { key: 'x', kind: 'float' },
      { key: 'name', kind: 'bytes' },
      { key: 'n', kind: 'int64' },
    ]);
    const bytes = encoder.encode([0.25, null, 7]);
    expect(decodeExample(bytes)).toEqual({
      x: { kind: 'float', values: [0.25] },
      n: { kind: 'int64', values: [7n] },
    });
  });

  it('is read back by protobufjs against the published Example schema', () => {
    const encoder = new ExampleEncoder([
      { key: 'x', kind: 'float' },
      { key: 'név', kind: 'bytes' },
      { key: 'n', kind: 'int64' },
      { key: 'big', kind: 'int64' },
    ]);
    const bytes = encoder.encode([
      -3.5,
      new Uint8Array(Buffer.from('ünï "q"', 'utf8')),
      -42,
      9007199254740993n,
    ]);
    const decoded = decodeExampleWithProtobufjs(bytes);
    expect(decoded['x']?.floatList?.value).toEqual([-3.5]);
    expect(Buffer.from(decoded['név']?.bytesList?.value[0] ?? '', 'base64').toString('utf8')).toBe('ünï "q"');
    expect(decoded['n']?.int64List?.value).toEqual(['-42']);
    expect(decoded['big']?.int64List?.value).toEqual(['9007199254740993']);
  });
});

describe('tfRecordFrame', () => {
  it('frames data with its length, the masked CRC of the length, and the masked CRC of the data', () => {
    const data = new Uint8Array(Buffer.from('abc'));
    const frame = tfRecordFrame(data);
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    expect(frame.length).toBe(8 + 4 + 3 + 4);
    expect(view.getBigUint64(0, true)).toBe(3n);
    expect(view.getUint32(8, true)).toBe(maskCrc(crc32cBitwise(frame.subarray(0, 8))));
    expect(hex(frame.subarray(12, 15))).toBe('616263');
    expect(view.getUint32(15, true)).toBe(maskCrc(crc32cBitwise(data)));
    expect(readTfRecords(new Uint8Array([...frame, ...tfRecordFrame(new Uint8Array())]))).toEqual([
      data,
      new Uint8Array(),
    ]);
  });
});
