import * as z from 'zod';
import { defineNode } from '../node-definition';
import { countRows, describeColumns, downloadInput, requireColumns, writeParquetOutput } from '../table-io';
import { quoteIdentifier, readParquet } from '../table-sql';

/**
 * Train/test split. With `shuffle`, rows are ordered by a hash of (file position, seed) so the
 * split is the same on every run; without it the last rows are the test set (time series).
 * `stratifyColumn` takes the test fraction of every class separately.
 */
export const splitNode = defineNode({
  key: 'table.split',
  params: z
    .object({
      testFraction: z.number().gt(0).lt(1).default(0.2),
      seed: z.number().int().min(0).default(42),
      shuffle: z.boolean().default(true),
      stratifyColumn: z
        .string()
        .min(1)
        .max(255)
        .optional()
        .describe('Keep the class proportions of this column in both tables.'),
    })
    .strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    if (params.stratifyColumn)
      requireColumns(await describeColumns(context, file), [params.stratifyColumn], 'stratifyColumn');
    const total = await countRows(context, file);
    await context.progress(0.3, 'assigning rows to train and test');

    const order = params.shuffle
      ? 'hash(file_row_number, $1::BIGINT), file_row_number'
      : 'file_row_number DESC';
    const partition = params.stratifyColumn ? `PARTITION BY ${quoteIdentifier(params.stratifyColumn)}` : '';
    await context.tables.run(
      `CREATE TEMP TABLE split_rows AS
       SELECT *, row_number() OVER (${partition} ORDER BY ${order}) AS split_rank,
              count(*) OVER (${partition}) AS split_size
       FROM ${readParquet(file, { rowNumber: true })}`,
      params.shuffle ? [params.seed] : [],
    );
    const isTest = 'split_rank <= round(split_size * $1::DOUBLE)';
    const columns = 'EXCLUDE (file_row_number, split_rank, split_size)';
    const train = await writeParquetOutput(
      context,
      'train',
      `SELECT * ${columns} FROM split_rows WHERE NOT (${isTest}) ORDER BY file_row_number`,
      [params.testFraction],
    );
    await context.progress(0.7, 'writing the test table');
    const test = await writeParquetOutput(
      context,
      'test',
      `SELECT * ${columns} FROM split_rows WHERE ${isTest} ORDER BY file_row_number`,
      [params.testFraction],
    );
    await context.tables.run('DROP TABLE split_rows');
    return {
      outputs: { train, test },
      metrics: { rowsIn: total, trainRows: train.rows ?? 0, testRows: test.rows ?? 0, seed: params.seed },
    };
  },
});
