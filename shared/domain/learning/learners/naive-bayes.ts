/**
 * Multinomial naive Bayes, as scikit-learn's MultinomialNB: for counts or TF-IDF weights.
 *
 * - fit: per class c the summed feature values N_cj and their total N_c; the smoothed
 *   log-probabilities log θ_cj = log((N_cj + α) / (N_c + α·d)); the class log-prior log(n_c / n)
 *   (or uniform with `fitPrior: false`);
 * - predict: the joint log-likelihood Σ_j x_j log θ_cj + log prior_c per class, normalised into
 *   probabilities with log-sum-exp.
 * Features must be complete and non-negative (like scikit-learn, which refuses negative input).
 */
import type { ClassTarget, FeatureMatrix, FitOptions, FittedClassifier, LearnerState } from '../learner';
import { checkDeadline } from '../learner';
import { checkClassTarget } from './check-training-data';
import { requireCompleteInput, requirePredictionInput } from './numeric-input';

const NAME = 'Multinomial naive Bayes';

export interface MultinomialNbParams {
  /** Additive (Laplace / Lidstone) smoothing, > 0. */
  alpha: number;
  /** Learn class priors from the training rows (else uniform). */
  fitPrior: boolean;
}

export const DEFAULT_MULTINOMIAL_NB_PARAMS: Readonly<MultinomialNbParams> = Object.freeze({
  alpha: 1,
  fitPrior: true,
});

export interface MultinomialNbState extends LearnerState {
  kind: 'multinomial_nb';
  format: 1;
  params: MultinomialNbParams;
  nFeatures: number;
  /** Per class. */
  classLogPrior: number[];
  /** Per class, per feature. */
  featureLogProb: number[][];
}

export interface MultinomialNbModel extends FittedClassifier {
  toState(): MultinomialNbState;
}

/** A class with no training row gets this log-prior (about the log of the smallest double). */
const EMPTY_CLASS_LOG_PRIOR = -745;

export class NegativeFeatureError extends Error {
  override readonly name = 'NegativeFeatureError';
}

function requireNonNegative(x: FeatureMatrix): void {
  x.columns.forEach((column, j) => {
    for (let i = 0; i < column.length; i += 1) {
      if ((column[i] ?? 0) < 0)
        throw new NegativeFeatureError(
          `${NAME} needs non-negative features (counts or TF-IDF weights): feature '${x.names[j] ?? `feature_${j}`}' has ${column[i]} in row ${i}. Leave out scaling that centres the data.`,
        );
    }
  });
}

export function fitMultinomialNb(
  x: FeatureMatrix,
  y: ClassTarget,
  params: MultinomialNbParams = DEFAULT_MULTINOMIAL_NB_PARAMS,
  options: FitOptions = { seed: 0 },
): MultinomialNbModel {
  if (!(params.alpha > 0) || !Number.isFinite(params.alpha))
    throw new RangeError('alpha must be a number > 0');
  requireCompleteInput(x, NAME);
  if (y.labels.length !== x.nRows)
    throw new RangeError(`The target has ${y.labels.length} values for ${x.nRows} rows`);
  checkClassTarget(y);
  requireNonNegative(x);
  const k = y.nClasses;
  const d = x.columns.length;
  const featureCount = Array.from({ length: k }, () => new Float64Array(d));
  const classCount = new Float64Array(k);
  for (const label of y.labels) classCount[label] = (classCount[label] ?? 0) + 1;
  x.columns.forEach((column, j) => {
    for (let i = 0; i < x.nRows; i += 1) {
      const row = featureCount[y.labels[i] ?? 0];
      if (row) row[j] = (row[j] ?? 0) + (column[i] ?? 0);
    }
    if (j % 256 === 255) {
      checkDeadline(options.deadline, j);
      options.onProgress?.((j + 1) / d);
    }
  });
  const featureLogProb = featureCount.map((counts) => {
    let total = 0;
    for (const v of counts) total += v + params.alpha;
    const logTotal = Math.log(total);
    return Array.from(counts, (v) => Math.log(v + params.alpha) - logTotal);
  });
  const n = x.nRows;
  const classLogPrior = Array.from(classCount, (count) =>
    params.fitPrior ? (count > 0 ? Math.log(count / n) : EMPTY_CLASS_LOG_PRIOR) : -Math.log(k),
  );
  options.onProgress?.(1);
  return multinomialNbModel({
    kind: 'multinomial_nb',
    format: 1,
    params: { ...params },
    nFeatures: d,
    classLogPrior,
    featureLogProb,
  });
}

function multinomialNbModel(state: MultinomialNbState): MultinomialNbModel {
  const k = state.classLogPrior.length;
  const logProb = state.featureLogProb.map((row) => Float64Array.from(row));
  const predictProba = (x: FeatureMatrix): Float64Array[] => {
    requirePredictionInput(x, state.nFeatures, NAME);
    const jll = Array.from({ length: k }, (_, c) =>
      new Float64Array(x.nRows).fill(state.classLogPrior[c] ?? 0),
    );
    x.columns.forEach((column, j) => {
      for (let c = 0; c < k; c += 1) {
        const w = logProb[c]?.[j] ?? 0;
        const out = jll[c];
        if (!out) continue;
        for (let i = 0; i < x.nRows; i += 1) {
          const v = column[i] ?? 0;
          if (v !== 0) out[i] = (out[i] ?? 0) + v * w;
        }
      }
    });
    const proba = Array.from({ length: k }, () => new Float64Array(x.nRows));
    for (let i = 0; i < x.nRows; i += 1) {
      let max = -Infinity;
      for (let c = 0; c < k; c += 1) max = Math.max(max, jll[c]?.[i] ?? -Infinity);
      let sum = 0;
      for (let c = 0; c < k; c += 1) sum += Math.exp((jll[c]?.[i] ?? 0) - max);
      const logNorm = max + Math.log(sum);
      for (let c = 0; c < k; c += 1) {
        const out = proba[c];
        if (out) out[i] = Math.exp((jll[c]?.[i] ?? 0) - logNorm);
      }
    }
    return proba;
  };
  return {
    problemType: 'classification',
    nClasses: k,
    predictProba,
    predict(x) {
      const proba = predictProba(x);
      const out = new Int32Array(x.nRows);
      for (let i = 0; i < x.nRows; i += 1) {
        let best = 0;
        for (let c = 1; c < k; c += 1) if ((proba[c]?.[i] ?? 0) > (proba[best]?.[i] ?? 0)) best = c;
        out[i] = best;
      }
      return out;
    },
    featureImportance() {
      // How far apart the classes' log-probabilities of a feature are: features that tell the
      // classes apart rank first.
      const importance = new Float64Array(state.nFeatures);
      for (let j = 0; j < state.nFeatures; j += 1) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let c = 0; c < k; c += 1) {
          const v = logProb[c]?.[j] ?? 0;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        importance[j] = k > 0 ? hi - lo : 0;
      }
      return importance;
    },
    toState: () => state,
  };
}

export function restoreMultinomialNb(state: LearnerState): MultinomialNbModel {
  const s = state as Partial<MultinomialNbState>;
  if (
    s.kind !== 'multinomial_nb' ||
    s.format !== 1 ||
    !Number.isInteger(s.nFeatures) ||
    !Array.isArray(s.classLogPrior) ||
    !Array.isArray(s.featureLogProb) ||
    s.featureLogProb.length !== s.classLogPrior.length ||
    !s.featureLogProb.every((row) => Array.isArray(row) && row.length === s.nFeatures) ||
    !s.params
  )
    throw new Error('Not a multinomial naive Bayes state (kind multinomial_nb, format 1).');
  return multinomialNbModel(s as MultinomialNbState);
}
