/**
 * The learner of an artifact in ONNX, composites included, as `restoreModel` rebuilds it:
 *
 * - `prepared_input`: the inner learner behind its preparation: an Imputer per feature filled
 *   with the training median, and category codes compared (Equal) with 0…k−1, so that a missing
 *   or unseen code is all zeros;
 * - `ensemble`: each member's probabilities (or values) times its normalised weight, summed;
 * - trees and linear models by their own nodes. Clustering and unknown kinds are refused.
 */
import type { LearnerState } from '../../learning/learner';
import type { LinearRegressionState } from '../../learning/learners/linear-regression';
import type { LogisticRegressionState } from '../../learning/learners/logistic-regression';
import type { TreeEnsembleState } from '../../learning/learners/tree-model';
import type { EnsembleState, PreparedInputState } from '../../learning/automl/composite-models';
import { FLOAT_TYPE } from './impute-nodes';
import { IDENTITY, type ValueEmulation } from './float-threshold';
import type { LearnerOutput } from './learner-output';
import { linearRegressionOutput, logisticRegressionOutput } from './linear-nodes';
import { OnnxExportUnsupportedError, type ExportStep } from './onnx-export-error';
import { attr, ML_DOMAIN, type OnnxGraph } from './onnx-graph';
import { treeEnsembleOutput } from './tree-ensemble-nodes';

/** A run of feature columns: a float tensor [N, width]. */
export interface FeatureBlock {
  readonly tensor: string;
  readonly width: number;
  /** For a single feature: how its values follow from its input (see float-threshold). */
  readonly emulation: ValueEmulation;
}

/** The blocks side by side, as one float [N, Σ width] (built once per list of blocks). */
function featureMatrix(graph: OnnxGraph, blocks: readonly FeatureBlock[]): string {
  const tensors = blocks.filter((b) => b.width > 0).map((b) => b.tensor);
  return graph.once(`matrix:${tensors.join('|')}`, () =>
    tensors.length === 1 && tensors[0] !== undefined
      ? tensors[0]
      : graph.op('Concat', tensors, { axis: attr.int(1) }, { hint: 'features' }),
  );
}

function preparedBlocks(
  graph: OnnxGraph,
  state: PreparedInputState,
  blocks: readonly FeatureBlock[],
  step: ExportStep,
): FeatureBlock[] {
  if (state.features.length !== blocks.length || blocks.some((b) => b.width !== 1))
    throw new OnnxExportUnsupportedError(
      step,
      `its input preparation was fitted on ${state.features.length} feature(s), not the ${blocks.length} it is given.`,
    );
  return state.features.map((feature, j): FeatureBlock => {
    const column = blocks[j]?.tensor ?? '';
    if (feature.kind === 'numeric') {
      if (feature.fill === null) return { tensor: column, width: 1, emulation: IDENTITY };
      const tensor = graph.op(
        'Imputer',
        [column],
        { imputed_value_floats: attr.floats([feature.fill]), replaced_value_float: attr.float(NaN) },
        { domain: ML_DOMAIN },
      );
      return { tensor, width: 1, emulation: IDENTITY };
    }
    const k = feature.categories;
    if (k === 0) return { tensor: column, width: 0, emulation: IDENTITY };
    const codes = graph.floats(
      Array.from({ length: k }, (_, c) => c),
      [1, k],
    );
    const equal = graph.op('Equal', [column, codes]);
    const tensor = graph.op('Cast', [equal], { to: attr.int(FLOAT_TYPE) }, { hint: 'one_hot' });
    return { tensor, width: k, emulation: IDENTITY };
  });
}

function ensembleOutput(
  graph: OnnxGraph,
  state: EnsembleState,
  blocks: readonly FeatureBlock[],
  step: ExportStep,
): LearnerOutput {
  const total = state.members.reduce((sum, m) => sum + m.weight, 0);
  const weighted = state.members.map((member, i) => {
    const memberStep: ExportStep = {
      path: `${step.path}.members[${i}]`,
      label: `ensemble member ${i + 1} (${member.state.kind})`,
    };
    const out = learnerOutput(graph, member.state, blocks, memberStep);
    if (
      out.problemType !== state.problemType ||
      (out.problemType === 'classification' && out.nClasses !== state.nClasses)
    )
      throw new OnnxExportUnsupportedError(memberStep, 'it does not predict what the other members predict.');
    const tensor = out.problemType === 'classification' ? out.probabilities : out.values;
    return graph.op('Mul', [tensor, graph.floats([member.weight / total], [])]);
  });
  const sum = weighted.length === 1 && weighted[0] !== undefined ? weighted[0] : graph.op('Sum', weighted);
  return state.problemType === 'classification'
    ? { problemType: 'classification', nClasses: state.nClasses, probabilities: sum }
    : { problemType: 'regression', values: sum };
}

/** The nodes of `state` on the given features. */
export function learnerOutput(
  graph: OnnxGraph,
  state: LearnerState,
  blocks: readonly FeatureBlock[],
  step: ExportStep,
): LearnerOutput {
  switch (state.kind) {
    case 'prepared_input': {
      const prepared = state as PreparedInputState;
      const inner: ExportStep = {
        path: `${step.path}.model`,
        label: `the prepared learner (${prepared.model.kind})`,
      };
      return learnerOutput(graph, prepared.model, preparedBlocks(graph, prepared, blocks, step), inner);
    }
    case 'ensemble':
      return ensembleOutput(graph, state as EnsembleState, blocks, step);
    case 'decision_tree':
    case 'random_forest':
    case 'hist_gradient_boosting':
      return treeEnsembleOutput(graph, state as TreeEnsembleState, featureMatrix(graph, blocks), step, {
        emulations: blocks.flatMap((b) => Array.from({ length: b.width }, () => b.emulation)),
      });
    case 'logistic_regression':
      return logisticRegressionOutput(
        graph,
        state as LogisticRegressionState,
        featureMatrix(graph, blocks),
        step,
      );
    case 'linear_regression':
    case 'ridge':
      return linearRegressionOutput(graph, state as LinearRegressionState, featureMatrix(graph, blocks));
    case 'kmeans':
      throw new OnnxExportUnsupportedError(
        step,
        'clustering has no ONNX export here: recomputed in float precision, a row near the boundary of two clusters could be given the other one.',
      );
    default:
      throw new OnnxExportUnsupportedError(step, 'it is not a learner this export knows.');
  }
}
