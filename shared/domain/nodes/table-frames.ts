import type { SqlColumnInput } from '../../ports/sql-engine.port';
import {
  booleanColumn,
  createTable,
  datetimeColumn,
  numberColumn,
  stringColumn,
  type Table,
  type TableColumn,
} from '../learning/table';
import type { NodeContext, NodePortOutput } from './node-definition';
import { describeColumns, throwIfCancelled, writeParquetOutput, type ColumnInfo } from './table-io';
import { quoteIdentifier, quoteLiteral, readParquet } from './table-sql';

/**
 * The bridge between Parquet files and the learning area's in-memory tables: numbers (every
 * integer, decimal and float type) become Float64 columns, booleans 0/1, dates and timestamps
 * epoch milliseconds, everything else text. Missing values stay missing (NaN, null).
 */
type FrameKind = TableColumn['kind'];

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const TEMPORAL = /^(DATE|TIMESTAMP.*|TIME WITH TIME ZONE)$/;

export function frameKindOf(engineType: string): FrameKind {
  if (NUMERIC.test(engineType)) return 'number';
  if (engineType === 'BOOLEAN') return 'boolean';
  if (TEMPORAL.test(engineType)) return 'datetime';
  return 'string';
}

function selectExpression(column: ColumnInfo): string {
  const id = quoteIdentifier(column.name);
  switch (frameKindOf(column.type)) {
    case 'number':
    case 'boolean':
      return `CAST(${id} AS DOUBLE) AS ${id}`;
    case 'datetime':
      return `CAST(epoch_ms(CAST(${id} AS TIMESTAMP)) AS DOUBLE) AS ${id}`;
    case 'string':
      return `CAST(${id} AS VARCHAR) AS ${id}`;
  }
}

/** Part of a Parquet file to read: some of its columns, some of its rows. */
export interface FrameSlice {
  /** These columns (as `describeColumns` gives them), in this order; default every column. */
  columns?: readonly ColumnInfo[];
  /** The rows from `offset` (0-based, in file order), at most `limit` of them. */
  rows?: { offset: number; limit: number };
}

/**
 * Rows [offset, offset + limit) in file order, by the Parquet reader's row number: the row groups
 * outside the range are skipped, not decoded. A file with a column of that name is read with
 * LIMIT/OFFSET instead.
 */
function rowRange(columns: readonly ColumnInfo[], rows: { offset: number; limit: number }): string {
  const offset = Math.max(0, Math.trunc(rows.offset));
  const limit = Math.max(0, Math.trunc(rows.limit));
  if (columns.some((column) => column.name === 'file_row_number')) return ` LIMIT ${limit} OFFSET ${offset}`;
  return ` WHERE file_row_number >= ${offset} AND file_row_number < ${offset + limit}`;
}

/** Reads a Parquet file of the node's work directory (or a slice of it) into a table. */
export async function readFrame(context: NodeContext, file: string, slice: FrameSlice = {}): Promise<Table> {
  throwIfCancelled(context);
  const described = await describeColumns(context, file);
  const columns = slice.columns ?? described;
  if (columns.length === 0) return createTable([], 0);
  const read = await context.tables.columns(
    `SELECT ${columns.map(selectExpression).join(', ')} FROM ${readParquet(file)}${
      slice.rows ? rowRange(described, slice.rows) : ''
    }`,
  );
  const out: TableColumn[] = columns.map((column, index) => {
    const values = read[index]?.values ?? [];
    const kind = frameKindOf(column.type);
    if (kind === 'string')
      return stringColumn(
        column.name,
        values.map((v) => (v === null ? null : String(v))),
      );
    const numbers = Float64Array.from(values, (v) => (typeof v === 'number' ? v : NaN));
    if (kind === 'boolean') return booleanColumn(column.name, numbers);
    if (kind === 'datetime') return datetimeColumn(column.name, numbers);
    return numberColumn(column.name, numbers);
  });
  return createTable(out, read[0]?.values.length ?? 0);
}

/**
 * Loads `table` into the engine as table `name` and returns the SELECT that reads it back with
 * booleans as BOOLEAN and datetimes as TIMESTAMP (the caller drops the table).
 */
async function stageFrame(context: NodeContext, name: string, table: Table): Promise<string> {
  const inputs: SqlColumnInput[] = table.columns.map((column) =>
    column.kind === 'string'
      ? { name: column.name, type: 'VARCHAR', values: column.values }
      : { name: column.name, type: 'DOUBLE', values: column.values },
  );
  await context.tables.loadTable(name, inputs);
  const select = table.columns
    .map((column) => {
      const id = quoteIdentifier(column.name);
      if (column.kind === 'boolean') return `CASE WHEN ${id} IS NULL THEN NULL ELSE ${id} <> 0 END AS ${id}`;
      if (column.kind === 'datetime') return `make_timestamp(CAST(${id} * 1000 AS BIGINT)) AS ${id}`;
      return id;
    })
    .join(', ');
  return table.columns.length > 0 ? `SELECT ${select} FROM ${quoteIdentifier(name)}` : 'SELECT 1 WHERE false';
}

/** Writes a table as the Parquet output on `port` (booleans as BOOLEAN, datetimes as TIMESTAMP). */
export async function writeFrameOutput(
  context: NodeContext,
  port: string,
  table: Table,
): Promise<NodePortOutput> {
  throwIfCancelled(context);
  const name = `frame_${port.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const output = await writeParquetOutput(context, port, await stageFrame(context, name, table));
  await context.tables.run(`DROP TABLE ${quoteIdentifier(name)}`);
  return output;
}

/** Writes a table to a Parquet file of the node's work directory, as `writeFrameOutput` types it. */
export async function writeFrameFile(context: NodeContext, table: Table, file: string): Promise<void> {
  throwIfCancelled(context);
  const name = 'frame_file';
  await context.tables.run(
    `COPY (${await stageFrame(context, name, table)}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  await context.tables.run(`DROP TABLE ${quoteIdentifier(name)}`);
}

/** A JSON document of the node's own, uploaded under its output keys. */
export async function writeJsonOutput(
  context: NodeContext,
  port: string,
  document: unknown,
): Promise<NodePortOutput & { bytes: number }> {
  throwIfCancelled(context);
  const body = Buffer.from(JSON.stringify(document));
  const key = context.outputKey(port, 'json');
  await context.blobs.put(key, body, { contentType: 'application/json' });
  return { key, format: 'json', bytes: body.length };
}

/** Reads a JSON document another node wrote. */
export async function readJsonInput(context: NodeContext, key: string): Promise<unknown> {
  throwIfCancelled(context);
  return JSON.parse(Buffer.from(await context.blobs.getBytes(key)).toString('utf8')) as unknown;
}
