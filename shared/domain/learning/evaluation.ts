import {
  checkDeadline,
  DeadlineExceededError,
  type ClassTarget,
  type Deadline,
  type FeatureMatrix,
  type FittedModel,
} from './learner';
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
import { SeededRandom } from './random';
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

/** One score where greater is better: what permutation importance measures the drop of. */
function scoreOf(model: FittedModel, x: FeatureMatrix, truth: ClassTarget | Float64Array): number {
  if (model.problemType === 'classification' && !(truth instanceof Float64Array))
    return accuracy(truth.labels, model.predict(x));
  if (model.problemType === 'regression' && truth instanceof Float64Array) return r2(truth, model.predict(x));
  throw new Error('Permutation importance needs a classifier or a regressor and its target.');
}

export interface PermutationImportance {
  /** Mean drop of accuracy (classification) or R² (regression) when the feature is shuffled. */
  importances: { feature: string; mean: number; std: number }[];
  /** True when the deadline stopped before every feature was measured. */
  partial: boolean;
  repeats: number;
}

/**
 * Permutation importance (as scikit-learn's permutation_importance): each feature's column is
 * shuffled `repeats` times with a seeded generator and the score drop recorded. Stops at the
 * deadline between features, reporting the ones measured.
 */
export function permutationImportance(
  model: FittedModel,
  x: FeatureMatrix,
  truth: ClassTarget | Float64Array,
  options: { seed: number; repeats?: number; deadline?: Deadline },
): PermutationImportance {
  const repeats = options.repeats ?? 5;
  const random = new SeededRandom(options.seed);
  const baseline = scoreOf(model, x, truth);
  const importances: PermutationImportance['importances'] = [];
  let partial = false;
  for (let j = 0; j < x.columns.length; j += 1) {
    try {
      checkDeadline(options.deadline, j);
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        partial = true;
        break;
      }
      throw error;
    }
    const original = x.columns[j];
    if (!original) continue;
    const drops: number[] = [];
    for (let r = 0; r < repeats; r += 1) {
      const shuffled = random.shuffle(Float64Array.from(original));
      const columns = x.columns.map((column, k) => (k === j ? shuffled : column));
      drops.push(baseline - scoreOf(model, { ...x, columns }, truth));
    }
    const mean = drops.reduce((a, b) => a + b, 0) / drops.length;
    const std = Math.sqrt(drops.reduce((a, b) => a + (b - mean) ** 2, 0) / drops.length);
    importances.push({ feature: x.names[j] ?? `feature_${j}`, mean, std });
  }
  importances.sort((a, b) => b.mean - a.mean);
  return { importances, partial, repeats };
}
