/**
 * A reader of TFRecord files and `tf.train.Example` messages written from the published formats
 * (TensorFlow's record_writer.cc framing, the protobuf wire format and example.proto/feature.proto),
 * independent of the writer under test: its own bitwise CRC-32C and its own wire decoder.
 */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

export { crc32cBitwise };

/** The records of a TFRecord file; throws when a length or data CRC does not match. */
export function readTfRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== maskCrc(crc32cBitwise(bytes.subarray(at, at + 8))))
      throw new Error(`bad length CRC at byte ${at}`);
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== maskCrc(crc32cBitwise(data)))
      throw new Error(`bad data CRC at byte ${at}`);
    records.push(data);
    at += 12 + length + 4;
  }
  return records;
}

interface WireField {
  field: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
  fixed32?: Uint8Array;
}

function readVarint(bytes: Uint8Array, start: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  let at = start;
  for (;;) {
    const byte = bytes[at];
    if (byte === undefined) throw new Error('truncated varint');
    value |= BigInt(byte & 0x7f) << shift;
    at += 1;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7n;
  }
}

function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const [key, next] = readVarint(bytes, at);
    at = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [value, after] = readVarint(bytes, at);
      fields.push({ field, wire, varint: value });
      at = after;
    } else if (wire === 2) {
      const [length, after] = readVarint(bytes, at);
      fields.push({ field, wire, bytes: bytes.subarray(after, after + Number(length)) });
      at = after + Number(length);
    } else if (wire === 5) {
      fields.push({ field, wire, fixed32: bytes.subarray(at, at + 4) });
      at += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  if (at !== bytes.length) throw new Error('message overran its bytes');
  return fields;
}

export type DecodedFeature =
  | { kind: 'bytes'; values: string[] }
  | { kind: 'float'; values: number[] }
  | { kind: 'int64'; values: bigint[] };

/** An Example's features by name (bytes decoded as UTF-8 text). */
export function decodeExample(bytes: Uint8Array): Record<string, DecodedFeature> {
  const out: Record<string, DecodedFeature> = {};
  for (const features of readFields(bytes).filter((f) => f.field === 1)) {
    for (const entry of readFields(features.bytes ?? new Uint8Array()).filter((f) => f.field === 1)) {
      const parts = readFields(entry.bytes ?? new Uint8Array());
      const key = Buffer.from(parts.find((p) => p.field === 1)?.bytes ?? []).toString('utf8');
      const [kind] = readFields(parts.find((p) => p.field === 2)?.bytes ?? new Uint8Array());
      if (!kind?.bytes) throw new Error(`feature ${key} has no kind`);
      const list = readFields(kind.bytes);
      if (kind.field === 1)
        out[key] = { kind: 'bytes', values: list.map((v) => Buffer.from(v.bytes ?? []).toString('utf8')) };
      else if (kind.field === 2) {
        const values: number[] = [];
        for (const item of list) {
          const data = item.bytes ?? item.fixed32 ?? new Uint8Array();
          const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
          for (let i = 0; i < data.length; i += 4) values.push(view.getFloat32(i, true));
        }
        out[key] = { kind: 'float', values };
      } else if (kind.field === 3) {
        const values: bigint[] = [];
        for (const item of list) {
          if (item.wire === 0) values.push(BigInt.asIntN(64, item.varint ?? 0n));
          else {
            const data = item.bytes ?? new Uint8Array();
            for (let at = 0; at < data.length;) {
              const [value, next] = readVarint(data, at);
              values.push(BigInt.asIntN(64, value));
              at = next;
            }
          }
        }
        out[key] = { kind: 'int64', values };
      } else throw new Error(`feature ${key} has unknown kind ${kind.field}`);
    }
  }
  return out;
}
