import path from 'node:path';
import { sqlIdent, sqlString, type SqlEngine } from '../../../ports/sql-engine.port';
import type { ExportOptions, LabelTask } from './export-options';
import { exportRefused, listNames } from './export-errors';
import { isNumericKind, readParquetSql, type ExportColumn, type ExportSource } from './export-source';

/**
 * What the machine-learning layouts (Hugging Face, PyTorch, TensorFlow) share: which column is
 * the label and how it becomes a target, which are features, and the rows of each split, each
 * split in a Parquet file of its own (the table itself when there is one split).
 */
export interface LayoutLabel {
  column: ExportColumn;
  task: LabelTask;
  /** Classification: class names (the label's values as text) in index order. */
  classes: string[] | null;
}

export interface LayoutSplit {
  name: string;
  rows: number;
  /** A Parquet file of this split's rows in table order, readable by row position. */
  path: string;
}

export interface LayoutPlan {
  /** Every exported column (features and label, not the split column), in table order. */
  columns: ExportColumn[];
  features: ExportColumn[];
  label: LayoutLabel | null;
  splits: LayoutSplit[];
}

/** More classes than this is almost surely a regression target or an identifier. */
export const MAX_CLASSES = 1_000;
/** More splits than this is almost surely not a split column. */
export const MAX_SPLITS = 16;
const SPLIT_NAME = /^[A-Za-z0-9_]{1,64}$/;
const SPLIT_ORDER = ['train', 'validation', 'test'];

function columnNamed(source: ExportSource, name: string, field: string): ExportColumn {
  const column = source.columns.find((c) => c.name === name);
  if (!column) {
    throw exportRefused(
      'COLUMN_NOT_FOUND',
      `The table has no column ${JSON.stringify(name)}; its columns are ${listNames(
        source.columns.map((c) => c.name),
        20,
      )}.`,
      field,
    );
  }
  return column;
}

async function planLabel(
  engine: SqlEngine,
  source: ExportSource,
  options: ExportOptions,
): Promise<LayoutLabel | null> {
  if (options.labelColumn === undefined) return null;
  const column = columnNamed(source, options.labelColumn, 'labelColumn');
  const task: LabelTask =
    options.task ?? (column.kind === 'float' || column.kind === 'decimal' ? 'regression' : 'classification');
  if (task === 'regression') {
    if (!isNumericKind(column.kind))
      throw exportRefused(
        'LABEL_NOT_NUMERIC',
        `The label column ${JSON.stringify(column.name)} holds ${column.type} values, not numbers: a regression target must be numeric. Export it as classification, or cast it to a number first.`,
        'task',
      );
    return { column, task, classes: null };
  }
  const id = sqlIdent(column.source);
  const from = readParquetSql(source.path);
  const [counts] = await engine.query(`SELECT (count(*) - count(${id}))::DOUBLE AS missing FROM ${from}`);
  const missing = Number(counts?.['missing'] ?? 0);
  if (missing > 0)
    throw exportRefused(
      'LABEL_MISSING_VALUES',
      `The label column ${JSON.stringify(column.name)} is empty in ${missing} row(s): every example needs a class. Filter those rows out or fill them first.`,
      'labelColumn',
    );
  const values = await engine.query(
    `SELECT CAST(v AS VARCHAR) AS name FROM (SELECT DISTINCT ${id} AS v FROM ${from}) ORDER BY v LIMIT ${MAX_CLASSES + 1}`,
  );
  if (values.length > MAX_CLASSES)
    throw exportRefused(
      'TOO_MANY_CLASSES',
      `The label column ${JSON.stringify(column.name)} has more than ${MAX_CLASSES} distinct values: too many classes. Use task "regression" for a numeric target, or group the classes first.`,
      'labelColumn',
    );
  return { column, task, classes: values.map((row) => String(row['name'])) };
}

function splitOrder(a: string, b: string): number {
  const rank = (name: string) => {
    const index = SPLIT_ORDER.indexOf(name);
    return index === -1 ? SPLIT_ORDER.length : index;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Copies the rows `where` selects (in table order) into the split's own file. */
async function stageSplit(
  engine: SqlEngine,
  source: ExportSource,
  columns: readonly ExportColumn[],
  stagingDir: string,
  name: string,
  where: string,
  params: (string | number)[],
): Promise<string> {
  const file = path.join(stagingDir, `split-${name}.parquet`);
  const select = columns.length > 0 ? columns.map((c) => sqlIdent(c.source)).join(', ') : '1 AS "_"';
  await engine.run(
    `COPY (SELECT ${select} FROM ${readParquetSql(source.path, { rowNumbers: true })} WHERE ${where})
     TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`,
    params,
  );
  return file;
}

async function planSplitColumn(
  engine: SqlEngine,
  source: ExportSource,
  kept: readonly ExportColumn[],
  column: ExportColumn,
  stagingDir: string,
): Promise<LayoutSplit[]> {
  const id = sqlIdent(column.source);
  const groups = await engine.query(
    `SELECT CAST(${id} AS VARCHAR) AS name, count(*)::DOUBLE AS n FROM ${readParquetSql(source.path)}
     GROUP BY 1 ORDER BY 1 NULLS FIRST LIMIT ${MAX_SPLITS + 1}`,
  );
  const named = JSON.stringify(column.name);
  if (groups.some((group) => group['name'] === null))
    throw exportRefused(
      'SPLIT_MISSING_VALUES',
      `The split column ${named} is empty in some rows: every row needs a split name (train, test, …).`,
      'splitColumn',
    );
  if (groups.length > MAX_SPLITS)
    throw exportRefused(
      'TOO_MANY_SPLITS',
      `The split column ${named} has more than ${MAX_SPLITS} distinct values; a split column names a few splits (train, validation, test).`,
      'splitColumn',
    );
  const names = groups.map((group) => String(group['name']));
  const bad = names.filter((name) => !SPLIT_NAME.test(name));
  if (bad.length > 0)
    throw exportRefused(
      'SPLIT_NAME_INVALID',
      `The split column ${named} holds ${listNames(bad)}: split names may use only letters, digits and _ (at most 64).`,
      'splitColumn',
    );
  const splits: LayoutSplit[] = [];
  for (const group of [...groups].sort((a, b) => splitOrder(String(a['name']), String(b['name'])))) {
    const name = String(group['name']);
    const file = await stageSplit(engine, source, kept, stagingDir, name, `CAST(${id} AS VARCHAR) = $1`, [
      name,
    ]);
    splits.push({ name, rows: Number(group['n']), path: file });
  }
  return splits;
}

/**
 * The seeded train/test split of the `table.split` node: rows ranked by hash(row position, seed),
 * the first round(rows × testFraction) are the test split. The last test row's (hash, position)
 * is the threshold, so each split is one filter over the table.
 */
async function planRandomSplit(
  engine: SqlEngine,
  source: ExportSource,
  kept: readonly ExportColumn[],
  split: { testFraction: number; seed: number },
  stagingDir: string,
): Promise<LayoutSplit[]> {
  const testRows = Math.round(source.rows * split.testFraction);
  if (testRows === 0 || testRows === source.rows)
    throw exportRefused(
      'SPLIT_EMPTY',
      `A test fraction of ${split.testFraction} of ${source.rows} row(s) leaves the ${testRows === 0 ? 'test' : 'train'} split empty; choose another fraction or a larger table.`,
      'split.testFraction',
    );
  const hash = 'hash(file_row_number, $1::BIGINT)';
  const [threshold] = await engine.query(
    `SELECT CAST(${hash} AS VARCHAR) AS h, file_row_number::DOUBLE AS r FROM ${readParquetSql(source.path, { rowNumbers: true })}
     ORDER BY ${hash}, file_row_number LIMIT 1 OFFSET $2`,
    [split.seed, testRows - 1],
  );
  const h = String(threshold?.['h'] ?? '');
  if (!/^\d+$/.test(h)) throw new Error('the split threshold is not an unsigned integer');
  const isTest = `(${hash} < $2::UBIGINT OR (${hash} = $2::UBIGINT AND file_row_number <= $3))`;
  const params = [split.seed, h, Number(threshold?.['r'])];
  return [
    {
      name: 'train',
      rows: source.rows - testRows,
      path: await stageSplit(engine, source, kept, stagingDir, 'train', `NOT ${isTest}`, params),
    },
    {
      name: 'test',
      rows: testRows,
      path: await stageSplit(engine, source, kept, stagingDir, 'test', isTest, params),
    },
  ];
}

export async function planLayout(
  engine: SqlEngine,
  source: ExportSource,
  options: ExportOptions,
  stagingDir: string,
): Promise<LayoutPlan> {
  const label = await planLabel(engine, source, options);
  const splitColumn =
    options.splitColumn === undefined ? null : columnNamed(source, options.splitColumn, 'splitColumn');
  const kept = source.columns.filter((column) => column !== splitColumn);
  const features = kept.filter((column) => column !== label?.column);
  let splits: LayoutSplit[];
  if (splitColumn) splits = await planSplitColumn(engine, source, kept, splitColumn, stagingDir);
  else if (options.split) splits = await planRandomSplit(engine, source, kept, options.split, stagingDir);
  else splits = [{ name: 'train', rows: source.rows, path: source.path }];
  return { columns: kept, features, label, splits };
}

/** The rows of `splits` (default: every split) as one FROM item. */
export function splitsUnion(plan: LayoutPlan, splits: readonly LayoutSplit[] = plan.splits): string {
  return `(${splits.map((split) => `SELECT * FROM ${readParquetSql(split.path)}`).join(' UNION ALL ')})`;
}
