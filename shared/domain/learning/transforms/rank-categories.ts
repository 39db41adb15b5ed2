import { compareCodePoints, type BooleanColumn, type StringColumn } from '../table';

/** A category value: a string (booleans as "false"/"true"), or null for missing. */
export type CategoryValue = string | null;

/** The category value of row `i` of a string or boolean column. */
export function categoryAt(column: StringColumn | BooleanColumn, i: number): CategoryValue {
  if (column.kind === 'string') return column.values[i] ?? null;
  const v = column.values[i] ?? NaN;
  return Number.isNaN(v) ? null : v === 1 ? 'true' : 'false';
}

/** Code-point order with missing last, so every listing of categories is deterministic. */
export function compareCategories(a: CategoryValue, b: CategoryValue): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return compareCodePoints(a, b);
}

export interface RankedCategories {
  /** The categories kept, sorted by value (missing last). */
  readonly kept: CategoryValue[];
  /** The categories grouped as "other", sorted by value (missing last). */
  readonly collapsed: CategoryValue[];
  /** How many distinct categories the column had. */
  readonly distinct: number;
}

/**
 * Keeps the categories seen at least `minCount` times, at most `maxKept` of them: the most
 * frequent, ties broken by value. `includeMissing` decides whether missing is a category.
 */
export function rankCategories(
  column: StringColumn | BooleanColumn,
  maxKept: number,
  minCount: number,
  includeMissing: boolean,
): RankedCategories {
  const counts = new Map<CategoryValue, number>();
  for (let i = 0; i < column.values.length; i += 1) {
    const v = categoryAt(column, i);
    if (v === null && !includeMissing) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const byRank = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareCategories(a[0], b[0]));
  const kept: CategoryValue[] = [];
  const collapsed: CategoryValue[] = [];
  for (const [value, count] of byRank) {
    if (count >= minCount && kept.length < maxKept) kept.push(value);
    else collapsed.push(value);
  }
  kept.sort(compareCategories);
  collapsed.sort(compareCategories);
  return { kept, collapsed, distinct: counts.size };
}
