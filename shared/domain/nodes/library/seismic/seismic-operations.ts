import * as z from 'zod';
import { butterworthSos, ZeroPhaseFilter } from '../../../seismic/processing/butterworth';
import { fxDeconvolution } from '../../../seismic/processing/fx-deconvolution';
import { agc, medianFilter } from '../../../seismic/processing/trace-operations';

/**
 * The trace operations a processing chain is made of, each with its parameters (defaults
 * applied) and a function from a block of whole traces to the processed block. Every operation
 * works on one block at a time, so memory stays bounded by the block whatever the dataset's size.
 */
export const bandpassParams = z
  .object({
    order: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(4)
      .describe('Butterworth order (per pass; zero-phase doubles it).'),
    lowHz: z.number().positive().optional().describe('Low corner in Hz; absent: a low-pass.'),
    highHz: z.number().positive().optional().describe('High corner in Hz; absent: a high-pass.'),
  })
  .strict()
  .refine((p) => p.lowHz !== undefined || p.highHz !== undefined, {
    message: 'give lowHz, highHz or both',
    path: ['lowHz'],
  })
  .refine((p) => p.lowHz === undefined || p.highHz === undefined || p.lowHz < p.highHz, {
    message: 'lowHz must be below highHz',
    path: ['highHz'],
  });

export const agcParams = z
  .object({ windowMs: z.number().positive().max(10_000).default(250).describe('AGC window length in ms.') })
  .strict();

export const fxParams = z
  .object({
    lowHz: z.number().nonnegative().default(1).describe('Lowest frequency filtered, Hz.'),
    highHz: z.number().positive().optional().describe('Highest frequency filtered, Hz; absent: Nyquist.'),
    filterLength: z.number().int().min(1).max(20).default(4).describe('Prediction filter length in traces.'),
    damping: z
      .number()
      .min(0)
      .max(10)
      .default(0.01)
      .describe('Damping (pre-whitening) relative to the mean power.'),
  })
  .strict();

export const medianParams = z
  .object({
    kernel: z
      .number()
      .int()
      .min(3)
      .max(101)
      .refine((k) => k % 2 === 1, 'the kernel must be odd')
      .default(5)
      .describe('Samples in the running median (odd).'),
  })
  .strict();

export const chainStep = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bandpass'), params: bandpassParams }),
  z.object({ type: z.literal('agc'), params: agcParams.prefault({}) }),
  z.object({
    type: z.literal('fx_deconvolution'),
    params: fxParams.prefault({}),
  }),
  z.object({ type: z.literal('median_filter'), params: medianParams.prefault({}) }),
]);
export type ChainStep = z.infer<typeof chainStep>;

export interface TraceGeometry {
  samplesPerTrace: number;
  sampleRateHz: number;
}

/** Processes `input` (whole traces) into a new array of the same length. */
export type BlockOperation = (input: Float32Array) => Float32Array;

export function operationOf(step: ChainStep, geometry: TraceGeometry): BlockOperation {
  const ns = geometry.samplesPerTrace;
  const fs = geometry.sampleRateHz;
  switch (step.type) {
    case 'bandpass': {
      const filter = new ZeroPhaseFilter(
        butterworthSos({
          order: step.params.order,
          lowHz: step.params.lowHz,
          highHz: step.params.highHz,
          sampleRateHz: fs,
        }),
      );
      return (input) => {
        const out = new Float32Array(input.length);
        for (let t = 0; t * ns < input.length; t += 1) filter.apply(input, out, t * ns, ns);
        return out;
      };
    }
    case 'agc': {
      const window = Math.max(1, Math.round((step.params.windowMs / 1000) * fs));
      return (input) => {
        const out = new Float32Array(input.length);
        agc(input, out, ns, window);
        return out;
      };
    }
    case 'fx_deconvolution':
      return (input) => {
        const out = new Float32Array(input.length);
        fxDeconvolution(input, out, ns, {
          sampleRateHz: fs,
          lowHz: step.params.lowHz,
          highHz: Math.min(step.params.highHz ?? fs / 2, fs / 2),
          filterLength: step.params.filterLength,
          damping: step.params.damping,
        });
        return out;
      };
    case 'median_filter':
      return (input) => {
        const out = new Float32Array(input.length);
        medianFilter(input, out, ns, step.params.kernel);
        return out;
      };
  }
}

/** The chain as one operation, and its architecture as a readable string ("bandpass → agc"). */
export function chainOperation(steps: readonly ChainStep[], geometry: TraceGeometry): BlockOperation {
  const operations = steps.map((step) => operationOf(step, geometry));
  return (input) => operations.reduce((block, operation) => operation(block), input);
}

export const architectureOf = (steps: readonly ChainStep[]) => steps.map((s) => s.type).join(' → ');
