import * as z from 'zod';
import { defineNode } from '../node-definition';
import { countRows, downloadInput, writeParquetOutput } from '../table-io';
import { readParquet } from '../table-sql';

/**
 * A reproducible random sample. Rows are ranked by a hash of their position in the file and the
 * seed, so the same input and seed give the same rows on any host and any number of threads.
 */
export const sampleNode = defineNode({
  key: 'table.sample',
  params: z
    .object({
      fraction: z.number().gt(0).max(1).optional(),
      rows: z.number().int().min(1).optional(),
      seed: z.number().int().min(0).default(42),
      withReplacement: z.boolean().default(false),
    })
    .strict()
    .refine((p) => (p.fraction === undefined) !== (p.rows === undefined), {
      message: 'give exactly one of: fraction, rows',
    }),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const total = await countRows(context, file);
    const wanted = params.rows ?? Math.round((params.fraction ?? 0) * total);
    const size = params.withReplacement ? (total === 0 ? 0 : wanted) : Math.min(wanted, total);
    await context.progress(0.4, 'sampling rows');
    const source = readParquet(file, { rowNumber: true });
    const select = params.withReplacement
      ? // Draw i = 0..size-1 picks a row by hashing (i, seed): independent draws, repeats allowed.
        `SELECT t.* EXCLUDE (file_row_number) FROM range($1::BIGINT) AS draws(i)
         JOIN ${source} AS t ON t.file_row_number = (hash(draws.i, $2::BIGINT) % $3::UBIGINT)::BIGINT
         ORDER BY draws.i`
      : `SELECT * EXCLUDE (file_row_number) FROM ${source}
         ORDER BY hash(file_row_number, $2::BIGINT), file_row_number LIMIT $1::BIGINT`;
    const params_ = params.withReplacement ? [size, params.seed, Math.max(total, 1)] : [size, params.seed];
    const table = await writeParquetOutput(context, 'table', select, params_);
    return { outputs: { table }, metrics: { rowsIn: total, rows: table.rows ?? 0, seed: params.seed } };
  },
});
