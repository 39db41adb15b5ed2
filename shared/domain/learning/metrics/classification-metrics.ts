/**
 * Classification metrics with scikit-learn's definitions (1.2), so that a score reported by
 * PipeWeave means what the same name means there. Labels are class indices (Int32Array);
 * probabilities are column-major, one Float64Array per class (`proba[c][row]`), as
 * `FittedClassifier.predictProba` returns them.
 */

/** Probabilities per class: `proba[c][row]`. */
export type ClassProbabilities = readonly Float64Array[];

export type Average = 'macro' | 'weighted' | 'binary';

export interface AveragedMetricOptions {
  /**
   * 'macro': unweighted mean over the labels present in yTrue or yPred; 'weighted': weighted by
   * each label's count in yTrue; 'binary': the positive class (1) only. Default 'macro'.
   */
  average?: Average;
}

/** float64 machine epsilon: scikit-learn 1.2's log_loss clips with it by default (eps="auto"). */
export const LOG_LOSS_EPS = 2.220446049250313e-16;

function checkSameLength(a: { length: number }, b: { length: number }, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} true value(s) but ${b.length} predicted`);
  if (a.length === 0) throw new Error(`${what}: no rows`);
}

function maxLabel(values: Int32Array): number {
  let max = -1;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] ?? 0;
    if (v < 0) throw new Error(`Class labels are indices from 0; got ${v}`);
    if (v > max) max = v;
  }
  return max;
}

export function accuracy(yTrue: Int32Array, yPred: Int32Array): number {
  checkSameLength(yTrue, yPred, 'accuracy');
  let hits = 0;
  for (let i = 0; i < yTrue.length; i += 1) if (yTrue[i] === yPred[i]) hits += 1;
  return hits / yTrue.length;
}

/**
 * Rows are true classes, columns predicted classes. `nClasses` defaults to one more than the
 * largest label seen.
 */
export function confusionMatrix(yTrue: Int32Array, yPred: Int32Array, nClasses?: number): Int32Array[] {
  checkSameLength(yTrue, yPred, 'confusionMatrix');
  const k = nClasses ?? Math.max(maxLabel(yTrue), maxLabel(yPred)) + 1;
  const matrix = Array.from({ length: k }, () => new Int32Array(k));
  for (let i = 0; i < yTrue.length; i += 1) {
    const t = yTrue[i] ?? 0;
    const p = yPred[i] ?? 0;
    const row = matrix[t];
    if (!row || p < 0 || p >= k) throw new Error(`Label out of range 0…${k - 1}: true ${t}, predicted ${p}`);
    row[p] = (row[p] ?? 0) + 1;
  }
  return matrix;
}

interface ClassCounts {
  /** Labels present in yTrue or yPred (scikit-learn's default label set), ascending. */
  labels: number[];
  truePositives: Float64Array;
  predicted: Float64Array;
  actual: Float64Array;
}

function classCounts(yTrue: Int32Array, yPred: Int32Array): ClassCounts {
  checkSameLength(yTrue, yPred, 'classification metric');
  const k = Math.max(maxLabel(yTrue), maxLabel(yPred)) + 1;
  const truePositives = new Float64Array(k);
  const predicted = new Float64Array(k);
  const actual = new Float64Array(k);
  for (let i = 0; i < yTrue.length; i += 1) {
    const t = yTrue[i] ?? 0;
    const p = yPred[i] ?? 0;
    actual[t] = (actual[t] ?? 0) + 1;
    predicted[p] = (predicted[p] ?? 0) + 1;
    if (t === p) truePositives[t] = (truePositives[t] ?? 0) + 1;
  }
  const labels: number[] = [];
  for (let c = 0; c < k; c += 1) if ((actual[c] ?? 0) > 0 || (predicted[c] ?? 0) > 0) labels.push(c);
  return { labels, truePositives, predicted, actual };
}

/** A ratio with scikit-learn's zero_division=0. */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

type PerClass = (counts: ClassCounts, c: number) => number;

const precisionOf: PerClass = (n, c) => ratio(n.truePositives[c] ?? 0, n.predicted[c] ?? 0);
const recallOf: PerClass = (n, c) => ratio(n.truePositives[c] ?? 0, n.actual[c] ?? 0);
const f1Of: PerClass = (n, c) => {
  const p = precisionOf(n, c);
  const r = recallOf(n, c);
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
};

function averaged(yTrue: Int32Array, yPred: Int32Array, perClass: PerClass, average: Average): number {
  const counts = classCounts(yTrue, yPred);
  if (average === 'binary') {
    if (counts.labels.some((label) => label > 1)) {
      throw new Error("average 'binary' needs labels 0 and 1 only; use 'macro' or 'weighted'");
    }
    return perClass(counts, 1);
  }
  let sum = 0;
  let weights = 0;
  for (const c of counts.labels) {
    const weight = average === 'weighted' ? (counts.actual[c] ?? 0) : 1;
    sum += weight * perClass(counts, c);
    weights += weight;
  }
  return weights === 0 ? 0 : sum / weights;
}

export function precision(yTrue: Int32Array, yPred: Int32Array, options: AveragedMetricOptions = {}): number {
  return averaged(yTrue, yPred, precisionOf, options.average ?? 'macro');
}

export function recall(yTrue: Int32Array, yPred: Int32Array, options: AveragedMetricOptions = {}): number {
  return averaged(yTrue, yPred, recallOf, options.average ?? 'macro');
}

export function f1(yTrue: Int32Array, yPred: Int32Array, options: AveragedMetricOptions = {}): number {
  return averaged(yTrue, yPred, f1Of, options.average ?? 'macro');
}

/** The mean recall over the classes present in yTrue (classes never true are left out). */
export function balancedAccuracy(yTrue: Int32Array, yPred: Int32Array): number {
  const counts = classCounts(yTrue, yPred);
  let sum = 0;
  let present = 0;
  for (const c of counts.labels) {
    if ((counts.actual[c] ?? 0) === 0) continue;
    sum += recallOf(counts, c);
    present += 1;
  }
  return sum / present;
}

/** Scores of a binary problem: `positive[i]` is true when row i belongs to the positive class. */
interface BinaryCurve {
  /** Cumulative true and false positives at each distinct threshold, highest score first. */
  tps: Float64Array;
  fps: Float64Array;
  count: number;
}

/**
 * scikit-learn's _binary_clf_curve: rows sorted by decreasing score, one point per distinct
 * score (tied rows enter together).
 */
function binaryCurve(positive: Uint8Array, score: ArrayLike<number>): BinaryCurve {
  const n = positive.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i += 1) {
    if (Number.isNaN(score[i])) throw new Error(`Score ${i} is NaN`);
    order[i] = i;
  }
  order.sort((a, b) => (score[b] ?? 0) - (score[a] ?? 0));
  const tps = new Float64Array(n);
  const fps = new Float64Array(n);
  let count = 0;
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k += 1) {
    const i = order[k] ?? 0;
    if (positive[i]) tp += 1;
    else fp += 1;
    const next = order[k + 1];
    if (next === undefined || score[next] !== score[i]) {
      tps[count] = tp;
      fps[count] = fp;
      count += 1;
    }
  }
  return { tps, fps, count };
}

function binaryRocAuc(positive: Uint8Array, score: ArrayLike<number>): number {
  const { tps, fps, count } = binaryCurve(positive, score);
  const totalP = tps[count - 1] ?? 0;
  const totalN = fps[count - 1] ?? 0;
  if (totalP === 0 || totalN === 0) {
    throw new Error('ROC AUC is undefined when yTrue holds only one class');
  }
  // Trapezoid over the ROC points from (0, 0), as sklearn.metrics.auc on roc_curve's points.
  let area = 0;
  let prevX = 0;
  let prevY = 0;
  for (let k = 0; k < count; k += 1) {
    const x = (fps[k] ?? 0) / totalN;
    const y = (tps[k] ?? 0) / totalP;
    area += ((x - prevX) * (y + prevY)) / 2;
    prevX = x;
    prevY = y;
  }
  return area;
}

function binaryAveragePrecision(positive: Uint8Array, score: ArrayLike<number>): number {
  const { tps, fps, count } = binaryCurve(positive, score);
  const totalP = tps[count - 1] ?? 0;
  if (totalP === 0) throw new Error('Average precision is undefined when yTrue has no positive row');
  // AP = Σ (R_k − R_{k−1}) P_k over the distinct thresholds, highest first.
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < count; k += 1) {
    const tp = tps[k] ?? 0;
    const r = tp / totalP;
    const predictedPositive = tp + (fps[k] ?? 0);
    ap += (r - prevRecall) * (predictedPositive === 0 ? 0 : tp / predictedPositive);
    prevRecall = r;
  }
  return ap;
}

function indicator(yTrue: Int32Array, positiveClass: number): Uint8Array {
  const out = new Uint8Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i += 1) out[i] = yTrue[i] === positiveClass ? 1 : 0;
  return out;
}

function perClassScoreAverage(
  yTrue: Int32Array,
  scores: Float64Array | ClassProbabilities,
  binary: (positive: Uint8Array, score: ArrayLike<number>) => number,
  what: string,
): number {
  if (scores instanceof Float64Array) {
    checkSameLength(yTrue, scores, what);
    if (maxLabel(yTrue) > 1) throw new Error(`${what}: one score column given for more than two classes`);
    return binary(indicator(yTrue, 1), scores);
  }
  for (const column of scores) checkSameLength(yTrue, column, what);
  if (scores.length < 2) throw new Error(`${what}: needs a score column per class`);
  if (scores.length === 2) return binary(indicator(yTrue, 1), scores[1] ?? new Float64Array(0));
  if (maxLabel(yTrue) >= scores.length) {
    throw new Error(`${what}: a label is beyond the ${scores.length} score columns`);
  }
  // One-vs-rest, unweighted mean over the classes present in yTrue (for a class never true the
  // one-vs-rest score is undefined; scikit-learn refuses such input, PipeWeave leaves it out).
  const present = new Uint8Array(scores.length);
  for (let i = 0; i < yTrue.length; i += 1) present[yTrue[i] ?? 0] = 1;
  let sum = 0;
  let classes = 0;
  scores.forEach((column, c) => {
    if (!present[c]) return;
    sum += binary(indicator(yTrue, c), column);
    classes += 1;
  });
  return sum / classes;
}

/**
 * Area under the ROC curve. Binary: `scores` is the positive class's score (or the two
 * probability columns); multiclass: one-vs-rest, macro-averaged over the classes in yTrue, as
 * roc_auc_score(multi_class='ovr', average='macro'). Tied scores count as in scikit-learn (one
 * ROC point per distinct score, trapezoid between points).
 */
export function rocAuc(yTrue: Int32Array, scores: Float64Array | ClassProbabilities): number {
  return perClassScoreAverage(yTrue, scores, binaryRocAuc, 'rocAuc');
}

/**
 * Area under the precision-recall curve as scikit-learn's average_precision_score (step-wise,
 * no interpolation); multiclass: one-vs-rest, macro-averaged over the classes in yTrue.
 */
export function averagePrecision(yTrue: Int32Array, scores: Float64Array | ClassProbabilities): number {
  return perClassScoreAverage(yTrue, scores, binaryAveragePrecision, 'averagePrecision');
}

function probabilityColumns(yTrue: Int32Array, proba: Float64Array | ClassProbabilities): ClassProbabilities {
  if (!(proba instanceof Float64Array)) {
    for (const column of proba) checkSameLength(yTrue, column, 'probabilities');
    if (maxLabel(yTrue) >= proba.length) {
      throw new Error(`A label is beyond the ${proba.length} probability columns`);
    }
    return proba;
  }
  checkSameLength(yTrue, proba, 'probabilities');
  if (maxLabel(yTrue) > 1) throw new Error('One probability column given for more than two classes');
  const negative = new Float64Array(proba.length);
  for (let i = 0; i < proba.length; i += 1) negative[i] = 1 - (proba[i] ?? 0);
  return [negative, proba];
}

export interface LogLossOptions {
  /** Probabilities are clipped to [eps, 1 − eps] and each row renormalised. */
  eps?: number;
}

/**
 * Mean negative log-likelihood of the true class, as scikit-learn 1.2's log_loss: clipped to
 * [eps, 1 − eps] (eps defaults to float64's machine epsilon, sklearn's eps="auto"), rows then
 * renormalised to sum to 1. A single Float64Array is the positive class's probability.
 */
export function logLoss(
  yTrue: Int32Array,
  proba: Float64Array | ClassProbabilities,
  options: LogLossOptions = {},
): number {
  const eps = options.eps ?? LOG_LOSS_EPS;
  const columns = probabilityColumns(yTrue, proba);
  let total = 0;
  for (let i = 0; i < yTrue.length; i += 1) {
    let rowSum = 0;
    for (const column of columns) rowSum += Math.min(1 - eps, Math.max(eps, column[i] ?? 0));
    const p = columns[yTrue[i] ?? 0]?.[i] ?? 0;
    total -= Math.log(Math.min(1 - eps, Math.max(eps, p)) / rowSum);
  }
  return total / yTrue.length;
}

/**
 * Brier score. Binary (two columns or the positive class's probability): mean squared
 * difference between the positive class's probability and the 0/1 outcome, as scikit-learn's
 * brier_score_loss (range 0–1). Multiclass: the original (Brier 1950) definition, the mean over
 * rows of the sum over classes of squared differences to the one-hot outcome (range 0–2);
 * scikit-learn 1.2 has no multiclass Brier score.
 */
export function brierScore(yTrue: Int32Array, proba: Float64Array | ClassProbabilities): number {
  const columns = probabilityColumns(yTrue, proba);
  let total = 0;
  if (columns.length === 2) {
    const positive = columns[1] ?? new Float64Array(0);
    for (let i = 0; i < yTrue.length; i += 1) {
      const d = (yTrue[i] === 1 ? 1 : 0) - (positive[i] ?? 0);
      total += d * d;
    }
    return total / yTrue.length;
  }
  columns.forEach((column, c) => {
    for (let i = 0; i < yTrue.length; i += 1) {
      const d = (yTrue[i] === c ? 1 : 0) - (column[i] ?? 0);
      total += d * d;
    }
  });
  return total / yTrue.length;
}
