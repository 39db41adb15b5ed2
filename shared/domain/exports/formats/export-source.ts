import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, sqlString, type SqlEngine, type SqlScalar } from '../../../ports/sql-engine.port';

/**
 * The table being exported: a Parquet file, its columns and rows. Layouts read it by row
 * position (`file_row_number`), in ranges whose row groups DuckDB skips without decoding, so a
 * batch costs what it holds, never the whole file.
 */
export type ValueKind =
  | 'integer' // fits int64: TINYINT … BIGINT, UTINYINT … UINTEGER
  | 'wideInteger' // UBIGINT, HUGEINT, UHUGEINT: may not fit int64
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'text' // VARCHAR, ENUM, UUID, JSON
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'time'
  | 'other'; // nested (LIST, STRUCT, MAP…), INTERVAL, BIT…

export interface ExportColumn {
  /** The column's name in the export. */
  name: string;
  /** Its name in the file read (differs only when a column had to be renamed to be read by position). */
  source: string;
  /** The engine's type, e.g. `DOUBLE`, `VARCHAR`, `DECIMAL(10,2)`. */
  type: string;
  kind: ValueKind;
}

export function valueKindOf(type: string): ValueKind {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/.test(type)) return 'integer';
  if (/^(UBIGINT|HUGEINT|UHUGEINT)$/.test(type)) return 'wideInteger';
  if (type === 'FLOAT' || type === 'DOUBLE') return 'float';
  if (type.startsWith('DECIMAL')) return 'decimal';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'VARCHAR' || type === 'UUID' || type === 'JSON' || type.startsWith('ENUM(')) return 'text';
  if (type === 'BLOB') return 'binary';
  if (type === 'DATE') return 'date';
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  if (type.startsWith('TIME')) return 'time';
  return 'other';
}

/** Numbers (booleans as 0/1) that an array of floats can hold. */
export function isNumericKind(kind: ValueKind): boolean {
  return ['integer', 'wideInteger', 'float', 'decimal', 'boolean'].includes(kind);
}

export interface ExportSource {
  /** A Parquet file readable with `file_row_number` (the input, or a copy when a column clashes). */
  path: string;
  columns: ExportColumn[];
  rows: number;
}

export function readParquetSql(file: string, options: { rowNumbers?: boolean } = {}): string {
  return options.rowNumbers
    ? `read_parquet(${sqlString(file)}, file_row_number = true)`
    : `read_parquet(${sqlString(file)})`;
}

/** `"source" AS "name"`, or just the expression when it is the column as it is. */
export function selectAs(column: ExportColumn, expression = sqlIdent(column.source)): string {
  return `${expression} AS ${sqlIdent(column.name)}`;
}

export async function describeParquet(engine: SqlEngine, file: string): Promise<ExportColumn[]> {
  const described = await engine.describe(`SELECT * FROM ${readParquetSql(file)}`);
  return described.map(({ name, type }) => ({ name, source: name, type, kind: valueKindOf(type) }));
}

export async function countParquetRows(engine: SqlEngine, file: string): Promise<number> {
  const [row] = await engine.query(`SELECT count(*)::DOUBLE AS n FROM ${readParquetSql(file)}`);
  return Number(row?.['n'] ?? 0);
}

const ROW_NUMBER = 'file_row_number';

/**
 * The table, readable by row position. The Parquet reader cannot number the rows of a file that
 * has a column named `file_row_number` itself: such a table is copied once with that column
 * renamed, and every export select names it back.
 */
export async function openExportSource(
  engine: SqlEngine,
  parquetPath: string,
  stagingDir: string,
): Promise<ExportSource> {
  const columns = await describeParquet(engine, parquetPath);
  const rows = await countParquetRows(engine, parquetPath);
  const clash = columns.find((column) => column.name.toLowerCase() === ROW_NUMBER);
  if (!clash) return { path: parquetPath, columns, rows };
  const taken = new Set(columns.map((column) => column.name.toLowerCase()));
  let renamed = '__export_file_row_number';
  while (taken.has(renamed)) renamed = `_${renamed}`;
  const staged = path.join(stagingDir, 'source.parquet');
  await engine.run(
    `COPY (SELECT * RENAME (${sqlIdent(clash.name)} AS ${sqlIdent(renamed)}) FROM ${readParquetSql(parquetPath)})
     TO ${sqlString(staged)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  return {
    path: staged,
    rows,
    columns: columns.map((column) => (column === clash ? { ...column, source: renamed } : column)),
  };
}

/** About this many values (rows × columns) are read per batch, whatever the table's width. */
const MAX_BATCH_VALUES = 2_000_000;

/** Rows per batch: at most `batchRows`, and few enough for a batch of `width` columns to stay small. */
function rowsPerBatch(batchRows: number, width: number): number {
  return Math.max(1, Math.min(Math.trunc(batchRows), Math.floor(MAX_BATCH_VALUES / Math.max(1, width))));
}

/**
 * The rows of `file` in order, as `select` (a projection list) computes them, in batches of
 * consecutive row positions: `batchRows` at most, fewer for a wide select (`width` columns).
 */
export async function* readRowBatches(
  read: { engine: SqlEngine; batchRows: number; signal: AbortSignal | undefined },
  file: string,
  rows: number,
  select: string,
  width: number,
): AsyncGenerator<{ offset: number; columns: SqlScalar[][] }> {
  const step = rowsPerBatch(read.batchRows, width);
  for (let offset = 0; offset < rows; offset += step) {
    read.signal?.throwIfAborted();
    const end = Math.min(rows, offset + step);
    const columns = await read.engine.columns(
      `SELECT ${select} FROM ${readParquetSql(file, { rowNumbers: true })}
       WHERE ${ROW_NUMBER} >= $1 AND ${ROW_NUMBER} < $2 ORDER BY ${ROW_NUMBER}`,
      [offset, end],
    );
    const got = columns[0]?.values.length ?? 0;
    if (got !== end - offset) throw new Error(`expected rows ${offset}–${end} of the table, read ${got}`);
    yield { offset, columns: columns.map((column) => column.values) };
  }
}

/** The row range `[from, to)` of `file` as a SELECT, for COPY into one shard. */
export function rowRangeSelect(file: string, select: string, from: number, to: number): string {
  return `SELECT ${select} FROM ${readParquetSql(file, { rowNumbers: true })}
          WHERE ${ROW_NUMBER} >= ${Math.trunc(from)} AND ${ROW_NUMBER} < ${Math.trunc(to)}`;
}

export async function removeStaging(stagingDir: string): Promise<void> {
  await rm(stagingDir, { recursive: true, force: true });
}
