/**
 * The rows a search trains and validates on: a (stratified) holdout, k (stratified) folds, or an
 * explicit validation set. Every split is drawn from the search's seed.
 */
import type { ClassTarget, FeatureMatrix } from '../learner';
import type { SeededRandom } from '../random';

/** Row `indices` of `x`, in that order. */
export function selectMatrixRows(x: FeatureMatrix, indices: ArrayLike<number>): FeatureMatrix {
  const columns = x.columns.map((column) => {
    const out = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i += 1) out[i] = column[indices[i] ?? 0] ?? NaN;
    return out;
  });
  return {
    nRows: indices.length,
    columns,
    names: x.names,
    ...(x.categories ? { categories: x.categories } : {}),
  };
}

export function selectClassRows(y: ClassTarget, indices: ArrayLike<number>): ClassTarget {
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i += 1) labels[i] = y.labels[indices[i] ?? 0] ?? 0;
  return { labels, nClasses: y.nClasses };
}

export function selectValues(y: Float64Array, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i += 1) out[i] = y[indices[i] ?? 0] ?? NaN;
  return out;
}

/**
 * Assigns every row to one of `k` folds. With `labels`, each class is shuffled and dealt round
 * the folds in turn (stratified), so every fold holds about the same share of every class.
 */
export function assignFolds(nRows: number, k: number, random: SeededRandom, labels?: Int32Array): Int32Array {
  const fold = new Int32Array(nRows);
  const groups = new Map<number, number[]>();
  for (let row = 0; row < nRows; row += 1) {
    const key = labels ? (labels[row] ?? 0) : 0;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  // Continue dealing where the previous class stopped, so fold sizes stay balanced.
  let next = random.nextInt(k);
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = random.shuffle(groups.get(key) ?? []);
    for (const row of rows) {
      fold[row] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

/** Rows whose fold is (or is not) `f`, ascending. */
export function rowsOfFold(folds: Int32Array, f: number, inFold: boolean): Int32Array {
  const out: number[] = [];
  for (let row = 0; row < folds.length; row += 1) if ((folds[row] === f) === inFold) out.push(row);
  return Int32Array.from(out);
}

/**
 * A stratified holdout: about `fraction` of each class (at least one row of each class with two
 * or more rows) goes to validation.
 */
export function holdoutSplit(
  nRows: number,
  fraction: number,
  random: SeededRandom,
  labels?: Int32Array,
): { train: Int32Array; valid: Int32Array } {
  const groups = new Map<number, number[]>();
  for (let row = 0; row < nRows; row += 1) {
    const key = labels ? (labels[row] ?? 0) : 0;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const train: number[] = [];
  const valid: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = random.shuffle(groups.get(key) ?? []);
    let take = Math.round(rows.length * fraction);
    if (rows.length >= 2) take = Math.min(rows.length - 1, Math.max(1, take));
    else take = 0;
    rows.forEach((row, i) => (i < take ? valid : train).push(row));
  }
  return {
    train: Int32Array.from(train).sort(),
    valid: Int32Array.from(valid).sort(),
  };
}
