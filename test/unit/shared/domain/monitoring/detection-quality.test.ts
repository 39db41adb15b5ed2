import { describe, expect, it } from 'vitest';
import { buildBaselineModel, monitorRows } from '../../../../../shared/domain/monitoring/baseline-model';
import { dinsightConfigSchema } from '../../../../../shared/domain/monitoring/dinsight-config';
import {
  fitFeatureSpaceScorer,
  scoreRow,
} from '../../../../../shared/domain/monitoring/feature-space-scorer';
import { pairwiseDistances } from '../../../../../shared/domain/monitoring/pairwise-distances';
import { syntheticDriftSet } from './synthetic-drift-set';

const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
const config = dinsightConfigSchema.parse({});

describe('anomaly detection on a seeded synthetic drift set (64 features, 400 baseline rows, 200 new rows per seed)', () => {
  it('flags at least 90 % of rows shifted by 1.5× the median nearest-neighbour distance and at most 1 % of unshifted rows, over 10 seeds', () => {
    let shiftedFlagged = 0;
    let freshFlagged = 0;
    let total = 0;
    for (const seed of SEEDS) {
      const set = syntheticDriftSet({ seed, baselineRows: 400, newRows: 200, features: 64, shift: 1.5 });
      const scorer = fitFeatureSpaceScorer(set.baseline, pairwiseDistances(set.baseline), {
        threshold: { method: 'quantile', quantile: config.quantile },
        components: config.pcaComponents,
        seed,
      });
      for (let i = 0; i < set.fresh.rows; i += 1) {
        if (scoreRow(scorer, set.baseline, set.fresh, i).nearestDistance >= scorer.nearestThreshold)
          freshFlagged += 1;
        if (scoreRow(scorer, set.baseline, set.shifted, i).nearestDistance >= scorer.nearestThreshold)
          shiftedFlagged += 1;
        total += 1;
      }
    }
    expect(shiftedFlagged / total).toBeGreaterThanOrEqual(0.9);
    expect(freshFlagged / total).toBeLessThanOrEqual(0.01);
  });

  it('monitors new rows end to end: the shifted rows are anomalies with their top features and the 2-D Mahalanobis score beside them', () => {
    const set = syntheticDriftSet({ seed: 7, baselineRows: 150, newRows: 60, features: 64, shift: 1.5 });
    const names = Array.from({ length: 64 }, (_, f) => `f_${f}`);
    const model = buildBaselineModel(names, set.baseline, { ...config, imax: 150 });
    const shifted = monitorRows(model, set.shifted);
    const fresh = monitorRows(model, set.fresh);

    expect(shifted.points).toHaveLength(60);
    expect(shifted.anomalyRate).toBeGreaterThanOrEqual(0.9);
    expect(fresh.anomalyRate).toBeLessThan(0.1);
    const anomaly = shifted.points.find((p) => p.anomalous);
    expect(anomaly?.severity).toBeGreaterThanOrEqual(1);
    expect(anomaly?.level).toMatch(/low|medium|high|critical/);
    expect(anomaly?.topFeatures).toHaveLength(5);
    expect(anomaly?.topFeatures[0]?.feature).toMatch(/^f_\d+$/);
    expect(anomaly?.position).toHaveLength(2);
    expect(Number.isFinite(anomaly?.mahalanobis)).toBe(true);
    // The feature-space score decides: DInsight's 2-D score misses most of these rows.
    const mahalanobisFlagged =
      shifted.points.filter((p) => p.mahalanobisSeverity >= 1).length / shifted.points.length;
    expect(mahalanobisFlagged).toBeLessThan(shifted.anomalyRate);
    expect(shifted.maxSeverity).toBeGreaterThan(1);
  });
});
