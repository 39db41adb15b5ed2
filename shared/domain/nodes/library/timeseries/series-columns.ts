import * as z from 'zod';
import type { NodeContext } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { describeColumns, requireColumns, type ColumnInfo } from '../../table-io';
import { quoteIdentifier } from '../../table-sql';

/**
 * The columns every time-series node works with: the time column (named, or the table's first
 * date or timestamp column, or a column named like one), the optional series column (one series
 * per value, e.g. per store) and the numeric value columns.
 */

export const seriesParams = {
  timeColumn: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'The time column; default: the first date or timestamp column (or one named like date or time).',
    ),
  seriesColumn: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('The column naming the series of each row when the table holds several; default: one series.'),
};

export interface SeriesColumns {
  columns: ColumnInfo[];
  time: string;
  /** SQL giving the time as a TIMESTAMP. */
  timeSql: string;
  series: string | undefined;
  /** SQL naming the series ('' when there is one). */
  seriesSql: string;
  numeric: string[];
}

const TIME_NAME = /time|date|timestamp|datetime|^ts$|^ds$|period|month|day/i;
const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;
const INTEGER = /^(INTEGER|BIGINT|HUGEINT|UINTEGER|UBIGINT)$/i;

export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

/** SQL reading `column` as a TIMESTAMP: dates and timestamps as they are, text cast, yyyymmdd numbers parsed. */
export function timeSqlOf(column: ColumnInfo): string {
  const id = quoteIdentifier(column.name);
  if (/^(DATE|TIMESTAMP.*)$/i.test(column.type)) return `CAST(${id} AS TIMESTAMP)`;
  if (INTEGER.test(column.type)) return `TRY_STRPTIME(CAST(${id} AS VARCHAR), '%Y%m%d')`;
  return `TRY_CAST(${id} AS TIMESTAMP)`;
}

export async function resolveSeriesColumns(
  context: NodeContext,
  file: string,
  params: { timeColumn?: string | undefined; seriesColumn?: string | undefined },
): Promise<SeriesColumns> {
  const columns = await describeColumns(context, file);
  requireColumns(
    columns,
    [params.timeColumn, params.seriesColumn].filter((c): c is string => !!c),
    'params',
  );
  const time =
    columns.find((c) => c.name === params.timeColumn) ??
    columns.find((c) => /^(DATE|TIMESTAMP.*)$/i.test(c.type)) ??
    columns.find((c) => TIME_NAME.test(c.name));
  if (!time)
    throw new NodeError(
      `No time column: set "timeColumn" (the table has: ${columns
        .slice(0, 20)
        .map((c) => c.name)
        .join(', ')}).`,
      'params.timeColumn',
    );
  const series = params.seriesColumn;
  return {
    columns,
    time: time.name,
    timeSql: timeSqlOf(time),
    series,
    seriesSql: series ? `COALESCE(CAST(${quoteIdentifier(series)} AS VARCHAR), '')` : "''",
    numeric: columns
      .filter((c) => c.name !== time.name && c.name !== series && isNumericType(c.type))
      .map((c) => c.name),
  };
}

/** The value columns a node works on: those named (checked), else every numeric one. */
export function valueColumns(
  resolved: SeriesColumns,
  named: readonly string[] | undefined,
  field: string,
): string[] {
  if (named && named.length > 0) {
    requireColumns(resolved.columns, named, field);
    const notNumeric = named.find((name) => !resolved.numeric.includes(name));
    if (notNumeric) throw new NodeError(`Column "${notNumeric}" is not numeric.`, field);
    return [...named];
  }
  if (resolved.numeric.length === 0)
    throw new NodeError('The table has no numeric column to work on.', field);
  return resolved.numeric;
}
