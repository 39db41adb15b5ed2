/**
 * The rows a search trains and validates on, checked: a stratified holdout, stratified k folds
 * (for clustering, a holdout of 1/k: cluster labels of different fold models do not match), or
 * an explicit validation set. The validation truth of every fold is concatenated in fold order,
 * as the trials' out-of-fold predictions are.
 */
import type { ClassTarget, FeatureMatrix, ProblemType } from '../learner';
import type { TrainingTarget } from '../learner-catalog';
import type { SeededRandom } from '../random';
import type { Truth } from './metrics';
import {
  assignFolds,
  holdoutSplit,
  rowsOfFold,
  selectClassRows,
  selectMatrixRows,
  selectValues,
} from './validation-split';

/** The search cannot start: its input is inconsistent (the message says what to change). */
export class AutoMlInputError extends Error {
  override readonly name = 'AutoMlInputError';
}

/** Default holdout share when no validation is given. */
export const DEFAULT_HOLDOUT_FRACTION = 0.2;

export type ValidationStrategy =
  { readonly kind: 'holdout'; readonly fraction: number } | { readonly kind: 'kfold'; readonly k: number };

export interface AutoMlDataset {
  readonly x: FeatureMatrix;
  /** Class labels (classification) or values (regression); absent for clustering. */
  readonly y?: ClassTarget | Float64Array;
}

export interface Fold {
  readonly trainX: FeatureMatrix;
  readonly trainTarget: TrainingTarget;
  /** A seeded permutation of the fold's training rows: a sample is a prefix of it. */
  readonly order: Int32Array;
  readonly validX: FeatureMatrix;
}

export function targetRows(target: TrainingTarget, indices: ArrayLike<number>): TrainingTarget {
  if (target.problemType === 'classification')
    return { problemType: 'classification', y: selectClassRows(target.y, indices) };
  if (target.problemType === 'regression')
    return { problemType: 'regression', y: selectValues(target.y, indices) };
  return target;
}

export function truthOf(target: TrainingTarget, x: FeatureMatrix): Truth {
  if (target.problemType === 'classification') return { kind: 'classes', y: target.y };
  if (target.problemType === 'regression') return { kind: 'values', y: target.y };
  return { kind: 'features', x };
}

function concatTruth(parts: readonly Truth[]): Truth {
  const first = parts[0];
  if (!first || parts.length === 1 || first.kind === 'features') {
    if (!first) throw new AutoMlInputError('No validation rows.');
    return first;
  }
  if (first.kind === 'classes') {
    const labels = concatInt(parts.map((p) => (p.kind === 'classes' ? p.y.labels : new Int32Array(0))));
    return { kind: 'classes', y: { labels, nClasses: first.y.nClasses } };
  }
  return {
    kind: 'values',
    y: concatFloat(parts.map((p) => (p.kind === 'values' ? p.y : new Float64Array(0)))),
  };
}

export function concatFloat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function concatInt(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function trainingTarget(
  problemType: ProblemType,
  x: FeatureMatrix,
  y: ClassTarget | Float64Array | undefined,
  what: string,
): TrainingTarget {
  if (problemType === 'clustering') return { problemType: 'clustering' };
  if (problemType === 'classification') {
    if (!y || y instanceof Float64Array)
      throw new AutoMlInputError(`Classification needs class labels (a ClassTarget) for the ${what}.`);
    if (y.labels.length !== x.nRows)
      throw new AutoMlInputError(`The ${what} has ${x.nRows} rows but ${y.labels.length} labels.`);
    return { problemType, y };
  }
  if (!(y instanceof Float64Array))
    throw new AutoMlInputError(`Regression needs numeric target values (a Float64Array) for the ${what}.`);
  if (y.length !== x.nRows)
    throw new AutoMlInputError(`The ${what} has ${x.nRows} rows but ${y.length} target values.`);
  return { problemType, y };
}

export function checkFeatures(train: FeatureMatrix, other: FeatureMatrix, what: string): void {
  if (other.columns.length !== train.columns.length)
    throw new AutoMlInputError(
      `The ${what} has ${other.columns.length} feature(s); the training rows have ${train.columns.length}.`,
    );
}

export interface ValidationPlan {
  readonly kind: 'holdout' | 'kfold' | 'explicit';
  readonly folds: readonly Fold[];
  readonly firstFold: Fold;
  /** The validation truth of every fold, concatenated in fold order. */
  readonly truth: Truth;
  readonly validationRows: number;
}

function permutation(n: number, random: SeededRandom): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i += 1) order[i] = i;
  return random.shuffle(order);
}

/** Splits the training rows (or takes the explicit validation set) as `strategy` says. */
export function planValidation(args: {
  readonly problemType: ProblemType;
  readonly train: FeatureMatrix;
  readonly target: TrainingTarget;
  readonly validationSet?: AutoMlDataset;
  readonly strategy?: ValidationStrategy;
  readonly random: SeededRandom;
}): ValidationPlan {
  const { problemType, train, target, random } = args;
  const labels = target.problemType === 'classification' ? target.y.labels : undefined;
  const folds: Fold[] = [];
  const truths: Truth[] = [];
  const addFold = (trainRows: Int32Array, validRows: Int32Array): void => {
    const validX = selectMatrixRows(train, validRows);
    folds.push({
      trainX: selectMatrixRows(train, trainRows),
      trainTarget: targetRows(target, trainRows),
      order: permutation(trainRows.length, random),
      validX,
    });
    truths.push(truthOf(targetRows(target, validRows), validX));
  };
  let kind: ValidationPlan['kind'];
  if (args.validationSet) {
    kind = 'explicit';
    const valid = args.validationSet;
    checkFeatures(train, valid.x, 'validation set');
    if (valid.x.nRows < 1) throw new AutoMlInputError('The validation set has no rows.');
    const validTarget = trainingTarget(problemType, valid.x, valid.y, 'validation set');
    folds.push({
      trainX: train,
      trainTarget: target,
      order: permutation(train.nRows, random),
      validX: valid.x,
    });
    truths.push(truthOf(validTarget, valid.x));
  } else {
    const strategy = args.strategy ?? { kind: 'holdout', fraction: DEFAULT_HOLDOUT_FRACTION };
    if (
      strategy.kind === 'kfold' &&
      (!Number.isInteger(strategy.k) || strategy.k < 2 || strategy.k > train.nRows)
    )
      throw new AutoMlInputError(
        `k-fold validation needs a whole k from 2 to the ${train.nRows} training rows.`,
      );
    const fraction =
      strategy.kind === 'holdout'
        ? strategy.fraction
        : problemType === 'clustering'
          ? 1 / strategy.k
          : undefined;
    if (fraction !== undefined) {
      if (!(fraction > 0 && fraction < 1))
        throw new AutoMlInputError('The holdout fraction must be between 0 and 1 (e.g. 0.2).');
      kind = 'holdout';
      const split = holdoutSplit(train.nRows, fraction, random, labels);
      if (split.valid.length === 0 || split.train.length === 0)
        throw new AutoMlInputError(
          'Too few rows to hold some out for validation; give more rows or a validation set.',
        );
      addFold(split.train, split.valid);
    } else {
      kind = 'kfold';
      const k = strategy.kind === 'kfold' ? strategy.k : 0;
      const assignment = assignFolds(train.nRows, k, random, labels);
      for (let f = 0; f < k; f += 1) {
        const trainRows = rowsOfFold(assignment, f, false);
        const validRows = rowsOfFold(assignment, f, true);
        if (validRows.length === 0 || trainRows.length === 0)
          throw new AutoMlInputError(`Fold ${f + 1} of ${k} is empty; use fewer folds.`);
        addFold(trainRows, validRows);
      }
    }
  }
  const firstFold = folds[0];
  if (!firstFold) throw new AutoMlInputError('No validation rows.');
  return {
    kind,
    folds,
    firstFold,
    truth: concatTruth(truths),
    validationRows: folds.reduce((n, f) => n + f.validX.nRows, 0),
  };
}
