import { describe, expect, it } from 'vitest';
import { butterworthSos, ZeroPhaseFilter } from '../../../../../shared/domain/seismic/processing/butterworth';
import { DenoisingMeter } from '../../../../../shared/domain/seismic/processing/denoising-metrics';
import { fxDeconvolution } from '../../../../../shared/domain/seismic/processing/fx-deconvolution';
import { SeismicProfiler } from '../../../../../shared/domain/seismic/processing/seismic-profile';
import {
  agc,
  medianFilter,
  staLtaFirstBreaks,
} from '../../../../../shared/domain/seismic/processing/trace-operations';
import { float32s, float64s, reference } from './seismic-reference';

const NS = 301;
const noisy = float32s(reference.files['synthetic-ibm-big.sgy']?.samples ?? '');
const clean = float32s(reference.clean);

describe('zero-phase Butterworth against scipy (butter + sosfiltfilt)', () => {
  it.each(reference.filters.map((f) => [f.name, f] as const))(
    '%s: within 1e-6 on every sample',
    (_, filter) => {
      const sos = butterworthSos({
        order: filter.order,
        lowHz: filter.lowHz ?? undefined,
        highHz: filter.highHz ?? undefined,
        sampleRateHz: filter.sampleRateHz,
      });
      const zeroPhase = new ZeroPhaseFilter(sos);
      const out = new Float64Array(noisy.length);

      for (let t = 0; t < 24; t += 1) zeroPhase.apply(noisy, out, t * NS, NS);

      const expected = float64s(filter.traces);
      let worst = 0;
      for (let i = 0; i < out.length; i += 1)
        worst = Math.max(worst, Math.abs((out[i] ?? 0) - (expected[i] ?? 0)));
      expect(worst).toBeLessThan(1e-6);
      expect(sos.length).toBe(filter.sos.length);
    },
  );

  it('refuses corners above Nyquist and traces shorter than the padding', () => {
    expect(() => butterworthSos({ order: 4, lowHz: 10, highHz: 300, sampleRateHz: 500 })).toThrow(/Nyquist/);
    const zeroPhase = new ZeroPhaseFilter(
      butterworthSos({ order: 4, lowHz: 10, highHz: 60, sampleRateHz: 500 }),
    );
    expect(() => zeroPhase.apply(new Float32Array(20), new Float64Array(20), 0, 20)).toThrow(/too short/);
  });
});

describe('trace operations', () => {
  it('AGC brings a weak and a strong trace to the same RMS', () => {
    const input = new Float32Array(2 * 200);
    for (let i = 0; i < 200; i += 1) {
      input[i] = 0.01 * Math.sin(i / 3);
      input[200 + i] = 100 * Math.sin(i / 3);
    }
    const output = new Float32Array(input.length);

    agc(input, output, 200, 41);

    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(rms(output.subarray(0, 200))).toBeCloseTo(1, 1);
    expect(rms(output.subarray(200))).toBeCloseTo(1, 1);
  });

  it('the median filter removes isolated spikes and keeps a step', () => {
    const input = Float32Array.from({ length: 50 }, (_, i) => (i < 25 ? 0 : 1));
    input[10] = 50;
    const output = new Float32Array(50);

    medianFilter(input, output, 50, 5);

    expect(output[10]).toBe(0);
    expect(Array.from(output.subarray(20, 30))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('STA/LTA picks the onset of an arrival after quiet noise', () => {
    const input = new Float32Array(2 * 300);
    for (let i = 0; i < 300; i += 1) {
      input[i] = 0.01 * Math.sin(i * 1.7) + (i >= 120 ? Math.sin(i / 2) : 0);
      input[300 + i] = 0.01 * Math.sin(i * 1.3);
    }

    const picks = staLtaFirstBreaks(input, 300, 10, 50, 4);

    expect(picks[0]?.sample).toBeGreaterThanOrEqual(120);
    expect(picks[0]?.sample).toBeLessThan(126);
    expect(picks[1]?.sample).toBeNull();
  });
});

describe('denoising the synthetic line', () => {
  it('f-x deconvolution raises the SNR against the clean traces', () => {
    const output = new Float32Array(noisy.length);

    fxDeconvolution(noisy, output, NS, {
      sampleRateHz: 500,
      lowHz: 1,
      highHz: 240,
      filterLength: 4,
      damping: 0.01,
    });

    const meter = new DenoisingMeter(NS);
    meter.add(noisy, output, clean);
    const metrics = meter.finish();
    expect(metrics.snrMethod).toBe('clean-reference');
    expect(metrics.snrGainDb).toBeGreaterThan(3);
    expect(metrics.mseAfter).toBeLessThan(metrics.mseBefore ?? 0);
  });

  it('without a reference, the gain is estimated from neighbouring traces and agrees in sign', () => {
    const sos = butterworthSos({ order: 4, lowHz: 8, highHz: 60, sampleRateHz: 500 });
    const zeroPhase = new ZeroPhaseFilter(sos);
    const output = new Float32Array(noisy.length);
    for (let t = 0; t < 24; t += 1) zeroPhase.apply(noisy, output, t * NS, NS);

    const meter = new DenoisingMeter(NS);
    meter.add(noisy.subarray(0, 12 * NS), output.subarray(0, 12 * NS));
    meter.add(noisy.subarray(12 * NS), output.subarray(12 * NS));
    const blind = meter.finish();
    const withReference = new DenoisingMeter(NS);
    withReference.add(noisy, output, clean);

    expect(blind.snrMethod).toBe('adjacent-trace-coherence');
    expect(blind.snrGainDb).toBeGreaterThan(0);
    expect(withReference.finish().snrGainDb).toBeGreaterThan(0);
  });
});

describe('profile', () => {
  it('finds the dominant frequency of the 25 Hz wavelet, dead and clipped traces, RMS per trace', () => {
    const samples = Float32Array.from(clean);
    samples.fill(0, 3 * NS, 4 * NS);
    for (let i = 0; i < 5; i += 1) samples[7 * NS + 100 + i] = 9;
    const profiler = new SeismicProfiler(24, NS, 500);

    profiler.add(0, samples.subarray(0, 10 * NS));
    profiler.add(10, samples.subarray(10 * NS));
    const profile = profiler.finish();

    expect(profile.dominantFrequencyHz).toBeGreaterThan(18);
    expect(profile.dominantFrequencyHz).toBeLessThan(30);
    expect(profile.deadTraces).toEqual({ count: 1, first: [3] });
    expect(profile.clippedTraces.count).toBe(1);
    expect(profile.clippedTraces.first).toEqual([7]);
    expect(profiler.rms[3]).toBe(0);
    expect(profile.amplitude.max).toBe(9);
    expect(profile.spectrum.frequencyHz.length).toBe(profile.spectrum.amplitude.length);
  });
});
