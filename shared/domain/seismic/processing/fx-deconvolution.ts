import { fft, nextPowerOfTwo } from '../../signal/fft';

/**
 * f-x prediction filtering (f-x deconvolution): in the frequency domain each frequency of a
 * window of traces is a complex series along the traces; linear events are predictable along it
 * and random noise is not. For every frequency between `lowHz` and `highHz`, a complex prediction
 * filter of `filterLength` traces is fitted by damped least squares, applied forwards and
 * backwards, and the two predictions averaged; outside the band the data pass unchanged.
 */
export interface FxDeconvolutionOptions {
  sampleRateHz: number;
  lowHz: number;
  highHz: number;
  filterLength: number;
  /** Added to the normal equations' diagonal, relative to their mean diagonal. */
  damping: number;
}

export function fxDeconvolution(
  input: Float32Array,
  output: Float32Array,
  ns: number,
  options: FxDeconvolutionOptions,
): void {
  const traces = Math.floor(input.length / ns);
  const nfft = nextPowerOfTwo(ns);
  const re = Array.from({ length: traces }, () => new Float64Array(nfft));
  const im = Array.from({ length: traces }, () => new Float64Array(nfft));
  for (let t = 0; t < traces; t += 1) {
    const r = re[t] as Float64Array;
    for (let i = 0; i < ns; i += 1) r[i] = input[t * ns + i] ?? 0;
    fft(r, im[t] as Float64Array);
  }
  const L = options.filterLength;
  const lowBin = Math.max(1, Math.ceil((options.lowHz * nfft) / options.sampleRateHz));
  const highBin = Math.min(nfft / 2, Math.floor((options.highHz * nfft) / options.sampleRateHz));
  if (traces > 2 * L) {
    const xr = new Float64Array(traces);
    const xi = new Float64Array(traces);
    for (let k = lowBin; k <= highBin; k += 1) {
      for (let t = 0; t < traces; t += 1) {
        xr[t] = re[t]?.[k] ?? 0;
        xi[t] = im[t]?.[k] ?? 0;
      }
      const [pr, pi] = predict(xr, xi, L, options.damping);
      for (let t = 0; t < traces; t += 1) {
        const r = re[t] as Float64Array;
        const m = im[t] as Float64Array;
        r[k] = pr[t] ?? 0;
        m[k] = pi[t] ?? 0;
        // Keep the spectrum Hermitian so the trace stays real.
        if (k > 0 && k < nfft / 2) {
          r[nfft - k] = pr[t] ?? 0;
          m[nfft - k] = -(pi[t] ?? 0);
        }
      }
    }
  }
  for (let t = 0; t < traces; t += 1) {
    const r = re[t] as Float64Array;
    fft(r, im[t] as Float64Array, true);
    for (let i = 0; i < ns; i += 1) output[t * ns + i] = r[i] ?? 0;
  }
}

/** Forward and backward predictions of a complex series, averaged (the ends keep one of them). */
function predict(
  xr: Float64Array,
  xi: Float64Array,
  L: number,
  damping: number,
): [Float64Array, Float64Array] {
  const n = xr.length;
  const forward = fitAndApply(xr, xi, L, damping);
  const rr = xr.slice().reverse();
  const ri = xi.slice().reverse();
  const backward = fitAndApply(rr, ri, L, damping);
  backward[0].reverse();
  backward[1].reverse();
  const outR = new Float64Array(n);
  const outI = new Float64Array(n);
  for (let t = 0; t < n; t += 1) {
    const hasF = t >= L;
    const hasB = t < n - L;
    const count = (hasF ? 1 : 0) + (hasB ? 1 : 0);
    outR[t] = ((hasF ? (forward[0][t] ?? 0) : 0) + (hasB ? (backward[0][t] ?? 0) : 0)) / count;
    outI[t] = ((hasF ? (forward[1][t] ?? 0) : 0) + (hasB ? (backward[1][t] ?? 0) : 0)) / count;
  }
  return [outR, outI];
}

/** Fits x[t] ≈ Σ f[j] x[t-1-j] (complex, damped least squares) and returns the predictions. */
function fitAndApply(
  xr: Float64Array,
  xi: Float64Array,
  L: number,
  damping: number,
): [Float64Array, Float64Array] {
  const n = xr.length;
  // Normal equations (A^H A + λI) f = A^H b as a real 2L system of [Re; Im].
  const size = 2 * L;
  const M = Array.from({ length: size }, () => new Float64Array(size + 1));
  for (let t = L; t < n; t += 1) {
    for (let j = 0; j < L; j += 1) {
      const ajr = xr[t - 1 - j] ?? 0;
      const aji = xi[t - 1 - j] ?? 0;
      for (let k = 0; k < L; k += 1) {
        const akr = xr[t - 1 - k] ?? 0;
        const aki = xi[t - 1 - k] ?? 0;
        // conj(a_j) * a_k
        const gr = ajr * akr + aji * aki;
        const gi = ajr * aki - aji * akr;
        addBlock(M, j, k, L, gr, gi);
      }
      const br = xr[t] ?? 0;
      const bi = xi[t] ?? 0;
      // conj(a_j) * b
      (M[j] as Float64Array)[size] = ((M[j] as Float64Array)[size] ?? 0) + ajr * br + aji * bi;
      (M[j + L] as Float64Array)[size] = ((M[j + L] as Float64Array)[size] ?? 0) + ajr * bi - aji * br;
    }
  }
  let trace = 0;
  for (let j = 0; j < size; j += 1) trace += M[j]?.[j] ?? 0;
  const lambda = (damping * trace) / size + 1e-30;
  for (let j = 0; j < size; j += 1) (M[j] as Float64Array)[j] = (M[j]?.[j] ?? 0) + lambda;
  const f = solve(M, size);
  const pr = new Float64Array(n);
  const pi = new Float64Array(n);
  for (let t = L; t < n; t += 1) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < L; j += 1) {
      const fr = f[j] ?? 0;
      const fi = f[j + L] ?? 0;
      const ar = xr[t - 1 - j] ?? 0;
      const ai = xi[t - 1 - j] ?? 0;
      sr += fr * ar - fi * ai;
      si += fr * ai + fi * ar;
    }
    pr[t] = sr;
    pi[t] = si;
  }
  return [pr, pi];
}

/** Adds the complex g at (j, k) to the real form [[Re, -Im], [Im, Re]]. */
function addBlock(M: Float64Array[], j: number, k: number, L: number, gr: number, gi: number): void {
  (M[j] as Float64Array)[k] = (M[j]?.[k] ?? 0) + gr;
  (M[j] as Float64Array)[k + L] = (M[j]?.[k + L] ?? 0) - gi;
  (M[j + L] as Float64Array)[k] = (M[j + L]?.[k] ?? 0) + gi;
  (M[j + L] as Float64Array)[k + L] = (M[j + L]?.[k + L] ?? 0) + gr;
}

/** Gaussian elimination with partial pivoting on an augmented size × (size + 1) matrix. */
function solve(M: Float64Array[], size: number): Float64Array {
  for (let col = 0; col < size; col += 1) {
    let pivot = col;
    for (let r = col + 1; r < size; r += 1) {
      if (Math.abs(M[r]?.[col] ?? 0) > Math.abs(M[pivot]?.[col] ?? 0)) pivot = r;
    }
    [M[col], M[pivot]] = [M[pivot] as Float64Array, M[col] as Float64Array];
    const row = M[col] as Float64Array;
    const p = row[col] ?? 0;
    if (p === 0) continue;
    for (let r = col + 1; r < size; r += 1) {
      const other = M[r] as Float64Array;
      const factor = (other[col] ?? 0) / p;
      if (factor === 0) continue;
      for (let k = col; k <= size; k += 1) other[k] = (other[k] ?? 0) - factor * (row[k] ?? 0);
    }
  }
  const x = new Float64Array(size);
  for (let r = size - 1; r >= 0; r -= 1) {
    const row = M[r] as Float64Array;
    let s = row[size] ?? 0;
    for (let k = r + 1; k < size; k += 1) s -= (row[k] ?? 0) * (x[k] ?? 0);
    const d = row[r] ?? 0;
    x[r] = d === 0 ? 0 : s / d;
  }
  return x;
}
