import * as z from 'zod';
import { defineNode } from '../node-definition';
import { countRows, describeColumns, downloadInput, requireColumns, writeParquetOutput } from '../table-io';
import { readParquet } from '../table-sql';
import { compileRowFilter, filterConditionSchema } from './compile-row-filter';

/** Keeps the rows matching all (or any) of the conditions, compiled to a parameterized predicate. */
export const filterRowsNode = defineNode({
  key: 'table.filter_rows',
  params: z
    .object({
      conditions: z.array(filterConditionSchema).min(1),
      combine: z.enum(['and', 'or']).default('and'),
    })
    .strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const columns = await describeColumns(context, file);
    requireColumns(
      columns,
      params.conditions.map((c) => c.column),
      'conditions',
    );
    const rowsIn = await countRows(context, file);
    await context.progress(0.4, 'filtering rows');
    const predicate = compileRowFilter(params.conditions, params.combine);
    const table = await writeParquetOutput(
      context,
      'table',
      `SELECT * FROM ${readParquet(file)} WHERE ${predicate.sql}`,
      predicate.params,
    );
    return {
      outputs: { table },
      metrics: { rowsIn, rows: table.rows ?? 0, removed: rowsIn - (table.rows ?? 0) },
    };
  },
});
