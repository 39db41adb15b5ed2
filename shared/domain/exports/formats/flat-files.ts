import path from 'node:path';
import { sqlIdent, sqlString, type SqlEngine } from '../../../ports/sql-engine.port';
import type { ExportOptions } from './export-options';
import { readParquetSql, selectAs, type ExportColumn, type ExportSource } from './export-source';
import type { WrittenLayout } from './written-layout';

/**
 * The single-file formats, each one DuckDB COPY from the table's Parquet file to the export file:
 * the engine streams row groups through, so the table is never held whole.
 */

/**
 * OWASP's CSV injection advice: a text cell that starts with `=`, `+`, `-`, `@`, tab or carriage
 * return is prefixed with `'` (and every text cell is quoted), so a spreadsheet shows it as text
 * instead of running it as a formula. Numbers, booleans and dates are never touched: only text
 * cells are, and a text cell that is a plain decimal number (`-2`, `+3.5`, `1e-3`) is left as it
 * is, since a spreadsheet reads it as that number and runs nothing.
 */
const FORMULA_START = `'^[=+\\-@\\t\\r]'`;
const PLAIN_NUMBER = `'^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'`;

function neutralised(value: string): string {
  return `CASE WHEN regexp_matches(${value}, ${FORMULA_START}) AND NOT regexp_matches(${value}, ${PLAIN_NUMBER})
          THEN '''' || ${value} ELSE ${value} END`;
}

/** The header cell of a column, neutralised like a text cell. */
export function neutralisedName(name: string): string {
  return /^[=+\-@\t\r]/.test(name) && !/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(name)
    ? `'${name}`
    : name;
}

/** Text-like columns (strings, blobs, nested values): written as text, so they may carry a formula. */
function isTextCell(column: ExportColumn): boolean {
  return column.kind === 'text' || column.kind === 'binary' || column.kind === 'other';
}

async function copyTo(engine: SqlEngine, select: string, file: string, format: string): Promise<number> {
  const [written] = await engine.query(`COPY (${select}) TO ${sqlString(file)} (${format})`);
  return Number(written?.['Count'] ?? 0);
}

export async function writeCsv(
  engine: SqlEngine,
  source: ExportSource,
  outDir: string,
  options: ExportOptions,
): Promise<WrittenLayout> {
  const neutralise = options.neutraliseFormulas ?? true;
  const delimiter = options.delimiter ?? ',';
  const columns = source.columns.map((column) => ({
    ...column,
    name: neutralise ? neutralisedName(column.name) : column.name,
  }));
  const select = columns
    .map((column) =>
      neutralise && isTextCell(column)
        ? selectAs(column, neutralised(`CAST(${sqlIdent(column.source)} AS VARCHAR)`))
        : selectAs(column),
    )
    .join(', ');
  const quoted = neutralise ? columns.filter(isTextCell).map((column) => sqlIdent(column.name)) : [];
  const relativePath = `${options.fileName}.csv`;
  const rows = await copyTo(
    engine,
    `SELECT ${select || '*'} FROM ${readParquetSql(source.path)}`,
    path.join(outDir, relativePath),
    [
      'FORMAT csv',
      'HEADER true',
      `DELIMITER ${sqlString(delimiter)}`,
      `QUOTE '"'`,
      `ESCAPE '"'`,
      `NEW_LINE '\\r\\n'`,
      ...(quoted.length > 0 ? [`FORCE_QUOTE (${quoted.join(', ')})`] : []),
    ].join(', '),
  );
  return {
    rows,
    files: [{ relativePath, contentType: 'text/csv; charset=utf-8', rows }],
    metadata: {
      columns: source.columns.map(({ name, type }) => ({ name, type })),
      delimiter,
      neutraliseFormulas: neutralise,
    },
  };
}

/** JSON has no NaN or Infinity: such floats are written as null. */
function jsonSelect(columns: readonly ExportColumn[]): string {
  return columns
    .map((column) => {
      const id = sqlIdent(column.source);
      return column.kind === 'float'
        ? selectAs(column, `CASE WHEN isfinite(${id}) THEN ${id} END`)
        : selectAs(column);
    })
    .join(', ');
}

export async function writeJson(
  engine: SqlEngine,
  source: ExportSource,
  outDir: string,
  options: ExportOptions,
  lines: boolean,
): Promise<WrittenLayout> {
  const relativePath = `${options.fileName}.${lines ? 'jsonl' : 'json'}`;
  const rows = await copyTo(
    engine,
    `SELECT ${jsonSelect(source.columns) || '*'} FROM ${readParquetSql(source.path)}`,
    path.join(outDir, relativePath),
    lines ? 'FORMAT json' : 'FORMAT json, ARRAY true',
  );
  return {
    rows,
    files: [{ relativePath, contentType: lines ? 'application/x-ndjson' : 'application/json', rows }],
    metadata: { columns: source.columns.map(({ name, type }) => ({ name, type })) },
  };
}

export async function writeParquet(
  engine: SqlEngine,
  source: ExportSource,
  outDir: string,
  options: ExportOptions,
): Promise<WrittenLayout> {
  const relativePath = `${options.fileName}.parquet`;
  const select = source.columns.map((column) => selectAs(column)).join(', ');
  const rows = await copyTo(
    engine,
    `SELECT ${select || '*'} FROM ${readParquetSql(source.path)}`,
    path.join(outDir, relativePath),
    'FORMAT parquet, COMPRESSION zstd',
  );
  return {
    rows,
    files: [{ relativePath, contentType: 'application/vnd.apache.parquet', rows }],
    metadata: { columns: source.columns.map(({ name, type }) => ({ name, type })), compression: 'zstd' },
  };
}
