/**
 * The category encoders in ONNX.
 *
 * - one_hot: a LabelEncoder maps each text value to its output column (kept categories to theirs,
 *   the infrequent ones to "other", anything else to "other" or to none as the state's `unseen`
 *   says), a OneHotEncoder turns that index into 0/1 columns, split into one column each. Boolean
 *   columns become the text "true"/"false" first, as `categoryAt` reads them.
 * - ordinal_encode: a LabelEncoder maps each category to its code, the grouped ones to the
 *   "other" code, and a missing or unseen value to NaN.
 */
import type { CategoryValue } from '../../learning/transforms/rank-categories';
import type { OneHotColumnState, OneHotState } from '../../learning/transforms/one-hot';
import type { OrdinalColumnState, OrdinalEncodeState } from '../../learning/transforms/ordinal-encode';
import {
  assertNotMissingText,
  statesByColumn,
  MISSING_TEXT,
  replaceColumns,
  type GraphColumn,
} from './graph-columns';
import { IDENTITY } from './float-threshold';
import type { ExportStep } from './onnx-export-error';
import { attr, ML_DOMAIN, type OnnxGraph } from './onnx-graph';

/** A category as the graph's text: missing is the empty string, which no real category may be. */
function categoryText(value: CategoryValue, step: ExportStep, column: string): string {
  if (value === null) return MISSING_TEXT;
  assertNotMissingText(value, step, column);
  return value;
}

/** The column as text: itself, or a boolean column's values as "true"/"false" (missing: empty). */
function asText(graph: OnnxGraph, column: GraphColumn): string {
  if (column.kind === 'string') return column.tensor;
  return graph.op(
    'LabelEncoder',
    [column.tensor],
    {
      keys_floats: attr.floats([0, 1]),
      values_strings: attr.strings(['false', 'true']),
      default_string: attr.string(MISSING_TEXT),
    },
    { domain: ML_DOMAIN },
  );
}

function oneHotOutputs(
  graph: OnnxGraph,
  state: OneHotState,
  s: OneHotColumnState,
  column: GraphColumn,
  step: ExportStep,
): GraphColumn[] {
  const width = s.names.length;
  if (width === 0) return [];
  const otherIndex = s.other === null ? -1 : s.categories.length;
  const keys: string[] = [];
  const indices: number[] = [];
  s.categories.forEach((c, i) => {
    keys.push(categoryText(c, step, s.column));
    indices.push(i);
  });
  for (const c of s.infrequent) {
    keys.push(categoryText(c, step, s.column));
    indices.push(otherIndex);
  }
  const unseen = state.unseen === 'other' ? otherIndex : -1;
  if (keys.length === 0) {
    // No category at all: every value, missing included, is unseen.
    keys.push(MISSING_TEXT);
    indices.push(unseen);
  }
  const index = graph.op(
    'LabelEncoder',
    [asText(graph, column)],
    {
      keys_strings: attr.strings(keys),
      values_int64s: attr.ints(indices),
      default_int64: attr.int(unseen),
    },
    { domain: ML_DOMAIN },
  );
  const encoded = graph.op(
    'OneHotEncoder',
    [index],
    { cats_int64s: attr.ints(Array.from({ length: width }, (_, i) => i)), zeros: attr.int(1) },
    { domain: ML_DOMAIN },
  );
  const flat = graph.op('Reshape', [encoded, graph.ints([-1, width])]);
  const parts =
    width === 1
      ? [flat]
      : graph.node(
          'Split',
          [flat, graph.ints(Array.from({ length: width }, () => 1))],
          { axis: attr.int(1) },
          {
            outputs: width,
          },
        );
  return s.names.map((name, i) => ({ name, kind: 'boolean', tensor: parts[i] ?? flat, emulation: IDENTITY }));
}

export function oneHotColumns(
  graph: OnnxGraph,
  state: OneHotState,
  columns: readonly GraphColumn[],
  step: ExportStep,
): GraphColumn[] {
  const byName = statesByColumn(state.columns, columns, step, (s) => s.columnKind);
  return replaceColumns(columns, step, (column) => {
    const s = byName.get(column.name);
    return s ? oneHotOutputs(graph, state, s, column, step) : [column];
  });
}

export function ordinalColumns(
  graph: OnnxGraph,
  state: OrdinalEncodeState,
  columns: readonly GraphColumn[],
  step: ExportStep,
): GraphColumn[] {
  const byName = statesByColumn<OrdinalColumnState>(state.columns, columns, step, () => 'string');
  return replaceColumns(columns, step, (column) => {
    const s = byName.get(column.name);
    if (!s) return [column];
    const keys = [...s.categories, ...s.other].map((c) => categoryText(c, step, s.column));
    const codes = [...s.categories.map((_, i) => i), ...s.other.map(() => s.categories.length)];
    if (keys.length === 0) {
      keys.push(MISSING_TEXT);
      codes.push(NaN);
    }
    const tensor = graph.op(
      'LabelEncoder',
      [column.tensor],
      { keys_strings: attr.strings(keys), values_floats: attr.floats(codes), default_float: attr.float(NaN) },
      { domain: ML_DOMAIN },
    );
    return [{ name: column.name, kind: 'number', tensor, emulation: IDENTITY }];
  });
}
