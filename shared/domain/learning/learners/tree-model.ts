/**
 * The tree representation shared by the decision tree, the random forest and histogram gradient
 * boosting: flat typed arrays per tree, a plain-JSON state that maps one-to-one onto ONNX
 * TreeEnsemble attributes (per-node feature, threshold, missing direction, categorical left set,
 * children, leaf values; SUM or AVERAGE aggregation; base values; post transform), and one batch
 * predictor used both right after fitting and after a restore, so predictions are bit-identical
 * across a JSON round trip.
 */
import type { FeatureMatrix, FittedClassifier, FittedRegressor, LearnerState } from '../learner';

export type TreeModelKind = 'decision_tree' | 'random_forest' | 'hist_gradient_boosting';

/** Why fitting stopped: all work done, early stopping on the validation loss, or the deadline. */
export type StopReason = 'completed' | 'early_stopping' | 'deadline';

/**
 * One tree. Node 0 is the root and children always have larger indices than their parent. A
 * numeric split sends a row left when `value <= threshold`; a categorical split sends it left
 * when its code is in the node's left-set bitset (32 categories per word, bit `code % 32` of
 * word `code >> 5`). A missing value (NaN) follows `missingLeft`.
 */
export interface Tree {
  /** Split feature per node; −1 for a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** 1 when missing values go left. */
  readonly missingLeft: Uint8Array;
  /** Offset of the node's left-set bitset in `categoryWords`; −1 for a numeric split or a leaf. */
  readonly categorySet: Int32Array;
  readonly categoryWords: Uint32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** `nOutputs` values per node (class fractions, a mean, or a boosting leaf value). */
  readonly value: Float64Array;
  /** Training weight (sample count) that reached each node. */
  readonly cover: Float64Array;
}

/** A tree in its JSON form: the same fields as plain number arrays. */
export interface TreeState {
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  categorySet: number[];
  categoryWords: number[];
  left: number[];
  right: number[];
  value: number[];
  cover: number[];
}

/** How leaf values are combined across trees and turned into predictions. */
export interface TreeEnsembleLayout {
  /** Values per leaf: the class count for forest classifiers, 1 otherwise. */
  readonly nOutputs: number;
  /** Consecutive trees that feed different outputs (one per class for multiclass boosting). */
  readonly treesPerIteration: number;
  /** `average` for forests, `sum` for boosting. */
  readonly aggregation: 'average' | 'sum';
  /** `none` (probabilities or values as they are), `logistic` (binary) or `softmax`. */
  readonly postTransform: 'none' | 'logistic' | 'softmax';
  /** Added to the aggregated raw outputs (log-odds, log priors or the mean for boosting). */
  readonly baseline: Float64Array;
}

export interface TreeEnsembleModel extends TreeEnsembleLayout {
  readonly kind: TreeModelKind;
  readonly problemType: 'classification' | 'regression';
  /** Class count for a classifier, 0 for a regressor. */
  readonly nClasses: number;
  readonly featureNames: readonly string[];
  /** Category count per feature (0 for numeric features), as seen at fit time. */
  readonly categories: readonly number[];
  /** Shrinkage already applied to the boosting leaf values (1 for forests), kept for reference. */
  readonly learningRate: number;
  readonly trees: readonly Tree[];
  /** Gain-based importance, normalised to sum 1 (all zeros when no split was made). */
  readonly featureImportance: Float64Array;
  /** The parameters the model was fitted with. */
  readonly params: Readonly<Record<string, number | string | boolean | null>>;
  /** Boosting iterations (or trees) kept. */
  readonly nIter: number;
  readonly stopReason: StopReason;
}

export interface TreeEnsembleState extends LearnerState {
  kind: TreeModelKind;
  format: 1;
  problemType: 'classification' | 'regression';
  nClasses: number;
  nFeatures: number;
  featureNames: string[];
  categories: number[];
  nOutputs: number;
  treesPerIteration: number;
  aggregation: 'average' | 'sum';
  postTransform: 'none' | 'logistic' | 'softmax';
  baseline: number[];
  learningRate: number;
  nIter: number;
  stopReason: StopReason;
  featureImportance: number[];
  params: Record<string, number | string | boolean | null>;
  trees: TreeState[];
}

/** A fitted tree classifier: the learner contract plus how fitting ended. */
export interface TreeClassifier extends FittedClassifier {
  readonly kind: TreeModelKind;
  readonly nFeatures: number;
  readonly nIter: number;
  readonly stopReason: StopReason;
  /** Aggregated scores before the post transform (log-odds / logits for boosting). */
  predictRaw(x: FeatureMatrix): Float64Array[];
  featureImportance(): Float64Array;
  toState(): TreeEnsembleState;
}

export interface TreeRegressor extends FittedRegressor {
  readonly kind: TreeModelKind;
  readonly nFeatures: number;
  readonly nIter: number;
  readonly stopReason: StopReason;
  featureImportance(): Float64Array;
  toState(): TreeEnsembleState;
}

/** Number of 32-bit words in a categorical left-set bitset for a feature with `count` categories. */
export function bitsetWords(count: number): number {
  return Math.max(1, Math.ceil(count / 32));
}

/** Grows one tree node by node in amortised O(1) per node. */
export class TreeBuilder {
  private capacity = 64;
  private count = 0;
  private feature = new Int32Array(this.capacity);
  private threshold = new Float64Array(this.capacity);
  private missingLeft = new Uint8Array(this.capacity);
  private categorySet = new Int32Array(this.capacity);
  private left = new Int32Array(this.capacity);
  private right = new Int32Array(this.capacity);
  private value: Float64Array;
  private cover = new Float64Array(this.capacity);
  private words: number[] = [];

  constructor(private readonly nOutputs: number) {
    this.value = new Float64Array(this.capacity * nOutputs);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a leaf with zero values and returns its index. */
  addNode(cover: number): number {
    if (this.count === this.capacity) this.grow();
    const id = this.count;
    this.count += 1;
    this.feature[id] = -1;
    this.categorySet[id] = -1;
    this.left[id] = -1;
    this.right[id] = -1;
    this.cover[id] = cover;
    return id;
  }

  setValue(node: number, output: number, value: number): void {
    // `+ 0` turns −0 into 0 so that the JSON state and the live model agree exactly.
    this.value[node * this.nOutputs + output] = value + 0;
  }

  setNumericSplit(node: number, feature: number, threshold: number, missingLeft: boolean): void {
    this.feature[node] = feature;
    this.threshold[node] = threshold + 0;
    this.missingLeft[node] = missingLeft ? 1 : 0;
  }

  setCategoricalSplit(node: number, feature: number, leftSet: Uint32Array, missingLeft: boolean): void {
    this.feature[node] = feature;
    this.threshold[node] = 0;
    this.missingLeft[node] = missingLeft ? 1 : 0;
    this.categorySet[node] = this.words.length;
    for (const word of leftSet) this.words.push(word);
  }

  setChildren(node: number, left: number, right: number): void {
    this.left[node] = left;
    this.right[node] = right;
  }

  setLeft(node: number, child: number): void {
    this.left[node] = child;
  }

  setRight(node: number, child: number): void {
    this.right[node] = child;
  }

  finish(): Tree {
    const n = this.count;
    return {
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      missingLeft: this.missingLeft.slice(0, n),
      categorySet: this.categorySet.slice(0, n),
      categoryWords: Uint32Array.from(this.words),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      value: this.value.slice(0, n * this.nOutputs),
      cover: this.cover.slice(0, n),
    };
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const extend = <T extends Int32Array | Float64Array | Uint8Array>(
      old: T,
      make: (n: number) => T,
      per = 1,
    ): T => {
      const next = make(capacity * per);
      next.set(old);
      return next;
    };
    this.feature = extend(this.feature, (n) => new Int32Array(n));
    this.threshold = extend(this.threshold, (n) => new Float64Array(n));
    this.missingLeft = extend(this.missingLeft, (n) => new Uint8Array(n));
    this.categorySet = extend(this.categorySet, (n) => new Int32Array(n));
    this.left = extend(this.left, (n) => new Int32Array(n));
    this.right = extend(this.right, (n) => new Int32Array(n));
    this.value = extend(this.value, (n) => new Float64Array(n), this.nOutputs);
    this.cover = extend(this.cover, (n) => new Float64Array(n));
    this.capacity = capacity;
  }
}

/**
 * Adds each tree's split gains (impurity decrease or loss reduction, stored by the builders per
 * split feature) and normalises to sum 1; an all-zero vector when no tree has a split.
 */
export function normaliseImportance(raw: Float64Array): Float64Array {
  let total = 0;
  for (const v of raw) total += v;
  const out = new Float64Array(raw.length);
  if (total > 0) for (let f = 0; f < raw.length; f += 1) out[f] = (raw[f] as number) / total;
  return out;
}

/** All trees of a model concatenated into one set of flat arrays, for batch traversal. */
class CompiledTrees {
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly categorySet: Int32Array;
  readonly categoryLimit: Int32Array;
  readonly words: Uint32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  readonly hasCategorical: boolean;

  constructor(trees: readonly Tree[], nOutputs: number, categories: readonly number[]) {
    let nodes = 0;
    let words = 0;
    for (const tree of trees) {
      nodes += tree.feature.length;
      words += tree.categoryWords.length;
    }
    this.roots = new Int32Array(trees.length);
    this.feature = new Int32Array(nodes);
    this.threshold = new Float64Array(nodes);
    this.missingLeft = new Uint8Array(nodes);
    this.categorySet = new Int32Array(nodes);
    this.categoryLimit = new Int32Array(nodes);
    this.words = new Uint32Array(words);
    this.left = new Int32Array(nodes);
    this.right = new Int32Array(nodes);
    this.value = new Float64Array(nodes * nOutputs);
    let nodeBase = 0;
    let wordBase = 0;
    trees.forEach((tree, t) => {
      const n = tree.feature.length;
      this.roots[t] = nodeBase;
      this.feature.set(tree.feature, nodeBase);
      this.threshold.set(tree.threshold, nodeBase);
      this.missingLeft.set(tree.missingLeft, nodeBase);
      this.words.set(tree.categoryWords, wordBase);
      this.value.set(tree.value, nodeBase * nOutputs);
      for (let i = 0; i < n; i += 1) {
        const j = nodeBase + i;
        this.left[j] = (tree.left[i] as number) + nodeBase;
        this.right[j] = (tree.right[i] as number) + nodeBase;
        const set = tree.categorySet[i] as number;
        this.categorySet[j] = set < 0 ? -1 : set + wordBase;
        const f = tree.feature[i] as number;
        this.categoryLimit[j] = set < 0 ? 0 : bitsetWords(categories[f] ?? 0) * 32;
      }
      nodeBase += n;
      wordBase += tree.categoryWords.length;
    });
    this.hasCategorical = this.categorySet.some((set) => set >= 0);
  }
}

/** Rows per prediction block. */
const PREDICT_BLOCK = 256;

/** The leaf reached by each row of a row-major block, for trees with numeric splits only. */
function findLeavesNumeric(
  c: CompiledTrees,
  root: number,
  block: Float64Array,
  nFeatures: number,
  size: number,
  leaves: Int32Array,
): void {
  const { feature, threshold, missingLeft, left, right } = c;
  for (let r = 0; r < size; r += 1) {
    const base = r * nFeatures;
    let node = root;
    let f = feature[node] as number;
    while (f >= 0) {
      const v = block[base + f] as number;
      node =
        v <= (threshold[node] as number) || (v !== v && missingLeft[node] === 1)
          ? (left[node] as number)
          : (right[node] as number);
      f = feature[node] as number;
    }
    leaves[r] = node;
  }
}

/** As findLeavesNumeric, for trees that also have categorical splits. */
function findLeavesMixed(
  c: CompiledTrees,
  root: number,
  block: Float64Array,
  nFeatures: number,
  size: number,
  leaves: Int32Array,
): void {
  const { feature, threshold, missingLeft, left, right, categorySet, categoryLimit, words } = c;
  for (let r = 0; r < size; r += 1) {
    const base = r * nFeatures;
    let node = root;
    let f = feature[node] as number;
    while (f >= 0) {
      const v = block[base + f] as number;
      const set = categorySet[node] as number;
      let goLeft: boolean;
      if (v !== v) goLeft = missingLeft[node] === 1;
      else if (set < 0) goLeft = v <= (threshold[node] as number);
      else {
        // Codes outside the fitted range (unseen categories) are not in the left set: go right.
        goLeft =
          v >= 0 &&
          v < (categoryLimit[node] as number) &&
          Math.floor(v) === v &&
          (((words[set + (v >>> 5)] as number) >>> (v & 31)) & 1) === 1;
      }
      node = goLeft ? (left[node] as number) : (right[node] as number);
      f = feature[node] as number;
    }
    leaves[r] = node;
  }
}

/** Predicts with a tree ensemble model; shared by the fitted and the restored models. */
class TreeEnsemblePredictor {
  private readonly compiled: CompiledTrees;

  constructor(readonly model: TreeEnsembleModel) {
    this.compiled = new CompiledTrees(model.trees, model.nOutputs, model.categories);
  }

  get nFeatures(): number {
    return this.model.featureNames.length;
  }

  /** Aggregated outputs before the post transform: one array per output. */
  raw(x: FeatureMatrix): Float64Array[] {
    const m = this.model;
    if (x.columns.length !== this.nFeatures) {
      throw new RangeError(`The model expects ${this.nFeatures} features, got ${x.columns.length}`);
    }
    for (const column of x.columns) {
      if (column.length < x.nRows) throw new RangeError('A feature column is shorter than nRows');
    }
    const nRows = x.nRows;
    const dims = m.nOutputs * m.treesPerIteration;
    const out: Float64Array[] = [];
    for (let d = 0; d < dims; d += 1) out.push(new Float64Array(nRows));
    const compiled = this.compiled;
    const values = compiled.value;
    const nOutputs = m.nOutputs;
    const nTrees = m.trees.length;
    const nFeatures = this.nFeatures;
    // Rows go through all trees a block at a time, copied row-major: the block's values and
    // the trees' nodes stay in cache together.
    const block = new Float64Array(PREDICT_BLOCK * nFeatures);
    const leaves = new Int32Array(PREDICT_BLOCK);
    for (let from = 0; from < nRows; from += PREDICT_BLOCK) {
      const size = Math.min(PREDICT_BLOCK, nRows - from);
      for (let f = 0; f < nFeatures; f += 1) {
        const column = x.columns[f] as Float64Array;
        for (let r = 0; r < size; r += 1) block[r * nFeatures + f] = column[from + r] as number;
      }
      for (let t = 0; t < nTrees; t += 1) {
        const root = compiled.roots[t] as number;
        if (compiled.hasCategorical) findLeavesMixed(compiled, root, block, nFeatures, size, leaves);
        else findLeavesNumeric(compiled, root, block, nFeatures, size, leaves);
        const first = (t % m.treesPerIteration) * nOutputs;
        for (let k = 0; k < nOutputs; k += 1) {
          const target = out[first + k] as Float64Array;
          for (let r = 0; r < size; r += 1) {
            target[from + r] =
              (target[from + r] as number) + (values[(leaves[r] as number) * nOutputs + k] as number);
          }
        }
      }
    }
    if (m.aggregation === 'average' && nTrees > 0) {
      const perOutput = nTrees / m.treesPerIteration;
      for (const column of out)
        for (let row = 0; row < nRows; row += 1) column[row] = (column[row] as number) / perOutput;
    }
    for (let d = 0; d < dims; d += 1) {
      const b = m.baseline[d] ?? 0;
      if (b === 0) continue;
      const column = out[d] as Float64Array;
      for (let row = 0; row < nRows; row += 1) column[row] = b + (column[row] as number);
    }
    return out;
  }

  proba(x: FeatureMatrix): Float64Array[] {
    const raw = this.raw(x);
    const m = this.model;
    const nRows = x.nRows;
    if (m.postTransform === 'logistic') {
      const score = raw[0] as Float64Array;
      const positive = new Float64Array(nRows);
      const negative = new Float64Array(nRows);
      for (let row = 0; row < nRows; row += 1) {
        const p = 1 / (1 + Math.exp(-(score[row] as number)));
        positive[row] = p;
        negative[row] = 1 - p;
      }
      return [negative, positive];
    }
    if (m.postTransform === 'softmax') {
      const k = raw.length;
      for (let row = 0; row < nRows; row += 1) {
        let max = -Infinity;
        for (let c = 0; c < k; c += 1) max = Math.max(max, (raw[c] as Float64Array)[row] as number);
        let sum = 0;
        for (let c = 0; c < k; c += 1) {
          const column = raw[c] as Float64Array;
          const e = Math.exp((column[row] as number) - max);
          column[row] = e;
          sum += e;
        }
        for (let c = 0; c < k; c += 1) {
          const column = raw[c] as Float64Array;
          column[row] = (column[row] as number) / sum;
        }
      }
    }
    return raw;
  }
}

function argmaxRows(proba: readonly Float64Array[], nRows: number): Int32Array {
  const out = new Int32Array(nRows);
  for (let row = 0; row < nRows; row += 1) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < proba.length; c += 1) {
      const v = (proba[c] as Float64Array)[row] as number;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[row] = best;
  }
  return out;
}

/** Wraps a model as a fitted classifier. */
export function treeClassifier(model: TreeEnsembleModel): TreeClassifier {
  if (model.problemType !== 'classification') throw new RangeError('Not a classification model');
  const predictor = new TreeEnsemblePredictor(model);
  return {
    problemType: 'classification',
    kind: model.kind,
    nClasses: model.nClasses,
    nFeatures: predictor.nFeatures,
    nIter: model.nIter,
    stopReason: model.stopReason,
    predictRaw: (x) => predictor.raw(x),
    predictProba: (x) => predictor.proba(x),
    predict: (x) => argmaxRows(predictor.proba(x), x.nRows),
    featureImportance: () => model.featureImportance.slice(),
    toState: () => modelToState(model),
  };
}

/** Wraps a model as a fitted regressor. */
export function treeRegressor(model: TreeEnsembleModel): TreeRegressor {
  if (model.problemType !== 'regression') throw new RangeError('Not a regression model');
  const predictor = new TreeEnsemblePredictor(model);
  return {
    problemType: 'regression',
    kind: model.kind,
    nFeatures: predictor.nFeatures,
    nIter: model.nIter,
    stopReason: model.stopReason,
    predict: (x) => predictor.raw(x)[0] as Float64Array,
    featureImportance: () => model.featureImportance.slice(),
    toState: () => modelToState(model),
  };
}

/** Rebuilds a classifier or regressor of the expected kind from its JSON state. */
export function restoreTreeModel(state: LearnerState, kind: TreeModelKind): TreeClassifier | TreeRegressor {
  const model = stateToModel(state, kind);
  return model.problemType === 'classification' ? treeClassifier(model) : treeRegressor(model);
}

export function modelToState(model: TreeEnsembleModel): TreeEnsembleState {
  return {
    kind: model.kind,
    format: 1,
    problemType: model.problemType,
    nClasses: model.nClasses,
    nFeatures: model.featureNames.length,
    featureNames: [...model.featureNames],
    categories: [...model.categories],
    nOutputs: model.nOutputs,
    treesPerIteration: model.treesPerIteration,
    aggregation: model.aggregation,
    postTransform: model.postTransform,
    baseline: Array.from(model.baseline),
    learningRate: model.learningRate,
    nIter: model.nIter,
    stopReason: model.stopReason,
    featureImportance: Array.from(model.featureImportance),
    params: { ...model.params },
    trees: model.trees.map(treeToState),
  };
}

function treeToState(tree: Tree): TreeState {
  return {
    feature: Array.from(tree.feature),
    threshold: Array.from(tree.threshold),
    missingLeft: Array.from(tree.missingLeft),
    categorySet: Array.from(tree.categorySet),
    categoryWords: Array.from(tree.categoryWords),
    left: Array.from(tree.left),
    right: Array.from(tree.right),
    value: Array.from(tree.value),
    cover: Array.from(tree.cover),
  };
}

class StateError extends RangeError {
  constructor(message: string) {
    super(`Invalid tree model state: ${message}`);
  }
}

function field(state: Record<string, unknown>, name: string): unknown {
  if (!(name in state)) throw new StateError(`missing ${name}`);
  return state[name];
}

function integerField(state: Record<string, unknown>, name: string, min: number): number {
  const v = field(state, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new StateError(`${name} must be an integer ≥ ${min}`);
  return v;
}

function oneOf<T extends string>(state: Record<string, unknown>, name: string, allowed: readonly T[]): T {
  const v = field(state, name);
  const match = allowed.find((a) => a === v);
  if (match === undefined) throw new StateError(`${name} must be one of ${allowed.join(', ')}`);
  return match;
}

function numbers(value: unknown, name: string, length?: number): number[] {
  if (!Array.isArray(value)) throw new StateError(`${name} must be an array`);
  if (length !== undefined && value.length !== length)
    throw new StateError(`${name} must have ${length} entries`);
  const out: number[] = [];
  for (const v of value) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new StateError(`${name} must hold finite numbers`);
    out.push(v);
  }
  return out;
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new StateError(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function stateToTree(
  value: unknown,
  t: number,
  nFeatures: number,
  nOutputs: number,
  categories: number[],
): Tree {
  const s = record(value, `trees[${t}]`);
  const feature = numbers(field(s, 'feature'), 'feature');
  const n = feature.length;
  if (n === 0) throw new StateError(`tree ${t} has no nodes`);
  const threshold = numbers(field(s, 'threshold'), 'threshold', n);
  const missingLeft = numbers(field(s, 'missingLeft'), 'missingLeft', n);
  const categorySet = numbers(field(s, 'categorySet'), 'categorySet', n);
  const categoryWords = numbers(field(s, 'categoryWords'), 'categoryWords');
  const left = numbers(field(s, 'left'), 'left', n);
  const right = numbers(field(s, 'right'), 'right', n);
  const valueArray = numbers(field(s, 'value'), 'value', n * nOutputs);
  const cover = numbers(field(s, 'cover'), 'cover', n);
  for (let i = 0; i < n; i += 1) {
    const f = feature[i] as number;
    if (!Number.isInteger(f) || f < -1 || f >= nFeatures)
      throw new StateError(`tree ${t} node ${i}: bad feature`);
    if (f < 0) continue;
    // Children after their parent guarantee that every traversal ends at a leaf.
    const l = left[i] as number;
    const r = right[i] as number;
    if (!Number.isInteger(l) || !Number.isInteger(r) || l <= i || r <= i || l >= n || r >= n) {
      throw new StateError(`tree ${t} node ${i}: bad children`);
    }
    const set = categorySet[i] as number;
    if (
      set >= 0 &&
      (!Number.isInteger(set) || set + bitsetWords(categories[f] ?? 0) > categoryWords.length)
    ) {
      throw new StateError(`tree ${t} node ${i}: bad category set`);
    }
  }
  for (const w of categoryWords) {
    if (!Number.isInteger(w) || w < 0 || w > 0xffffffff)
      throw new StateError('category words must be uint32');
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    missingLeft: Uint8Array.from(missingLeft, (v) => (v === 1 ? 1 : 0)),
    categorySet: Int32Array.from(categorySet),
    categoryWords: Uint32Array.from(categoryWords),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(valueArray),
    cover: Float64Array.from(cover),
  };
}

function stateToModel(state: LearnerState, kind: TreeModelKind): TreeEnsembleModel {
  const s = state as Record<string, unknown>;
  if (s.kind !== kind) throw new StateError(`kind must be ${kind}`);
  if (s.format !== 1) throw new StateError('unsupported format');
  const problemType = oneOf(s, 'problemType', ['classification', 'regression'] as const);
  const nClasses = integerField(s, 'nClasses', 0);
  const nFeatures = integerField(s, 'nFeatures', 1);
  const featureNames = field(s, 'featureNames');
  if (
    !Array.isArray(featureNames) ||
    featureNames.length !== nFeatures ||
    featureNames.some((n) => typeof n !== 'string')
  ) {
    throw new StateError('featureNames must list one string per feature');
  }
  const categories = numbers(field(s, 'categories'), 'categories', nFeatures);
  const nOutputs = integerField(s, 'nOutputs', 1);
  const treesPerIteration = integerField(s, 'treesPerIteration', 1);
  const aggregation = oneOf(s, 'aggregation', ['average', 'sum'] as const);
  const postTransform = oneOf(s, 'postTransform', ['none', 'logistic', 'softmax'] as const);
  const baseline = numbers(field(s, 'baseline'), 'baseline', nOutputs * treesPerIteration);
  const learningRate = numbers([field(s, 'learningRate')], 'learningRate')[0] as number;
  const nIter = integerField(s, 'nIter', 0);
  const stopReason = oneOf(s, 'stopReason', ['completed', 'early_stopping', 'deadline'] as const);
  const importance = numbers(field(s, 'featureImportance'), 'featureImportance', nFeatures);
  const params = record(field(s, 'params'), 'params');
  const cleanParams: Record<string, number | string | boolean | null> = {};
  for (const [key, v] of Object.entries(params)) {
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
      cleanParams[key] = v;
    else throw new StateError(`params.${key} must be a scalar`);
  }
  const trees = field(s, 'trees');
  if (!Array.isArray(trees) || trees.length % treesPerIteration !== 0) {
    throw new StateError('trees must be an array of whole iterations');
  }
  const dims = nOutputs * treesPerIteration;
  const expectedDims = problemType === 'regression' ? 1 : postTransform === 'logistic' ? 1 : nClasses;
  if (dims !== expectedDims || (problemType === 'classification' && nClasses < 1)) {
    throw new StateError('output layout does not match the problem type');
  }
  if (postTransform === 'logistic' && nClasses !== 2)
    throw new StateError('a logistic output needs two classes');
  return {
    kind,
    problemType,
    nClasses: problemType === 'classification' ? nClasses : 0,
    featureNames: featureNames as string[],
    categories,
    nOutputs,
    treesPerIteration,
    aggregation,
    postTransform,
    baseline: Float64Array.from(baseline),
    learningRate,
    trees: trees.map((tree: unknown, t) => stateToTree(tree, t, nFeatures, nOutputs, categories)),
    featureImportance: Float64Array.from(importance),
    params: cleanParams,
    nIter,
    stopReason,
  };
}
