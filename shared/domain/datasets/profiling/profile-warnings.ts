import type { ColumnProfile, ProfileWarning } from './profile-report';

/** Thresholds of the profile warnings; exported so the documentation and tests use the same numbers. */
export const WARNING_THRESHOLDS = {
  highMissingPercent: 50,
  /** Distinct / non-missing above this, for text columns with enough values, looks like an id or free text. */
  highCardinalityRatio: 0.9,
  highCardinalityMinValues: 20,
  /** |skewness| above this. */
  skewness: 2,
  /** |Pearson r| with the target at or above this hints that the column leaks the target. */
  leakageCorrelation: 0.98,
} as const;

export interface WarningInput {
  rowCount: number;
  columns: readonly ColumnProfile[];
  correlations: readonly { a: string; b: string; r: number }[];
  duplicateRows: number;
  targetColumn?: string | null;
}

/** Pure: the warnings a person should see about a profiled table. */
export function profileWarnings(input: WarningInput): ProfileWarning[] {
  const warnings: ProfileWarning[] = [];
  const t = WARNING_THRESHOLDS;
  for (const column of input.columns) {
    if (input.rowCount > 0 && column.count === 0) {
      warnings.push({
        code: 'all_missing',
        column: column.name,
        message: `Column "${column.name}" has no values.`,
      });
      continue;
    }
    if (column.count > 0 && isConstant(column)) {
      warnings.push({
        code: 'constant',
        column: column.name,
        message: `Column "${column.name}" has the same value in every row (${String(column.min)}); it carries no information.`,
      });
    } else if (
      column.kind === 'text' &&
      column.count >= t.highCardinalityMinValues &&
      column.approxDistinct / column.count > t.highCardinalityRatio
    ) {
      warnings.push({
        code: 'high_cardinality',
        column: column.name,
        value: column.approxDistinct,
        message: `Column "${column.name}" has about ${column.approxDistinct} distinct values in ${column.count} rows: an identifier or free text, not a category.`,
      });
    }
    if (column.missingPercent > t.highMissingPercent) {
      warnings.push({
        code: 'high_missing',
        column: column.name,
        value: column.missingPercent,
        message: `Column "${column.name}" is missing in ${column.missingPercent}% of rows.`,
      });
    }
    if (column.skewness !== null && Math.abs(column.skewness) > t.skewness) {
      warnings.push({
        code: 'skewed',
        column: column.name,
        value: column.skewness,
        message: `Column "${column.name}" is highly skewed (skewness ${column.skewness.toFixed(2)}); consider a log transform.`,
      });
    }
  }
  const target = input.targetColumn;
  if (target) {
    for (const { a, b, r } of input.correlations) {
      if (a !== target && b !== target) continue;
      if (Math.abs(r) < t.leakageCorrelation) continue;
      const other = a === target ? b : a;
      warnings.push({
        code: 'target_leakage',
        column: other,
        columns: [other, target],
        value: r,
        message: `Column "${other}" correlates almost perfectly with the target "${target}" (r = ${r.toFixed(3)}): it may leak the answer.`,
      });
    }
  }
  if (input.duplicateRows > 0) {
    warnings.push({
      code: 'duplicate_rows',
      value: input.duplicateRows,
      message: `${input.duplicateRows} row(s) are exact duplicates of another row.`,
    });
  }
  return warnings;
}

function isConstant(column: ColumnProfile): boolean {
  if (column.min === null || column.max === null) return false;
  return column.min === column.max || String(column.min) === String(column.max);
}
