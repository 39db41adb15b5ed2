import * as z from 'zod';
import { defineNode } from '../../node-definition';
import { downloadInput, writeParquetOutput } from '../../table-io';
import { quoteIdentifier, readParquet } from '../../table-sql';
import { resolveSeriesColumns, seriesParams, valueColumns } from './series-columns';

/**
 * Fills missing values of each series in time order: `forward` carries the last value seen,
 * `linear` interpolates in time between the values either side. Values before a series' first
 * value take that first value (a forward fill has nothing to carry there).
 */
export const fillNode = defineNode({
  key: 'ts.fill',
  params: z
    .object({
      ...seriesParams,
      method: z.enum(['forward', 'linear']).default('forward'),
      columns: z
        .array(z.string().min(1).max(255))
        .max(1_000)
        .optional()
        .describe('The columns to fill; default: every numeric column.'),
    })
    .strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const resolved = await resolveSeriesColumns(context, file, params);
    const targets = new Set(valueColumns(resolved, params.columns, 'params.columns'));
    await context.progress(0.3, 'filling');
    const window = (frame: string) => `OVER (PARTITION BY __s ORDER BY __t, __r ROWS BETWEEN ${frame})`;
    const before = window('UNBOUNDED PRECEDING AND CURRENT ROW');
    const after = window('CURRENT ROW AND UNBOUNDED FOLLOWING');
    const epoch = 'epoch(__t)';
    const filled = (id: string) => {
      const previous = `last_value(${id} IGNORE NULLS) ${before}`;
      const next = `first_value(${id} IGNORE NULLS) ${after}`;
      if (params.method === 'forward') return `COALESCE(${previous}, ${next})`;
      const previousTime = `last_value(CASE WHEN ${id} IS NOT NULL THEN ${epoch} END IGNORE NULLS) ${before}`;
      const nextTime = `first_value(CASE WHEN ${id} IS NOT NULL THEN ${epoch} END IGNORE NULLS) ${after}`;
      return `COALESCE(${id}, CASE WHEN ${previous} IS NULL THEN ${next} WHEN ${next} IS NULL THEN ${previous}
        ELSE ${previous} + (${next} - ${previous}) * (${epoch} - ${previousTime}) / nullif(${nextTime} - ${previousTime}, 0) END)`;
    };
    const select = resolved.columns.map((column) => {
      const id = quoteIdentifier(column.name);
      return targets.has(column.name) ? `CAST(${filled(id)} AS DOUBLE) AS ${id}` : id;
    });
    const sql = `SELECT ${select.join(', ')} FROM (
        SELECT *, ${resolved.seriesSql} AS __s, ${resolved.timeSql} AS __t, file_row_number AS __r
          FROM ${readParquet(file, { rowNumber: true })}
      ) ORDER BY __r`;
    const counts = await context.tables.query(
      `SELECT ${[...targets].map((name) => `count(*) - count(${quoteIdentifier(name)})`).join(' + ')} AS missing FROM ${readParquet(file)}`,
    );
    const table = await writeParquetOutput(context, 'table', sql);
    return {
      outputs: { table },
      metrics: {
        rows: table.rows ?? 0,
        method: params.method,
        valuesFilled: Number(counts[0]?.['missing'] ?? 0),
      },
    };
  },
});
