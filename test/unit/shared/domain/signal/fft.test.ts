import { describe, expect, it } from 'vitest';
import { fft, isPowerOfTwo, nextPowerOfTwo } from '../../../../../shared/domain/signal/fft';

/** The DFT by its definition, O(n²). */
function dft(x: number[], y: number[]): { re: number[]; im: number[] } {
  const n = x.length;
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k < n; k += 1) {
    let r = 0;
    let s = 0;
    for (let t = 0; t < n; t += 1) {
      const angle = (-2 * Math.PI * k * t) / n;
      r += (x[t] ?? 0) * Math.cos(angle) - (y[t] ?? 0) * Math.sin(angle);
      s += (x[t] ?? 0) * Math.sin(angle) + (y[t] ?? 0) * Math.cos(angle);
    }
    re.push(r);
    im.push(s);
  }
  return { re, im };
}

describe('fft', () => {
  it('computes the DFT of a real signal', () => {
    const n = 16;
    const x = Array.from({ length: n }, (_, i) => Math.sin(i) + (i % 3));
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    fft(re, im);
    const expected = dft(x, new Array<number>(n).fill(0));
    for (let k = 0; k < n; k += 1) {
      expect(re[k]).toBeCloseTo(expected.re[k] ?? NaN, 9);
      expect(im[k]).toBeCloseTo(expected.im[k] ?? NaN, 9);
    }
  });

  it('stays within 1e-9 of the DFT of a long complex signal', () => {
    const n = 1024;
    const x = Array.from({ length: n }, (_, i) => Math.cos(0.37 * i) + 0.1 * ((i * 7919) % 13));
    const y = Array.from({ length: n }, (_, i) => Math.sin(0.011 * i * i));
    const re = Float64Array.from(x);
    const im = Float64Array.from(y);
    fft(re, im);
    const expected = dft(x, y);
    let worst = 0;
    for (let k = 0; k < n; k += 1) {
      worst = Math.max(
        worst,
        Math.abs((re[k] ?? 0) - (expected.re[k] ?? 0)),
        Math.abs((im[k] ?? 0) - (expected.im[k] ?? 0)),
      );
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('gives the signal back through the inverse transform', () => {
    const n = 256;
    const x = Array.from({ length: n }, (_, i) => Math.exp(-i / 40) * Math.sin(i / 3));
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    fft(re, im);
    fft(re, im, true);
    for (let i = 0; i < n; i += 1) {
      expect(re[i]).toBeCloseTo(x[i] ?? NaN, 12);
      expect(im[i]).toBeCloseTo(0, 12);
    }
  });

  it('puts a pure tone in its bin, and its conjugate', () => {
    const n = 64;
    const re = Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * 5 * i) / n));
    const im = new Float64Array(n);
    fft(re, im);
    const magnitudes = Array.from(re, (r, k) => Math.hypot(r, im[k] ?? 0));
    expect(magnitudes[5]).toBeCloseTo(n / 2, 9);
    expect(magnitudes[n - 5]).toBeCloseTo(n / 2, 9);
    expect(magnitudes.filter((m) => m > 1e-9)).toHaveLength(2);
  });

  it('refuses a length that is not a power of two, or parts of different lengths', () => {
    expect(() => fft(new Float64Array(12), new Float64Array(12))).toThrow(/not a power of two/);
    expect(() => fft(new Float64Array(8), new Float64Array(4))).toThrow(/differ in length/);
  });

  it('finds the next power of two', () => {
    expect([0, 1, 2, 3, 5, 512, 513].map(nextPowerOfTwo)).toEqual([1, 1, 2, 4, 8, 512, 1024]);
    expect([1, 2, 64].every(isPowerOfTwo)).toBe(true);
    expect([0, 3, 12, 1.5].some(isPowerOfTwo)).toBe(false);
  });
});
