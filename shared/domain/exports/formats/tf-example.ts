/**
 * A protobuf encoder for `tf.train.Example` (tensorflow/core/example/{example,feature}.proto):
 *
 *   Example   { Features features = 1; }
 *   Features  { map<string, Feature> feature = 1; }      entry: key = 1, value = 2
 *   Feature   { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
 *   BytesList { repeated bytes value = 1; }
 *   FloatList { repeated float value = 1 [packed = true]; }
 *   Int64List { repeated int64 value = 1 [packed = true]; }
 *
 * Every feature here holds one value (a scalar column). Map entries are written in column order,
 * so the same row always encodes to the same bytes.
 */
export type ExampleFeatureKind = 'int64' | 'float' | 'bytes';

export interface ExampleFeature {
  key: string;
  kind: ExampleFeatureKind;
}

/** One row: int64 as number or bigint, float as number, bytes as bytes; null leaves the feature out. */
export type ExampleValue = number | bigint | Uint8Array | null;

const WIRE_LEN = 2;
const tag = (field: number, wire: number) => (field << 3) | wire;

/** Bytes built front to back; `lengthDelimited` wraps a finished part as a LEN field. */
class ProtoBytes {
  private buffer = new Uint8Array(256);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length] = value;
    this.length += 1;
  }

  bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  /** A base-128 varint; negative and large integers as their 64-bit two's complement. */
  varint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      let v = value;
      while (v >= 0x80) {
        this.byte((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.byte(v);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  float32(value: number): void {
    this.reserve(4);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setFloat32(this.length, value, true);
    this.length += 4;
  }

  lengthDelimited(field: number, part: ProtoBytes): void {
    this.byte(tag(field, WIRE_LEN));
    this.varint(part.length);
    this.bytes(part.view());
  }

  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

export class ExampleEncoder {
  private readonly keys: Uint8Array[];
  private readonly text = new TextEncoder();
  private readonly packed = new ProtoBytes();
  private readonly list = new ProtoBytes();
  private readonly feature = new ProtoBytes();
  private readonly entry = new ProtoBytes();
  private readonly features = new ProtoBytes();

  constructor(private readonly schema: readonly ExampleFeature[]) {
    this.keys = schema.map(({ key }) => {
      const text = this.text.encode(key);
      const field = new ProtoBytes();
      field.byte(tag(1, WIRE_LEN));
      field.varint(text.length);
      field.bytes(text);
      return field.view().slice();
    });
  }

  /** The serialised Example of one row (`values` in the order of the schema). */
  encode(values: readonly ExampleValue[]): Uint8Array {
    this.features.clear();
    this.schema.forEach((column, index) => {
      const value = values[index] ?? null;
      if (value === null) return;
      this.list.clear();
      this.feature.clear();
      this.entry.clear();
      if (column.kind === 'bytes') {
        const bytes = value instanceof Uint8Array ? value : this.text.encode(String(value));
        this.list.byte(tag(1, WIRE_LEN));
        this.list.varint(bytes.length);
        this.list.bytes(bytes);
        this.feature.lengthDelimited(1, this.list);
      } else if (column.kind === 'float') {
        this.list.byte(tag(1, WIRE_LEN));
        this.list.varint(4);
        this.list.float32(Number(value));
        this.feature.lengthDelimited(2, this.list);
      } else {
        this.packed.clear();
        this.packed.varint(typeof value === 'bigint' ? value : Math.trunc(Number(value)));
        this.list.lengthDelimited(1, this.packed);
        this.feature.lengthDelimited(3, this.list);
      }
      this.entry.bytes(this.keys[index] ?? new Uint8Array());
      this.entry.lengthDelimited(2, this.feature);
      this.features.lengthDelimited(1, this.entry);
    });
    const example = new ProtoBytes();
    example.lengthDelimited(1, this.features);
    return example.view().slice();
  }
}
