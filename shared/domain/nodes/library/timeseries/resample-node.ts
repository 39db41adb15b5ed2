import * as z from 'zod';
import { defineNode } from '../../node-definition';
import { downloadInput, writeParquetOutput } from '../../table-io';
import { quoteIdentifier, readParquet } from '../../table-sql';
import { resolveSeriesColumns, seriesParams, valueColumns } from './series-columns';

/**
 * Resamples each series to a regular frequency: rows fall into calendar buckets (a bucket starts
 * at the start of its minute, hour, day, ISO week, month, quarter or year) and each value column
 * is aggregated per bucket. Every bucket between a series' first and last one is present: a bucket
 * without rows has missing values (fill them with ts.fill).
 */
const FREQUENCIES = ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
const AGGREGATIONS = ['mean', 'sum', 'min', 'max', 'median', 'first', 'last', 'count'] as const;

const SQL_AGGREGATE: Record<(typeof AGGREGATIONS)[number], (column: string, time: string) => string> = {
  mean: (c) => `avg(${c})`,
  sum: (c) => `sum(${c})`,
  min: (c) => `min(${c})`,
  max: (c) => `max(${c})`,
  median: (c) => `median(${c})`,
  first: (c, t) => `arg_min(${c}, ${t}) FILTER (WHERE ${c} IS NOT NULL)`,
  last: (c, t) => `arg_max(${c}, ${t}) FILTER (WHERE ${c} IS NOT NULL)`,
  count: (c) => `count(${c})`,
};

export const resampleNode = defineNode({
  key: 'ts.resample',
  params: z
    .object({
      ...seriesParams,
      frequency: z.enum(FREQUENCIES).describe('The bucket each row falls into.'),
      aggregation: z.enum(AGGREGATIONS).default('mean').describe('How the values of a bucket combine.'),
      columns: z
        .array(z.string().min(1).max(255))
        .max(1_000)
        .optional()
        .describe('The value columns; default: every numeric column.'),
    })
    .strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const resolved = await resolveSeriesColumns(context, file, params);
    const values = valueColumns(resolved, params.columns, 'params.columns');
    await context.progress(0.3, 'resampling');
    const step = params.frequency === 'quarter' ? "INTERVAL '3 months'" : `INTERVAL '1 ${params.frequency}'`;
    const time = quoteIdentifier(resolved.time);
    const ids = values.map((name) => quoteIdentifier(name));
    const aggregates = ids.map(
      (id) =>
        `${SQL_AGGREGATE[params.aggregation](`src.${id}`, 'src.__t')}${params.aggregation === 'count' ? '' : '::DOUBLE'} AS ${id}`,
    );
    const seriesOut = resolved.series ? `grid.__s AS ${quoteIdentifier(resolved.series)}, ` : '';
    const select = `
      WITH src AS (
        SELECT ${resolved.seriesSql} AS __s, ${resolved.timeSql} AS __t, ${ids.join(', ')} FROM ${readParquet(file)}
      ),
      agg AS (
        SELECT src.__s, date_trunc('${params.frequency}', src.__t) AS __b, ${aggregates.join(', ')}
          FROM src WHERE src.__t IS NOT NULL GROUP BY 1, 2
      ),
      bounds AS (SELECT __s, min(__b) AS lo, max(__b) AS hi FROM agg GROUP BY 1),
      grid AS (SELECT __s, unnest(generate_series(lo, hi, ${step})) AS __b FROM bounds)
      SELECT ${seriesOut}grid.__b AS ${time}, ${ids.map((id) => `agg.${id}`).join(', ')}
        FROM grid LEFT JOIN agg ON agg.__s = grid.__s AND agg.__b = grid.__b
       ORDER BY grid.__s, grid.__b`;
    const table = await writeParquetOutput(context, 'table', select);
    return {
      outputs: { table },
      metrics: { rows: table.rows ?? 0, frequency: params.frequency, aggregation: params.aggregation },
    };
  },
});
