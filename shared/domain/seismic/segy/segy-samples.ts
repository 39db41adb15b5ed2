import { SegyFormatError } from './segy-errors';
import { ibmToNumber, numberToIbm } from './ibm-float';

/**
 * Samples of every SEG-Y format code to float32 and back. Integers are read as their values
 * (exact in float32 up to 2^24); written back rounded to the nearest integer and clamped to the
 * format's range.
 */
export function decodeSamples(
  view: DataView,
  at: number,
  count: number,
  formatCode: number,
  little: boolean,
  out: Float32Array,
  outAt: number,
): void {
  switch (formatCode) {
    case 1:
      for (let i = 0; i < count; i += 1) out[outAt + i] = ibmToNumber(view.getUint32(at + 4 * i, little));
      return;
    case 2:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getInt32(at + 4 * i, little);
      return;
    case 3:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getInt16(at + 2 * i, little);
      return;
    case 5:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getFloat32(at + 4 * i, little);
      return;
    case 6:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getFloat64(at + 8 * i, little);
      return;
    case 7:
    case 15:
      for (let i = 0; i < count; i += 1) {
        const p = at + 3 * i;
        const b0 = view.getUint8(p);
        const b1 = view.getUint8(p + 1);
        const b2 = view.getUint8(p + 2);
        let v = little ? b0 | (b1 << 8) | (b2 << 16) : (b0 << 16) | (b1 << 8) | b2;
        if (formatCode === 7 && v & 0x800000) v -= 0x1000000;
        out[outAt + i] = v;
      }
      return;
    case 8:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getInt8(at + i);
      return;
    case 9:
      for (let i = 0; i < count; i += 1) out[outAt + i] = Number(view.getBigInt64(at + 8 * i, little));
      return;
    case 10:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getUint32(at + 4 * i, little);
      return;
    case 11:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getUint16(at + 2 * i, little);
      return;
    case 12:
      for (let i = 0; i < count; i += 1) out[outAt + i] = Number(view.getBigUint64(at + 8 * i, little));
      return;
    case 16:
      for (let i = 0; i < count; i += 1) out[outAt + i] = view.getUint8(at + i);
      return;
    default:
      throw new SegyFormatError(
        'SEGY.UNKNOWN_FORMAT',
        `Data sample format code ${formatCode} is not a SEG-Y format.`,
      );
  }
}

function integer(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.min(max, Math.max(min, Math.round(value)));
}

export function encodeSamples(
  samples: ArrayLike<number>,
  from: number,
  count: number,
  formatCode: number,
  little: boolean,
  view: DataView,
  at: number,
): void {
  const s = (i: number) => samples[from + i] ?? 0;
  switch (formatCode) {
    case 1:
      for (let i = 0; i < count; i += 1) view.setUint32(at + 4 * i, numberToIbm(s(i)), little);
      return;
    case 2:
      for (let i = 0; i < count; i += 1)
        view.setInt32(at + 4 * i, integer(s(i), -0x80000000, 0x7fffffff), little);
      return;
    case 3:
      for (let i = 0; i < count; i += 1) view.setInt16(at + 2 * i, integer(s(i), -0x8000, 0x7fff), little);
      return;
    case 5:
      for (let i = 0; i < count; i += 1) view.setFloat32(at + 4 * i, s(i), little);
      return;
    case 6:
      for (let i = 0; i < count; i += 1) view.setFloat64(at + 8 * i, s(i), little);
      return;
    case 7:
    case 15:
      for (let i = 0; i < count; i += 1) {
        const v = formatCode === 7 ? integer(s(i), -0x800000, 0x7fffff) : integer(s(i), 0, 0xffffff);
        const u = v < 0 ? v + 0x1000000 : v;
        const p = at + 3 * i;
        const bytes = little ? [u & 0xff, (u >> 8) & 0xff, u >> 16] : [u >> 16, (u >> 8) & 0xff, u & 0xff];
        bytes.forEach((b, k) => view.setUint8(p + k, b));
      }
      return;
    case 8:
      for (let i = 0; i < count; i += 1) view.setInt8(at + i, integer(s(i), -128, 127));
      return;
    case 9:
      for (let i = 0; i < count; i += 1)
        view.setBigInt64(at + 8 * i, BigInt(integer(s(i), -(2 ** 53), 2 ** 53)), little);
      return;
    case 10:
      for (let i = 0; i < count; i += 1) view.setUint32(at + 4 * i, integer(s(i), 0, 0xffffffff), little);
      return;
    case 11:
      for (let i = 0; i < count; i += 1) view.setUint16(at + 2 * i, integer(s(i), 0, 0xffff), little);
      return;
    case 12:
      for (let i = 0; i < count; i += 1)
        view.setBigUint64(at + 8 * i, BigInt(integer(s(i), 0, 2 ** 53)), little);
      return;
    case 16:
      for (let i = 0; i < count; i += 1) view.setUint8(at + i, integer(s(i), 0, 255));
      return;
    default:
      throw new SegyFormatError(
        'SEGY.UNKNOWN_FORMAT',
        `Data sample format code ${formatCode} is not a SEG-Y format.`,
      );
  }
}
