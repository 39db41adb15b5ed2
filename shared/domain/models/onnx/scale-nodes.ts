/**
 * Number-to-number transforms in ONNX: scale as a Scaler ((x − offset) · scale, the min–max range
 * folded into offset and scale) and outlier clipping as Where over Less and Greater, so that a
 * missing value (NaN) passes through both unchanged, as it does in `applyScale` and
 * `applyClipOutliers`.
 */
import type { ClipOutliersState } from '../../learning/transforms/clip-outliers';
import type { ScaleColumnState, ScaleState } from '../../learning/transforms/scale';
import { replaceColumns, statesByColumn, type GraphColumn } from './graph-columns';
import { compose } from './float-threshold';
import type { ExportStep } from './onnx-export-error';
import { attr, ML_DOMAIN, type OnnxGraph } from './onnx-graph';

/** The fitted number columns of a step, by name. */
function numberStates<S extends { readonly column: string }>(
  states: readonly S[],
  columns: readonly GraphColumn[],
  step: ExportStep,
): Map<string, S> {
  return statesByColumn(states, columns, step, () => 'number');
}

export function scaleColumns(
  graph: OnnxGraph,
  state: ScaleState,
  columns: readonly GraphColumn[],
  step: ExportStep,
): GraphColumn[] {
  const byName = numberStates<ScaleColumnState>(state.columns, columns, step);
  const minmax = state.featureRange !== null;
  const [low, high] = state.featureRange ?? [0, 1];
  return replaceColumns(columns, step, (column) => {
    const s = byName.get(column.name);
    if (!s) return [column];
    // (x − c) / s · (high − low) + low = (x − (c − low · s / (high − low))) · ((high − low) / s)
    const span = high - low;
    const offset = Math.fround(s.center - (low * s.scale) / span);
    const factor = Math.fround(span / s.scale);
    const tensor = graph.op(
      'Scaler',
      [column.tensor],
      { offset: attr.floats([offset]), scale: attr.floats([factor]) },
      { domain: ML_DOMAIN },
    );
    const emulation = compose(column.emulation, {
      // As applyScale computes it, and as the Scaler does in float32.
      ours: (v) => {
        const z = (v - s.center) / s.scale;
        return minmax ? z * span + low : z;
      },
      graph: (v) => Math.fround(Math.fround(v - offset) * factor),
    });
    return [{ ...column, tensor, emulation }];
  });
}

export function clipColumns(
  graph: OnnxGraph,
  state: ClipOutliersState,
  columns: readonly GraphColumn[],
  step: ExportStep,
): GraphColumn[] {
  const byName = numberStates(state.columns, columns, step);
  return replaceColumns(columns, step, (column) => {
    const s = byName.get(column.name);
    if (!s || s.low === null || s.high === null) return [column];
    const [low, high] = [s.low, s.high];
    const [lowF, highF] = [Math.fround(low), Math.fround(high)];
    const lowTensor = graph.floats([low], []);
    const highTensor = graph.floats([high], []);
    const belowLow = graph.op('Less', [column.tensor, lowTensor]);
    const aboveHigh = graph.op('Greater', [column.tensor, highTensor]);
    const capped = graph.op('Where', [aboveHigh, highTensor, column.tensor]);
    const emulation = compose(column.emulation, {
      ours: (v) => (v < low ? low : v > high ? high : v),
      graph: (v) => (v < lowF ? lowF : v > highF ? highF : v),
    });
    return [{ ...column, tensor: graph.op('Where', [belowLow, lowTensor, capped]), emulation }];
  });
}
