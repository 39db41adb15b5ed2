import type { SegyLayout, TraceBlock } from './segy-reader';
import { encodeSamples } from './segy-samples';

/**
 * Writes processed traces back in the layout they were read from: the file's preamble (textual,
 * binary and extended textual headers) and every trace header are copied byte for byte; only the
 * samples are encoded again, in the file's format code and byte order.
 */
export function encodeTraceBlock(
  layout: SegyLayout,
  block: Pick<TraceBlock, 'count' | 'headers' | 'samples'>,
): Uint8Array {
  const ns = layout.samplesPerTrace;
  if (
    block.headers.length !== block.count * layout.traceHeaderBytes ||
    block.samples.length !== block.count * ns
  ) {
    throw new RangeError(
      `A block of ${block.count} traces needs ${block.count * layout.traceHeaderBytes} header bytes and ${block.count * ns} samples.`,
    );
  }
  const out = new Uint8Array(block.count * layout.traceBytes);
  const view = new DataView(out.buffer);
  for (let t = 0; t < block.count; t += 1) {
    const at = t * layout.traceBytes;
    out.set(block.headers.subarray(t * layout.traceHeaderBytes, (t + 1) * layout.traceHeaderBytes), at);
    encodeSamples(
      block.samples,
      t * ns,
      ns,
      layout.formatCode,
      layout.littleEndian,
      view,
      at + layout.traceHeaderBytes,
    );
  }
  return out;
}

/** A whole file in memory: the preamble, then the blocks in order (small files and tests). */
export function encodeSegy(
  preamble: Uint8Array,
  layout: SegyLayout,
  blocks: readonly Pick<TraceBlock, 'count' | 'headers' | 'samples'>[],
): Uint8Array {
  const parts = [preamble, ...blocks.map((b) => encodeTraceBlock(layout, b))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
