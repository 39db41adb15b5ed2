import type { JsonValue } from '../../../../db/schema';
import { sqlIdent, sqlNumber, sqlString, type SqlEngine } from '../../../../ports/sql-engine.port';
import { profileSeries, type OrderIssue, type SeriesProfile } from '../../../forecasting/series-profile';
import type { ColumnProfile } from '../../profiling/profile-report';
import { failFile, FileValidationFailure } from './file-validation-failure';
import type { ModalityProcessor } from './modality-processor';
import { convertAndProfileTabular } from './tabular-processor';

/**
 * Time series: the tabular path, then the time column, the series column (when the file holds
 * several series, e.g. one per store) and the value profiled. Within each series the timestamps
 * must increase in file order: a repeated or earlier timestamp fails the version, naming the
 * series and the row. Each series gets a profile: frequency, length, range, gaps, irregular
 * spacing, missing values, and the strength of trend and seasonality.
 */

/** Series described in the version's metadata; the rest are counted. */
export const MAX_PROFILED_SERIES = 50;

const TIME_NAME = /time|date|timestamp|datetime|^ts$|^t$|^ds$|period|month|year|week|day/i;
const SERIES_NAME =
  /^(series|series_id|seriesid|unique_id|id|key|item|item_id|sku|store|store_id|sensor|sensor_id|symbol|ticker|group|name|station)$/i;

interface TimeColumn {
  name: string;
  /** SQL giving a TIMESTAMP (NULL when the value cannot be read as one). */
  expression: string;
  format: 'timestamp' | 'yyyymmdd';
}

async function share(engine: SqlEngine, relation: string, expression: string, column: string) {
  const rows = await engine.all(
    `SELECT (count(${expression}) / greatest(count(${sqlIdent(column)}), 1))::DOUBLE AS s FROM ${relation}`,
  );
  return sqlNumber(rows[0]?.s) ?? 0;
}

async function findTimeColumn(
  engine: SqlEngine,
  relation: string,
  columns: readonly ColumnProfile[],
): Promise<TimeColumn | undefined> {
  const temporal = columns.find((c) => c.kind === 'temporal');
  if (temporal)
    return { name: temporal.name, expression: `${sqlIdent(temporal.name)}::TIMESTAMP`, format: 'timestamp' };
  for (const c of columns.filter((c) => TIME_NAME.test(c.name))) {
    const id = sqlIdent(c.name);
    if (c.kind === 'text') {
      const expression = `TRY_CAST(${id} AS TIMESTAMP)`;
      if ((await share(engine, relation, expression, c.name)) >= 0.95)
        return { name: c.name, expression, format: 'timestamp' };
    }
    if (c.kind === 'numeric') {
      // Dates written as numbers, e.g. 19580329.
      const expression = `TRY_STRPTIME(CAST(TRY_CAST(${id} AS BIGINT) AS VARCHAR), '%Y%m%d')`;
      if ((await share(engine, relation, expression, c.name)) >= 0.95)
        return { name: c.name, expression, format: 'yyyymmdd' };
    }
  }
  return undefined;
}

function findSeriesColumn(columns: readonly ColumnProfile[], time: string, rows: number): string | undefined {
  return columns.find(
    (c) =>
      c.name !== time &&
      SERIES_NAME.test(c.name) &&
      (c.kind === 'text' || c.kind === 'numeric') &&
      c.approxDistinct <= Math.max(1, rows / 2),
  )?.name;
}

function describeIssue(issue: OrderIssue, seriesColumn: string | undefined): string {
  const where = seriesColumn
    ? `In series "${issue.series}" (${seriesColumn}), row ${issue.row}`
    : `Row ${issue.row}`;
  if (issue.kind === 'duplicate')
    return `${where} repeats timestamp ${issue.timestamp} of the row before it in that series: keep one row per timestamp${seriesColumn ? ' and series' : ''} (aggregate them first).`;
  return `${where} has timestamp ${issue.timestamp}, earlier than the ${issue.previous} before it: sort the file by time${seriesColumn ? ' within each series' : ''}.`;
}

export const processTimeseries: ModalityProcessor = async (context) => {
  const { outcome, parquetPath } = await convertAndProfileTabular(context);
  const engine = await context.engine();
  const relation = `read_parquet(${sqlString(parquetPath)}, file_row_number = true)`;
  const columns = outcome.profile.columns;
  const time = await findTimeColumn(engine, relation, columns);
  if (!time) {
    failFile(
      'TIMESERIES.NO_TIME_COLUMN',
      `No column holds dates or timestamps (columns: ${columns
        .map((c) => c.name)
        .slice(0, 20)
        .join(', ')}). A time series needs one, e.g. "timestamp" with values like 2024-01-31 12:00:00.`,
    );
  }
  const seriesColumn = findSeriesColumn(columns, time.name, outcome.rowCount);
  const target = context.dataset.targetColumn;
  const numeric = columns.filter(
    (c) => c.kind === 'numeric' && c.name !== time.name && c.name !== seriesColumn,
  );
  const valueColumn = numeric.find((c) => c.name === target)?.name ?? numeric[0]?.name;

  await context.progress(92, 'profiling series');
  const data = await engine.columns(
    `SELECT ${seriesColumn ? `COALESCE(CAST(${sqlIdent(seriesColumn)} AS VARCHAR), '')` : "''"} AS s,
            epoch_ms(${time.expression})::DOUBLE AS t,
            ${valueColumn ? `TRY_CAST(${sqlIdent(valueColumn)} AS DOUBLE)` : 'NULL::DOUBLE'} AS v,
            (file_row_number + 2)::INTEGER AS r
       FROM ${relation} ORDER BY file_row_number`,
  );
  const [s, t, v, r] = data.map((c) => c.values);
  const num = (x: unknown) => (typeof x === 'number' ? x : NaN);
  const report = profileSeries({
    series: (s ?? []).map((x) => String(x ?? '')),
    times: Float64Array.from(t ?? [], num),
    values: Float64Array.from(v ?? [], num),
    rows: Int32Array.from(r ?? [], (x) => num(x) | 0),
  });
  const ordering = report.issues.filter((i) => i.kind !== 'missing_timestamp');
  if (ordering.length > 0) {
    throw new FileValidationFailure(
      ordering.map((issue) => ({
        code: issue.kind === 'duplicate' ? 'TIMESERIES.DUPLICATE_TIMESTAMP' : 'TIMESERIES.NOT_MONOTONIC',
        message: describeIssue(issue, seriesColumn),
        row: issue.row,
        column: time.name,
        ...(issue.timestamp ? { sample: issue.timestamp } : {}),
      })),
    );
  }
  const profiles = report.profiles.slice(0, MAX_PROFILED_SERIES);
  const first: SeriesProfile | undefined = report.profiles[0];
  return {
    ...outcome,
    modalityMetadata: {
      ...outcome.modalityMetadata,
      timeColumn: time.name,
      timeFormat: time.format,
      seriesColumn: seriesColumn ?? null,
      valueColumn: valueColumn ?? null,
      seriesCount: report.profiles.length,
      frequency: first?.frequency ?? null,
      seasonalPeriod: first?.seasonalPeriod ?? null,
      start: report.profiles.map((p) => p.start).sort()[0] ?? null,
      end:
        report.profiles
          .map((p) => p.end)
          .sort()
          .at(-1) ?? null,
      samplingIntervalSeconds: first?.medianIntervalSeconds ?? null,
      regular: report.profiles.every((p) => p.gaps === 0 && p.irregularIntervals === 0),
      rowsWithoutTimestamp: report.issueCounts.missing_timestamp,
      duplicateTimestamps: report.issueCounts.duplicate,
      series: profiles as unknown as JsonValue,
      seriesTruncated: report.profiles.length > profiles.length,
    },
  };
};
