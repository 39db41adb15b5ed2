/**
 * Models made of other models, each with a plain-JSON state:
 *
 * - `prepared_input`: a learner that needs complete numeric input (the linear models, k-means)
 *   behind the preparation fitted on its training rows: missing values filled with the training
 *   median, categorical codes one-hot encoded (a missing or unseen code is all zeros);
 * - `ensemble`: a weighted average of members' probabilities (classification) or values
 *   (regression): the greedy ensemble of a search, or the fold models of a k-fold trial.
 *
 * `restoreModel` rebuilds any model a search can produce, composite or not.
 */
import type {
  FeatureMatrix,
  FittedClassifier,
  FittedClusterer,
  FittedModel,
  FittedRegressor,
  LearnerState,
} from '../learner';
import { LEARNER_CATALOG, restoreLearner, type LearnerCatalog } from '../learner-catalog';
import { argmaxRows } from '../argmax-rows';

/** A composite state that cannot be rebuilt (malformed, or members that disagree). */
export class CompositeModelError extends Error {
  override readonly name = 'CompositeModelError';
}

// ---------------------------------------------------------------------------------------------
// Input preparation
// ---------------------------------------------------------------------------------------------

export type PreparedFeature =
  | { readonly name: string; readonly kind: 'numeric'; readonly fill: number | null }
  | { readonly name: string; readonly kind: 'one_hot'; readonly categories: number };

export interface InputPreparation {
  /** One entry per input feature, in order; `fill` null keeps missing values as they are. */
  readonly features: readonly PreparedFeature[];
}

export interface PreparedInputState extends LearnerState {
  kind: 'prepared_input';
  format: 1;
  features: PreparedFeature[];
  model: LearnerState;
}

/** True when `x` has a missing value in any feature. */
export function hasMissingValues(x: FeatureMatrix): boolean {
  return x.columns.some((column) => column.some((v) => Number.isNaN(v)));
}

/** True when `x` has a categorical (coded) feature. */
export function hasCategoricalFeatures(x: FeatureMatrix): boolean {
  return (x.categories ?? []).some((count) => count !== undefined && count > 0);
}

/** Columns the preparation produces for `x` (one per numeric feature, one per category). */
export function preparedWidth(x: FeatureMatrix, oneHot: boolean): number {
  let width = 0;
  x.columns.forEach((_, j) => {
    const count = x.categories?.[j] ?? 0;
    width += oneHot && count > 0 ? count : 1;
  });
  return width;
}

function median(column: Float64Array): number | null {
  const present = column.filter((v) => !Number.isNaN(v)).sort();
  if (present.length === 0) return null;
  const mid = present.length >> 1;
  const value =
    present.length % 2 === 1 ? (present[mid] ?? 0) : ((present[mid - 1] ?? 0) + (present[mid] ?? 0)) / 2;
  return value + 0;
}

/**
 * Fits the preparation a learner needs on `x`: with `impute`, missing values are filled with
 * each feature's training median (0 when a feature has no value at all); with `oneHot`,
 * categorical codes become one 0/1 column per category.
 */
export function fitInputPreparation(
  x: FeatureMatrix,
  needs: { readonly impute: boolean; readonly oneHot: boolean },
): InputPreparation {
  const features = x.columns.map((column, j): PreparedFeature => {
    const name = x.names[j] ?? `feature_${j}`;
    const count = x.categories?.[j] ?? 0;
    if (needs.oneHot && count > 0) return { name, kind: 'one_hot', categories: count };
    return { name, kind: 'numeric', fill: needs.impute ? (median(column) ?? 0) : null };
  });
  return { features };
}

/** Applies a fitted preparation to rows with the features it was fitted on. */
export function applyInputPreparation(preparation: InputPreparation, x: FeatureMatrix): FeatureMatrix {
  if (x.columns.length !== preparation.features.length)
    throw new CompositeModelError(
      `The input preparation was fitted on ${preparation.features.length} feature(s); got ${x.columns.length}.`,
    );
  const columns: Float64Array[] = [];
  const names: string[] = [];
  preparation.features.forEach((feature, j) => {
    const column = x.columns[j] ?? new Float64Array(x.nRows);
    if (feature.kind === 'numeric') {
      if (feature.fill === null) columns.push(column);
      else {
        const fill = feature.fill;
        columns.push(column.map((v) => (Number.isNaN(v) ? fill : v)));
      }
      names.push(feature.name);
      return;
    }
    for (let c = 0; c < feature.categories; c += 1) {
      const out = new Float64Array(x.nRows);
      for (let row = 0; row < x.nRows; row += 1) out[row] = column[row] === c ? 1 : 0;
      columns.push(out);
      names.push(`${feature.name}=${c}`);
    }
  });
  return { nRows: x.nRows, columns, names };
}

/** Sums the importance of the columns a feature became back onto the feature. */
function foldImportance(
  preparation: InputPreparation,
  expanded: Float64Array | undefined,
): Float64Array | undefined {
  if (!expanded) return undefined;
  const out = new Float64Array(preparation.features.length);
  let offset = 0;
  preparation.features.forEach((feature, j) => {
    const width = feature.kind === 'one_hot' ? feature.categories : 1;
    let sum = 0;
    for (let k = 0; k < width; k += 1) sum += expanded[offset + k] ?? 0;
    out[j] = sum;
    offset += width;
  });
  return out;
}

/** The fitted `model` behind its input preparation, as one model with one state. */
export function preparedModel(preparation: InputPreparation, model: FittedModel): FittedModel {
  const prepare = (x: FeatureMatrix): FeatureMatrix => applyInputPreparation(preparation, x);
  const toState = (): PreparedInputState => ({
    kind: 'prepared_input',
    format: 1,
    features: preparation.features.map((f) => ({ ...f })),
    model: model.toState(),
  });
  if (model.problemType === 'classification') {
    const wrapped: FittedClassifier = {
      problemType: 'classification',
      nClasses: model.nClasses,
      predictProba: (x) => model.predictProba(prepare(x)),
      predict: (x) => model.predict(prepare(x)),
      featureImportance: () => foldImportance(preparation, model.featureImportance()),
      toState,
    };
    return wrapped;
  }
  if (model.problemType === 'regression') {
    const wrapped: FittedRegressor = {
      problemType: 'regression',
      predict: (x) => model.predict(prepare(x)),
      featureImportance: () => foldImportance(preparation, model.featureImportance()),
      toState,
    };
    return wrapped;
  }
  const wrapped: FittedClusterer = {
    problemType: 'clustering',
    nClusters: model.nClusters,
    inertia: model.inertia,
    predict: (x) => model.predict(prepare(x)),
    toState,
  };
  return wrapped;
}

// ---------------------------------------------------------------------------------------------
// Ensembles
// ---------------------------------------------------------------------------------------------

export interface EnsembleMemberState {
  /** Relative weight: predictions use weight / Σ weights. */
  weight: number;
  state: LearnerState;
}

export interface EnsembleState extends LearnerState {
  kind: 'ensemble';
  format: 1;
  problemType: 'classification' | 'regression';
  /** Class count for classification, 0 for regression. */
  nClasses: number;
  members: EnsembleMemberState[];
}

export interface EnsembleMember {
  readonly model: FittedClassifier | FittedRegressor;
  readonly weight: number;
}

function normalisedWeights(members: readonly { weight: number }[]): number[] {
  let total = 0;
  for (const m of members) {
    if (!(m.weight > 0) || !Number.isFinite(m.weight))
      throw new CompositeModelError('Every ensemble weight must be a positive number.');
    total += m.weight;
  }
  return members.map((m) => m.weight / total);
}

/**
 * A weighted average of members: probabilities for classification (the predicted class is the
 * most probable one), values for regression. Weights are normalised to sum to 1.
 */
export function ensembleModel(members: readonly EnsembleMember[]): FittedClassifier | FittedRegressor {
  const first = members[0];
  if (!first) throw new CompositeModelError('An ensemble needs at least one member.');
  const weights = normalisedWeights(members);
  const toState = (): EnsembleState => ({
    kind: 'ensemble',
    format: 1,
    problemType: first.model.problemType,
    nClasses: first.model.problemType === 'classification' ? first.model.nClasses : 0,
    // The weights as given: a restore normalises them exactly as here (bit-identical predictions).
    members: members.map((m) => ({ weight: m.weight, state: m.model.toState() })),
  });
  const importance = (): Float64Array | undefined => {
    let out: Float64Array | undefined;
    for (const [i, m] of members.entries()) {
      const own = m.model.featureImportance();
      if (!own || (out && own.length !== out.length)) return undefined;
      out ??= new Float64Array(own.length);
      for (let j = 0; j < own.length; j += 1) out[j] = (out[j] ?? 0) + (weights[i] ?? 0) * (own[j] ?? 0);
    }
    return out;
  };
  if (first.model.problemType === 'classification') {
    const nClasses = first.model.nClasses;
    const classifiers = members.map((m) => {
      if (m.model.problemType !== 'classification' || m.model.nClasses !== nClasses)
        throw new CompositeModelError(
          'Every member of a classification ensemble must have the same classes.',
        );
      return m.model;
    });
    const predictProba = (x: FeatureMatrix): Float64Array[] => {
      const out = Array.from({ length: nClasses }, () => new Float64Array(x.nRows));
      classifiers.forEach((model, i) => {
        const w = weights[i] ?? 0;
        model.predictProba(x).forEach((column, c) => {
          const target = out[c];
          if (!target) return;
          for (let row = 0; row < x.nRows; row += 1)
            target[row] = (target[row] ?? 0) + w * (column[row] ?? 0);
        });
      });
      return out;
    };
    return {
      problemType: 'classification',
      nClasses,
      predictProba,
      predict: (x) => argmaxRows(predictProba(x), x.nRows),
      featureImportance: importance,
      toState,
    };
  }
  const regressors = members.map((m) => {
    if (m.model.problemType !== 'regression')
      throw new CompositeModelError('Every member of a regression ensemble must be a regressor.');
    return m.model;
  });
  return {
    problemType: 'regression',
    predict: (x) => {
      const out = new Float64Array(x.nRows);
      regressors.forEach((model, i) => {
        const w = weights[i] ?? 0;
        const values = model.predict(x);
        for (let row = 0; row < x.nRows; row += 1) out[row] = (out[row] ?? 0) + w * (values[row] ?? 0);
      });
      return out;
    },
    featureImportance: importance,
    toState,
  };
}

// ---------------------------------------------------------------------------------------------
// Restore
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readLearnerState(value: unknown, where: string): LearnerState {
  if (!isRecord(value) || typeof value['kind'] !== 'string' || value['format'] !== 1)
    throw new CompositeModelError(`${where} must be a model state with a "kind" and format 1.`);
  return value as LearnerState;
}

function readPreparedFeature(value: unknown, i: number): PreparedFeature {
  if (!isRecord(value) || typeof value['name'] !== 'string')
    throw new CompositeModelError(`Input preparation feature ${i} must have a name.`);
  const name = value['name'];
  if (value['kind'] === 'numeric') {
    const fill = value['fill'];
    if (fill !== null && (typeof fill !== 'number' || !Number.isFinite(fill)))
      throw new CompositeModelError(`Input preparation feature "${name}": fill must be a number or null.`);
    return { name, kind: 'numeric', fill };
  }
  const categories = value['categories'];
  if (
    value['kind'] === 'one_hot' &&
    typeof categories === 'number' &&
    Number.isInteger(categories) &&
    categories >= 0
  )
    return { name, kind: 'one_hot', categories };
  throw new CompositeModelError(`Input preparation feature "${name}" has an unknown kind.`);
}

/**
 * Rebuilds any model a search produces from its state: a catalog learner (by kind), an input
 * preparation around one, or an ensemble of them.
 */
export function restoreModel(state: LearnerState, catalog: LearnerCatalog = LEARNER_CATALOG): FittedModel {
  const root = readLearnerState(state, 'The model');
  if (root.kind === 'prepared_input') {
    const features = root['features'];
    if (!Array.isArray(features))
      throw new CompositeModelError('An input preparation state needs a "features" list.');
    const preparation: InputPreparation = { features: features.map(readPreparedFeature) };
    return preparedModel(
      preparation,
      restoreModel(readLearnerState(root['model'], 'The prepared model'), catalog),
    );
  }
  if (root.kind === 'ensemble') {
    const members = root['members'];
    if (!Array.isArray(members) || members.length === 0)
      throw new CompositeModelError('An ensemble state needs a non-empty "members" list.');
    return ensembleModel(
      members.map((member: unknown, i): EnsembleMember => {
        if (!isRecord(member) || typeof member['weight'] !== 'number')
          throw new CompositeModelError(`Ensemble member ${i} needs a numeric "weight" and a "state".`);
        const model = restoreModel(readLearnerState(member['state'], `Ensemble member ${i}`), catalog);
        if (model.problemType === 'clustering')
          throw new CompositeModelError('An ensemble cannot hold a clustering model.');
        return { model, weight: member['weight'] };
      }),
    );
  }
  return restoreLearner(root, catalog);
}
