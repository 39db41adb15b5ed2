/**
 * The table of the learning area as the ONNX graph sees it: one [N, 1] tensor per column, float
 * for numbers and booleans (NaN for a missing value, booleans as 0 and 1) and string for text,
 * where the empty string stands for a missing value. Transforms replace columns exactly as their
 * `apply` functions do on a Table, so that the learner finds its features under the same names.
 */
import type { ModelSignature } from '../../learning/model-artifact';
import { IDENTITY, type ValueEmulation } from './float-threshold';
import type { OnnxGraph } from './onnx-graph';
import { OnnxExportUnsupportedError, type ExportStep } from './onnx-export-error';

/** What a missing text value is in the graph's string tensors. */
export const MISSING_TEXT = '';

export interface GraphColumn {
  readonly name: string;
  readonly kind: 'number' | 'boolean' | 'string';
  /** The tensor, [N, 1]: float for number and boolean, string for text. */
  readonly tensor: string;
  /** How a number column's values follow from one input, here and in the graph (split thresholds). */
  readonly emulation: ValueEmulation;
}

/** One graph input per input of the signature, named as it. */
export function signatureColumns(graph: OnnxGraph, signature: ModelSignature): GraphColumn[] {
  return signature.inputs.map((input, i) => {
    if (input.type === 'datetime')
      throw new OnnxExportUnsupportedError(
        { path: `signature.inputs[${i}]`, label: `input "${input.name}"` },
        'it is a date and time, whose epoch milliseconds a float tensor cannot hold exactly.',
      );
    const type = input.type === 'string' ? 'string' : 'float';
    return {
      name: input.name,
      kind: input.type,
      tensor: graph.input(input.name, type, ['N', 1]),
      emulation: IDENTITY,
    };
  });
}

/** The column `name` of `columns`; a refusal naming the step when it is not there. */
export function columnOf(columns: readonly GraphColumn[], name: string, step: ExportStep): GraphColumn {
  const found = columns.find((c) => c.name === name);
  if (!found)
    throw new OnnxExportUnsupportedError(
      step,
      `it reads the column "${name}", which is not there at that step.`,
    );
  return found;
}

/**
 * The fitted states of a step by column name, each column checked to be there with the kind the
 * state was fitted on.
 */
export function statesByColumn<S extends { readonly column: string }>(
  states: readonly S[],
  columns: readonly GraphColumn[],
  step: ExportStep,
  kindOf: (state: S) => GraphColumn['kind'],
): Map<string, S> {
  const byName = new Map<string, S>();
  for (const s of states) {
    const column = columnOf(columns, s.column, step);
    if (column.kind !== kindOf(s))
      throw new OnnxExportUnsupportedError(
        step,
        `column "${s.column}" was fitted as ${kindOf(s)} but is ${column.kind} here.`,
      );
    byName.set(s.column, s);
  }
  return byName;
}

/**
 * The columns with each one replaced by what `replace` returns for it (itself, a changed copy,
 * several new columns, or none), as the transforms' `mapColumns` does.
 */
export function replaceColumns(
  columns: readonly GraphColumn[],
  step: ExportStep,
  replace: (column: GraphColumn) => readonly GraphColumn[],
): GraphColumn[] {
  const out: GraphColumn[] = [];
  const seen = new Set<string>();
  for (const column of columns)
    for (const next of replace(column)) {
      if (seen.has(next.name))
        throw new OnnxExportUnsupportedError(step, `it would make two columns called "${next.name}".`);
      seen.add(next.name);
      out.push(next);
    }
  return out;
}

/** Refuses a text value that would be read as missing in the graph. */
export function assertNotMissingText(value: string, step: ExportStep, column: string): void {
  if (value === MISSING_TEXT)
    throw new OnnxExportUnsupportedError(
      step,
      `column "${column}" has the empty string as a value, which the ONNX graph reads as a missing value.`,
    );
}
