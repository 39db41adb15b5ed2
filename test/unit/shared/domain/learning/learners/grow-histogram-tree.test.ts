import { describe, expect, it } from 'vitest';
import { fitBinMapper } from '../../../../../../shared/domain/learning/learners/bin-mapper';
import {
  addBinnedPredictions,
  HistogramTreeGrower,
} from '../../../../../../shared/domain/learning/learners/grow-histogram-tree';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import { matrix } from './tree-test-data';

function grower(x: ReturnType<typeof matrix>, maxLeafNodes: number | null, maxDepth: number | null = null) {
  const rows = Int32Array.from({ length: x.nRows }, (_, i) => i);
  const { mapper, codes } = fitBinMapper(x, rows, 255, [0, 0], new SeededRandom(1));
  const settings = { maxLeafNodes, maxDepth, minSamplesLeaf: 1, l2Regularization: 0, learningRate: 1 };
  return { mapper, codes, grower: new HistogramTreeGrower(codes, x.nRows, mapper, settings) };
}

describe('HistogramTreeGrower', () => {
  it('grows at most maxLeafNodes leaves, best gain first', () => {
    const random = new SeededRandom(1);
    const n = 500;
    const x = matrix([
      Float64Array.from({ length: n }, () => random.next()),
      Float64Array.from({ length: n }, () => random.next()),
    ]);
    const g = Float64Array.from(
      { length: n },
      (_, i) => Math.sin(10 * (x.columns[0]?.[i] ?? 0)) + (x.columns[1]?.[i] ?? 0),
    );
    const { grower: grow } = grower(x, 5);
    const { tree, gains } = grow.grow(g, new Float64Array(n), true);
    expect(tree.feature.filter((f) => f < 0)).toHaveLength(5);
    expect(gains[0]).toBeGreaterThan(0);
  });

  it('predicts on bins what it learned on the training rows', () => {
    const random = new SeededRandom(2);
    const n = 400;
    const x = matrix([
      Float64Array.from({ length: n }, () => (random.next() < 0.2 ? NaN : random.nextGaussian())),
      Float64Array.from({ length: n }, () => random.nextGaussian()),
    ]);
    const g = Float64Array.from({ length: n }, () => random.nextGaussian());
    const h = Float64Array.from({ length: n }, () => 0.1 + random.next());
    const { grower: grow, codes, mapper } = grower(x, 16, 4);
    const grown = grow.grow(g, h, false);
    const fromLeaves = new Float64Array(n);
    grow.addLeafValues(grown.tree, fromLeaves);
    const fromBins = new Float64Array(n);
    addBinnedPredictions(grown, codes, mapper.missingBin, fromBins);
    expect(fromBins).toEqual(fromLeaves);
  });

  it('makes a single leaf with value −G/H when nothing can be split', () => {
    const x = matrix([Float64Array.of(1, 1, 1, 1), Float64Array.of(2, 2, 2, 2)]);
    const { grower: grow } = grower(x, 31);
    const { tree } = grow.grow(Float64Array.of(1, 1, 1, 1), Float64Array.of(1, 1, 1, 1), false);
    expect(tree.feature).toHaveLength(1);
    expect(tree.value[0]).toBeCloseTo(-1, 12);
  });
});
