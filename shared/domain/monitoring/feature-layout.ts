import { ValidationError } from '../../kernel/app-error';

/**
 * Which columns of a table are features and which are metadata, from DInsight's `startDim`,
 * `endDim` and `endMeta` (column names, taken by their position in the table), and the problems
 * a person can act on when the table does not fit: each names the columns concerned.
 */
export interface ColumnKind {
  name: string;
  numeric: boolean;
}

export interface FeatureLayout {
  features: string[];
  metadata: string[];
}

export const MIN_BASELINE_ROWS = 3;
const LISTED = 20;

function list(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).map((n) => `"${n}"`);
  return names.length > LISTED ? `${shown.join(', ')} and ${names.length - LISTED} more` : shown.join(', ');
}

export function resolveFeatureLayout(
  columns: readonly ColumnKind[],
  range: { startDim: string; endDim: string; endMeta?: string | undefined },
  field = 'config',
): FeatureLayout {
  const names = columns.map((c) => c.name);
  const missing = [range.startDim, range.endDim, ...(range.endMeta ? [range.endMeta] : [])].filter(
    (name) => !names.includes(name),
  );
  if (missing.length > 0) {
    throw new ValidationError(
      `The feature range names ${missing.length === 1 ? 'a column' : 'columns'} the table does not have: ${list(missing)}. The table's columns are ${list(names)}; set startDim and endDim (and endMeta) to columns of the table.`,
      {
        code: 'MONITORING.FEATURE_RANGE_NOT_FOUND',
        field: `${field}.${missing[0] === range.endMeta ? 'endMeta' : missing[0] === range.startDim ? 'startDim' : 'endDim'}`,
        details: { missingColumns: missing },
      },
    );
  }
  const start = names.indexOf(range.startDim);
  const end = names.indexOf(range.endDim);
  if (end < start) {
    throw new ValidationError(
      `endDim "${range.endDim}" comes before startDim "${range.startDim}" in the table; the features are the columns from startDim to endDim.`,
      { code: 'MONITORING.FEATURE_RANGE_REVERSED', field: `${field}.endDim` },
    );
  }
  const featureColumns = columns.slice(start, end + 1);
  const nonNumeric = featureColumns.filter((c) => !c.numeric).map((c) => c.name);
  if (nonNumeric.length > 0) {
    throw new ValidationError(
      `${nonNumeric.length === 1 ? 'Feature column' : 'Feature columns'} ${list(nonNumeric)} ${nonNumeric.length === 1 ? 'is' : 'are'} not numeric; every column from startDim to endDim must hold numbers (narrow the range or convert the column).`,
      {
        code: 'MONITORING.NON_NUMERIC_FEATURES',
        field: `${field}.startDim`,
        details: { nonNumericColumns: nonNumeric },
      },
    );
  }
  const metaEnd = range.endMeta ? names.indexOf(range.endMeta) : start - 1;
  if (range.endMeta && metaEnd >= start && metaEnd <= end) {
    throw new ValidationError(
      `endMeta "${range.endMeta}" lies inside the feature range; it must be a column outside it.`,
      {
        code: 'MONITORING.FEATURE_RANGE_OVERLAP',
        field: `${field}.endMeta`,
      },
    );
  }
  const metadata = range.endMeta
    ? names.slice(0, metaEnd + 1).filter((_, i) => i < start || i > end)
    : names.slice(0, start);
  return { features: featureColumns.map((c) => c.name), metadata };
}

export function requireEnoughRows(rows: number, field = 'datasetVersionId'): void {
  if (rows < MIN_BASELINE_ROWS) {
    throw new ValidationError(
      `A baseline needs at least ${MIN_BASELINE_ROWS} rows; this version has ${rows}. Add rows and upload a new version.`,
      { code: 'MONITORING.TOO_FEW_ROWS', field, details: { rows, minimum: MIN_BASELINE_ROWS } },
    );
  }
}

/** The monitored table must have the baseline's features, numeric; names what differs. */
export function requireSameFeatures(
  baselineFeatures: readonly string[],
  columns: readonly ColumnKind[],
  range: { startDim: string; endDim: string },
  field = 'datasetVersionId',
): void {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const missing = baselineFeatures.filter((name) => !byName.has(name));
  const nonNumeric = baselineFeatures.filter((name) => byName.get(name)?.numeric === false);
  const names = columns.map((c) => c.name);
  const start = names.indexOf(range.startDim);
  const end = names.indexOf(range.endDim);
  const known = new Set(baselineFeatures);
  const extra = start >= 0 && end >= start ? names.slice(start, end + 1).filter((n) => !known.has(n)) : [];
  if (missing.length === 0 && nonNumeric.length === 0 && extra.length === 0) return;
  const parts = [
    missing.length > 0 ? `missing ${list(missing)}` : '',
    nonNumeric.length > 0 ? `not numeric ${list(nonNumeric)}` : '',
    extra.length > 0 ? `not in the baseline ${list(extra)}` : '',
  ].filter(Boolean);
  throw new ValidationError(
    `The monitored version's features differ from the baseline's: ${parts.join('; ')}. Monitor a version with the baseline's ${baselineFeatures.length} feature columns, or make a new baseline.`,
    { code: 'MONITORING.FEATURES_DIFFER', field, details: { missing, nonNumeric, extra } },
  );
}

/** Rows with a missing feature value cannot be placed; names the columns that have them. */
export function requireCompleteFeatures(
  names: readonly string[],
  columns: readonly Float64Array[],
  field: string,
): void {
  const incomplete = names.filter((_, f) =>
    (columns[f] ?? new Float64Array(0)).some((v) => !Number.isFinite(v)),
  );
  if (incomplete.length > 0) {
    throw new ValidationError(
      `${incomplete.length === 1 ? 'Feature column' : 'Feature columns'} ${list(incomplete)} ${incomplete.length === 1 ? 'has' : 'have'} missing or non-finite values; impute or drop them first.`,
      { code: 'MONITORING.MISSING_FEATURE_VALUES', field, details: { columns: incomplete } },
    );
  }
}
