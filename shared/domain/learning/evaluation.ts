import type { ClassTarget, FeatureMatrix } from './learner';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  brierScore,
  confusionMatrix,
  f1,
  logLoss,
  precision,
  recall,
  rocAuc,
} from './metrics/classification-metrics';
import { inertia, silhouette } from './metrics/clustering-metrics';
import { mae, mape, r2, rmse } from './metrics/regression-metrics';
import { argmaxRows } from './argmax-rows';

/**
 * What the evaluate node reports: every metric of the problem type on the rows given, and which
 * features matter. Pure: the node reads the rows and the model, this computes.
 */
export interface ClassificationReport {
  problemType: 'classification';
  rows: number;
  metrics: {
    accuracy: number;
    balancedAccuracy: number;
    precisionMacro: number;
    recallMacro: number;
    f1Macro: number;
    precisionWeighted: number;
    recallWeighted: number;
    f1Weighted: number;
    /** One-vs-rest, macro-averaged above two classes; null when a class is absent from the rows. */
    rocAuc: number | null;
    prAuc: number | null;
    logLoss: number;
    brierScore: number;
  };
  /** confusionMatrix[true][predicted], classes in the model's order. */
  confusionMatrix: number[][];
}

export interface RegressionReport {
  problemType: 'regression';
  rows: number;
  metrics: { rmse: number; mae: number; r2: number; mape: number };
}

export interface ClusteringReport {
  problemType: 'clustering';
  rows: number;
  metrics: { inertia: number; silhouette: number | null };
}

export type EvaluationReport = ClassificationReport | RegressionReport | ClusteringReport;

function orNull(compute: () => number): number | null {
  try {
    const value = compute();
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

export function evaluateClassification(y: ClassTarget, proba: readonly Float64Array[]): ClassificationReport {
  const nRows = y.labels.length;
  const predicted = argmaxRows(proba, nRows);
  const scores = proba.length === 2 ? (proba[1] ?? new Float64Array(nRows)) : proba;
  return {
    problemType: 'classification',
    rows: nRows,
    metrics: {
      accuracy: accuracy(y.labels, predicted),
      balancedAccuracy: balancedAccuracy(y.labels, predicted),
      precisionMacro: precision(y.labels, predicted, { average: 'macro' }),
      recallMacro: recall(y.labels, predicted, { average: 'macro' }),
      f1Macro: f1(y.labels, predicted, { average: 'macro' }),
      precisionWeighted: precision(y.labels, predicted, { average: 'weighted' }),
      recallWeighted: recall(y.labels, predicted, { average: 'weighted' }),
      f1Weighted: f1(y.labels, predicted, { average: 'weighted' }),
      rocAuc: orNull(() => rocAuc(y.labels, scores)),
      prAuc: orNull(() => averagePrecision(y.labels, scores)),
      logLoss: logLoss(y.labels, proba),
      brierScore: brierScore(y.labels, proba),
    },
    confusionMatrix: confusionMatrix(y.labels, predicted, y.nClasses).map((row) => Array.from(row)),
  };
}

export function evaluateRegression(y: Float64Array, predicted: Float64Array): RegressionReport {
  return {
    problemType: 'regression',
    rows: y.length,
    metrics: {
      rmse: rmse(y, predicted),
      mae: mae(y, predicted),
      r2: r2(y, predicted),
      mape: mape(y, predicted),
    },
  };
}

export function evaluateClustering(x: FeatureMatrix, labels: Int32Array, seed = 0): ClusteringReport {
  return {
    problemType: 'clustering',
    rows: x.nRows,
    metrics: { inertia: inertia(x, labels), silhouette: orNull(() => silhouette(x, labels, { seed })) },
  };
}
