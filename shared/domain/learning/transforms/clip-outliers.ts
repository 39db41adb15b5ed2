/**
 * Clips number columns to bounds fitted on the training rows:
 * - iqr (default): [Q1 − k·IQR, Q3 + k·IQR] with k = 1.5 (Tukey's fences);
 * - quantile: [the `lower` quantile, the `upper` quantile], e.g. 0.01 and 0.99.
 * Quantiles interpolate linearly, as NumPy's percentile. Missing values stay missing; a column
 * with no training values is left as it is.
 */
import { getColumn, type Table } from '../table';
import { ParamsReader } from './params-reader';
import { quantileSorted, sortedPresent } from './quantile';
import { selectColumns } from './select-columns';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';

const NAME = 'clip_outliers';
const METHODS = ['iqr', 'quantile'] as const;

export interface ClipOutliersParams {
  readonly columns?: readonly string[];
  readonly method?: 'iqr' | 'quantile';
  /** iqr: the fence multiplier, default 1.5. */
  readonly k?: number;
  /** quantile: the lower quantile (0–1), default 0.01. */
  readonly lower?: number;
  /** quantile: the upper quantile (0–1), default 0.99. */
  readonly upper?: number;
}

export interface ClipColumnState {
  readonly column: string;
  /** null when the training rows had no value (the column is not clipped). */
  readonly low: number | null;
  readonly high: number | null;
}

export interface ClipOutliersState extends TransformState {
  readonly kind: 'clip_outliers';
  readonly format: 1;
  readonly method: 'iqr' | 'quantile';
  readonly columns: readonly ClipColumnState[];
}

export function resolveClipOutliersParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  const method = r.enumValue('method', METHODS, 'iqr');
  const k = r.number('k', 1.5, { min: 0 });
  const lower = r.number('lower', 0.01, { min: 0, max: 1 });
  const upper = r.number('upper', 0.99, { min: 0, max: 1 });
  if (!(lower < upper)) r.fail('lower', `must be below upper; got lower ${lower} and upper ${upper}.`);
  if (method === 'iqr' && (r.has('lower') || r.has('upper')))
    r.fail('lower', 'and upper apply to method "quantile"; set method to "quantile" or use k for "iqr".');
  if (method === 'quantile' && r.has('k'))
    r.fail('k', 'applies to method "iqr"; set method to "iqr" or use lower/upper for "quantile".');
  r.finish();
  return { columns, method, k, lower, upper };
}

export function fitClipOutliers(
  table: Table,
  params: ClipOutliersParams = {},
  context: FitContext = {},
): ClipOutliersState {
  const p = resolveClipOutliersParams(params);
  const selected = selectColumns(table, p.columns, { transform: NAME, kinds: ['number'], context });
  const columns = selected.map((column): ClipColumnState => {
    const sorted = sortedPresent(column.values);
    if (sorted.length === 0) return { column: column.name, low: null, high: null };
    if (p.method === 'quantile')
      return {
        column: column.name,
        low: quantileSorted(sorted, p.lower),
        high: quantileSorted(sorted, p.upper),
      };
    const q1 = quantileSorted(sorted, 0.25);
    const q3 = quantileSorted(sorted, 0.75);
    const iqr = q3 - q1;
    return { column: column.name, low: q1 - p.k * iqr, high: q3 + p.k * iqr };
  });
  return { kind: 'clip_outliers', format: 1, method: p.method, columns };
}

export function applyClipOutliers(state: ClipOutliersState, table: Table): Table {
  const byName = new Map<string, ClipColumnState>();
  for (const s of state.columns) {
    expectKind(NAME, getColumn(table, s.column, NAME), ['number']);
    byName.set(s.column, s);
  }
  return mapColumns(NAME, table, (column) => {
    const s = byName.get(column.name);
    if (!s || s.low === null || s.high === null || column.kind !== 'number') return [column];
    const { low, high } = s;
    const values = column.values.map((v) => (v < low ? low : v > high ? high : v));
    return [{ ...column, values }];
  });
}

export function describeClipOutliers(state: ClipOutliersState): string {
  const cols = state.columns.map((c) => `${c.column} to [${c.low ?? '−∞'}, ${c.high ?? '∞'}]`);
  return `Clip outliers (${state.method}): ${cols.length > 0 ? cols.join('; ') : 'no columns'}.`;
}
