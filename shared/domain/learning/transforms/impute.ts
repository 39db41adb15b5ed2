/**
 * Fills missing values, per column, with a statistic of the training rows (as scikit-learn's
 * SimpleImputer): mean, median, most_frequent (ties → the smallest value) or a constant.
 * Number and datetime columns take any strategy; string and boolean columns take most_frequent
 * or constant. With `addIndicator`, every imputed column that had missing training values gets
 * a boolean `<column>__missing` column right after it (scikit-learn's features='missing-only').
 * A column with no training values at all is filled with the constant default and reported.
 */
import { compareCodePoints, getColumn, type ColumnKind, type Table, type TableColumn } from '../table';
import { ParamsReader, TransformParamsError } from './params-reader';
import { parseIsoDate } from './parse-iso-date';
import { sortedPresent, quantileSorted } from './quantile';
import { assertNewColumnNames, selectColumns } from './select-columns';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';

const NAME = 'impute';
const STRATEGIES = ['mean', 'median', 'most_frequent', 'constant'] as const;
const CATEGORICAL_STRATEGIES = ['most_frequent', 'constant'] as const;
export type ImputeStrategy = (typeof STRATEGIES)[number];
export type ImputeFillValue = number | string | boolean;

export interface ImputeColumnStrategy {
  readonly column: string;
  readonly strategy: ImputeStrategy;
  readonly fillValue?: ImputeFillValue;
}

export interface ImputeParams {
  /** Columns to impute; default every column except the passthrough ones. */
  readonly columns?: readonly string[];
  /** For number and datetime columns; default 'mean'. */
  readonly strategy?: ImputeStrategy;
  /** For string and boolean columns; default 'most_frequent'. */
  readonly categoricalStrategy?: 'most_frequent' | 'constant';
  /**
   * The constant for the 'constant' strategy: a number for number columns (default 0), an ISO
   * date or epoch milliseconds for datetime columns (default 0), a string for string columns
   * (default "missing_value") and true/false for boolean columns (default false).
   */
  readonly fillValue?: ImputeFillValue;
  /** Per-column strategies that override the two above. */
  readonly columnStrategies?: readonly ImputeColumnStrategy[];
  readonly addIndicator?: boolean;
}

export interface ImputeColumnState {
  readonly column: string;
  readonly columnKind: ColumnKind;
  readonly strategy: ImputeStrategy;
  /** Epoch ms for datetime, 0/1 for boolean, the string for string columns. */
  readonly fill: number | string;
  /** The indicator column's name, or null when none is added. */
  readonly indicator: string | null;
  /** True when the training rows had no value at all (the constant default was used). */
  readonly empty: boolean;
}

export interface ImputeState extends TransformState {
  readonly kind: 'impute';
  readonly format: 1;
  readonly columns: readonly ImputeColumnState[];
}

interface ResolvedParams {
  readonly columns: readonly string[] | undefined;
  readonly strategy: ImputeStrategy;
  readonly categoricalStrategy: 'most_frequent' | 'constant';
  readonly fillValue: ImputeFillValue | undefined;
  readonly overrides: ReadonlyMap<
    string,
    { strategy: ImputeStrategy; fillValue: ImputeFillValue | undefined }
  >;
  readonly addIndicator: boolean;
}

function readFillValue(reader: ParamsReader, field: string, v: unknown): ImputeFillValue | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  return reader.checkNumber(field, v);
}

export function resolveImputeParams(raw: unknown): ResolvedParams {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  const strategy = r.enumValue('strategy', STRATEGIES, 'mean');
  const categoricalStrategy = r.enumValue('categoricalStrategy', CATEGORICAL_STRATEGIES, 'most_frequent');
  const fillValue = readFillValue(r, 'fillValue', r.value('fillValue'));
  const addIndicator = r.boolean('addIndicator', false);
  const overrides = new Map<string, { strategy: ImputeStrategy; fillValue: ImputeFillValue | undefined }>();
  const list = r.value('columnStrategies');
  if (list !== undefined) {
    if (!Array.isArray(list))
      r.fail('columnStrategies', 'must be a list of {column, strategy, fillValue?} objects.');
    list.forEach((entry: unknown, i) => {
      const field = `columnStrategies[${i}]`;
      const item: ParamsReader = new ParamsReader(`${NAME} ${field}`, entry);
      const column = item.string('column');
      if (overrides.has(column))
        r.fail(field, `repeats the column "${column}"; give each column one strategy.`);
      const s = item.enumValue('strategy', STRATEGIES, 'mean');
      const fill = readFillValue(item, 'fillValue', item.value('fillValue'));
      item.finish();
      overrides.set(column, { strategy: s, fillValue: fill });
    });
  }
  r.finish();
  return { columns, strategy, categoricalStrategy, fillValue, overrides, addIndicator };
}

/** The constant for `column`, from the fill value given or the kind's default. */
function constantFill(
  column: TableColumn,
  given: ImputeFillValue | undefined,
  field: string,
): number | string {
  const bad = (expected: string): never => {
    throw new TransformParamsError(
      NAME,
      field,
      `${JSON.stringify(given)} cannot fill the ${column.kind} column "${column.name}"; ` +
        `give ${expected}, or set a fill value for that column in columnStrategies.`,
    );
  };
  switch (column.kind) {
    case 'number':
      if (given === undefined) return 0;
      return typeof given === 'number' ? given : bad('a number');
    case 'boolean':
      if (given === undefined) return 0;
      return typeof given === 'boolean' ? (given ? 1 : 0) : bad('true or false');
    case 'string':
      if (given === undefined) return 'missing_value';
      return typeof given === 'string' ? given : bad('a string');
    case 'datetime': {
      if (given === undefined) return 0;
      const ms = typeof given === 'number' ? given : typeof given === 'string' ? parseIsoDate(given) : NaN;
      return Number.isFinite(ms)
        ? ms
        : bad('an ISO date such as "2024-01-31T00:00:00Z" or epoch milliseconds');
    }
  }
}

function mostFrequentNumber(values: Float64Array): number {
  const counts = new Map<number, number>();
  for (const v of values) if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = NaN;
  let bestCount = 0;
  for (const [v, n] of counts) if (n > bestCount || (n === bestCount && v < best)) [best, bestCount] = [v, n];
  return best;
}

function mostFrequentString(values: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [v, n] of counts)
    if (n > bestCount || (n === bestCount && best !== null && compareCodePoints(v, best) < 0))
      [best, bestCount] = [v, n];
  return best;
}

function countMissing(column: TableColumn): number {
  let n = 0;
  if (column.kind === 'string') {
    for (const v of column.values) if (v === null) n += 1;
  } else for (const v of column.values) if (Number.isNaN(v)) n += 1;
  return n;
}

function fitColumn(
  column: TableColumn,
  strategy: ImputeStrategy,
  fillValue: ImputeFillValue | undefined,
  addIndicator: boolean,
): ImputeColumnState {
  const categorical = column.kind === 'string' || column.kind === 'boolean';
  if (categorical && (strategy === 'mean' || strategy === 'median'))
    throw new TransformParamsError(
      NAME,
      'strategy',
      `"${strategy}" cannot impute the ${column.kind} column "${column.name}"; use "most_frequent" or "constant" for it (columnStrategies).`,
    );
  const missing = countMissing(column);
  let fill: number | string | null = null;
  if (strategy === 'constant') fill = constantFill(column, fillValue, 'fillValue');
  else if (column.kind === 'string') fill = mostFrequentString(column.values);
  else if (strategy === 'most_frequent') fill = mostFrequentNumber(column.values);
  else {
    const sorted = sortedPresent(column.values);
    if (strategy === 'median') fill = quantileSorted(sorted, 0.5);
    else {
      let sum = 0;
      for (const v of sorted) sum += v;
      fill = sorted.length > 0 ? sum / sorted.length : NaN;
    }
    if (column.kind === 'datetime' && Number.isFinite(fill)) fill = Math.round(fill);
  }
  const empty = fill === null || (typeof fill === 'number' && !Number.isFinite(fill));
  return {
    column: column.name,
    columnKind: column.kind,
    strategy,
    fill: fill === null || empty ? constantFill(column, undefined, 'fillValue') : fill,
    indicator: addIndicator && missing > 0 ? `${column.name}__missing` : null,
    empty,
  };
}

/** Fits the fill values on `table` (the training rows). */
export function fitImpute(table: Table, params: ImputeParams = {}, context: FitContext = {}): ImputeState {
  const p = resolveImputeParams(params);
  const selected = selectColumns(table, p.columns, {
    transform: NAME,
    kinds: ['number', 'datetime', 'string', 'boolean'],
    context,
  });
  // Columns given a strategy of their own are imputed even when outside the default selection.
  const names = new Set(selected.map((c) => c.name));
  for (const name of p.overrides.keys())
    if (!names.has(name)) selected.push(getColumn(table, name, `${NAME} columnStrategies`));
  const columns = selected.map((column) => {
    const override = p.overrides.get(column.name);
    const categorical = column.kind === 'string' || column.kind === 'boolean';
    const strategy = override?.strategy ?? (categorical ? p.categoricalStrategy : p.strategy);
    const fillValue = override ? override.fillValue : p.fillValue;
    return fitColumn(column, strategy, fillValue, p.addIndicator);
  });
  assertNewColumnNames(
    NAME,
    table,
    columns.flatMap((c) => (c.indicator ? [c.indicator] : [])),
  );
  return { kind: 'impute', format: 1, columns };
}

function fillColumn(column: TableColumn, state: ImputeColumnState): TableColumn {
  if (column.kind === 'string') {
    const fill = String(state.fill);
    return { ...column, values: column.values.map((v) => v ?? fill) };
  }
  const fill = Number(state.fill);
  const values = column.values.map((v) => (Number.isNaN(v) ? fill : v));
  return { ...column, values };
}

function indicatorColumn(column: TableColumn, name: string): TableColumn {
  const values = new Float64Array(column.values.length);
  if (column.kind === 'string') column.values.forEach((v, i) => (values[i] = v === null ? 1 : 0));
  else column.values.forEach((v, i) => (values[i] = Number.isNaN(v) ? 1 : 0));
  return { name, kind: 'boolean', values };
}

/** Fills the missing values of `table` with the fitted values (a new table; the input is untouched). */
export function applyImpute(state: ImputeState, table: Table): Table {
  const byName = new Map<string, ImputeColumnState>();
  for (const s of state.columns) {
    expectKind(NAME, getColumn(table, s.column, NAME), [s.columnKind]);
    byName.set(s.column, s);
  }
  return mapColumns(NAME, table, (column) => {
    const s = byName.get(column.name);
    if (!s) return [column];
    const filled = fillColumn(column, s);
    return s.indicator ? [filled, indicatorColumn(column, s.indicator)] : [filled];
  });
}

export function describeImpute(state: ImputeState): string {
  if (state.columns.length === 0) return 'Impute: no columns.';
  const parts = state.columns.map((c) => {
    const fill =
      c.columnKind === 'datetime' ? new Date(Number(c.fill)).toISOString() : JSON.stringify(c.fill);
    return `${c.column} ← ${c.strategy} (${fill})${c.indicator ? ` + ${c.indicator}` : ''}`;
  });
  return `Impute missing values: ${parts.join('; ')}.`;
}

export function imputeWarnings(state: ImputeState): string[] {
  return state.columns
    .filter((c) => c.empty)
    .map(
      (c) =>
        `Column "${c.column}" has no values in the training rows; its missing values are filled with ${JSON.stringify(c.fill)}.`,
    );
}
