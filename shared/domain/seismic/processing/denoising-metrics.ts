/**
 * How much a denoising run improved the data, accumulated block by block.
 *
 * With a clean reference: SNR = 10 log10(Σ clean² / Σ (x − clean)²) before (x = input) and after
 * (x = output); the gain is their difference, and the MSE against the reference is reported.
 * Without one, the signal is what neighbouring traces share: for adjacent traces a and b,
 * c = Σab / √(Σa² Σb²) estimates S/(S+N) for events that continue from trace to trace, so
 * SNR ≈ c / (1 − c); the gain compares that estimate after and before.
 */
export interface DenoisingMetrics {
  snrGainDb: number;
  snrBeforeDb: number;
  snrAfterDb: number;
  snrMethod: 'clean-reference' | 'adjacent-trace-coherence';
  mseBefore?: number;
  mseAfter?: number;
}

class Coherence {
  ab = 0;
  aa = 0;
  bb = 0;
  private previous: Float32Array | null = null;

  add(samples: Float32Array, ns: number): void {
    for (let t = 0; t * ns < samples.length; t += 1) {
      const trace = samples.subarray(t * ns, (t + 1) * ns);
      const prev = this.previous;
      if (prev) {
        for (let i = 0; i < ns; i += 1) {
          const a = prev[i] ?? 0;
          const b = trace[i] ?? 0;
          this.ab += a * b;
          this.aa += a * a;
          this.bb += b * b;
        }
      }
      this.previous = Float32Array.from(trace);
    }
  }

  snrDb(): number {
    const c = this.aa > 0 && this.bb > 0 ? this.ab / Math.sqrt(this.aa * this.bb) : 0;
    const clamped = Math.min(1 - 1e-9, Math.max(1e-9, c));
    return 10 * Math.log10(clamped / (1 - clamped));
  }
}

export class DenoisingMeter {
  private readonly before = new Coherence();
  private readonly after = new Coherence();
  private signal = 0;
  private errorBefore = 0;
  private errorAfter = 0;
  private count = 0;
  private hasReference = false;

  constructor(private readonly ns: number) {}

  add(input: Float32Array, output: Float32Array, clean?: Float32Array): void {
    this.before.add(input, this.ns);
    this.after.add(output, this.ns);
    if (!clean) return;
    this.hasReference = true;
    for (let i = 0; i < input.length; i += 1) {
      const s = clean[i] ?? 0;
      const e0 = (input[i] ?? 0) - s;
      const e1 = (output[i] ?? 0) - s;
      this.signal += s * s;
      this.errorBefore += e0 * e0;
      this.errorAfter += e1 * e1;
    }
    this.count += input.length;
  }

  finish(): DenoisingMetrics {
    if (this.hasReference && this.count > 0) {
      const db = (noise: number) => 10 * Math.log10(this.signal / Math.max(noise, 1e-300));
      const snrBeforeDb = db(this.errorBefore);
      const snrAfterDb = db(this.errorAfter);
      return {
        snrGainDb: snrAfterDb - snrBeforeDb,
        snrBeforeDb,
        snrAfterDb,
        snrMethod: 'clean-reference',
        mseBefore: this.errorBefore / this.count,
        mseAfter: this.errorAfter / this.count,
      };
    }
    const snrBeforeDb = this.before.snrDb();
    const snrAfterDb = this.after.snrDb();
    return {
      snrGainDb: snrAfterDb - snrBeforeDb,
      snrBeforeDb,
      snrAfterDb,
      snrMethod: 'adjacent-trace-coherence',
    };
  }
}
