/**
 * The one FFT of the signal code (audio features, seismic spectra and f-x filtering): in-place,
 * iterative radix-2 over split real and imaginary arrays whose length is a power of two. Twiddle
 * factors are computed once per length with `Math.cos`/`Math.sin` (no recurrence, so no error
 * accumulates along a stage) and reused by every call of that length.
 */

interface Twiddles {
  cos: Float64Array;
  sin: Float64Array;
}

const twiddleCache = new Map<number, Twiddles>();

/** cos/sin of -2πk/n for k < n/2, cached per length. */
function twiddles(n: number): Twiddles {
  let table = twiddleCache.get(n);
  if (!table) {
    const half = n >> 1;
    table = { cos: new Float64Array(half), sin: new Float64Array(half) };
    for (let k = 0; k < half; k += 1) {
      table.cos[k] = Math.cos((-2 * Math.PI * k) / n);
      table.sin[k] = Math.sin((-2 * Math.PI * k) / n);
    }
    twiddleCache.set(n, table);
  }
  return table;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** The smallest power of two ≥ n (1 for n ≤ 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * In-place FFT of (re, im). The forward transform is X[k] = Σ x[t]·e^(-2πikt/n); the inverse uses
 * e^(+2πikt/n) and divides by n, so `fft(re, im); fft(re, im, true)` gives the input back.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n !== im.length)
    throw new RangeError(`FFT: real and imaginary parts differ in length (${n}, ${im.length})`);
  if (n <= 1) return;
  if (!isPowerOfTwo(n)) throw new RangeError(`FFT: length ${n} is not a power of two`);
  for (let i = 1, j = 0; i < n; i += 1) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i] as number;
      re[i] = re[j] as number;
      re[j] = tr;
      const ti = im[i] as number;
      im[i] = im[j] as number;
      im[j] = ti;
    }
  }
  const { cos, sin } = twiddles(n);
  const sign = inverse ? -1 : 1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const stride = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k += 1) {
        const wr = cos[k * stride] as number;
        const wi = sign * (sin[k * stride] as number);
        const a = start + k;
        const b = a + half;
        const br = re[b] as number;
        const bi = im[b] as number;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        const ar = re[a] as number;
        const ai = im[a] as number;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i += 1) {
      re[i] = (re[i] as number) / n;
      im[i] = (im[i] as number) / n;
    }
  }
}
