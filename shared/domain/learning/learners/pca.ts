/**
 * Principal component analysis as scikit-learn's PCA (full solver): the eigen-decomposition of
 * the covariance matrix (divisor n − 1), components ordered by explained variance, and each
 * component's sign fixed as scikit-learn's svd_flip does: the row with the largest absolute
 * score on the component scores positively. Cost grows with the square of the feature count in
 * memory and its cube in time (Jacobi rotations), which suits tables up to a few hundred features.
 */
import { checkDeadline, type FeatureMatrix, type FitOptions, type LearnerState } from '../learner';
import { symmetricEigen } from './linear-algebra';
import {
  checkStateKind,
  namesOf,
  requireCompleteInput,
  requirePredictionInput,
  stateMatrix,
  stateNames,
  stateVector,
} from './numeric-input';

export interface PcaParams {
  /**
   * Components kept: a whole number (at most min(rows, features)), or a fraction in (0, 1): the
   * fewest components whose explained variance ratios sum beyond it. Default: min(rows, features).
   */
  nComponents?: number;
  /** Scale each component's scores to unit variance. */
  whiten: boolean;
}

export const DEFAULT_PCA_PARAMS: Readonly<PcaParams> = Object.freeze({ whiten: false });

const LEARNER = 'PCA';

export interface PcaState extends LearnerState {
  kind: 'pca';
  format: 1;
  featureNames: string[];
  mean: number[];
  /** Unit principal axes, one row of feature weights per component. */
  components: number[][];
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  whiten: boolean;
}

export interface FittedPca {
  readonly nComponents: number;
  readonly components: readonly Float64Array[];
  readonly explainedVariance: Float64Array;
  readonly explainedVarianceRatio: Float64Array;
  readonly mean: Float64Array;
  /** Component scores of each row, as a feature matrix with columns pc1, pc2, … */
  transform(x: FeatureMatrix): FeatureMatrix;
  /** Rows back in feature space from their component scores (exact when all components kept). */
  inverseTransform(scores: FeatureMatrix): FeatureMatrix;
  toState(): PcaState;
}

function componentCount(requested: number | undefined, ratios: Float64Array, limit: number): number {
  if (requested === undefined) return limit;
  if (requested > 0 && requested < 1) {
    // As scikit-learn: the first count whose cumulative ratio exceeds the fraction.
    let cumulative = 0;
    for (let k = 0; k < limit; k += 1) {
      cumulative += ratios[k] ?? 0;
      if (cumulative > requested) return k + 1;
    }
    return limit;
  }
  if (!Number.isInteger(requested) || requested < 1 || requested > limit) {
    throw new RangeError(
      `nComponents must be an integer in 1…${limit} or a fraction in (0, 1); got ${requested}`,
    );
  }
  return requested;
}

export function fitPca(
  x: FeatureMatrix,
  params: Partial<PcaParams> = {},
  options: FitOptions = { seed: 0 },
): FittedPca {
  const p: PcaParams = { ...DEFAULT_PCA_PARAMS, ...params };
  requireCompleteInput(x, LEARNER);
  if (x.nRows < 2) throw new RangeError('PCA needs at least two rows');
  checkDeadline(options.deadline, 0);
  const n = x.nRows;
  const d = x.columns.length;
  const mean = new Float64Array(d);
  const centred = x.columns.map((column, j) => {
    let sum = 0;
    for (let i = 0; i < n; i += 1) sum += column[i] ?? 0;
    const mu = sum / n;
    mean[j] = mu;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 1) out[i] = (column[i] ?? 0) - mu;
    return out;
  });
  const covariance = new Float64Array(d * d);
  for (let a = 0; a < d; a += 1) {
    const ca = centred[a] ?? new Float64Array(0);
    for (let b = a; b < d; b += 1) {
      const cb = centred[b] ?? new Float64Array(0);
      let sum = 0;
      for (let i = 0; i < n; i += 1) sum += (ca[i] ?? 0) * (cb[i] ?? 0);
      covariance[a * d + b] = sum / (n - 1);
      covariance[b * d + a] = sum / (n - 1);
    }
  }
  checkDeadline(options.deadline, 1);
  const { values, vectors } = symmetricEigen(covariance, d);
  let total = 0;
  for (let j = 0; j < d; j += 1) total += covariance[j * d + j] ?? 0;
  const limit = Math.min(n, d);
  // Rounding can leave tiny negative eigenvalues where the true ones are 0.
  const variance = values.subarray(0, limit).map((v) => Math.max(v, 0));
  const ratios = variance.map((v) => (total > 0 ? v / total : 0));
  const kept = componentCount(p.nComponents, ratios, limit);
  const components = vectors.slice(0, kept).map((vector) => {
    // svd_flip (u-based): the largest |score| over the rows must be positive.
    let largest = 0;
    let sign = 1;
    for (let i = 0; i < n; i += 1) {
      let score = 0;
      for (let j = 0; j < d; j += 1) score += (centred[j]?.[i] ?? 0) * (vector[j] ?? 0);
      if (Math.abs(score) > largest) {
        largest = Math.abs(score);
        sign = score < 0 ? -1 : 1;
      }
    }
    return Array.from(vector, (v) => (sign * v === 0 ? 0 : sign * v));
  });
  options.onProgress?.(1);
  return pcaModel({
    kind: 'pca',
    format: 1,
    featureNames: namesOf(x),
    mean: Array.from(mean),
    components,
    explainedVariance: Array.from(variance.subarray(0, kept)),
    explainedVarianceRatio: Array.from(ratios.subarray(0, kept)),
    whiten: p.whiten,
  });
}

function pcaModel(state: PcaState): FittedPca {
  const d = state.featureNames.length;
  const mean = Float64Array.from(state.mean);
  const components = state.components.map((row) => Float64Array.from(row));
  const explainedVariance = Float64Array.from(state.explainedVariance);
  const nComponents = components.length;
  // Whitening divides each score by its component's standard deviation.
  const divisor = explainedVariance.map((v) => (state.whiten && v > 0 ? Math.sqrt(v) : 1));
  const names = components.map((_, k) => `pc${k + 1}`);
  return {
    nComponents,
    components,
    explainedVariance,
    explainedVarianceRatio: Float64Array.from(state.explainedVarianceRatio),
    mean,
    transform(x: FeatureMatrix): FeatureMatrix {
      requirePredictionInput(x, d, LEARNER);
      const n = x.nRows;
      const columns = components.map(() => new Float64Array(n));
      x.columns.forEach((column, j) => {
        const mu = mean[j] ?? 0;
        components.forEach((component, k) => {
          const weight = (component[j] ?? 0) / (divisor[k] ?? 1);
          const out = columns[k] ?? new Float64Array(0);
          for (let i = 0; i < n; i += 1) out[i] = (out[i] ?? 0) + weight * ((column[i] ?? 0) - mu);
        });
      });
      return { nRows: n, columns, names };
    },
    inverseTransform(scores: FeatureMatrix): FeatureMatrix {
      requirePredictionInput(scores, nComponents, LEARNER);
      const n = scores.nRows;
      const columns = state.mean.map((mu) => new Float64Array(n).fill(mu));
      scores.columns.forEach((score, k) => {
        const component = components[k] ?? new Float64Array(0);
        const scale = divisor[k] ?? 1;
        columns.forEach((out, j) => {
          const weight = (component[j] ?? 0) * scale;
          for (let i = 0; i < n; i += 1) out[i] = (out[i] ?? 0) + weight * (score[i] ?? 0);
        });
      });
      return { nRows: n, columns, names: state.featureNames };
    },
    toState(): PcaState {
      return structuredClone(state);
    },
  };
}

/** A fitted PCA from its state (as `toState` returned it, after JSON). */
export function restorePca(state: LearnerState): FittedPca {
  checkStateKind(state, ['pca']);
  const featureNames = stateNames(state['featureNames']);
  const d = featureNames.length;
  const components = stateMatrix(state['components'], 'components', undefined, d);
  const kept = components.length;
  return pcaModel({
    kind: 'pca',
    format: 1,
    featureNames,
    mean: Array.from(stateVector(state['mean'], 'mean', d)),
    components: components.map((row) => Array.from(row)),
    explainedVariance: Array.from(stateVector(state['explainedVariance'], 'explainedVariance', kept)),
    explainedVarianceRatio: Array.from(
      stateVector(state['explainedVarianceRatio'], 'explainedVarianceRatio', kept),
    ),
    whiten: state['whiten'] === true,
  });
}
