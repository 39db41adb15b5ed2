/**
 * IBM System/360 single-precision floats (SEG-Y format code 1): sign bit, 7-bit excess-64
 * exponent of 16, 24-bit fraction. A value is `fraction × 2^-24 × 16^(exponent - 64)`.
 *
 * Decoding is exact: the fraction has at most 24 significant bits, so the product by a power of
 * two is exact in a double, and exact in a float32 for every value within float32's range (an IBM
 * float has up to 24 significant bits, a float32 holds 24).
 */

/** 2^(4 × (e − 64) − 24) for each exponent field e. */
const SCALE = Float64Array.from({ length: 128 }, (_, e) => 2 ** (4 * (e - 64) - 24));

export function ibmToNumber(bits: number): number {
  const fraction = bits & 0x00ffffff;
  const value = fraction * (SCALE[(bits >>> 24) & 0x7f] ?? 0);
  return bits & 0x80000000 ? -value : value;
}

const TWO_24 = 0x1000000;

/**
 * The IBM float nearest to `value` (ties away from zero), saturating at IBM's largest magnitude;
 * NaN becomes 0. Every value `ibmToNumber` returns comes back to the same bits.
 */
export function numberToIbm(value: number): number {
  if (value === 0 || Number.isNaN(value)) return 0;
  const sign = value < 0 ? 0x80000000 : 0;
  let magnitude = Math.abs(value);
  if (magnitude >= 16 ** 63) return (sign | 0x7fffffff) >>> 0;
  // The hex exponent h with 16^(h-1) <= magnitude < 16^h, found from the binary exponent.
  let binary = Math.floor(Math.log2(magnitude));
  if (2 ** binary > magnitude) binary -= 1;
  else if (2 ** (binary + 1) <= magnitude) binary += 1;
  let hex = Math.floor(binary / 4) + 1;
  if (hex < -64) return sign >>> 0;
  magnitude = magnitude * 2 ** (24 - 4 * hex);
  let fraction = Math.round(magnitude);
  if (fraction >= TWO_24) {
    fraction = Math.round(fraction / 16);
    hex += 1;
    if (hex > 63) return (sign | 0x7fffffff) >>> 0;
  }
  if (hex < -64) return sign >>> 0;
  return (sign | ((hex + 64) << 24) | fraction) >>> 0;
}
