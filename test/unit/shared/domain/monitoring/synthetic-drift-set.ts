import { SeededRandom } from '../../../../../shared/domain/learning/random';
import { featureMatrix, type FeatureMatrix } from '../../../../../shared/domain/monitoring/feature-matrix';
import {
  nearestOtherDistances,
  pairwiseDistances,
} from '../../../../../shared/domain/monitoring/pairwise-distances';
import { quantile } from '../../../../../shared/domain/monitoring/thresholds';

/**
 * A seeded drift benchmark: baseline rows from a mixture of Gaussian clusters, fresh rows from the
 * same mixture, and the same fresh rows each moved in a random direction by `shift` × the
 * baseline's median nearest-neighbour distance.
 */
export interface DriftSet {
  baseline: FeatureMatrix;
  fresh: FeatureMatrix;
  shifted: FeatureMatrix;
  medianNearest: number;
}

export function syntheticDriftSet(options: {
  seed: number;
  baselineRows: number;
  newRows: number;
  features: number;
  clusters?: number;
  shift: number;
}): DriftSet {
  const random = new SeededRandom(options.seed);
  const d = options.features;
  const k = options.clusters ?? 4;
  const centres = Array.from({ length: k }, () =>
    Float64Array.from({ length: d }, () => random.nextGaussian() * 3),
  );
  const draw = (rows: number) => {
    const values = new Float64Array(rows * d);
    for (let i = 0; i < rows; i += 1) {
      const centre = centres[random.nextInt(k)] ?? new Float64Array(d);
      for (let f = 0; f < d; f += 1) values[i * d + f] = (centre[f] ?? 0) + random.nextGaussian();
    }
    return featureMatrix(rows, d, values);
  };
  const baseline = draw(options.baselineRows);
  const fresh = draw(options.newRows);
  const medianNearest = quantile(nearestOtherDistances(pairwiseDistances(baseline)), 0.5);
  const shifted = featureMatrix(fresh.rows, d, Float64Array.from(fresh.values));
  for (let i = 0; i < shifted.rows; i += 1) {
    const direction = Float64Array.from({ length: d }, () => random.nextGaussian());
    const norm = Math.sqrt(direction.reduce((s, v) => s + v * v, 0));
    for (let f = 0; f < d; f += 1) {
      shifted.values[i * d + f] =
        (shifted.values[i * d + f] ?? 0) + ((direction[f] ?? 0) / norm) * options.shift * medianNearest;
    }
  }
  return { baseline, fresh, shifted, medianNearest };
}
