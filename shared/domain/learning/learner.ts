/**
 * The contract every learner, transform and metric of the learning area follows. Learners work
 * on column-major typed arrays: one Float64Array per feature, NaN for a missing value, and
 * categorical features as small integer codes (0, 1, 2, …) in the same Float64Array. Nothing
 * here imports anything outside this folder: the area is pure and tested without mocks.
 */

/** A table of numeric features, column-major. */
export interface FeatureMatrix {
  readonly nRows: number;
  /** One array per feature, each of length `nRows`; NaN means missing. */
  readonly columns: readonly Float64Array[];
  /** Feature names, in column order. */
  readonly names: readonly string[];
  /**
   * For a categorical feature, how many categories its codes range over (codes 0…n−1);
   * `undefined` (or 0) for a numeric feature.
   */
  readonly categories?: readonly (number | undefined)[];
}

/** Thrown by a learner that passed its deadline. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly doneUnits: number) {
    super(`Stopped at the deadline after ${doneUnits} unit(s) of work`);
  }
}

/** A wall-clock limit that learners check between trees or iterations. */
export interface Deadline {
  /** Epoch milliseconds after which work must stop. */
  readonly atMs: number;
  /** Now, in epoch milliseconds (injected so tests control time). */
  now(): number;
}

export interface FitOptions {
  /** Every learner is deterministic for a given seed. */
  seed: number;
  deadline?: Deadline;
  /** Called between trees or iterations with the fraction done (0–1). */
  onProgress?: (fraction: number) => void;
}

/** Throws `DeadlineExceededError` when the deadline has passed. */
export function checkDeadline(deadline: Deadline | undefined, doneUnits: number): void {
  if (deadline && deadline.now() >= deadline.atMs) throw new DeadlineExceededError(doneUnits);
}

export type ProblemType = 'classification' | 'regression' | 'clustering';

/**
 * A fitted model's state: plain JSON (numbers, strings, arrays, objects), versioned by `kind`
 * and `format`, so that a model artifact can be stored, checksummed, reloaded and exported
 * (ONNX) without the code that fitted it.
 */
export interface LearnerState {
  kind: string;
  format: 1;
  [field: string]: unknown;
}

/** Feature importance by feature index (gain for trees, |coefficient| for linear models). */
export type FeatureImportance = Float64Array;

export interface FittedClassifier {
  readonly problemType: 'classification';
  /** Number of classes; labels are class indices 0…nClasses−1. */
  readonly nClasses: number;
  /** Probability of each class per row: result[c][row]. */
  predictProba(x: FeatureMatrix): Float64Array[];
  /** The most probable class per row. */
  predict(x: FeatureMatrix): Int32Array;
  featureImportance(): FeatureImportance | undefined;
  toState(): LearnerState;
}

export interface FittedRegressor {
  readonly problemType: 'regression';
  predict(x: FeatureMatrix): Float64Array;
  featureImportance(): FeatureImportance | undefined;
  toState(): LearnerState;
}

export interface FittedClusterer {
  readonly problemType: 'clustering';
  readonly nClusters: number;
  /** The cluster index of each row. */
  predict(x: FeatureMatrix): Int32Array;
  /** Sum of squared distances of the training rows to their closest centre. */
  readonly inertia: number;
  toState(): LearnerState;
}

export type FittedModel = FittedClassifier | FittedRegressor | FittedClusterer;

/** Class labels of a classification target, as indices into the class list. */
export interface ClassTarget {
  readonly labels: Int32Array;
  readonly nClasses: number;
}
