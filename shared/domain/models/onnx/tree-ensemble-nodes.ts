/**
 * Decision trees, random forests and histogram gradient boosting as one TreeEnsembleClassifier or
 * TreeEnsembleRegressor. The tree state maps onto the operator node by node:
 *
 * - a numeric split is BRANCH_LEQ on its threshold (our trees keep raw feature values, the
 *   histogram learner's bin edges included), left as the true branch, and a missing value follows
 *   `missingLeft` through `nodes_missing_value_tracks_true`;
 * - a categorical split (codes in a left-set bitset) becomes a chain of BRANCH_EQ nodes, one per
 *   code of the left set, all of whose true branches are the left child; a missing value goes left
 *   at the first node when it should, and otherwise fails every test and ends on the right;
 * - leaves carry their values as class or target weights.
 *
 * Forests average class fractions; TreeEnsembleClassifier only sums, so the sum is divided by the
 * tree count after it (a division, not a pre-scaled weight, so that a tie of votes stays a tie).
 * In a two-class ensemble only the positive class's weights are written, with class id 0: that
 * is how onnxruntime reads a binary ensemble (weights for both classes give right probabilities
 * but a wrong label). It then returns [1 − s, s] (no post transform) or [σ(−s), σ(s)] (LOGISTIC).
 */
import { bitsetWords, type TreeEnsembleState, type TreeState } from '../../learning/learners/tree-model';
import { floatThreshold, IDENTITY, type ValueEmulation } from './float-threshold';
import type { LearnerOutput } from './learner-output';
import { OnnxExportUnsupportedError, type ExportStep } from './onnx-export-error';
import { attr, ML_DOMAIN, type Attribute, type OnnxGraph } from './onnx-graph';

interface NodeAttributes {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueIds: number[];
  falseIds: number[];
  missingTrue: number[];
}

interface LeafWeights {
  treeIds: number[];
  nodeIds: number[];
  ids: number[];
  weights: number[];
}

/** The codes of a categorical split's left set, as the predictor tests them. */
function leftSet(tree: TreeState, node: number, categoryCount: number): number[] {
  const offset = tree.categorySet[node] ?? -1;
  const codes: number[] = [];
  for (let code = 0; code < bitsetWords(categoryCount) * 32; code += 1) {
    const word = tree.categoryWords[offset + (code >>> 5)] ?? 0;
    if (((word >>> (code & 31)) & 1) === 1) codes.push(code);
  }
  return codes;
}

/**
 * Writes every node of every tree; calls `leaf` for each leaf with its tree and node index.
 * Node ids are the tree's own; the extra nodes of categorical chains follow them.
 */
function writeNodes(
  state: TreeEnsembleState,
  thresholdOf: (feature: number, threshold: number) => number,
  leaf: (tree: number, node: number, value: readonly number[]) => void,
): NodeAttributes {
  const a: NodeAttributes = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    modes: [],
    values: [],
    trueIds: [],
    falseIds: [],
    missingTrue: [],
  };
  const push = (
    t: number,
    id: number,
    feature: number,
    mode: string,
    value: number,
    ids: [number, number],
    missing: number,
  ) => {
    a.treeIds.push(t);
    a.nodeIds.push(id);
    a.featureIds.push(feature);
    a.modes.push(mode);
    a.values.push(value);
    a.trueIds.push(ids[0]);
    a.falseIds.push(ids[1]);
    a.missingTrue.push(missing);
  };
  state.trees.forEach((tree, t) => {
    const n = tree.feature.length;
    let next = n;
    for (let i = 0; i < n; i += 1) {
      const feature = tree.feature[i] ?? -1;
      if (feature < 0) {
        push(t, i, 0, 'LEAF', 0, [0, 0], 0);
        leaf(t, i, tree.value.slice(i * state.nOutputs, (i + 1) * state.nOutputs));
        continue;
      }
      const left = tree.left[i] ?? 0;
      const right = tree.right[i] ?? 0;
      const missingLeft = tree.missingLeft[i] === 1 ? 1 : 0;
      if ((tree.categorySet[i] ?? -1) < 0) {
        push(
          t,
          i,
          feature,
          'BRANCH_LEQ',
          thresholdOf(feature, tree.threshold[i] ?? 0),
          [left, right],
          missingLeft,
        );
        continue;
      }
      // An empty left set still routes missing values: NaN equals no code.
      const codes = leftSet(tree, i, state.categories[feature] ?? 0);
      const tests = codes.length > 0 ? codes : [NaN];
      tests.forEach((code, k) => {
        const id = k === 0 ? i : next++;
        const otherwise = k === tests.length - 1 ? right : next;
        push(t, id, feature, 'BRANCH_EQ', code, [left, otherwise], k === 0 ? missingLeft : 0);
      });
    }
  });
  return a;
}

function nodeAttributes(a: NodeAttributes): Record<string, Attribute> {
  return {
    nodes_treeids: attr.ints(a.treeIds),
    nodes_nodeids: attr.ints(a.nodeIds),
    nodes_featureids: attr.ints(a.featureIds),
    nodes_modes: attr.strings(a.modes),
    nodes_values: attr.floats(a.values),
    nodes_truenodeids: attr.ints(a.trueIds),
    nodes_falsenodeids: attr.ints(a.falseIds),
    nodes_missing_value_tracks_true: attr.ints(a.missingTrue),
  };
}

/** Float thresholds per feature, each found once (a histogram tree reuses its bin edges). */
function thresholds(emulations: readonly ValueEmulation[]): (feature: number, threshold: number) => number {
  const found = new Map<string, number>();
  return (feature, threshold) => {
    const key = `${feature}:${threshold}`;
    let value = found.get(key);
    if (value === undefined) {
      value = floatThreshold(threshold, emulations[feature] ?? IDENTITY);
      found.set(key, value);
    }
    return value;
  };
}

export interface TreeInputs {
  /** Per feature, how its values follow from the graph's inputs. */
  readonly emulations: readonly ValueEmulation[];
}

function collectLeaves(
  state: TreeEnsembleState,
  inputs: TreeInputs,
  weightsOf: (tree: number, value: readonly number[]) => readonly [id: number, weight: number][],
): { nodes: NodeAttributes; leaves: LeafWeights } {
  const leaves: LeafWeights = { treeIds: [], nodeIds: [], ids: [], weights: [] };
  const nodes = writeNodes(state, thresholds(inputs.emulations), (tree, node, value) => {
    for (const [id, weight] of weightsOf(tree, value)) {
      leaves.treeIds.push(tree);
      leaves.nodeIds.push(node);
      leaves.ids.push(id);
      leaves.weights.push(weight);
    }
  });
  return { nodes, leaves };
}

type Layout =
  'forest' | 'boosting_binary' | 'boosting_multiclass' | 'boosting_regression' | 'forest_regression';

/** The layouts our learners write (aggregation, post transform, outputs per leaf, trees per iteration). */
const LAYOUTS: readonly { layout: Layout; matches: (s: TreeEnsembleState) => boolean }[] = [
  {
    layout: 'forest',
    matches: (s) => s.aggregation === 'average' && s.postTransform === 'none' && s.nOutputs === s.nClasses,
  },
  {
    layout: 'boosting_binary',
    matches: (s) => s.aggregation === 'sum' && s.postTransform === 'logistic' && s.nOutputs === 1,
  },
  {
    layout: 'boosting_multiclass',
    matches: (s) =>
      s.aggregation === 'sum' && s.postTransform === 'softmax' && s.treesPerIteration === s.nClasses,
  },
];

function layoutOf(state: TreeEnsembleState, step: ExportStep): Layout {
  const { aggregation, postTransform, nOutputs, treesPerIteration, problemType } = state;
  const single = nOutputs === 1 && treesPerIteration === 1;
  if (problemType === 'regression' && single && postTransform === 'none')
    return aggregation === 'average' ? 'forest_regression' : 'boosting_regression';
  const perClass = treesPerIteration === 1 || (nOutputs === 1 && postTransform === 'softmax');
  const found =
    problemType === 'classification' && perClass ? LAYOUTS.find((l) => l.matches(state)) : undefined;
  if (found) return found.layout;
  throw new OnnxExportUnsupportedError(
    step,
    `its trees combine as ${aggregation} with ${postTransform} over ${nOutputs} output(s), a layout this export does not know.`,
  );
}

function regressor(
  graph: OnnxGraph,
  state: TreeEnsembleState,
  x: string,
  inputs: TreeInputs,
  average: boolean,
): LearnerOutput {
  const { nodes, leaves } = collectLeaves(state, inputs, (_, value) => [[0, value[0] ?? 0]]);
  const values = graph.op(
    'TreeEnsembleRegressor',
    [x],
    {
      ...nodeAttributes(nodes),
      target_treeids: attr.ints(leaves.treeIds),
      target_nodeids: attr.ints(leaves.nodeIds),
      target_ids: attr.ints(leaves.ids),
      target_weights: attr.floats(leaves.weights),
      n_targets: attr.int(1),
      aggregate_function: attr.string(average ? 'AVERAGE' : 'SUM'),
      base_values: attr.floats([state.baseline[0] ?? 0]),
    },
    { domain: ML_DOMAIN, hint: 'tree_values' },
  );
  return { problemType: 'regression', values };
}

function classifier(
  graph: OnnxGraph,
  state: TreeEnsembleState,
  x: string,
  leaves: LeafWeights,
  nodes: NodeAttributes,
  extra: Record<string, Attribute>,
): string {
  const [, probabilities] = graph.node(
    'TreeEnsembleClassifier',
    [x],
    {
      ...nodeAttributes(nodes),
      class_treeids: attr.ints(leaves.treeIds),
      class_nodeids: attr.ints(leaves.nodeIds),
      class_ids: attr.ints(leaves.ids),
      class_weights: attr.floats(leaves.weights),
      classlabels_int64s: attr.ints(Array.from({ length: state.nClasses }, (_, k) => k)),
      ...extra,
    },
    { domain: ML_DOMAIN, outputs: 2, hint: 'tree_scores' },
  );
  if (probabilities === undefined) throw new Error('TreeEnsembleClassifier has two outputs');
  return probabilities;
}

/** A forest's class fractions: summed by the operator, divided by the tree count here. */
function forestProbabilities(
  graph: OnnxGraph,
  state: TreeEnsembleState,
  x: string,
  inputs: TreeInputs,
): string {
  const binary = state.nClasses === 2;
  const { nodes, leaves } = collectLeaves(state, inputs, (_, value) =>
    binary ? [[0, value[1] ?? 0]] : value.map((w, k): [number, number] => [k, w]),
  );
  const scores = classifier(graph, state, x, leaves, nodes, { post_transform: attr.string('NONE') });
  const nTrees = state.trees.length;
  const average = (sum: string) => (nTrees === 1 ? sum : graph.op('Div', [sum, graph.floats([nTrees], [])]));
  if (!binary) return average(scores);
  const positive = average(graph.op('Gather', [scores, graph.ints([1])], { axis: attr.int(1) }));
  const negative = graph.op('Sub', [graph.floats([1], []), positive]);
  return graph.op('Concat', [negative, positive], { axis: attr.int(1) });
}

export function treeEnsembleOutput(
  graph: OnnxGraph,
  state: TreeEnsembleState,
  x: string,
  step: ExportStep,
  inputs: TreeInputs,
): LearnerOutput {
  const layout = layoutOf(state, step);
  switch (layout) {
    case 'forest_regression':
      return regressor(graph, state, x, inputs, true);
    case 'boosting_regression':
      return regressor(graph, state, x, inputs, false);
    case 'forest':
      return {
        problemType: 'classification',
        nClasses: state.nClasses,
        probabilities: forestProbabilities(graph, state, x, inputs),
      };
    case 'boosting_binary':
    case 'boosting_multiclass': {
      // Binary: the positive class's score only (class id 0) through LOGISTIC; else one class per tree.
      const k = state.treesPerIteration;
      const binary = layout === 'boosting_binary';
      const { nodes, leaves } = collectLeaves(state, inputs, (tree, value) => [
        [binary ? 0 : tree % k, value[0] ?? 0],
      ]);
      const probabilities = classifier(graph, state, x, leaves, nodes, {
        post_transform: attr.string(binary ? 'LOGISTIC' : 'SOFTMAX'),
        base_values: attr.floats(binary ? [state.baseline[0] ?? 0] : Array.from(state.baseline)),
      });
      return { problemType: 'classification', nClasses: state.nClasses, probabilities };
    }
  }
}
