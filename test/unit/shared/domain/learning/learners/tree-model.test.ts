import { describe, expect, it } from 'vitest';
import {
  restoreTreeModel,
  treeClassifier,
  TreeBuilder,
  type TreeEnsembleModel,
} from '../../../../../../shared/domain/learning/learners/tree-model';
import { matrix, viaJson } from './tree-test-data';

/** One categorical split (codes 1 and 33 left) over a numeric split, by hand. */
function handModel(): TreeEnsembleModel {
  const b = new TreeBuilder(2);
  const root = b.addNode(10);
  const left = b.addNode(4);
  const right = b.addNode(6);
  const rightLeft = b.addNode(3);
  const rightRight = b.addNode(3);
  const set = new Uint32Array(2);
  set[0] = 1 << 1;
  set[1] = 1 << 1;
  b.setCategoricalSplit(root, 0, set, true);
  b.setChildren(root, left, right);
  b.setNumericSplit(right, 1, 0.5, false);
  b.setChildren(right, rightLeft, rightRight);
  b.setValue(left, 0, 1);
  b.setValue(rightLeft, 1, 1);
  b.setValue(rightRight, 0, 0.25);
  b.setValue(rightRight, 1, 0.75);
  return {
    kind: 'decision_tree',
    problemType: 'classification',
    nClasses: 2,
    featureNames: ['colour', 'size'],
    categories: [40, 0],
    nOutputs: 2,
    treesPerIteration: 1,
    aggregation: 'average',
    postTransform: 'none',
    baseline: new Float64Array(2),
    learningRate: 1,
    trees: [b.finish()],
    featureImportance: Float64Array.of(0.5, 0.5),
    params: {},
    nIter: 1,
    stopReason: 'completed',
  };
}

describe('tree model', () => {
  it('routes rows by category set, threshold and missing direction', () => {
    const model = treeClassifier(handModel());
    // colour 1 and 33 are in the left set, NaN goes left, 2 / unseen 99 / 1.5 go right;
    // then size <= 0.5 goes left, NaN goes right.
    const x = matrix(
      [Float64Array.of(1, 33, NaN, 2, 99, 1.5, 2), Float64Array.of(9, 9, 9, 0.5, 0.6, 0, NaN)],
      [40, undefined],
    );
    expect(Array.from(model.predictProba(x)[1] ?? [])).toEqual([0, 0, 0, 1, 0.75, 1, 0.75]);
    expect(Array.from(model.predict(x))).toEqual([0, 0, 0, 1, 1, 1, 1]);
  });

  it('round-trips through JSON to the same state and predictions', () => {
    const model = treeClassifier(handModel());
    const state = viaJson(model.toState());
    const restored = restoreTreeModel(state, 'decision_tree');
    expect(restored.toState()).toEqual(model.toState());
    const x = matrix([Float64Array.of(1, 2, NaN), Float64Array.of(0, 1, 2)]);
    expect(restored.problemType === 'classification' && restored.predictProba(x)).toEqual(
      model.predictProba(x),
    );
  });

  it('rejects states of another kind, with cycles or with bad bitsets', () => {
    const state = treeClassifier(handModel()).toState();
    expect(() => restoreTreeModel(state, 'random_forest')).toThrow(/kind/);
    const cyclic = structuredClone(state);
    cyclic.trees[0]?.left.splice(2, 1, 0);
    expect(() => restoreTreeModel(cyclic, 'decision_tree')).toThrow(/children/);
    const shortSet = structuredClone(state);
    shortSet.trees[0]?.categoryWords.pop();
    expect(() => restoreTreeModel(shortSet, 'decision_tree')).toThrow(/category set/);
    expect(() => restoreTreeModel({ ...state, trees: 'none' }, 'decision_tree')).toThrow(RangeError);
  });

  it('refuses a matrix with the wrong feature count', () => {
    const model = treeClassifier(handModel());
    expect(() => model.predict(matrix([Float64Array.of(1)]))).toThrow(/expects 2 features/);
  });
});
