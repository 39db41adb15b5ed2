import {
  APPROXIMATE_STATISTICS,
  PROFILE_REPORT_VERSION,
  round,
  type LogicalType,
  type ColumnKind,
  type ColumnProfile,
  type ProfileReport,
  type ProfileWarning,
} from './profile-report';
import { profileWarnings } from './profile-warnings';
import {
  sqlIdent,
  sqlNumber,
  sqlText,
  type SqlEngine,
  type SqlRow,
  type SqlValue,
} from '../../../ports/sql-engine.port';

/**
 * Profiles a table-valued SQL expression (e.g. `read_parquet('/tmp/…/data.parquet')`) with the
 * engine's SUMMARIZE aggregates, in chunks of columns so a 5,000-column table fits in memory.
 * Top values and histograms are computed for the first `detailedColumns` columns, correlations for
 * the first `correlationColumns` numeric ones (the target column first, for the leakage check).
 */
export interface ProfileOptions {
  targetColumn?: string | null;
  now?: Date;
  detailedColumns?: number;
  correlationColumns?: number;
  histogramBins?: number;
  topValues?: number;
  previewRows?: number;
  /** Warnings found before profiling (type conflicts, renamed headers), kept first in the report. */
  warnings?: readonly ProfileWarning[];
  /** Called with 0–1 as chunks complete. */
  onProgress?: (fraction: number) => Promise<void> | void;
}

export const PROFILE_DEFAULTS = {
  detailedColumns: 200,
  correlationColumns: 25,
  histogramBins: 20,
  topValues: 10,
  previewRows: 50,
  summarizeChunk: 100,
} as const;

export function columnKind(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL)/.test(
      t,
    )
  ) {
    return 'numeric';
  }
  if (/^(DATE|TIME|TIMESTAMP)/.test(t)) return 'temporal';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR') return 'text';
  return 'other';
}

/** The stored type in the schema's type names. */
export function logicalType(type: string): LogicalType {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t))
    return 'integer';
  if (/^(FLOAT|REAL|DOUBLE|DECIMAL)/.test(t)) return 'float';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t.startsWith('TIME')) return 'time';
  if (t === 'JSON' || /^(STRUCT|MAP|UNION)\b/.test(t) || t.endsWith(']')) return 'json';
  return 'text';
}

/** JSON numbers are exact up to 2^53 − 1: an integer beyond stays a string. */
const SAFE_INTEGER = /^-?\d{1,16}$/;
function previewValue(value: SqlValue | undefined, integer: boolean): unknown {
  if (value === undefined) return null;
  if (!integer || typeof value !== 'string' || !SAFE_INTEGER.test(value)) return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

export async function profileTable(
  engine: SqlEngine,
  relation: string,
  options: ProfileOptions = {},
): Promise<ProfileReport> {
  const o = { ...PROFILE_DEFAULTS, ...stripUndefined(options) };
  const described = await engine.describe(`SELECT * FROM ${relation}`);
  const rowCount = sqlNumber((await engine.all(`SELECT count(*)::DOUBLE AS n FROM ${relation}`))[0]?.n) ?? 0;

  const columns: ColumnProfile[] = [];
  const chunks = chunk(described, o.summarizeChunk);
  let done = 0;
  for (const part of chunks) {
    columns.push(...(await profileChunk(engine, relation, part, rowCount)));
    done += 1;
    await options.onProgress?.((done / chunks.length) * 0.6);
  }

  const detailed = columns.slice(0, o.detailedColumns);
  for (const [index, column] of detailed.entries()) {
    column.topValues = await topValues(engine, relation, column.name, o.topValues);
    if (column.kind === 'numeric' && typeof column.min === 'number' && typeof column.max === 'number') {
      column.histogram = await histogram(
        engine,
        relation,
        column.name,
        column.min,
        column.max,
        o.histogramBins,
      );
    }
    if (index % 20 === 19) await options.onProgress?.(0.6 + ((index + 1) / detailed.length) * 0.3);
  }

  const numeric = columns.filter((c) => c.kind === 'numeric' && c.count > 1);
  const target = options.targetColumn ? numeric.find((c) => c.name === options.targetColumn) : undefined;
  const correlationSet = [...(target ? [target] : []), ...numeric.filter((c) => c !== target)].slice(
    0,
    o.correlationColumns,
  );
  const correlations = await pearson(
    engine,
    relation,
    correlationSet.map((c) => c.name),
  );

  const duplicateRows =
    rowCount === 0
      ? 0
      : (sqlNumber(
          (await engine.all(`SELECT (count(*) - count(DISTINCT t))::DOUBLE AS d FROM ${relation} t`))[0]?.d,
        ) ?? 0);
  const preview = await previewRows(engine, relation, described, o.previewRows);

  const truncated = columns.length > o.detailedColumns;
  const warnings: ProfileWarning[] = [
    ...(options.warnings ?? []),
    ...profileWarnings({
      rowCount,
      columns,
      correlations,
      duplicateRows,
      targetColumn: options.targetColumn ?? null,
    }),
  ];
  if (truncated) {
    warnings.push({
      code: 'profile_truncated',
      value: o.detailedColumns,
      message: `The table has ${columns.length} columns: summary statistics cover all of them, top values and histograms the first ${o.detailedColumns}, correlations ${correlationSet.length} numeric columns.`,
    });
  }
  await options.onProgress?.(1);

  return {
    reportVersion: PROFILE_REPORT_VERSION,
    generatedAt: (options.now ?? new Date()).toISOString(),
    rowCount,
    columnCount: columns.length,
    duplicateRows,
    duplicateRowPercent: rowCount === 0 ? 0 : round((duplicateRows / rowCount) * 100, 4),
    columns,
    correlations,
    warnings,
    limits: {
      detailedColumns: Math.min(o.detailedColumns, columns.length),
      correlationColumns: correlationSet.length,
      truncated,
    },
    preview,
    approximate: [...APPROXIMATE_STATISTICS],
  };
}

async function profileChunk(
  engine: SqlEngine,
  relation: string,
  part: readonly { name: string; type: string }[],
  rowCount: number,
): Promise<ColumnProfile[]> {
  const list = part.map((c) => sqlIdent(c.name)).join(', ');
  const summary = await engine.all(`SUMMARIZE SELECT ${list} FROM ${relation}`);
  const byName = new Map(summary.map((row) => [sqlText(row.column_name), row]));
  // Exact non-missing counts and skewness (SUMMARIZE rounds the missing percentage).
  const aggregates = part.flatMap((c, i) => {
    const id = sqlIdent(c.name);
    const out = [`count(${id})::DOUBLE AS n${i}`];
    if (columnKind(c.type) === 'numeric') out.push(`skewness(${id}::DOUBLE)::DOUBLE AS s${i}`);
    return out;
  });
  const extra = (await engine.all(`SELECT ${aggregates.join(', ')} FROM ${relation}`))[0] ?? {};

  return part.map((c, i): ColumnProfile => {
    const row: SqlRow = byName.get(c.name) ?? {};
    const kind = columnKind(c.type);
    const count = sqlNumber(extra[`n${i}`]) ?? 0;
    const missing = rowCount - count;
    const numeric = kind === 'numeric';
    const value = (v: SqlValue | undefined) => (numeric ? sqlNumber(v) : sqlText(v));
    return {
      name: c.name,
      type: c.type,
      kind,
      logicalType: logicalType(c.type),
      count,
      missing,
      missingPercent: rowCount === 0 ? 0 : round((missing / rowCount) * 100, 4),
      approxDistinct: Math.min(sqlNumber(row.approx_unique) ?? 0, count),
      min: value(row.min),
      max: value(row.max),
      mean: numeric ? sqlNumber(row.avg) : null,
      std: numeric ? sqlNumber(row.std) : null,
      q25: numeric || kind === 'temporal' ? value(row.q25) : null,
      q50: numeric || kind === 'temporal' ? value(row.q50) : null,
      q75: numeric || kind === 'temporal' ? value(row.q75) : null,
      skewness: numeric ? sqlNumber(extra[`s${i}`]) : null,
      topValues: [],
      histogram: null,
    };
  });
}

async function topValues(engine: SqlEngine, relation: string, name: string, limit: number) {
  const id = sqlIdent(name);
  const rows = await engine.all(
    `SELECT ${id}::VARCHAR AS v, count(*)::DOUBLE AS c FROM ${relation} GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST LIMIT ${limit}`,
  );
  return rows.map((r) => ({ value: sqlText(r.v), count: sqlNumber(r.c) ?? 0 }));
}

async function histogram(
  engine: SqlEngine,
  relation: string,
  name: string,
  min: number,
  max: number,
  bins: number,
) {
  const id = sqlIdent(name);
  const n = min === max ? 1 : bins;
  const width = min === max ? 1 : (max - min) / n;
  const rows = await engine.all(
    `SELECT least(floor((${id}::DOUBLE - ${min}) / ${width})::BIGINT, ${n - 1})::DOUBLE AS b, count(*)::DOUBLE AS c
       FROM ${relation} WHERE ${id} IS NOT NULL AND isfinite(${id}::DOUBLE) GROUP BY 1`,
  );
  const counts = new Array<number>(n).fill(0);
  for (const r of rows) {
    const b = sqlNumber(r.b);
    if (b !== null && b >= 0 && b < n) counts[b] = sqlNumber(r.c) ?? 0;
  }
  return counts.map((count, i) => ({
    lower: min + i * width,
    upper: i === n - 1 ? max : min + (i + 1) * width,
    count,
  }));
}

async function pearson(engine: SqlEngine, relation: string, names: readonly string[]) {
  const pairs: [string, string][] = [];
  for (let i = 0; i < names.length; i += 1) {
    for (let j = i + 1; j < names.length; j += 1) pairs.push([names[i] ?? '', names[j] ?? '']);
  }
  if (pairs.length === 0) return [];
  const select = pairs
    .map(([a, b], k) => `corr(${sqlIdent(a)}::DOUBLE, ${sqlIdent(b)}::DOUBLE)::DOUBLE AS p${k}`)
    .join(', ');
  const row = (await engine.all(`SELECT ${select} FROM ${relation}`))[0] ?? {};
  return pairs.flatMap(([a, b], k) => {
    const r = sqlNumber(row[`p${k}`]);
    return r === null ? [] : [{ a, b, r: round(r, 6) }];
  });
}

async function previewRows(
  engine: SqlEngine,
  relation: string,
  columns: readonly { name: string; type: string }[],
  limit: number,
) {
  const rows = await engine.all(`SELECT * FROM ${relation} LIMIT ${limit}`);
  const integer = columns.map((c) => logicalType(c.type) === 'integer');
  return {
    columns: columns.map((c) => c.name),
    rows: rows.map((row) => columns.map((c, i) => previewValue(row[c.name], integer[i] ?? false))),
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
