import type { DinsightConfig } from './dinsight-config';
import {
  fitBaselineMap,
  projectRow,
  type BaselineMap,
  type FitProgress,
  type MapSettings,
} from './dinsight-map';
import {
  DEFAULT_DRIFT_OPTIONS,
  featureDrift,
  featureReference,
  type FeatureDrift,
  type FeatureReference,
} from './drift-tests';
import { featureMatrix, type FeatureMatrix } from './feature-matrix';
import {
  fitFeatureSpaceScorer,
  scoreRow,
  topContributingFeatures,
  type FeatureContribution,
  type FeatureSpaceScorer,
} from './feature-space-scorer';
import { fitMahalanobis, mahalanobis, type MahalanobisModel } from './mahalanobis-2d';
import { pairwiseDistances } from './pairwise-distances';
import { severityLevel, type SeverityLevel } from './thresholds';

/**
 * Everything a baseline keeps so that new rows can be monitored against it without recomputing
 * anything of the baseline: its rows, its map, DInsight's 2-D model, the feature-space scorer
 * and the per-feature reference statistics (computed once, here).
 */
export interface BaselineModel {
  featureNames: string[];
  features: FeatureMatrix;
  map: BaselineMap;
  mahalanobis: MahalanobisModel;
  scorer: FeatureSpaceScorer;
  references: FeatureReference[];
  settings: MapSettings;
}

export interface BaselineSummary {
  rows: number;
  features: number;
  iterations: number;
  cost: number;
  stopReason: BaselineMap['stopReason'];
  w1: number;
  distanceRange: { min: number; max: number };
  thresholds: { nearestDistance: number; t2: number; spe: number; mahalanobis: number };
  pcaComponents: number;
}

export function buildBaselineModel(
  featureNames: readonly string[],
  features: FeatureMatrix,
  config: DinsightConfig,
  progress: FitProgress & { signal?: AbortSignal } = {},
): BaselineModel {
  const distances = pairwiseDistances(features, progress.signal);
  const map = fitBaselineMap(distances, config, progress);
  const threshold =
    config.thresholdMethod === 'quantile'
      ? { method: 'quantile' as const, quantile: config.quantile }
      : { method: 'sigma' as const, k: config.sensitivity };
  const scorer = fitFeatureSpaceScorer(features, distances, {
    threshold,
    components: config.pcaComponents,
    seed: config.seed,
  });
  return {
    featureNames: [...featureNames],
    features,
    map,
    mahalanobis: fitMahalanobis(map.coordinates, map.lowdim, config.sensitivity),
    scorer,
    references: featureColumns(features).map(featureReference),
    settings: config,
  };
}

export function summariseBaseline(model: BaselineModel): BaselineSummary {
  return {
    rows: model.features.rows,
    features: model.features.cols,
    iterations: model.map.iterations,
    cost: model.map.cost,
    stopReason: model.map.stopReason,
    w1: model.map.similarity.w1,
    distanceRange: model.map.distanceRange,
    thresholds: {
      nearestDistance: model.scorer.nearestThreshold,
      t2: model.scorer.t2Threshold,
      spe: model.scorer.speThreshold,
      mahalanobis: model.mahalanobis.threshold,
    },
    pcaComponents: model.scorer.pca.k,
  };
}

export function featureColumns(matrix: FeatureMatrix): Float64Array[] {
  return Array.from({ length: matrix.cols }, (_, f) => {
    const column = new Float64Array(matrix.rows);
    for (let i = 0; i < matrix.rows; i += 1) column[i] = matrix.values[i * matrix.cols + f] ?? 0;
    return column;
  });
}

export interface MonitoredPoint {
  /** 0-based position of the row in the monitored table (the process order). */
  index: number;
  position: number[];
  mahalanobis: number;
  mahalanobisSeverity: number;
  nearestDistance: number;
  t2: number;
  spe: number;
  /** Nearest-baseline distance ÷ its threshold: this decides. */
  severity: number;
  anomalous: boolean;
  level: SeverityLevel | null;
  topFeatures: FeatureContribution[];
}

export interface MonitoringOutcome {
  points: MonitoredPoint[];
  drift: FeatureDrift[];
  anomalyRate: number;
  maxSeverity: number;
  driftShare: number;
}

export function monitorRows(
  model: BaselineModel,
  rows: FeatureMatrix,
  options: { onRow?: (index: number) => void; driftSeed?: number } = {},
): MonitoringOutcome {
  const points: MonitoredPoint[] = [];
  for (let i = 0; i < rows.rows; i += 1) {
    options.onRow?.(i);
    const projected = projectRow(model.map, model.features, rows, i, model.settings);
    const scores = scoreRow(model.scorer, model.features, rows, i);
    const m = mahalanobis(model.mahalanobis, projected.position);
    const severity = scores.nearestDistance / model.scorer.nearestThreshold;
    const anomalous = severity >= 1;
    points.push({
      index: i,
      position: Array.from(projected.position),
      mahalanobis: m,
      mahalanobisSeverity: m / model.mahalanobis.threshold,
      nearestDistance: scores.nearestDistance,
      t2: scores.t2,
      spe: scores.spe,
      severity,
      anomalous,
      level: anomalous ? severityLevel(severity) : null,
      topFeatures: anomalous
        ? topContributingFeatures(model.featureNames, model.features, scores.nearestRow, rows, i)
        : [],
    });
  }
  const drift = featureDrift(model.featureNames, model.references, featureColumns(rows), {
    ...DEFAULT_DRIFT_OPTIONS,
    seed: options.driftSeed ?? model.settings.seed,
  });
  const anomalies = points.filter((p) => p.anomalous).length;
  return {
    points,
    drift,
    anomalyRate: points.length > 0 ? anomalies / points.length : 0,
    maxSeverity: points.reduce((max, p) => Math.max(max, p.severity), 0),
    driftShare: drift.length > 0 ? drift.filter((d) => d.drifted).length / drift.length : 0,
  };
}

export { featureMatrix };
