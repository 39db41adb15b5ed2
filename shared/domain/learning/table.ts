/**
 * An in-memory, column-major table: what the transforms of the learning area read and write
 * before the learners see a FeatureMatrix. Every column has exactly `nRows` values.
 *
 * Missing values: NaN in the Float64Array kinds, `null` in string columns.
 *
 * Booleans are stored as a Float64Array of 0, 1 or NaN (missing) rather than a Uint8Array with
 * a separate null mask: one representation for every non-string kind keeps missing-value
 * handling uniform, and a boolean column becomes a learner feature without a conversion.
 */
import type { ClassTarget, FeatureMatrix } from './learner';

export type ColumnKind = 'number' | 'string' | 'datetime' | 'boolean';

export interface NumberColumn {
  readonly name: string;
  readonly kind: 'number';
  /** NaN means missing. */
  readonly values: Float64Array;
}

export interface StringColumn {
  readonly name: string;
  readonly kind: 'string';
  readonly values: readonly (string | null)[];
}

export interface DatetimeColumn {
  readonly name: string;
  readonly kind: 'datetime';
  /** Epoch milliseconds (UTC); NaN means missing. */
  readonly values: Float64Array;
}

export interface BooleanColumn {
  readonly name: string;
  readonly kind: 'boolean';
  /** 0 (false), 1 (true) or NaN (missing). */
  readonly values: Float64Array;
}

export type TableColumn = NumberColumn | StringColumn | DatetimeColumn | BooleanColumn;

/** The column kinds whose values are a Float64Array. */
export type NumericLikeColumn = NumberColumn | DatetimeColumn | BooleanColumn;

export interface Table {
  readonly nRows: number;
  readonly columns: readonly TableColumn[];
}

/** A column that a caller asked for by name does not exist. */
export class ColumnNotFoundError extends Error {
  override readonly name = 'ColumnNotFoundError';
  constructor(
    readonly column: string,
    readonly available: readonly string[],
    readonly suggestion: string | undefined,
    context?: string,
  ) {
    const where = context ? `${context}: ` : '';
    const hint = suggestion !== undefined ? ` Did you mean "${suggestion}"?` : '';
    const list = available.length > 0 ? available.map((n) => `"${n}"`).join(', ') : '(none)';
    super(`${where}no column "${column}".${hint} Columns: ${list}.`);
  }
}

/** A table or column was built with inconsistent shape or an invalid value. */
export class TableError extends Error {
  override readonly name = 'TableError';
}

/** Builds a table, checking that every column has the same length and a unique name. */
export function createTable(columns: readonly TableColumn[], nRows?: number): Table {
  const rows = nRows ?? columns[0]?.values.length ?? 0;
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.values.length !== rows)
      throw new TableError(`Column "${c.name}" has ${c.values.length} values; the table has ${rows} rows.`);
    if (seen.has(c.name)) throw new TableError(`Two columns are called "${c.name}"; names must be unique.`);
    seen.add(c.name);
  }
  return { nRows: rows, columns };
}

function toFloat64(values: ArrayLike<number | null> | Float64Array): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    out[i] = v === null || v === undefined ? NaN : v;
  }
  return out;
}

export function numberColumn(name: string, values: ArrayLike<number | null> | Float64Array): NumberColumn {
  return { name, kind: 'number', values: toFloat64(values) };
}

export function stringColumn(name: string, values: readonly (string | null)[]): StringColumn {
  return { name, kind: 'string', values };
}

/** Accepts epoch milliseconds or Date objects (an invalid Date is missing). */
export function datetimeColumn(
  name: string,
  values: ArrayLike<number | Date | null> | Float64Array,
): DatetimeColumn {
  if (values instanceof Float64Array) return { name, kind: 'datetime', values };
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    out[i] = v === null || v === undefined ? NaN : v instanceof Date ? v.getTime() : v;
  }
  return { name, kind: 'datetime', values: out };
}

export function booleanColumn(name: string, values: ArrayLike<boolean | null> | Float64Array): BooleanColumn {
  if (values instanceof Float64Array) return { name, kind: 'boolean', values };
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    out[i] = v === null || v === undefined ? NaN : v ? 1 : 0;
  }
  return { name, kind: 'boolean', values: out };
}

export function columnNames(table: Table): string[] {
  return table.columns.map((c) => c.name);
}

/** The column called `name`, or undefined. */
export function findColumn(table: Table, name: string): TableColumn | undefined {
  return table.columns.find((c) => c.name === name);
}

/**
 * The column called `name`; throws a ColumnNotFoundError naming the columns that exist and the
 * closest name by edit distance. `context` prefixes the message (e.g. the transform's name).
 */
export function getColumn(table: Table, name: string, context?: string): TableColumn {
  const found = findColumn(table, name);
  if (found) return found;
  const names = columnNames(table);
  throw new ColumnNotFoundError(name, names, closestName(name, names), context);
}

/** The candidate with the smallest edit distance to `name` (case-insensitive), if any is close. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const target = name.toLowerCase();
  for (const candidate of candidates) {
    const d = editDistance(target, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // A suggestion that shares almost nothing with the name would mislead more than help.
  if (best === undefined || bestDistance > Math.max(2, Math.ceil(name.length / 2))) return undefined;
  return best;
}

/** Levenshtein distance, two rows of memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = new Uint32Array(b.length + 1);
  let current = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j += 1) previous[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    current[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j += 1) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

/** True when row `row` of `column` is missing. */
export function isMissing(column: TableColumn, row: number): boolean {
  if (column.kind === 'string') return column.values[row] === null;
  return Number.isNaN(column.values[row]);
}

/** The same column with another name. */
export function renameColumn<C extends TableColumn>(column: C, name: string): C {
  return { ...column, name };
}

/** The rows at `indices` (in that order, repeats allowed), e.g. the train or test side of a split. */
export function selectRows(table: Table, indices: ArrayLike<number>): Table {
  for (let i = 0; i < indices.length; i += 1) {
    const r = indices[i] ?? -1;
    if (!Number.isInteger(r) || r < 0 || r >= table.nRows)
      throw new TableError(`Row index ${r} at position ${i} is outside the table's ${table.nRows} rows.`);
  }
  const columns = table.columns.map((c): TableColumn => {
    if (c.kind === 'string') {
      const out = new Array<string | null>(indices.length);
      for (let i = 0; i < indices.length; i += 1) out[i] = c.values[indices[i] ?? 0] ?? null;
      return { name: c.name, kind: 'string', values: out };
    }
    const out = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i += 1) out[i] = c.values[indices[i] ?? 0] ?? NaN;
    return { name: c.name, kind: c.kind, values: out };
  });
  return { nRows: indices.length, columns };
}

/**
 * Orders strings by Unicode code point, as Python and NumPy do (JavaScript's `<` compares UTF-16
 * code units, which puts U+E000–U+FFFF after astral characters).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return c + 0x2000; // surrogates encode code points ≥ U+10000
  if (c >= 0xe000) return c - 0x800;
  return c;
}

/**
 * The learners' FeatureMatrix from `featureNames` columns of `table`. Number, boolean and
 * datetime columns pass through (datetimes as epoch milliseconds); string columns must have been
 * encoded already (one-hot, ordinal, TF-IDF). `categoricalEncodings` maps a column name to its
 * category count (as reported by the ordinal encoder) for the learners' native categorical splits.
 */
export function toFeatureMatrix(
  table: Table,
  featureNames: readonly string[],
  categoricalEncodings: Readonly<Record<string, number>> = {},
): FeatureMatrix {
  const columns: Float64Array[] = [];
  const categories: (number | undefined)[] = [];
  for (const name of featureNames) {
    const c = getColumn(table, name, 'feature matrix');
    if (c.kind === 'string')
      throw new TableError(
        `Feature "${name}" is a text column; encode it first (one-hot, ordinal encode or TF-IDF).`,
      );
    columns.push(c.values);
    const count = Object.hasOwn(categoricalEncodings, name) ? categoricalEncodings[name] : undefined;
    if (count !== undefined && (!Number.isInteger(count) || count < 0))
      throw new TableError(`Category count for "${name}" must be a non-negative integer; got ${count}.`);
    categories.push(count);
  }
  const hasCategories = categories.some((c) => c !== undefined && c > 0);
  return {
    nRows: table.nRows,
    columns,
    names: [...featureNames],
    ...(hasCategories ? { categories } : {}),
  };
}

/** A class label: strings, numbers (also datetimes as epoch ms) or booleans. */
export type ClassLabel = string | number | boolean;

export interface EncodedLabels {
  readonly target: ClassTarget;
  /** The class of each label index, sorted as scikit-learn's LabelEncoder sorts them. */
  readonly classes: readonly ClassLabel[];
}

/** The class label in `row` of a target column, or null when it is missing. */
export function labelAt(column: TableColumn, row: number): ClassLabel | null {
  if (column.kind === 'string') return column.values[row] ?? null;
  const v = column.values[row] ?? NaN;
  if (Number.isNaN(v)) return null;
  return column.kind === 'boolean' ? v === 1 : v;
}

function compareLabels(a: ClassLabel, b: ClassLabel): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return Number(a) - Number(b);
}

/**
 * Encodes a classification target as class indices. Classes are sorted as scikit-learn's
 * LabelEncoder sorts them (numbers numerically, strings by code point, false before true).
 * A missing label is an error naming the row: rows without a target cannot be learned from.
 */
export function encodeLabels(table: Table, targetName: string): EncodedLabels {
  const column = getColumn(table, targetName, 'target');
  const seen = new Map<ClassLabel, number>();
  for (let row = 0; row < table.nRows; row += 1) {
    const label = labelAt(column, row);
    if (label === null)
      throw new TableError(
        `Target "${targetName}" is missing at row ${row}; drop or impute those rows first.`,
      );
    seen.set(label, 0);
  }
  const classes = [...seen.keys()].sort(compareLabels);
  return { target: encodeLabelsWith(classes, table, targetName), classes };
}

/**
 * Encodes a target with the classes of a previous `encodeLabels` (e.g. the test split with the
 * training classes). A label that is not one of the classes is an error naming it and its row.
 */
export function encodeLabelsWith(
  classes: readonly ClassLabel[],
  table: Table,
  targetName: string,
): ClassTarget {
  const column = getColumn(table, targetName, 'target');
  const index = new Map<ClassLabel, number>();
  classes.forEach((c, i) => index.set(c, i));
  const labels = new Int32Array(table.nRows);
  for (let row = 0; row < table.nRows; row += 1) {
    const label = labelAt(column, row);
    if (label === null)
      throw new TableError(
        `Target "${targetName}" is missing at row ${row}; drop or impute those rows first.`,
      );
    const code = index.get(label);
    if (code === undefined)
      throw new TableError(
        `Target "${targetName}" has the class ${JSON.stringify(label)} at row ${row}, which the training rows never had.`,
      );
    labels[row] = code;
  }
  return { labels, nClasses: classes.length };
}
