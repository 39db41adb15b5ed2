/**
 * Histogram gradient boosting as scikit-learn's HistGradientBoosting{Classifier,Regressor}:
 * quantile-binned features (byte codes plus a missing-value bin), leaf-wise trees on gradient
 * histograms, binary log loss, multiclass softmax (one tree per class per iteration) or squared
 * error, native categorical splits, and early stopping on a held-out validation loss.
 *
 * Deadline: checked before every iteration. When it has passed after at least one iteration, the
 * model keeps the iterations already completed (a valid, if shorter, ensemble) and reports
 * stopReason 'deadline'; before the first iteration it throws DeadlineExceededError.
 */
import {
  DeadlineExceededError,
  type ClassTarget,
  type FeatureMatrix,
  type FitOptions,
  type LearnerState,
} from '../learner';
import { SeededRandom } from '../random';
import { binRows, fitBinMapper } from './bin-mapper';
import {
  categoryCounts,
  checkClassTarget,
  checkInteger,
  checkRegressionTarget,
  checkTrainingData,
  featureNames,
} from './check-training-data';
import { addBinnedPredictions, HistogramTreeGrower } from './grow-histogram-tree';
import {
  normaliseImportance,
  restoreTreeModel,
  treeClassifier,
  treeRegressor,
  type StopReason,
  type Tree,
  type TreeClassifier,
  type TreeEnsembleModel,
  type TreeRegressor,
} from './tree-model';

export interface HistGradientBoostingParams {
  learningRate: number;
  /** Boosting iterations (each adds one tree, or one per class for multiclass). */
  maxIter: number;
  /** null: no limit. */
  maxLeafNodes: number | null;
  /** null: no limit. */
  maxDepth: number | null;
  minSamplesLeaf: number;
  l2Regularization: number;
  /** Bins for present values per feature, 2…255; one more bin holds missing values. */
  maxBins: number;
  /** 'auto': on when there are more than 10,000 rows. */
  earlyStopping: 'auto' | boolean;
  /** Share of rows held out to score early stopping; null scores on the training loss. */
  validationFraction: number | null;
  nIterNoChange: number;
  /** Minimum loss improvement over nIterNoChange iterations to continue. */
  tol: number;
}

export const DEFAULT_HIST_GRADIENT_BOOSTING_PARAMS: Readonly<HistGradientBoostingParams> = Object.freeze({
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxBins: 255,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
});

/** Rows above which earlyStopping 'auto' turns early stopping on. */
const AUTO_EARLY_STOPPING_ROWS = 10_000;
const EPSILON = 2.220446049250313e-16;

type Loss = 'squared_error' | 'log_loss' | 'multinomial';

interface BoostingTarget {
  readonly loss: Loss;
  /** Labels for classification, values for regression. */
  readonly labels: Int32Array;
  readonly y: Float64Array;
  readonly nClasses: number;
}

export function fitHistGradientBoostingClassifier(
  x: FeatureMatrix,
  y: ClassTarget,
  params: Partial<HistGradientBoostingParams>,
  options: FitOptions,
): TreeClassifier {
  checkTrainingData(x, y.labels.length);
  checkClassTarget(y);
  if (y.nClasses < 2) throw new RangeError('Gradient boosting classification needs at least two classes');
  const loss: Loss = y.nClasses === 2 ? 'log_loss' : 'multinomial';
  const model = fitBoosting(
    x,
    { loss, labels: y.labels, y: new Float64Array(0), nClasses: y.nClasses },
    params,
    options,
  );
  return treeClassifier(model);
}

export function fitHistGradientBoostingRegressor(
  x: FeatureMatrix,
  y: Float64Array,
  params: Partial<HistGradientBoostingParams>,
  options: FitOptions,
): TreeRegressor {
  checkTrainingData(x, y.length);
  checkRegressionTarget(y);
  const model = fitBoosting(
    x,
    { loss: 'squared_error', labels: new Int32Array(0), y, nClasses: 0 },
    params,
    options,
  );
  return treeRegressor(model);
}

/** Rebuilds a fitted histogram gradient boosting model from `toState()` output. */
export function restoreHistGradientBoosting(state: LearnerState): TreeClassifier | TreeRegressor {
  return restoreTreeModel(state, 'hist_gradient_boosting');
}

function checkParams(p: HistGradientBoostingParams): void {
  if (!(p.learningRate > 0) || !Number.isFinite(p.learningRate))
    throw new RangeError('learningRate must be positive');
  checkInteger('maxIter', p.maxIter, 1);
  checkInteger('maxLeafNodes', p.maxLeafNodes, 2, true);
  checkInteger('maxDepth', p.maxDepth, 1, true);
  checkInteger('minSamplesLeaf', p.minSamplesLeaf, 1);
  if (!(p.l2Regularization >= 0) || !Number.isFinite(p.l2Regularization)) {
    throw new RangeError('l2Regularization must be ≥ 0');
  }
  checkInteger('maxBins', p.maxBins, 2);
  if (p.maxBins > 255) throw new RangeError('maxBins must be at most 255');
  if (p.validationFraction !== null && !(p.validationFraction > 0 && p.validationFraction < 1)) {
    throw new RangeError('validationFraction must be in (0, 1) or null');
  }
  checkInteger('nIterNoChange', p.nIterNoChange, 1);
  if (!(p.tol >= 0)) throw new RangeError('tol must be ≥ 0');
}

function fitBoosting(
  x: FeatureMatrix,
  target: BoostingTarget,
  params: Partial<HistGradientBoostingParams>,
  options: FitOptions,
): TreeEnsembleModel {
  const p: HistGradientBoostingParams = { ...DEFAULT_HIST_GRADIENT_BOOSTING_PARAMS, ...params };
  checkParams(p);
  const random = new SeededRandom(options.seed);
  const n = x.nRows;
  const nFeatures = x.columns.length;
  const categories = categoryCounts(x);
  const earlyStopping = p.earlyStopping === 'auto' ? n > AUTO_EARLY_STOPPING_ROWS : p.earlyStopping;
  const { train, validation } =
    earlyStopping && p.validationFraction !== null
      ? holdout(n, p.validationFraction, target, random)
      : { train: Int32Array.from({ length: n }, (_, i) => i), validation: null };
  const nTrain = train.length;

  const { mapper, codes: binnedTrain } = fitBinMapper(x, train, p.maxBins, categories, random);
  const binnedValidation = validation ? binRows(x, validation, mapper) : null;
  const trainTarget = subsetTarget(target, train);
  const validationTarget = validation ? subsetTarget(target, validation) : null;

  const treesPerIteration = target.loss === 'multinomial' ? target.nClasses : 1;
  const baseline = baselinePrediction(trainTarget, treesPerIteration);
  // Raw predictions, class-major: class k of row i at k·n + i.
  const raw = initialRaw(baseline, nTrain);
  const rawValidation = validation ? initialRaw(baseline, validation.length) : null;
  const gradients = new Float64Array(nTrain * treesPerIteration);
  const hessians = new Float64Array(nTrain * treesPerIteration);
  const grower = new HistogramTreeGrower(binnedTrain, nTrain, mapper, {
    maxLeafNodes: p.maxLeafNodes,
    maxDepth: p.maxDepth,
    minSamplesLeaf: p.minSamplesLeaf,
    l2Regularization: p.l2Regularization,
    learningRate: p.learningRate,
  });

  const trees: Tree[] = [];
  const gains = new Float64Array(nFeatures);
  const scores: number[] = [];
  if (earlyStopping) {
    scores.push(
      validationTarget && rawValidation
        ? -meanLoss(validationTarget, rawValidation)
        : -meanLoss(trainTarget, raw),
    );
  }
  let stopReason: StopReason = 'completed';
  let nIter = 0;
  const constantHessian = target.loss === 'squared_error';
  for (let iteration = 0; iteration < p.maxIter; iteration += 1) {
    const deadline = options.deadline;
    if (deadline && deadline.now() >= deadline.atMs) {
      if (iteration === 0) throw new DeadlineExceededError(0);
      stopReason = 'deadline';
      break;
    }
    computeGradients(trainTarget, raw, gradients, hessians);
    for (let k = 0; k < treesPerIteration; k += 1) {
      const g = gradients.subarray(k * nTrain, (k + 1) * nTrain);
      const h = hessians.subarray(k * nTrain, (k + 1) * nTrain);
      const grown = grower.grow(g, h, constantHessian);
      grower.addLeafValues(grown.tree, raw.subarray(k * nTrain, (k + 1) * nTrain));
      if (binnedValidation && rawValidation && validation) {
        const nVal = validation.length;
        addBinnedPredictions(
          grown,
          binnedValidation,
          mapper.missingBin,
          rawValidation.subarray(k * nVal, (k + 1) * nVal),
        );
      }
      trees.push(grown.tree);
      for (let f = 0; f < nFeatures; f += 1) gains[f] = (gains[f] as number) + (grown.gains[f] as number);
    }
    nIter = iteration + 1;
    options.onProgress?.(nIter / p.maxIter);
    if (earlyStopping) {
      scores.push(
        validationTarget && rawValidation
          ? -meanLoss(validationTarget, rawValidation)
          : -meanLoss(trainTarget, raw),
      );
      if (shouldStop(scores, p.nIterNoChange, p.tol)) {
        if (nIter < p.maxIter) stopReason = 'early_stopping';
        break;
      }
    }
  }

  const classification = target.loss !== 'squared_error';
  return {
    kind: 'hist_gradient_boosting',
    problemType: classification ? 'classification' : 'regression',
    nClasses: classification ? target.nClasses : 0,
    featureNames: featureNames(x),
    categories,
    nOutputs: 1,
    treesPerIteration,
    aggregation: 'sum',
    postTransform:
      target.loss === 'log_loss' ? 'logistic' : target.loss === 'multinomial' ? 'softmax' : 'none',
    baseline,
    learningRate: p.learningRate,
    trees,
    featureImportance: normaliseImportance(gains),
    params: { ...p },
    nIter,
    stopReason,
  };
}

/** scikit-learn's rule: stop when none of the last nIterNoChange scores beat the one before them by tol. */
function shouldStop(scores: readonly number[], nIterNoChange: number, tol: number): boolean {
  const reference = nIterNoChange + 1;
  if (scores.length < reference) return false;
  const referenceScore = (scores[scores.length - reference] as number) + tol;
  for (let i = scores.length - reference + 1; i < scores.length; i += 1) {
    if ((scores[i] as number) > referenceScore) return false;
  }
  return true;
}

/** A validation split: stratified by class for classification, random for regression. */
function holdout(
  n: number,
  fraction: number,
  target: BoostingTarget,
  random: SeededRandom,
): { train: Int32Array; validation: Int32Array | null } {
  const nValidation = Math.ceil(fraction * n);
  if (nValidation < 1 || n - nValidation < 1)
    return { train: Int32Array.from({ length: n }, (_, i) => i), validation: null };
  const isValidation = new Uint8Array(n);
  if (target.loss === 'squared_error') {
    const order = random.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    for (let j = 0; j < nValidation; j += 1) isValidation[order[j] as number] = 1;
  } else {
    const byClass: number[][] = Array.from({ length: target.nClasses }, () => []);
    for (let i = 0; i < n; i += 1) (byClass[target.labels[i] as number] as number[]).push(i);
    // Largest-remainder allocation of the validation rows to classes, by class share.
    const quotas = byClass.map((rows) => (rows.length * nValidation) / n);
    const take = quotas.map((q) => Math.floor(q));
    let left = nValidation - take.reduce((a, b) => a + b, 0);
    const byRemainder = quotas
      .map((q, k) => ({ k, r: q - Math.floor(q) }))
      .sort((a, b) => b.r - a.r || a.k - b.k);
    for (const { k } of byRemainder) {
      if (left === 0) break;
      take[k] = (take[k] as number) + 1;
      left -= 1;
    }
    byClass.forEach((rows, k) => {
      const shuffled = random.shuffle(Int32Array.from(rows));
      for (let j = 0; j < (take[k] as number) && j < shuffled.length; j += 1)
        isValidation[shuffled[j] as number] = 1;
    });
  }
  let nVal = 0;
  for (let i = 0; i < n; i += 1) nVal += isValidation[i] as number;
  const train = new Int32Array(n - nVal);
  const validation = new Int32Array(nVal);
  let t = 0;
  let v = 0;
  for (let i = 0; i < n; i += 1) {
    if (isValidation[i] === 1) validation[v++] = i;
    else train[t++] = i;
  }
  return { train, validation };
}

function subsetTarget(target: BoostingTarget, rows: Int32Array): BoostingTarget {
  if (target.loss === 'squared_error') {
    return { ...target, y: Float64Array.from(rows, (i) => target.y[i] as number) };
  }
  return { ...target, labels: Int32Array.from(rows, (i) => target.labels[i] as number) };
}

/** The constant prediction that minimises the loss: the mean, the log-odds or the log priors. */
function baselinePrediction(target: BoostingTarget, treesPerIteration: number): Float64Array {
  if (target.loss === 'squared_error') {
    let sum = 0;
    for (const v of target.y) sum += v;
    return Float64Array.of(sum / target.y.length);
  }
  const counts = new Float64Array(target.nClasses);
  for (const label of target.labels) counts[label] = (counts[label] as number) + 1;
  const n = target.labels.length;
  const prior = (k: number): number => Math.min(Math.max((counts[k] as number) / n, EPSILON), 1 - EPSILON);
  if (target.loss === 'log_loss') {
    const p = prior(1);
    return Float64Array.of(Math.log(p / (1 - p)));
  }
  // Centred log priors (the symmetric multinomial link).
  const out = Float64Array.from({ length: treesPerIteration }, (_, k) => Math.log(prior(k)));
  let mean = 0;
  for (const v of out) mean += v;
  mean /= out.length;
  for (let k = 0; k < out.length; k += 1) out[k] = (out[k] as number) - mean;
  return out;
}

function initialRaw(baseline: Float64Array, n: number): Float64Array {
  const raw = new Float64Array(n * baseline.length);
  for (let k = 0; k < baseline.length; k += 1) raw.fill(baseline[k] as number, k * n, (k + 1) * n);
  return raw;
}

function computeGradients(
  target: BoostingTarget,
  raw: Float64Array,
  gradients: Float64Array,
  hessians: Float64Array,
): void {
  if (target.loss === 'squared_error') {
    const y = target.y;
    for (let i = 0; i < y.length; i += 1) gradients[i] = (raw[i] as number) - (y[i] as number);
    return;
  }
  const labels = target.labels;
  const n = labels.length;
  if (target.loss === 'log_loss') {
    for (let i = 0; i < n; i += 1) {
      const p = sigmoid(raw[i] as number);
      gradients[i] = p - (labels[i] as number);
      hessians[i] = p * (1 - p);
    }
    return;
  }
  const k = target.nClasses;
  for (let i = 0; i < n; i += 1) {
    let max = -Infinity;
    for (let c = 0; c < k; c += 1) max = Math.max(max, raw[c * n + i] as number);
    let sum = 0;
    for (let c = 0; c < k; c += 1) {
      const e = Math.exp((raw[c * n + i] as number) - max);
      gradients[c * n + i] = e;
      sum += e;
    }
    const label = labels[i] as number;
    for (let c = 0; c < k; c += 1) {
      const p = (gradients[c * n + i] as number) / sum;
      gradients[c * n + i] = p - (c === label ? 1 : 0);
      hessians[c * n + i] = p * (1 - p);
    }
  }
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** Mean loss: half squared error, binary log loss or multinomial log loss (as scikit-learn). */
function meanLoss(target: BoostingTarget, raw: Float64Array): number {
  let total = 0;
  if (target.loss === 'squared_error') {
    const y = target.y;
    for (let i = 0; i < y.length; i += 1) {
      const d = (raw[i] as number) - (y[i] as number);
      total += 0.5 * d * d;
    }
    return total / y.length;
  }
  const labels = target.labels;
  const n = labels.length;
  if (target.loss === 'log_loss') {
    for (let i = 0; i < n; i += 1) {
      const r = raw[i] as number;
      // log(1 + e^r) − y·r, computed without overflow.
      total += (r > 0 ? r + Math.log1p(Math.exp(-r)) : Math.log1p(Math.exp(r))) - (labels[i] as number) * r;
    }
    return total / n;
  }
  const k = target.nClasses;
  for (let i = 0; i < n; i += 1) {
    let max = -Infinity;
    for (let c = 0; c < k; c += 1) max = Math.max(max, raw[c * n + i] as number);
    let sum = 0;
    for (let c = 0; c < k; c += 1) sum += Math.exp((raw[c * n + i] as number) - max);
    total += max + Math.log(sum) - (raw[(labels[i] as number) * n + i] as number);
  }
  return total / n;
}
