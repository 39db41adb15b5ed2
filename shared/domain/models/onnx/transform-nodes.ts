/**
 * Replays a model's fitted transforms on the graph's columns, step by step, as
 * `applyTransformChain` does in prediction mode. A transform without a faithful ONNX form is
 * refused by its step, with the reason.
 */
import type { ClipOutliersState } from '../../learning/transforms/clip-outliers';
import type { DropColumnsState } from '../../learning/transforms/drop-columns';
import type { ImputeState } from '../../learning/transforms/impute';
import type { OneHotState } from '../../learning/transforms/one-hot';
import type { OrdinalEncodeState } from '../../learning/transforms/ordinal-encode';
import type { ScaleState } from '../../learning/transforms/scale';
import type { TransformState } from '../../learning/transforms/transform-state';
import { oneHotColumns, ordinalColumns } from './encode-nodes';
import type { GraphColumn } from './graph-columns';
import { imputeColumns } from './impute-nodes';
import { OnnxExportUnsupportedError, type ExportStep } from './onnx-export-error';
import type { OnnxGraph } from './onnx-graph';
import { clipColumns, scaleColumns } from './scale-nodes';

/** Why the transforms that have no ONNX form here are refused. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  tfidf: 'TF-IDF splits and counts the words of a text, which no ONNX operator here does as PipeWeave does.',
  date_parts: 'date parts need epoch milliseconds, which a float tensor cannot hold exactly.',
  derived_column: 'derived columns are computed by PipeWeave’s own expression language.',
  cast: 'converting a column to another kind (text to number, number to date, …) follows PipeWeave’s own parsing rules.',
};

function applyStep(
  graph: OnnxGraph,
  state: TransformState,
  columns: readonly GraphColumn[],
  step: ExportStep,
): GraphColumn[] {
  switch (state.kind) {
    case 'impute':
      return imputeColumns(graph, state as ImputeState, columns, step);
    case 'scale':
      return scaleColumns(graph, state as ScaleState, columns, step);
    case 'clip_outliers':
      return clipColumns(graph, state as ClipOutliersState, columns, step);
    case 'one_hot':
      return oneHotColumns(graph, state as OneHotState, columns, step);
    case 'ordinal_encode':
      return ordinalColumns(graph, state as OrdinalEncodeState, columns, step);
    case 'drop_columns': {
      const dropped = new Set((state as DropColumnsState).dropped.map((d) => d.column));
      return columns.filter((c) => !dropped.has(c.name));
    }
    case 'deduplicate':
      // Rows are never dropped at prediction.
      return [...columns];
    default:
      throw new OnnxExportUnsupportedError(
        step,
        UNSUPPORTED[state.kind] ?? 'it is not a transform this export knows.',
      );
  }
}

/** The columns after every transform, in order. */
export function transformColumns(
  graph: OnnxGraph,
  states: readonly TransformState[],
  inputs: readonly GraphColumn[],
): GraphColumn[] {
  let columns = [...inputs];
  states.forEach((state, i) => {
    columns = applyStep(graph, state, columns, {
      path: `transforms[${i}]`,
      label: `transform ${i + 1} (${state.kind})`,
    });
  });
  return columns;
}
