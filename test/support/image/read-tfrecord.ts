import { maskedCrc32c } from '../../../shared/domain/exports/formats/crc32c';

/**
 * An independent reader of TFRecord files of tf.train.Example, for tests: checks both masked
 * CRC-32C of every frame and decodes the protobuf by hand (field numbers of example.proto and
 * feature.proto).
 */
export type FeatureValue = { bytes: Uint8Array[] } | { int64: bigint[] } | { float: number[] };

export function readTfRecords(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  for (let at = 0; at < file.length;) {
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== maskedCrc32c(file.subarray(at, at + 8)))
      throw new Error(`length CRC mismatch at ${at}`);
    const data = file.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== maskedCrc32c(data))
      throw new Error(`data CRC mismatch at ${at}`);
    records.push(data);
    at += 12 + length + 4;
  }
  return records;
}

function* fields(bytes: Uint8Array): Generator<{ field: number; wire: number; value: Uint8Array | bigint }> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[at++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const length = Number(varint());
      yield { field, wire, value: bytes.subarray(at, at + length) };
      at += length;
    } else if (wire === 5) {
      yield { field, wire, value: bytes.subarray(at, at + 4) };
      at += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
}

export function parseExample(record: Uint8Array): Map<string, FeatureValue> {
  const out = new Map<string, FeatureValue>();
  for (const features of fields(record)) {
    if (features.field !== 1 || !(features.value instanceof Uint8Array)) continue;
    for (const entry of fields(features.value)) {
      if (!(entry.value instanceof Uint8Array)) continue;
      let key = '';
      let value: FeatureValue | undefined;
      for (const part of fields(entry.value)) {
        if (part.field === 1 && part.value instanceof Uint8Array) key = new TextDecoder().decode(part.value);
        if (part.field === 2 && part.value instanceof Uint8Array)
          for (const kind of fields(part.value)) {
            if (!(kind.value instanceof Uint8Array)) continue;
            if (kind.field === 1)
              value = { bytes: [...fields(kind.value)].map((v) => v.value as Uint8Array) };
            if (kind.field === 3) {
              const list: bigint[] = [];
              for (const v of fields(kind.value)) {
                if (v.value instanceof Uint8Array) {
                  // A packed list: varints back to back.
                  let at = 0;
                  const packed = v.value;
                  while (at < packed.length) {
                    let result = 0n;
                    let shift = 0n;
                    for (;;) {
                      const b = packed[at++] ?? 0;
                      result |= BigInt(b & 0x7f) << shift;
                      if (b < 0x80) break;
                      shift += 7n;
                    }
                    list.push(result);
                  }
                } else list.push(v.value);
              }
              value = { int64: list };
            }
          }
      }
      if (value) out.set(key, value);
    }
  }
  return out;
}
