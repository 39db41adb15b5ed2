/**
 * The impute transform in ONNX: number and boolean columns through an Imputer (NaN → the fitted
 * value), text columns through Equal and Where (the empty string → the fitted value), and each
 * `<column>__missing` indicator as IsNaN (or Equal to the empty string) cast to 0/1.
 */
import type { ImputeColumnState, ImputeState } from '../../learning/transforms/impute';
import {
  assertNotMissingText,
  statesByColumn,
  MISSING_TEXT,
  replaceColumns,
  type GraphColumn,
} from './graph-columns';
import { compose, IDENTITY } from './float-threshold';
import { OnnxExportUnsupportedError, type ExportStep } from './onnx-export-error';
import { attr, ML_DOMAIN, type OnnxGraph } from './onnx-graph';

/** The ONNX TensorProto code of float, for Cast. */
export const FLOAT_TYPE = 1;

/** 1 where the column's value is missing, else 0, as a float [N, 1]. */
export function missingIndicator(graph: OnnxGraph, column: GraphColumn): string {
  const missing =
    column.kind === 'string'
      ? graph.op('Equal', [column.tensor, graph.strings([MISSING_TEXT], [])])
      : graph.op('IsNaN', [column.tensor]);
  return graph.op('Cast', [missing], { to: attr.int(FLOAT_TYPE) });
}

function filled(graph: OnnxGraph, column: GraphColumn, state: ImputeColumnState, step: ExportStep): string {
  if (column.kind === 'string') {
    const fill = String(state.fill);
    assertNotMissingText(fill, step, column.name);
    const missing = graph.op('Equal', [column.tensor, graph.strings([MISSING_TEXT], [])]);
    return graph.op('Where', [missing, graph.strings([fill], []), column.tensor]);
  }
  return graph.op(
    'Imputer',
    [column.tensor],
    { imputed_value_floats: attr.floats([Number(state.fill)]), replaced_value_float: attr.float(NaN) },
    { domain: ML_DOMAIN },
  );
}

export function imputeColumns(
  graph: OnnxGraph,
  state: ImputeState,
  columns: readonly GraphColumn[],
  step: ExportStep,
): GraphColumn[] {
  const byName = statesByColumn(state.columns, columns, step, (s) => {
    if (s.columnKind === 'datetime')
      throw new OnnxExportUnsupportedError(step, 'it imputes a date and time.');
    return s.columnKind;
  });
  return replaceColumns(columns, step, (column) => {
    const s = byName.get(column.name);
    if (!s) return [column];
    const fill = Number(s.fill);
    const emulation = compose(column.emulation, {
      ours: (v) => (Number.isNaN(v) ? fill : v),
      graph: (v) => (Number.isNaN(v) ? Math.fround(fill) : v),
    });
    const out: GraphColumn = { ...column, tensor: filled(graph, column, s, step), emulation };
    if (!s.indicator) return [out];
    const indicator = missingIndicator(graph, column);
    return [out, { name: s.indicator, kind: 'boolean', tensor: indicator, emulation: IDENTITY }];
  });
}
