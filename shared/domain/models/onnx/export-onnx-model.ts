/**
 * A model artifact as one ONNX graph (ai.onnx.ml operators), predicting what `loadPredictor`
 * predicts on the same rows:
 *
 * - inputs: one per input of the signature, named as it, [N, 1]: float for numbers and booleans
 *   (NaN when missing, booleans as 0/1), string for text (the empty string when missing);
 * - the fitted transforms, in order, then the learner's features side by side (Concat);
 * - outputs as onnxruntime names them: `label` [N] and `probabilities` [N, classes] for a
 *   classifier (labels int64 when every class is a whole number, otherwise text as the API
 *   prints them), `variable` [N, 1] for a regressor.
 *
 * Whatever cannot be expressed faithfully (date inputs, TF-IDF, date parts, derived columns,
 * casts, clustering, unknown kinds) is refused with an OnnxExportUnsupportedError naming the
 * step; nothing is exported in its place. The same artifact always gives the same bytes.
 */
import type { ClassLabel } from '../../learning/table';
import { loadPredictor, parseArtifact, type ModelArtifact } from '../../learning/model-artifact';
import { columnOf } from './graph-columns';
import { signatureColumns } from './graph-columns';
import { learnerOutput, type FeatureBlock } from './learner-nodes';
import { OnnxExportUnsupportedError } from './onnx-export-error';
import { attr, OnnxGraph } from './onnx-graph';
import { transformColumns } from './transform-nodes';

/** The graph's outputs, as onnxruntime's converters name them. */
export const ONNX_OUTPUTS = { label: 'label', probabilities: 'probabilities', value: 'variable' } as const;

/** Changes whenever the graph written for the same artifact changes (stored exports are redone). */
export const ONNX_EXPORT_VERSION = 1;

const DOC =
  'Exported by PipeWeave from a model artifact. Inputs are [N, 1] tensors named as the model’s inputs: ' +
  'float for numbers and booleans (NaN when missing, booleans as 0 or 1), string for text (an empty ' +
  'string when missing). A classifier outputs `label` and `probabilities` (one column per class, in ' +
  'the order of the pipeweave.classes metadata); a regressor outputs `variable`.';

function isWholeNumber(label: ClassLabel): label is number {
  return typeof label === 'number' && Number.isSafeInteger(label);
}

/** The ONNX model of `artifact` (its JSON text, or the parsed artifact). */
export function exportOnnxModel(source: ModelArtifact | string): Uint8Array {
  const artifact = typeof source === 'string' ? parseArtifact(source) : source;
  // The artifact must restore before it is exported: the same checks as prediction.
  loadPredictor(artifact);
  const outputs = Object.values(ONNX_OUTPUTS) as string[];
  artifact.signature.inputs.forEach((input, i) => {
    if (outputs.includes(input.name))
      throw new OnnxExportUnsupportedError(
        { path: `signature.inputs[${i}]`, label: `input "${input.name}"` },
        `its name is also the name of an output of the ONNX graph (${outputs.join(', ')}).`,
      );
  });
  const graph = new OnnxGraph([...artifact.signature.inputs.map((input) => input.name), ...outputs]);
  const columns = transformColumns(graph, artifact.transforms, signatureColumns(graph, artifact.signature));
  const blocks = artifact.features.names.map((name, j): FeatureBlock => {
    const step = { path: `features.names[${j}]`, label: `feature "${name}"` };
    const column = columnOf(columns, name, step);
    if (column.kind === 'string')
      throw new OnnxExportUnsupportedError(step, 'it is text that no transform encoded.');
    return { tensor: column.tensor, width: 1, emulation: column.emulation };
  });
  const out = learnerOutput(graph, artifact.learner, blocks, {
    path: 'learner',
    label: `the learner (${artifact.learner.kind})`,
  });
  const metadata: Record<string, string> = {
    'pipeweave.inputs': JSON.stringify(artifact.signature.inputs.map(({ name, type }) => ({ name, type }))),
    'pipeweave.problem_type': artifact.problemType,
    'pipeweave.trained_at': artifact.trainedAt,
  };
  if (out.problemType === 'classification') {
    const classes = artifact.target?.classes ?? [];
    const index = graph.op('ArgMax', [out.probabilities], { axis: attr.int(1), keepdims: attr.int(0) });
    const whole = classes.every(isWholeNumber);
    const labels = whole ? graph.ints(classes.map(Number)) : graph.strings(classes.map(String));
    graph.output(
      ONNX_OUTPUTS.label,
      graph.op('Gather', [labels, index], { axis: attr.int(0) }),
      whole ? 'int64' : 'string',
      ['N'],
    );
    graph.output(ONNX_OUTPUTS.probabilities, out.probabilities, 'float', ['N', out.nClasses]);
    metadata['pipeweave.classes'] = JSON.stringify(classes);
  } else {
    graph.output(ONNX_OUTPUTS.value, out.values, 'float', ['N', 1]);
  }
  return graph.toModelBytes({ producerVersion: artifact.frameworkVersion, docString: DOC, metadata });
}
