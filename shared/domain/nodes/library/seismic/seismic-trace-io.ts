import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DenoisingMeter } from '../../../seismic/processing/denoising-metrics';
import { openSegy, readTraces } from '../../../seismic/segy/segy-reader';
import { withSegyFile } from '../../../seismic/segy/segy-sources';
import { encodeTraceBlock } from '../../../seismic/segy/segy-writer';
import {
  readChunk,
  readTraceRange,
  readTraceStore,
  TraceStoreWriter,
  type TraceStoreManifest,
} from '../../../seismic/trace-store';
import type { NodeContext, NodeInputs, NodePortOutput } from '../../node-definition';
import { ValidationError } from '../../../../kernel/app-error';
import { throwIfCancelled } from '../../table-io';
import type { BlockOperation } from './seismic-operations';

/** The trace store connected to a node's `traces` input. */
export async function inputTraces(context: NodeContext, inputs: NodeInputs): Promise<TraceStoreManifest> {
  const input = inputs['traces'];
  if (!input) {
    throw new ValidationError(
      'Connect the "traces" input to a seismic.source node or another seismic node.',
      {
        code: 'NODE.INPUT_MISSING',
        field: 'traces',
      },
    );
  }
  return readTraceStore(context.blobs, input.key);
}

export interface ProcessedTraces {
  output: NodePortOutput;
  manifest: TraceStoreManifest;
}

/**
 * Runs `operation` over the store chunk by chunk (one chunk in memory at a time), writing the
 * output store under the node's `traces` prefix and reporting progress after every chunk. A
 * meter, when given, sees each input and output chunk (and the clean reference's same traces).
 */
export async function processTraceStore(
  context: NodeContext,
  manifest: TraceStoreManifest,
  operation: BlockOperation,
  options: { meter?: DenoisingMeter; clean?: TraceStoreManifest; share?: number } = {},
): Promise<ProcessedTraces> {
  const prefix = context.outputKey('traces', 'json').replace(/\.json$/, '/');
  const writer = new TraceStoreWriter(context.blobs, prefix, manifest, manifest.chunkTraces);
  const total = manifest.chunks.length;
  const share = options.share ?? 1;
  for (let i = 0; i < total; i += 1) {
    throwIfCancelled(context);
    const chunk = manifest.chunks[i];
    if (!chunk) continue;
    const input = await readChunk(context.blobs, manifest, i);
    const output = operation(input);
    if (options.meter) {
      const clean = options.clean
        ? await readTraceRange(context.blobs, options.clean, chunk.start, chunk.count)
        : undefined;
      options.meter.add(input, output, clean);
    }
    await writer.append(output);
    await context.progress(
      (share * (i + 1)) / total,
      `traces ${chunk.start + 1}–${chunk.start + chunk.count} of ${manifest.traceCount} (chunk ${i + 1} of ${total})`,
    );
  }
  const { key, manifest: written } = await writer.finish();
  return { output: { key, format: 'json', rows: written.traceCount }, manifest: written };
}

/**
 * The store written back as SEG-Y: the source file's preamble and every trace header byte for
 * byte, samples in the source's format and byte order. The source is downloaded to the node's
 * scratch directory and read chunk by chunk, so memory stays bounded by a chunk.
 */
export async function writeSegyOutput(
  context: NodeContext,
  manifest: TraceStoreManifest,
  port: string,
): Promise<NodePortOutput & { sha256: string; bytes: number }> {
  const sourcePath = path.join(context.workDir, 'source.sgy');
  const outPath = path.join(context.workDir, `${port}.sgy`);
  await context.blobs.download(manifest.segy.objectKey, sourcePath);
  const hash = createHash('sha256');
  const out = await open(outPath, 'w');
  try {
    await withSegyFile(sourcePath, async (source) => {
      const file = await openSegy(source);
      if (file.layout.traceCount !== manifest.traceCount) {
        throw new Error(
          `The source SEG-Y holds ${file.layout.traceCount} traces; the trace store ${manifest.traceCount}.`,
        );
      }
      let position = 0;
      const write = async (bytes: Uint8Array) => {
        hash.update(bytes);
        await out.write(bytes, 0, bytes.length, position);
        position += bytes.length;
      };
      await write(file.preamble);
      for (let i = 0; i < manifest.chunks.length; i += 1) {
        throwIfCancelled(context);
        const chunk = manifest.chunks[i];
        if (!chunk) continue;
        const original = await readTraces(source, file.layout, chunk.start, chunk.count);
        const samples = await readChunk(context.blobs, manifest, i);
        await write(
          encodeTraceBlock(file.layout, { count: chunk.count, headers: original.headers, samples }),
        );
      }
    });
  } finally {
    await out.close();
  }
  const { size } = await stat(outPath);
  const key = context.outputKey(port, 'sgy');
  await context.blobs.put(key, createReadStream(outPath), {
    contentType: 'application/octet-stream',
    contentLength: size,
  });
  return { key, format: 'segy', rows: manifest.traceCount, bytes: size, sha256: hash.digest('hex') };
}
