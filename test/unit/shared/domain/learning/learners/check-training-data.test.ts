import { describe, expect, it } from 'vitest';
import {
  categoryCounts,
  checkClassTarget,
  checkRegressionTarget,
  checkTrainingData,
  featureNames,
} from '../../../../../../shared/domain/learning/learners/check-training-data';
import { matrix } from './tree-test-data';

describe('training data checks', () => {
  it('accept consistent data and reject mismatches', () => {
    const x = matrix([Float64Array.of(1, 2), Float64Array.of(3, 4)]);
    expect(() => checkTrainingData(x, 2)).not.toThrow();
    expect(() => checkTrainingData(x, 3)).toThrow(/2 rows/);
    expect(() => checkTrainingData({ ...x, columns: [Float64Array.of(1)] }, 2)).toThrow(RangeError);
    expect(() => checkTrainingData({ ...x, nRows: 0, columns: [] }, 0)).toThrow(RangeError);
  });

  it('reject labels out of range and non-finite regression targets', () => {
    expect(() => checkClassTarget({ labels: Int32Array.of(0, 2), nClasses: 2 })).toThrow(/outside/);
    expect(() => checkRegressionTarget(Float64Array.of(1, NaN))).toThrow(RangeError);
  });

  it('read category counts and names', () => {
    const x = { ...matrix([Float64Array.of(0), Float64Array.of(1)], [3, undefined]), names: ['a'] };
    expect(categoryCounts(x)).toEqual([3, 0]);
    expect(featureNames(x)).toEqual(['a', 'feature_1']);
  });
});
