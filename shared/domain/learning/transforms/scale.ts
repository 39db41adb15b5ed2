/**
 * Rescales number columns, with statistics of the training rows, as scikit-learn's scalers do:
 * - standard: (x − mean) / std (population std, ddof 0), StandardScaler;
 * - minmax: (x − min) / (max − min) mapped onto `featureRange` (default [0, 1]), MinMaxScaler;
 * - robust: (x − median) / IQR with `quantileRange` (default [25, 75]), RobustScaler.
 * Missing values are ignored when fitting and stay missing. A constant column (or one with no
 * values) gets scale 1, so it is centred instead of divided by zero.
 */
import { getColumn, type Table } from '../table';
import { ParamsReader } from './params-reader';
import { quantileSorted, sortedPresent } from './quantile';
import { selectColumns } from './select-columns';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';

const NAME = 'scale';
const METHODS = ['standard', 'minmax', 'robust'] as const;
export type ScaleMethod = (typeof METHODS)[number];

export interface ScaleParams {
  readonly method?: ScaleMethod;
  /** Number columns to scale; default every number column except the passthrough ones. */
  readonly columns?: readonly string[];
  /** minmax only: the output range, default [0, 1]. */
  readonly featureRange?: readonly [number, number];
  /** robust only: the percentiles of the spread, default [25, 75]. */
  readonly quantileRange?: readonly [number, number];
}

export interface ScaleColumnState {
  readonly column: string;
  readonly center: number;
  readonly scale: number;
}

export interface ScaleState extends TransformState {
  readonly kind: 'scale';
  readonly format: 1;
  readonly method: ScaleMethod;
  /** minmax: the output range; null for the other methods. */
  readonly featureRange: readonly [number, number] | null;
  readonly columns: readonly ScaleColumnState[];
}

function readPair(r: ParamsReader, field: string, fallback: [number, number]): [number, number] {
  const v = r.value(field);
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.length !== 2)
    r.fail(field, `must be a pair [low, high]; e.g. [${fallback.join(', ')}].`);
  const low = r.checkNumber(`${field}[0]`, v[0]);
  const high = r.checkNumber(`${field}[1]`, v[1]);
  if (!(low < high)) r.fail(field, `must have low < high; got [${low}, ${high}].`);
  return [low, high];
}

export function resolveScaleParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const method = r.enumValue('method', METHODS, 'standard');
  const columns = r.columns();
  const featureRange = readPair(r, 'featureRange', [0, 1]);
  const quantileRange = readPair(r, 'quantileRange', [25, 75]);
  if (quantileRange[0] < 0 || quantileRange[1] > 100)
    r.fail('quantileRange', `must lie within [0, 100] (percentiles); got [${quantileRange.join(', ')}].`);
  r.finish();
  return { method, columns, featureRange, quantileRange };
}

export function fitScale(table: Table, params: ScaleParams = {}, context: FitContext = {}): ScaleState {
  const p = resolveScaleParams(params);
  const selected = selectColumns(table, p.columns, {
    transform: NAME,
    kinds: ['number'],
    context,
    fix: 'Cast it to number first, or one-hot / ordinal encode it.',
  });
  const columns = selected.map((column): ScaleColumnState => {
    const sorted = sortedPresent(column.values);
    const n = sorted.length;
    const min = sorted[0] ?? NaN;
    const max = sorted[n - 1] ?? NaN;
    if (n === 0 || min === max) {
      return { column: column.name, center: n === 0 ? 0 : min, scale: 1 };
    }
    if (p.method === 'minmax') return { column: column.name, center: min, scale: max - min };
    if (p.method === 'robust') {
      const iqr =
        quantileSorted(sorted, p.quantileRange[1] / 100) - quantileSorted(sorted, p.quantileRange[0] / 100);
      return { column: column.name, center: quantileSorted(sorted, 0.5), scale: iqr > 0 ? iqr : 1 };
    }
    let sum = 0;
    for (const v of sorted) sum += v;
    const mean = sum / n;
    let squares = 0;
    for (const v of sorted) squares += (v - mean) * (v - mean);
    const std = Math.sqrt(squares / n);
    return { column: column.name, center: mean, scale: std > 0 ? std : 1 };
  });
  return {
    kind: 'scale',
    format: 1,
    method: p.method,
    featureRange: p.method === 'minmax' ? p.featureRange : null,
    columns,
  };
}

export function applyScale(state: ScaleState, table: Table): Table {
  const byName = new Map<string, ScaleColumnState>();
  for (const s of state.columns) {
    expectKind(NAME, getColumn(table, s.column, NAME), ['number']);
    byName.set(s.column, s);
  }
  const [low, high] = state.featureRange ?? [0, 1];
  const minmax = state.featureRange !== null;
  return mapColumns(NAME, table, (column) => {
    const s = byName.get(column.name);
    if (!s || column.kind !== 'number') return [column];
    const values = new Float64Array(column.values.length);
    for (let i = 0; i < values.length; i += 1) {
      const z = ((column.values[i] ?? NaN) - s.center) / s.scale;
      values[i] = minmax ? z * (high - low) + low : z;
    }
    return [{ ...column, values }];
  });
}

export function describeScale(state: ScaleState): string {
  const how =
    state.method === 'standard'
      ? '(x − mean) / std'
      : state.method === 'robust'
        ? '(x − median) / IQR'
        : `min–max to [${(state.featureRange ?? [0, 1]).join(', ')}]`;
  const cols = state.columns.map((c) => `${c.column} (center ${c.center}, scale ${c.scale})`);
  return `Scale ${how}: ${cols.length > 0 ? cols.join('; ') : 'no columns'}.`;
}
