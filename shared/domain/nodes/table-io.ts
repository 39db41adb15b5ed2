import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { NodeContext, NodeInputs, NodePortOutput } from './node-definition';
import { NodeCancelledError, NodeError } from './node-errors';
import type { SqlScalar } from '../../ports/sql-engine.port';
import { quoteIdentifier, quoteLiteral, readParquet } from './table-sql';

/** Reading inputs and writing outputs of table nodes: object store ↔ temp files ↔ DuckDB. */

export interface ColumnInfo {
  name: string;
  type: string;
}

export function throwIfCancelled(context: Pick<NodeContext, 'signal'>): void {
  if (context.signal.aborted) throw new NodeCancelledError();
}

/** Downloads the table on `port` into the node's work directory and returns the local path. */
export async function downloadInput(context: NodeContext, inputs: NodeInputs, port: string): Promise<string> {
  const input = inputs[port];
  if (!input) throw new NodeError(`The node has no input on port "${port}": connect a table to it.`, port);
  throwIfCancelled(context);
  const file = path.join(context.workDir, `in-${port}.parquet`);
  await context.blobs.download(input.key, file);
  return file;
}

export async function describeColumns(context: NodeContext, file: string): Promise<ColumnInfo[]> {
  const rows = await context.tables.query(`DESCRIBE SELECT * FROM ${readParquet(file)}`);
  return rows.map((row) => ({ name: String(row['column_name']), type: String(row['column_type']) }));
}

export async function countRows(context: NodeContext, file: string): Promise<number> {
  const rows = await context.tables.query(`SELECT count(*)::DOUBLE AS n FROM ${readParquet(file)}`);
  return Number(rows[0]?.['n'] ?? 0);
}

/**
 * A port output names at most this many columns. The output travels through Step Functions (256 KB
 * per state, across every node of a stage) and is stored in `job_nodes.output` (the Data API
 * returns rows of at most 64 KB), while a table may have 10,000 columns.
 */
export const MAX_LISTED_COLUMNS = 50;

/** Throws a NodeError naming the param and the columns that exist when any wanted column is missing. */
export function requireColumns(
  columns: readonly ColumnInfo[],
  wanted: readonly string[],
  field: string,
): void {
  const names = new Set(columns.map((c) => c.name));
  const missing = wanted.filter((name) => !names.has(name));
  if (missing.length > 0) {
    // Named in full for a normal table; a very wide one lists its first columns (the message is
    // stored with the node and travels through Step Functions).
    const listed = columns.slice(0, MAX_LISTED_COLUMNS).map((c) => c.name);
    const more = columns.length - listed.length;
    const known = more > 0 ? `${listed.join(', ')} and ${more} more` : listed.join(', ');
    throw new NodeError(
      `${missing.length === 1 ? 'Column' : 'Columns'} ${missing.map((m) => `"${m}"`).join(', ')} ${
        missing.length === 1 ? 'does' : 'do'
      } not exist (the table has: ${known}).`,
      field,
    );
  }
}

/** The columns part of a port output: the count, and the first names only. */
export function describeOutputColumns(
  names: readonly string[],
): Pick<NodePortOutput, 'columnCount' | 'columns' | 'columnsTruncated'> {
  const listed = names.slice(0, MAX_LISTED_COLUMNS).map((name) => name.slice(0, 255));
  return {
    columnCount: names.length,
    columns: listed,
    ...(names.length > MAX_LISTED_COLUMNS ? { columnsTruncated: true } : {}),
  };
}

export interface ParquetOutputOptions {
  compression?: 'zstd' | 'snappy' | 'gzip' | 'none';
  extension?: string;
}

/** Runs `select` into a Parquet file, uploads it as the output on `port`, and describes it. */
export async function writeParquetOutput(
  context: NodeContext,
  port: string,
  select: string,
  params: readonly SqlScalar[] = [],
  options: ParquetOutputOptions = {},
): Promise<NodePortOutput> {
  throwIfCancelled(context);
  const file = path.join(context.workDir, `out-${port}.parquet`);
  const compression = options.compression === 'none' ? 'uncompressed' : (options.compression ?? 'zstd');
  await context.tables.run(
    `COPY (${select}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION ${compression})`,
    params,
  );
  const [rows, columns] = await Promise.all([countRows(context, file), describeColumns(context, file)]);
  const key = context.outputKey(port, options.extension ?? 'parquet');
  const bytes = await upload(context, key, file, 'application/vnd.apache.parquet');
  return { key, format: 'parquet', rows, bytes, ...describeOutputColumns(columns.map((c) => c.name)) };
}

export interface CsvOutputOptions {
  delimiter: string;
  header: boolean;
}

/** Runs `select` into a CSV file and uploads it as the output on `port`. */
export async function writeCsvOutput(
  context: NodeContext,
  port: string,
  select: string,
  params: readonly SqlScalar[],
  options: CsvOutputOptions,
): Promise<NodePortOutput & { rows: number }> {
  throwIfCancelled(context);
  const file = path.join(context.workDir, `out-${port}.csv`);
  // COPY answers with the number of rows it wrote: the export query runs once.
  const written = await context.tables.query(
    `COPY (${select}) TO ${quoteLiteral(file)} (FORMAT csv, HEADER ${options.header ? 'true' : 'false'}, DELIMITER ${quoteLiteral(options.delimiter)})`,
    params,
  );
  const rows = Number(written[0]?.['Count'] ?? 0);
  const key = context.outputKey(port, 'csv');
  const bytes = await upload(context, key, file, 'text/csv; charset=utf-8');
  return { key, format: 'csv', rows, bytes };
}

async function upload(context: NodeContext, key: string, file: string, contentType: string): Promise<number> {
  throwIfCancelled(context);
  const { size } = await stat(file);
  await context.blobs.put(key, createReadStream(file), { contentType, contentLength: size });
  return size;
}

/** A projection list `"a", "b" AS "c"` from (source, alias) pairs. */
export function projection(columns: readonly { source: string; alias?: string; table?: string }[]): string {
  return columns
    .map(({ source, alias, table }) => {
      const ref = `${table ? `${table}.` : ''}${quoteIdentifier(source)}`;
      return alias && alias !== source ? `${ref} AS ${quoteIdentifier(alias)}` : ref;
    })
    .join(', ');
}
