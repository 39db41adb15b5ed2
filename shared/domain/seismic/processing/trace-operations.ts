/**
 * Per-trace operations on blocks of traces stored trace after trace (`ns` samples each). Each
 * reads `input` and writes `output` of the same length; neither depends on other blocks.
 */

/**
 * Automatic gain control: each sample divided by the RMS amplitude of a centred window of
 * `windowSamples` (shortened at the trace ends); windows of zeros leave zeros.
 */
export function agc(input: Float32Array, output: Float32Array, ns: number, windowSamples: number): void {
  const half = Math.max(1, Math.floor(windowSamples / 2));
  for (let t = 0; t * ns < input.length; t += 1) {
    const base = t * ns;
    // Running sum of squares over [i - half, i + half].
    let sum = 0;
    let lo = 0;
    let hi = -1;
    for (let i = 0; i < ns; i += 1) {
      const wantHi = Math.min(ns - 1, i + half);
      const wantLo = Math.max(0, i - half);
      while (hi < wantHi) {
        hi += 1;
        const v = input[base + hi] ?? 0;
        sum += v * v;
      }
      while (lo < wantLo) {
        const v = input[base + lo] ?? 0;
        sum -= v * v;
        lo += 1;
      }
      const rms = Math.sqrt(Math.max(0, sum) / (hi - lo + 1));
      output[base + i] = rms > 0 ? (input[base + i] ?? 0) / rms : 0;
    }
  }
}

/** A running median along each trace, `kernel` samples (odd), zero-padded at the ends like scipy's medfilt. */
export function medianFilter(input: Float32Array, output: Float32Array, ns: number, kernel: number): void {
  const half = Math.floor(kernel / 2);
  const window = new Float64Array(2 * half + 1);
  for (let t = 0; t * ns < input.length; t += 1) {
    const base = t * ns;
    for (let i = 0; i < ns; i += 1) {
      for (let k = -half; k <= half; k += 1) {
        const j = i + k;
        window[k + half] = j >= 0 && j < ns ? (input[base + j] ?? 0) : 0;
      }
      window.sort();
      output[base + i] = window[half] ?? 0;
    }
  }
}

export interface FirstBreak {
  /** 0-based sample of the pick, or null when the ratio never reached the threshold. */
  sample: number | null;
  /** STA/LTA at the pick, or the highest ratio on the trace when there is no pick. */
  ratio: number;
}

/**
 * First breaks by STA/LTA on energy: the first sample, after a full long window, where the mean
 * energy of the `staSamples` ending there exceeds `threshold` times the mean energy of the
 * `ltaSamples` ending there.
 */
export function staLtaFirstBreaks(
  input: Float32Array,
  ns: number,
  staSamples: number,
  ltaSamples: number,
  threshold: number,
): FirstBreak[] {
  const picks: FirstBreak[] = [];
  const cumulative = new Float64Array(ns + 1);
  for (let t = 0; t * ns < input.length; t += 1) {
    const base = t * ns;
    for (let i = 0; i < ns; i += 1) {
      const v = input[base + i] ?? 0;
      cumulative[i + 1] = (cumulative[i] ?? 0) + v * v;
    }
    let pick: FirstBreak = { sample: null, ratio: 0 };
    for (let i = ltaSamples; i <= ns; i += 1) {
      const sta = ((cumulative[i] ?? 0) - (cumulative[i - staSamples] ?? 0)) / staSamples;
      const lta = ((cumulative[i] ?? 0) - (cumulative[i - ltaSamples] ?? 0)) / ltaSamples;
      const ratio = lta > 0 ? sta / lta : 0;
      if (ratio >= threshold) {
        pick = { sample: i - 1, ratio };
        break;
      }
      if (ratio > pick.ratio) pick = { sample: null, ratio };
    }
    picks.push(pick);
  }
  return picks;
}
