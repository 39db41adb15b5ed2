/**
 * Zero-phase Butterworth filtering as scipy does it: `butter(order, band, fs=…, output='sos')`
 * (analog prototype, frequency transform, bilinear transform with pre-warping, second-order
 * sections) and `sosfiltfilt` with its default odd padding of 3 × (2 × sections + 1) samples
 * (less the sections of first order) and steady-state initial conditions. The sections may be
 * paired differently from scipy's; the cascade is the same filter.
 */

interface Complex {
  re: number;
  im: number;
}

const c = (re: number, im = 0): Complex => ({ re, im });
const add = (a: Complex, b: Complex): Complex => c(a.re + b.re, a.im + b.im);
const sub = (a: Complex, b: Complex): Complex => c(a.re - b.re, a.im - b.im);
const mul = (a: Complex, b: Complex): Complex => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
const div = (a: Complex, b: Complex): Complex => {
  const d = b.re * b.re + b.im * b.im;
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
};
const scale = (a: Complex, s: number): Complex => c(a.re * s, a.im * s);
function csqrt(a: Complex): Complex {
  const r = Math.hypot(a.re, a.im);
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sqrt((r - a.re) / 2);
  return c(re, a.im < 0 ? -im : im);
}

export type BandType = 'bandpass' | 'lowpass' | 'highpass';

export interface ButterworthDesign {
  order: number;
  /** Low corner (bandpass, highpass), Hz. */
  lowHz?: number | undefined;
  /** High corner (bandpass, lowpass), Hz. */
  highHz?: number | undefined;
  sampleRateHz: number;
}

/** Each row b0 b1 b2 a0 a1 a2 with a0 = 1, like scipy's `sos`. */
export type Sos = number[][];

export function bandType(design: ButterworthDesign): BandType {
  if (design.lowHz !== undefined && design.highHz !== undefined) return 'bandpass';
  if (design.highHz !== undefined) return 'lowpass';
  if (design.lowHz !== undefined) return 'highpass';
  throw new RangeError('A Butterworth filter needs a low corner, a high corner or both.');
}

export function butterworthSos(design: ButterworthDesign): Sos {
  const { order, sampleRateHz } = design;
  const type = bandType(design);
  const nyquist = sampleRateHz / 2;
  for (const corner of [design.lowHz, design.highHz]) {
    if (corner !== undefined && !(corner > 0 && corner < nyquist)) {
      throw new RangeError(
        `Corner frequencies must lie between 0 and the Nyquist frequency (${nyquist} Hz).`,
      );
    }
  }
  // Analog prototype (scipy's buttap): poles on the left half of the unit circle.
  let poles: Complex[] = [];
  for (let m = -order + 1; m < order; m += 2) {
    const angle = (Math.PI * m) / (2 * order);
    poles.push(c(-Math.cos(angle), -Math.sin(angle)));
  }
  let zeros: Complex[] = [];
  let gain = 1;
  // Pre-warped corners for the bilinear transform at fs = 2 (normalised frequencies).
  const warp = (hz: number) => 4 * Math.tan((Math.PI * (hz / nyquist)) / 2);
  if (type === 'lowpass') {
    const wo = warp(design.highHz ?? 0);
    poles = poles.map((p) => scale(p, wo));
    gain *= wo ** order;
  } else if (type === 'highpass') {
    const wo = warp(design.lowHz ?? 0);
    let product = c(1);
    for (const p of poles) product = mul(product, scale(p, -1));
    gain *= 1 / product.re;
    poles = poles.map((p) => div(c(wo), p));
    zeros = poles.map(() => c(0));
  } else {
    const w1 = warp(design.lowHz ?? 0);
    const w2 = warp(design.highHz ?? 0);
    const bw = w2 - w1;
    const wo = Math.sqrt(w1 * w2);
    const lp = poles.map((p) => scale(p, bw / 2));
    const root = lp.map((p) => csqrt(sub(mul(p, p), c(wo * wo))));
    poles = [...lp.map((p, i) => add(p, root[i] ?? c(0))), ...lp.map((p, i) => sub(p, root[i] ?? c(0)))];
    zeros = lp.map(() => c(0));
    gain *= bw ** order;
  }
  // Bilinear transform at fs = 2.
  const fs2 = c(4);
  let num = c(1);
  let den = c(1);
  for (const z of zeros) num = mul(num, sub(fs2, z));
  for (const p of poles) den = mul(den, sub(fs2, p));
  gain *= div(num, den).re;
  const zz = zeros.map((z) => div(add(fs2, z), sub(fs2, z)));
  while (zz.length < poles.length) zz.push(c(-1));
  const pz = poles.map((p) => div(add(fs2, p), sub(fs2, p)));
  return toSections(zz, pz, gain);
}

/** Conjugate pairs of poles (and of zeros) into second-order sections; the gain goes to the first. */
function toSections(zeros: Complex[], poles: Complex[], gain: number): Sos {
  const pairs = (roots: Complex[]): Complex[][] => {
    const upper = roots.filter((r) => r.im > 1e-12).sort((a, b) => a.re - b.re);
    const real = roots.filter((r) => Math.abs(r.im) <= 1e-12).sort((a, b) => a.re - b.re);
    const out = upper.map((r) => [r, c(r.re, -r.im)]);
    for (let i = 0; i < real.length; i += 2) out.push(real.slice(i, i + 2).map((r) => c(r.re)));
    return out;
  };
  const polePairs = pairs(poles);
  const zeroPairs = pairs(zeros);
  const polynomial = (roots: Complex[] | undefined): number[] => {
    if (!roots || roots.length === 0) return [1, 0, 0];
    if (roots.length === 1) return [1, -(roots[0]?.re ?? 0), 0];
    const [r1, r2] = roots as [Complex, Complex];
    return [1, -(r1.re + r2.re), mul(r1, r2).re];
  };
  // First-order sections last among the poles (scipy keeps them b2 = a2 = 0 too).
  polePairs.sort((a, b) => b.length - a.length);
  zeroPairs.sort((a, b) => b.length - a.length);
  return polePairs.map((p, i) => {
    const a = polynomial(p);
    let b = polynomial(zeroPairs[i]);
    if (p.length === 1 && (zeroPairs[i]?.length ?? 0) === 1) b = [b[0] ?? 1, b[1] ?? 0, 0];
    if (i === 0) b = b.map((v) => v * gain);
    return [...b, ...a];
  });
}

/** Applies the sections in cascade (direct form II transposed) in place, from the given states. */
function sosfilt(sos: Sos, x: Float64Array, zi: Float64Array): void {
  for (let s = 0; s < sos.length; s += 1) {
    const [b0 = 0, b1 = 0, b2 = 0, , a1 = 0, a2 = 0] = sos[s] ?? [];
    let z0 = zi[2 * s] ?? 0;
    let z1 = zi[2 * s + 1] ?? 0;
    for (let n = 0; n < x.length; n += 1) {
      const xn = x[n] ?? 0;
      const y = b0 * xn + z0;
      z0 = b1 * xn - a1 * y + z1;
      z1 = b2 * xn - a2 * y;
      x[n] = y;
    }
  }
}

/** scipy's sosfilt_zi: per-section states of the cascade's steady state for a unit step. */
export function sosfiltZi(sos: Sos): Float64Array {
  const zi = new Float64Array(sos.length * 2);
  let gain = 1;
  sos.forEach(([b0 = 0, b1 = 0, b2 = 0, a0 = 1, a1 = 0, a2 = 0], s) => {
    // (I - A^T) z = B with A the companion matrix of a (lfilter_zi), solved by hand for 2 × 2.
    const B0 = b1 - a1 * b0;
    const B1 = b2 - a2 * b0;
    const det = 1 + a1 + a2;
    const z0 = (B0 + B1) / det;
    const z1 = B1 - a2 * z0;
    zi[2 * s] = gain * z0;
    zi[2 * s + 1] = gain * z1;
    gain *= (b0 + b1 + b2) / (a0 + a1 + a2);
  });
  return zi;
}

export function sosfiltfiltPadLength(sos: Sos): number {
  const b2zeros = sos.filter((r) => r[2] === 0).length;
  const a2zeros = sos.filter((r) => r[5] === 0).length;
  return 3 * (2 * sos.length + 1 - Math.min(b2zeros, a2zeros));
}

/** A forward-backward filter of one trace, as `scipy.signal.sosfiltfilt(sos, x)`. */
export class ZeroPhaseFilter {
  readonly padLength: number;
  private readonly zi: Float64Array;
  private readonly state: Float64Array;
  private ext = new Float64Array(0);

  constructor(readonly sos: Sos) {
    this.padLength = sosfiltfiltPadLength(sos);
    this.zi = sosfiltZi(sos);
    this.state = new Float64Array(this.zi.length);
  }

  /** Filters `input[from, from + n)` into `output[from, from + n)`. */
  apply(input: ArrayLike<number>, output: { [i: number]: number }, from: number, n: number): void {
    const pad = this.padLength;
    if (n <= pad) {
      throw new RangeError(
        `A trace of ${n} samples is too short for this filter: it needs more than ${pad}.`,
      );
    }
    const size = n + 2 * pad;
    if (this.ext.length !== size) this.ext = new Float64Array(size);
    const ext = this.ext;
    const first = input[from] ?? 0;
    const last = input[from + n - 1] ?? 0;
    // Odd extension at both ends.
    for (let i = 0; i < pad; i += 1) ext[i] = 2 * first - (input[from + pad - i] ?? 0);
    for (let i = 0; i < n; i += 1) ext[pad + i] = input[from + i] ?? 0;
    for (let i = 0; i < pad; i += 1) ext[pad + n + i] = 2 * last - (input[from + n - 2 - i] ?? 0);
    const start = ext[0] ?? 0;
    for (let i = 0; i < this.zi.length; i += 1) this.state[i] = (this.zi[i] ?? 0) * start;
    sosfilt(this.sos, ext, this.state);
    ext.reverse();
    const end = ext[0] ?? 0;
    for (let i = 0; i < this.zi.length; i += 1) this.state[i] = (this.zi[i] ?? 0) * end;
    sosfilt(this.sos, ext, this.state);
    ext.reverse();
    for (let i = 0; i < n; i += 1) output[from + i] = ext[pad + i] ?? 0;
  }
}
