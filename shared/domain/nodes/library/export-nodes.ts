import { z } from 'zod';
import { defineNode } from '../node-definition';
import { downloadInput, writeCsvOutput, writeParquetOutput } from '../table-io';
import { readParquet } from '../table-sql';

/** Sinks: the table as a downloadable Parquet or CSV file on the `file` port. */
const fileName = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/)
    .default(fallback);

export const exportParquetNode = defineNode({
  key: 'export.parquet',
  params: z
    .object({
      fileName: fileName('data.parquet'),
      compression: z.enum(['zstd', 'snappy', 'gzip', 'none']).default('zstd'),
    })
    .strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    await context.progress(0.5, 'writing Parquet');
    const out = await writeParquetOutput(context, 'file', `SELECT * FROM ${readParquet(file)}`, [], {
      compression: params.compression,
    });
    return {
      outputs: { file: { ...out, fileName: params.fileName } },
      metrics: { rows: out.rows ?? 0, bytes: out.bytes ?? 0, compression: params.compression },
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
    const file = await downloadInput(context, inputs, 'table');
    await context.progress(0.5, 'writing CSV');
    const out = await writeCsvOutput(context, 'file', `SELECT * FROM ${readParquet(file)}`, [], {
      delimiter: params.delimiter,
      header: params.header,
    });
    return {
      outputs: { file: { ...out, fileName: params.fileName } },
      metrics: { rows: out.rows, bytes: out.bytes ?? 0 },
    };
  },
});
