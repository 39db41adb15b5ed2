import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { isAppError } from '../../../kernel/app-error';
import { exportOptionsSchema, exportTable, type ExportFormat } from '../../exports/export-table';
import { defineNode, type NodeContext, type NodeInputs, type NodePortOutput } from '../node-definition';
import { NodeError } from '../node-errors';
import { downloadInput, throwIfCancelled } from '../table-io';
import { quoteLiteral, readParquet } from '../table-sql';

/**
 * Sinks: the table as a downloadable file on the `file` port, written by the same exporter as
 * `POST /exports` (so a CSV's text cells that a spreadsheet would run as formulas are neutralised
 * the same way), saved under the file name the node was given.
 */
const fileName = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/)
    .default(fallback);

interface ExportedNodeFile {
  /** The file in the node's work directory. */
  file: string;
  /** Its name as the exporter wrote it (`<fileName>.<ext>`). */
  name: string;
  rows: number;
  contentType: string;
}

/** The input table exported as `format` into the node's work directory. */
async function exportInput(
  context: NodeContext,
  inputs: NodeInputs,
  format: ExportFormat,
  options: Record<string, unknown>,
): Promise<ExportedNodeFile> {
  const parsed = exportOptionsSchema(format).safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'params';
    throw new NodeError(
      `The parameter "${field}" cannot be used: ${issue?.message ?? 'invalid value'}.`,
      field,
    );
  }
  const parquetPath = await downloadInput(context, inputs, 'table');
  const outDir = path.join(context.workDir, 'export');
  try {
    const result = await exportTable(context.tables, {
      parquetPath,
      outDir,
      format,
      options: parsed.data,
      onProgress: (fraction) =>
        void context.progress(0.1 + 0.7 * fraction, `writing ${format}`).catch(() => undefined),
    });
    const [written] = result.files;
    if (!written || result.files.length !== 1)
      throw new Error(`a ${format} export wrote ${result.files.length} files`);
    return {
      file: path.join(outDir, written.relativePath),
      name: written.relativePath,
      rows: result.rows,
      contentType: written.contentType,
    };
  } catch (error) {
    // What the table or the params cannot do is the user's to fix: a node error naming it.
    if (isAppError(error) && error.status < 500) throw new NodeError(error.message, error.field);
    throw error;
  }
}

/** Uploads `file` from byte `start` as the node's output on `port`. */
async function uploadOutput(
  context: NodeContext,
  exported: ExportedNodeFile,
  format: NodePortOutput['format'],
  start = 0,
): Promise<NodePortOutput & { bytes: number }> {
  throwIfCancelled(context);
  const key = context.outputKey('file', format);
  const bytes = (await stat(exported.file)).size - start;
  await context.blobs.put(key, createReadStream(exported.file, { start }), {
    contentType: exported.contentType,
    contentLength: bytes,
  });
  return { key, format, rows: exported.rows, bytes, fileName: exported.name };
}

/**
 * Where the first record of a CSV file ends (past its line break): the header, whose quoted names
 * may hold line breaks of their own, so quotes are followed (`""` inside quotes toggles twice).
 */
export async function csvHeaderLength(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let quoted = false;
    let offset = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      if (bytesRead === 0) return offset;
      for (let i = 0; i < bytesRead; i++) {
        const byte = chunk[i];
        if (byte === 0x22) quoted = !quoted;
        else if (byte === 0x0a && !quoted) return offset + i + 1;
      }
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

export const exportParquetNode = defineNode({
  key: 'export.parquet',
  params: z
    .object({
      fileName: fileName('data.parquet'),
      compression: z.enum(['zstd', 'snappy', 'gzip', 'none']).default('zstd'),
    })
    .strict(),
  async run(context, inputs, params) {
    await context.progress(0.1, 'writing Parquet');
    const exported = await exportInput(context, inputs, 'parquet', { fileName: params.fileName });
    if (params.compression !== 'zstd') {
      // The exporter writes zstd; another codec is one more pass over the exported file.
      const recompressed = path.join(context.workDir, `recompressed-${exported.name}`);
      const codec = params.compression === 'none' ? 'uncompressed' : params.compression;
      await context.tables.run(
        `COPY (SELECT * FROM ${readParquet(exported.file)}) TO ${quoteLiteral(recompressed)} (FORMAT parquet, COMPRESSION ${codec})`,
      );
      exported.file = recompressed;
    }
    const out = await uploadOutput(context, exported, 'parquet');
    return {
      outputs: { file: out },
      metrics: { rows: out.rows ?? 0, bytes: out.bytes, compression: params.compression },
    };
  },
});

export const exportCsvNode = defineNode({
  key: 'export.csv',
  params: z
    .object({
      fileName: fileName('data.csv'),
      delimiter: z.string().length(1).default(','),
      header: z.boolean().default(true),
    })
    .strict(),
  async run(context, inputs, params) {
    await context.progress(0.1, 'writing CSV');
    const exported = await exportInput(context, inputs, 'csv', {
      fileName: params.fileName,
      delimiter: params.delimiter,
      neutraliseFormulas: true,
    });
    const start = params.header ? 0 : await csvHeaderLength(exported.file);
    const out = await uploadOutput(context, exported, 'csv', start);
    return {
      outputs: { file: out },
      metrics: { rows: out.rows ?? 0, bytes: out.bytes },
    };
  },
});
