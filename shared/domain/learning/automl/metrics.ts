/**
 * The metrics a search can optimise, each oriented so that the search compares scores the same
 * way (`greaterIsBetter`), and the defaults by problem type:
 *
 * - binary classification: ROC AUC (threshold-free, insensitive to class imbalance);
 * - multiclass classification: log loss. It scores the probabilities themselves, so it rewards
 *   calibrated models and keeps improving where balanced accuracy would plateau, which also
 *   gives the ensemble selection a smooth objective;
 * - regression: R²;
 * - clustering: the silhouette on the validation rows (sampled above 5,000 rows).
 */
import type { ClassTarget, FeatureMatrix, ProblemType } from '../learner';
import { accuracy, balancedAccuracy, f1, logLoss, rocAuc } from '../metrics/classification-metrics';
import { silhouette } from '../metrics/clustering-metrics';
import { mae, r2, rmse } from '../metrics/regression-metrics';
import { argmaxRows } from '../argmax-rows';

export const AUTOML_METRICS = [
  'roc_auc',
  'log_loss',
  'balanced_accuracy',
  'accuracy',
  'f1_macro',
  'r2',
  'rmse',
  'mae',
  'silhouette',
] as const;

export type AutoMlMetric = (typeof AUTOML_METRICS)[number];

export interface MetricDefinition {
  readonly problemType: ProblemType;
  readonly greaterIsBetter: boolean;
}

export const METRIC_DEFINITIONS: Readonly<Record<AutoMlMetric, MetricDefinition>> = {
  roc_auc: { problemType: 'classification', greaterIsBetter: true },
  log_loss: { problemType: 'classification', greaterIsBetter: false },
  balanced_accuracy: { problemType: 'classification', greaterIsBetter: true },
  accuracy: { problemType: 'classification', greaterIsBetter: true },
  f1_macro: { problemType: 'classification', greaterIsBetter: true },
  r2: { problemType: 'regression', greaterIsBetter: true },
  rmse: { problemType: 'regression', greaterIsBetter: false },
  mae: { problemType: 'regression', greaterIsBetter: false },
  silhouette: { problemType: 'clustering', greaterIsBetter: true },
};

export function defaultMetric(problemType: ProblemType, nClasses: number): AutoMlMetric {
  if (problemType === 'classification') return nClasses > 2 ? 'log_loss' : 'roc_auc';
  if (problemType === 'regression') return 'r2';
  return 'silhouette';
}

/** What a model predicted for a set of rows. */
export type Predictions =
  | { readonly kind: 'proba'; readonly proba: readonly Float64Array[] }
  | { readonly kind: 'values'; readonly values: Float64Array }
  | { readonly kind: 'clusters'; readonly labels: Int32Array };

/** The truth a prediction is scored against. */
export type Truth =
  | { readonly kind: 'classes'; readonly y: ClassTarget }
  | { readonly kind: 'values'; readonly y: Float64Array }
  | { readonly kind: 'features'; readonly x: FeatureMatrix };

/** The metric's value (in its own orientation); throws when it cannot be computed. */
export function scorePredictions(
  metric: AutoMlMetric,
  truth: Truth,
  predictions: Predictions,
  seed = 0,
): number {
  let score: number;
  if (truth.kind === 'classes' && predictions.kind === 'proba') {
    const yTrue = truth.y.labels;
    const proba = predictions.proba;
    const predicted = (): Int32Array => argmaxRows(proba, yTrue.length);
    if (metric === 'roc_auc') score = rocAuc(yTrue, proba);
    else if (metric === 'log_loss') score = logLoss(yTrue, proba);
    else if (metric === 'balanced_accuracy') score = balancedAccuracy(yTrue, predicted());
    else if (metric === 'accuracy') score = accuracy(yTrue, predicted());
    else if (metric === 'f1_macro') score = f1(yTrue, predicted(), { average: 'macro' });
    else throw new Error(`Metric ${metric} does not apply to classification`);
  } else if (truth.kind === 'values' && predictions.kind === 'values') {
    if (metric === 'r2') score = r2(truth.y, predictions.values);
    else if (metric === 'rmse') score = rmse(truth.y, predictions.values);
    else if (metric === 'mae') score = mae(truth.y, predictions.values);
    else throw new Error(`Metric ${metric} does not apply to regression`);
  } else if (truth.kind === 'features' && predictions.kind === 'clusters') {
    if (metric !== 'silhouette') throw new Error(`Metric ${metric} does not apply to clustering`);
    score = silhouette(truth.x, predictions.labels, { seed });
  } else {
    throw new Error(`Predictions of kind ${predictions.kind} cannot be scored against ${truth.kind}`);
  }
  if (!Number.isFinite(score)) throw new Error(`The ${metric} score is not a finite number`);
  return score;
}

/** The score turned so that greater is better (for comparisons only). */
export function orientedScore(metric: AutoMlMetric, score: number): number {
  return METRIC_DEFINITIONS[metric].greaterIsBetter ? score : -score;
}
