import * as z from 'zod';
import { defineNode } from '../../node-definition';
import { downloadInput, writeParquetOutput } from '../../table-io';
import { quoteIdentifier, readParquet } from '../../table-sql';
import { resolveSeriesColumns, seriesParams, valueColumns } from './series-columns';

/**
 * Adds features of each series in time order: lags of the value columns, statistics over rolling
 * windows of the values *before* each row (so that a row's own value never leaks into its
 * features), and calendar parts of the time column.
 */
const STATISTICS = ['mean', 'std', 'min', 'max', 'sum'] as const;
const CALENDAR_PARTS = [
  'year',
  'quarter',
  'month',
  'week',
  'day',
  'dayofweek',
  'dayofyear',
  'hour',
  'minute',
] as const;

const SQL_STATISTIC: Record<(typeof STATISTICS)[number], string> = {
  mean: 'avg',
  std: 'stddev_samp',
  min: 'min',
  max: 'max',
  sum: 'sum',
};

export const featuresNode = defineNode({
  key: 'ts.features',
  params: z
    .object({
      ...seriesParams,
      columns: z
        .array(z.string().min(1).max(255))
        .max(100)
        .optional()
        .describe('The columns lags and windows are taken of; default: every numeric column.'),
      lags: z.array(z.number().int().min(1).max(10_000)).max(100).default([1]),
      windows: z
        .array(z.number().int().min(2).max(10_000))
        .max(20)
        .default([])
        .describe('Rolling window sizes, over the values before each row.'),
      statistics: z.array(z.enum(STATISTICS)).min(1).default(['mean']),
      calendar: z.array(z.enum(CALENDAR_PARTS)).default([]).describe('Calendar parts of the time column.'),
    })
    .strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const resolved = await resolveSeriesColumns(context, file, params);
    const values = valueColumns(resolved, params.columns, 'params.columns');
    await context.progress(0.3, 'computing features');
    const order = 'PARTITION BY __s ORDER BY __t, __r';
    const added: string[] = [];
    for (const name of values) {
      const id = quoteIdentifier(name);
      for (const lag of params.lags)
        added.push(`lag(${id}, ${lag}) OVER (${order}) AS ${quoteIdentifier(`${name}_lag_${lag}`)}`);
      for (const size of params.windows)
        for (const statistic of params.statistics)
          added.push(
            `${SQL_STATISTIC[statistic]}(${id}) OVER (${order} ROWS BETWEEN ${size} PRECEDING AND 1 PRECEDING)::DOUBLE AS ${quoteIdentifier(`${name}_roll${size}_${statistic}`)}`,
          );
    }
    for (const part of params.calendar) {
      const sqlPart = part === 'dayofweek' ? 'isodow' : part;
      added.push(`date_part('${sqlPart}', __t)::INTEGER AS ${quoteIdentifier(`${resolved.time}_${part}`)}`);
    }
    const sql = `SELECT * EXCLUDE (__s, __t, __r, file_row_number), ${added.length ? added.join(', ') : '1 AS __none'} FROM (
        SELECT *, ${resolved.seriesSql} AS __s, ${resolved.timeSql} AS __t, file_row_number AS __r
          FROM ${readParquet(file, { rowNumber: true })}
      ) ORDER BY __r`;
    const table = await writeParquetOutput(
      context,
      'table',
      added.length ? sql : `SELECT * FROM ${readParquet(file)}`,
    );
    return { outputs: { table }, metrics: { rows: table.rows ?? 0, featuresAdded: added.length } };
  },
});
