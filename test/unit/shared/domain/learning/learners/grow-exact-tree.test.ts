import { describe, expect, it } from 'vitest';
import {
  growExactTree,
  presortFeatures,
  resolveMaxFeatures,
} from '../../../../../../shared/domain/learning/learners/grow-exact-tree';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import { matrix } from './tree-test-data';

const settings = { maxDepth: Infinity, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 1 };

describe('growExactTree', () => {
  it('presorts each feature with missing values last', () => {
    const { order } = presortFeatures(matrix([Float64Array.of(2, NaN, 1, 3)]));
    expect(Array.from(order[0] ?? [])).toEqual([2, 0, 3, 1]);
  });

  it('grows only on rows with a positive weight, weighting the class fractions', () => {
    const x = matrix([Float64Array.of(0, 1, 2, 3)]);
    const target = {
      kind: 'classification',
      labels: Int32Array.of(0, 0, 1, 1),
      nClasses: 2,
      criterion: 'gini',
    } as const;
    const { tree } = growExactTree(
      x,
      presortFeatures(x),
      target,
      Float64Array.of(3, 0, 1, 0),
      settings,
      new SeededRandom(1),
    );
    expect(Array.from(tree.value.subarray(0, 2))).toEqual([0.75, 0.25]);
    expect(tree.threshold[0]).toBe(1);
    expect(tree.cover[0]).toBe(4);
  });

  it('splits off the missing values when that separates the classes best', () => {
    const x = matrix([Float64Array.of(1, 2, NaN, NaN)]);
    const target = {
      kind: 'classification',
      labels: Int32Array.of(0, 0, 1, 1),
      nClasses: 2,
      criterion: 'entropy',
    } as const;
    const { tree, importance } = growExactTree(
      x,
      presortFeatures(x),
      target,
      null,
      settings,
      new SeededRandom(1),
    );
    // Present values left (whatever they are), missing values right.
    expect(tree.threshold[0]).toBe(Number.MAX_VALUE);
    expect(tree.missingLeft[0]).toBe(0);
    expect(tree.feature).toHaveLength(3);
    expect(importance[0]).toBeGreaterThan(0);
  });

  it('resolves maxFeatures like scikit-learn', () => {
    expect(resolveMaxFeatures('sqrt', 20)).toBe(4);
    expect(resolveMaxFeatures('log2', 20)).toBe(4);
    expect(resolveMaxFeatures('all', 20)).toBe(20);
    expect(resolveMaxFeatures(0.5, 20)).toBe(10);
    expect(resolveMaxFeatures(3, 20)).toBe(3);
    expect(resolveMaxFeatures(50, 20)).toBe(20);
    expect(() => resolveMaxFeatures(-1, 20)).toThrow(RangeError);
    expect(() => resolveMaxFeatures(2.5, 20)).toThrow(RangeError);
  });
});
