/**
 * A stable argsort of doubles by LSD radix sort on their IEEE-754 bits: several times faster than
 * a comparator sort and than the built-in typed-array sort on large columns. Used to presort
 * features for exact splits and to find quantile bins.
 */

/** Buffers reused across the columns of one table. */
export class ArgsortScratch {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly rows: Int32Array;
  readonly hi2: Uint32Array;
  readonly lo2: Uint32Array;
  readonly rows2: Int32Array;
  readonly counts = new Int32Array(2049);
  readonly f64 = new Float64Array(1);
  readonly u32 = new Uint32Array(this.f64.buffer);

  constructor(readonly capacity: number) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.rows = new Int32Array(capacity);
    this.hi2 = new Uint32Array(capacity);
    this.lo2 = new Uint32Array(capacity);
    this.rows2 = new Int32Array(capacity);
  }
}

/** Digit width: 11 bits keeps the count table in L1 and needs six passes for 64 bits. */
const DIGIT_BITS = 11;
const DIGIT_MASK = (1 << DIGIT_BITS) - 1;

/**
 * Indices 0…n−1 ordered by `values[i]` ascending, ties by index, NaN last (in index order);
 * −0 and 0 are equal.
 */
export function argsort(
  values: Float64Array,
  n: number,
  scratch: ArgsortScratch = new ArgsortScratch(n),
): Int32Array {
  if (scratch.capacity < n) throw new RangeError('argsort scratch is too small');
  const { f64, u32, counts } = scratch;
  let hi = scratch.hi;
  let lo = scratch.lo;
  let rows = scratch.rows;
  let hi2 = scratch.hi2;
  let lo2 = scratch.lo2;
  let rows2 = scratch.rows2;
  const out = new Int32Array(n);
  let nPresent = 0;
  let nMissing = 0;
  for (let i = 0; i < n; i += 1) {
    const v = values[i] as number;
    if (v !== v) {
      nMissing += 1;
      out[n - nMissing] = i;
      continue;
    }
    f64[0] = v === 0 ? 0 : v;
    let h = u32[1] as number;
    let l = u32[0] as number;
    // Order-preserving map from doubles to unsigned 64-bit keys.
    if (h >>> 31 === 1) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    hi[nPresent] = h;
    lo[nPresent] = l;
    rows[nPresent] = i;
    nPresent += 1;
  }
  for (let pass = 0; pass < 6; pass += 1) {
    const bit = pass * DIGIT_BITS;
    const useHi = bit >= 32;
    // Digits straddling the two words take their high bits from `hi`.
    const shift = useHi ? bit - 32 : bit;
    const straddle = !useHi && bit + DIGIT_BITS > 32;
    counts.fill(0);
    for (let i = 0; i < nPresent; i += 1) {
      const d = digit(hi[i] as number, lo[i] as number, useHi, shift, straddle) + 1;
      counts[d] = (counts[d] as number) + 1;
    }
    if (
      nPresent > 0 &&
      (counts[digit(hi[0] as number, lo[0] as number, useHi, shift, straddle) + 1] as number) === nPresent
    ) {
      continue; // every key shares this digit: the pass would not reorder anything
    }
    for (let d = 1; d <= DIGIT_MASK + 1; d += 1)
      counts[d] = (counts[d] as number) + (counts[d - 1] as number);
    for (let i = 0; i < nPresent; i += 1) {
      const h = hi[i] as number;
      const l = lo[i] as number;
      const d = digit(h, l, useHi, shift, straddle);
      const at = counts[d] as number;
      counts[d] = at + 1;
      hi2[at] = h;
      lo2[at] = l;
      rows2[at] = rows[i] as number;
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
    [rows, rows2] = [rows2, rows];
  }
  out.set(rows.subarray(0, nPresent), 0);
  // Missing indices were written from the end backwards; restore their order.
  out.subarray(nPresent).reverse();
  return out;
}

function digit(h: number, l: number, useHi: boolean, shift: number, straddle: boolean): number {
  if (useHi) return (h >>> shift) & DIGIT_MASK;
  if (straddle) return ((l >>> shift) | (h << (32 - shift))) & DIGIT_MASK;
  return (l >>> shift) & DIGIT_MASK;
}
