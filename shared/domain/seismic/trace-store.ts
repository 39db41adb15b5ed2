import * as z from 'zod';
import type { BlobStore } from '../../ports/blob-store.port';
import type { SegyLayout } from './segy/segy-reader';

/**
 * A chunked float32 trace store: the samples of a seismic dataset (or of a node's output) as
 * objects of `chunkTraces` whole traces each (little-endian float32, trace after trace), described
 * by a JSON manifest. Readers fetch only the chunks of the trace range they need, so memory stays
 * bounded by a chunk whatever the file's size. The manifest names the SEG-Y file the traces came
 * from, whose headers a writer copies back byte for byte.
 */
export const TRACE_STORE_KIND = 'pipeweave.seismic-traces';
/** About 16 MiB of samples per chunk. */
export const CHUNK_BYTES = 16 * 1024 * 1024;

const layoutSchema = z.object({
  littleEndian: z.boolean(),
  formatCode: z.number().int(),
  formatName: z.string(),
  bytesPerSample: z.number().int().positive(),
  samplesPerTrace: z.number().int().positive(),
  sampleIntervalMicros: z.number().positive(),
  sampleRateHz: z.number().positive(),
  revision: z.object({ major: z.number().int(), minor: z.number().int() }),
  extendedTextualHeaders: z.number().int().nonnegative(),
  additionalTraceHeaders: z.number().int().nonnegative(),
  firstTraceOffset: z.number().int().nonnegative(),
  traceHeaderBytes: z.number().int().positive(),
  traceBytes: z.number().int().positive(),
  traceCount: z.number().int().nonnegative(),
});

const manifestSchema = z.object({
  kind: z.literal(TRACE_STORE_KIND),
  version: z.literal(1),
  traceCount: z.number().int().nonnegative(),
  samplesPerTrace: z.number().int().positive(),
  sampleRateHz: z.number().positive(),
  chunkTraces: z.number().int().positive(),
  chunks: z.array(z.object({ key: z.string(), start: z.number().int(), count: z.number().int() })),
  segy: z.object({ objectKey: z.string(), fileName: z.string(), layout: layoutSchema }),
  headersKey: z.string().nullable(),
});

export type TraceStoreManifest = z.infer<typeof manifestSchema>;
export type TraceStoreSource = Pick<
  TraceStoreManifest,
  'samplesPerTrace' | 'sampleRateHz' | 'segy' | 'headersKey'
>;

export function chunkTracesFor(samplesPerTrace: number, chunkBytes = CHUNK_BYTES): number {
  return Math.max(1, Math.floor(chunkBytes / (samplesPerTrace * 4)));
}

/** The manifest's key under a prefix ending in `/`. */
export const manifestKeyOf = (prefix: string) => `${prefix}manifest.json`;

export class TraceStoreWriter {
  private readonly chunks: TraceStoreManifest['chunks'] = [];
  private traces = 0;

  constructor(
    private readonly blobs: Pick<BlobStore, 'put'>,
    private readonly prefix: string,
    private readonly source: TraceStoreSource,
    readonly chunkTraces: number,
  ) {}

  /** Appends one chunk of whole traces (every chunk but the last holds `chunkTraces`). */
  async append(samples: Float32Array): Promise<void> {
    const count = samples.length / this.source.samplesPerTrace;
    const key = `${this.prefix}chunk-${String(this.chunks.length).padStart(6, '0')}.f32`;
    const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
    await this.blobs.put(key, bytes, {
      contentType: 'application/octet-stream',
      contentLength: bytes.length,
    });
    this.chunks.push({ key, start: this.traces, count });
    this.traces += count;
  }

  async finish(): Promise<{ key: string; manifest: TraceStoreManifest }> {
    const manifest: TraceStoreManifest = {
      kind: TRACE_STORE_KIND,
      version: 1,
      traceCount: this.traces,
      samplesPerTrace: this.source.samplesPerTrace,
      sampleRateHz: this.source.sampleRateHz,
      chunkTraces: this.chunkTraces,
      chunks: this.chunks,
      segy: this.source.segy,
      headersKey: this.source.headersKey,
    };
    const key = manifestKeyOf(this.prefix);
    await this.blobs.put(key, JSON.stringify(manifest), { contentType: 'application/json' });
    return { key, manifest };
  }
}

export async function readTraceStore(
  blobs: Pick<BlobStore, 'getBytes'>,
  key: string,
): Promise<TraceStoreManifest> {
  const text = new TextDecoder().decode(await blobs.getBytes(key));
  return manifestSchema.parse(JSON.parse(text));
}

/** One chunk's samples. */
export async function readChunk(
  blobs: Pick<BlobStore, 'getBytes'>,
  manifest: TraceStoreManifest,
  index: number,
): Promise<Float32Array> {
  const chunk = manifest.chunks[index];
  if (!chunk) throw new RangeError(`The trace store has ${manifest.chunks.length} chunks, not ${index + 1}.`);
  const bytes = await blobs.getBytes(chunk.key);
  const expected = chunk.count * manifest.samplesPerTrace * 4;
  if (bytes.length !== expected) {
    throw new Error(`Trace chunk ${index} has ${bytes.length} bytes where ${expected} were written.`);
  }
  // A copy: the bytes may not be aligned for a Float32Array view.
  return new Float32Array(bytes.slice().buffer);
}

/** Traces [start, start + count) read from the chunks that hold them. */
export async function readTraceRange(
  blobs: Pick<BlobStore, 'getBytes'>,
  manifest: TraceStoreManifest,
  start: number,
  count: number,
): Promise<Float32Array> {
  const ns = manifest.samplesPerTrace;
  const end = Math.min(manifest.traceCount, start + count);
  const out = new Float32Array(Math.max(0, end - start) * ns);
  for (let i = 0; i < manifest.chunks.length; i += 1) {
    const chunk = manifest.chunks[i];
    if (!chunk || chunk.start + chunk.count <= start || chunk.start >= end) continue;
    const samples = await readChunk(blobs, manifest, i);
    const from = Math.max(start, chunk.start);
    const to = Math.min(end, chunk.start + chunk.count);
    out.set(samples.subarray((from - chunk.start) * ns, (to - chunk.start) * ns), (from - start) * ns);
  }
  return out;
}

export type { SegyLayout };
