/**
 * CART growth with exact splits, as scikit-learn's best splitter: every threshold between two
 * consecutive distinct values of a candidate feature is scored, the threshold is their midpoint,
 * and missing values are tried on both sides. Rows are sorted once per feature; each node keeps,
 * per feature, its rows in value order (missing last) and a split partitions those lists stably,
 * so no node ever sorts again. Shared by the decision tree and the random forest.
 */
import { checkDeadline, type Deadline, type FeatureMatrix } from '../learner';
import type { SeededRandom } from '../random';
import { argsort, ArgsortScratch } from './argsort';
import { TreeBuilder, type Tree } from './tree-model';

/** Values closer than this are one value, as in scikit-learn (FEATURE_THRESHOLD). */
const FEATURE_THRESHOLD = 1e-7;
/** A node whose impurity is at most this is pure. */
const PURE = 2.220446049250313e-16;
/** Threshold of a split that sends every present value left and only missing values right. */
export const MISSING_ONLY_THRESHOLD = Number.MAX_VALUE;

export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;

/** Per feature, every row index in ascending value order (ties by row), missing rows last. */
export interface PresortedFeatures {
  readonly order: readonly Int32Array[];
}

export type ExactTarget =
  | {
      readonly kind: 'classification';
      readonly labels: Int32Array;
      readonly nClasses: number;
      readonly criterion: 'gini' | 'entropy';
    }
  | { readonly kind: 'regression'; readonly y: Float64Array };

export interface ExactTreeSettings {
  /** Infinity for unlimited depth. */
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  /** Features scored per split (1…feature count). */
  readonly maxFeatures: number;
}

export interface GrownTree {
  readonly tree: Tree;
  /** Weighted impurity decrease per feature, not normalised. */
  readonly importance: Float64Array;
}

/** Resolves a `maxFeatures` setting to a count between 1 and `nFeatures`. */
export function resolveMaxFeatures(maxFeatures: MaxFeatures, nFeatures: number): number {
  let count: number;
  if (maxFeatures === 'all') count = nFeatures;
  else if (maxFeatures === 'sqrt') count = Math.floor(Math.sqrt(nFeatures));
  else if (maxFeatures === 'log2') count = Math.floor(Math.log2(nFeatures));
  else if (!Number.isFinite(maxFeatures) || maxFeatures <= 0) {
    throw new RangeError('maxFeatures must be a fraction in (0, 1), a positive count, sqrt, log2 or all');
  } else if (maxFeatures < 1) count = Math.floor(maxFeatures * nFeatures);
  else if (Number.isInteger(maxFeatures)) count = maxFeatures;
  else throw new RangeError('maxFeatures above 1 must be a whole count of features');
  return Math.min(nFeatures, Math.max(1, count));
}

/** Sorts each feature once: per feature, row indices in ascending value order, missing last. */
export function presortFeatures(x: FeatureMatrix): PresortedFeatures {
  const scratch = new ArgsortScratch(x.nRows);
  return { order: x.columns.map((column) => argsort(column, x.nRows, scratch)) };
}

function xlogx(v: number): number {
  return v > 0 ? v * Math.log(v) : 0;
}

interface StackEntry {
  start: number;
  end: number;
  depth: number;
  parent: number;
  isLeft: boolean;
}

/**
 * Grows one tree depth first (nodes numbered in pre-order, left first) on the rows with a
 * positive weight. `weights` holds bootstrap counts (null: every row once); `minSamplesLeaf` and
 * `minSamplesSplit` count distinct rows, impurities use the weights, as scikit-learn does.
 */
export function growExactTree(
  x: FeatureMatrix,
  presorted: PresortedFeatures,
  target: ExactTarget,
  weights: Float64Array | null,
  settings: ExactTreeSettings,
  random: SeededRandom,
  deadline?: Deadline,
): GrownTree {
  return new ExactTreeGrower(x, presorted, target, weights, settings).grow(random, deadline);
}

/**
 * The grower keeps its buffers as fields and its hot loops in small methods: V8 optimises those
 * whole, where one large function would be compiled on-stack and repeatedly deoptimised.
 */
class ExactTreeGrower {
  private readonly nFeatures: number;
  private readonly m: number;
  private readonly classification: boolean;
  private readonly entropy: boolean;
  private readonly nClasses: number;
  private readonly labels: Int32Array;
  private readonly y: Float64Array;
  private readonly w: Float64Array;
  /** Per feature a segment of m rows; a node is the same [start, end) range in every segment. */
  private readonly work: Int32Array;
  /** The values of `work`'s rows, moved with them so that scans read memory in order. */
  private readonly vals: Float64Array;
  private readonly goLeft: Uint8Array;
  private readonly temp: Int32Array;
  private readonly tempVals: Float64Array;
  private readonly tot: Float64Array;
  private readonly cl: Float64Array;
  private readonly cr: Float64Array;
  private readonly cm: Float64Array;
  private readonly xlL: Float64Array;
  private readonly xlR: Float64Array;
  private readonly xlLM: Float64Array;
  private readonly xlRM: Float64Array;

  // Current node.
  private weight = 0;
  private sum = 0;
  private sumSq = 0;
  private count = 0;
  // Best split so far in the current node.
  private bestProxy = -Infinity;
  private bestFeature = -1;
  private bestPos = 0;
  private bestNonMissingEnd = 0;
  private bestThreshold = 0;
  private bestMissingLeft = false;

  constructor(
    x: FeatureMatrix,
    presorted: PresortedFeatures,
    target: ExactTarget,
    weights: Float64Array | null,
    private readonly settings: ExactTreeSettings,
  ) {
    const n = x.nRows;
    this.nFeatures = x.columns.length;
    this.classification = target.kind === 'classification';
    this.labels = target.kind === 'classification' ? target.labels : new Int32Array(n);
    this.y = target.kind === 'regression' ? target.y : new Float64Array(n);
    this.entropy = target.kind === 'classification' && target.criterion === 'entropy';
    this.nClasses = target.kind === 'classification' ? target.nClasses : 1;
    let m = n;
    if (weights) {
      m = 0;
      for (let i = 0; i < n; i += 1) if ((weights[i] as number) > 0) m += 1;
    }
    this.m = m;
    this.w = weights ?? new Float64Array(n).fill(1);
    this.work = new Int32Array(this.nFeatures * m);
    this.vals = new Float64Array(this.nFeatures * m);
    for (let f = 0; f < this.nFeatures; f += 1) {
      fillSegment(
        this.work,
        this.vals,
        f * m,
        presorted.order[f] as Int32Array,
        x.columns[f] as Float64Array,
        weights,
      );
    }
    this.goLeft = new Uint8Array(n);
    this.temp = new Int32Array(m);
    this.tempVals = new Float64Array(m);
    const k = this.nClasses;
    this.tot = new Float64Array(k);
    this.cl = new Float64Array(k);
    this.cr = new Float64Array(k);
    this.cm = new Float64Array(k);
    this.xlL = new Float64Array(k);
    this.xlR = new Float64Array(k);
    this.xlLM = new Float64Array(k);
    this.xlRM = new Float64Array(k);
  }

  grow(random: SeededRandom, deadline: Deadline | undefined): GrownTree {
    const { nFeatures, nClasses, classification, entropy } = this;
    const { maxDepth, minSamplesSplit, minSamplesLeaf, maxFeatures } = this.settings;
    const features = Int32Array.from({ length: nFeatures }, (_, i) => i);
    const importance = new Float64Array(nFeatures);
    const builder = new TreeBuilder(nClasses);
    const stack: StackEntry[] = [{ start: 0, end: this.m, depth: 0, parent: -1, isLeft: false }];
    const parentFeature: number[] = [];
    let nodesSinceCheck = 0;

    while (stack.length > 0) {
      const entry = stack.pop() as StackEntry;
      const { start: s, end: e, depth } = entry;
      if (deadline && ++nodesSinceCheck >= 256) {
        nodesSinceCheck = 0;
        checkDeadline(deadline, 0);
      }
      this.nodeStats(s, e);
      const weight = this.weight;
      const id = builder.addNode(weight);
      let impurity: number;
      if (classification) {
        impurity = entropy ? 0 : 1;
        for (let k = 0; k < nClasses; k += 1) {
          const p = (this.tot[k] as number) / weight;
          builder.setValue(id, k, p);
          if (entropy) impurity -= p > 0 ? p * Math.log2(p) : 0;
          else impurity -= p * p;
        }
      } else {
        const mean = this.sum / weight;
        builder.setValue(id, 0, mean);
        impurity = Math.max(0, this.sumSq / weight - mean * mean);
      }
      if (entry.parent >= 0) {
        if (entry.isLeft) builder.setLeft(entry.parent, id);
        else builder.setRight(entry.parent, id);
        const pf = parentFeature[entry.parent] as number;
        importance[pf] = (importance[pf] as number) - weight * impurity;
      }
      const count = e - s;
      if (depth >= maxDepth || count < minSamplesSplit || count < 2 * minSamplesLeaf || impurity <= PURE)
        continue;

      // Best split over up to maxFeatures non-constant features drawn without replacement.
      this.bestProxy = -Infinity;
      this.bestFeature = -1;
      let visited = 0;
      for (let i = 0; i < nFeatures && visited < maxFeatures; i += 1) {
        const j = i + random.nextInt(nFeatures - i);
        const f = features[j] as number;
        features[j] = features[i] as number;
        features[i] = f;
        if (this.scanFeature(f, s, e)) visited += 1;
      }
      const bestFeature = this.bestFeature;
      if (bestFeature < 0) continue;

      builder.setNumericSplit(id, bestFeature, this.bestThreshold, this.bestMissingLeft);
      parentFeature[id] = bestFeature;
      importance[bestFeature] = (importance[bestFeature] as number) + weight * impurity;
      const nLeft = this.markLeft(s, e);
      for (let f = 0; f < nFeatures; f += 1) this.partition(f * this.m, s, e);
      const mid = s + nLeft;
      stack.push({ start: mid, end: e, depth: depth + 1, parent: id, isLeft: false });
      stack.push({ start: s, end: mid, depth: depth + 1, parent: id, isLeft: true });
    }
    return { tree: builder.finish(), importance };
  }

  private nodeStats(s: number, e: number): void {
    const { work, w, labels, y, tot } = this;
    let weight = 0;
    let sum = 0;
    let sumSq = 0;
    tot.fill(0);
    if (this.classification) {
      for (let j = s; j < e; j += 1) {
        const row = work[j] as number;
        const wi = w[row] as number;
        const c = labels[row] as number;
        weight += wi;
        tot[c] = (tot[c] as number) + wi;
      }
    } else {
      for (let j = s; j < e; j += 1) {
        const row = work[j] as number;
        const wi = w[row] as number;
        const yi = y[row] as number;
        weight += wi;
        sum += wi * yi;
        sumSq += wi * yi * yi;
      }
    }
    this.weight = weight;
    this.sum = sum;
    this.sumSq = sumSq;
    this.count = e - s;
  }

  /** Scores every split of feature `f` in node [s, e); false when the feature is constant there. */
  private scanFeature(f: number, s: number, e: number): boolean {
    const { vals, work, w, labels, y, cm, tot, nClasses, classification, entropy } = this;
    const seg = f * this.m;
    let e2 = e;
    while (e2 > s && Number.isNaN(vals[seg + e2 - 1])) e2 -= 1;
    const nMissing = e - e2;
    if (e2 === s) return false;
    if (nMissing === 0 && (vals[seg + e2 - 1] as number) <= (vals[seg + s] as number) + FEATURE_THRESHOLD)
      return false;

    let wm = 0;
    let sumM = 0;
    cm.fill(0);
    for (let q = seg + e2; q < seg + e; q += 1) {
      const row = work[q] as number;
      const wi = w[row] as number;
      wm += wi;
      if (classification) {
        const c = labels[row] as number;
        cm[c] = (cm[c] as number) + wi;
      } else sumM += wi * (y[row] as number);
    }
    const minLeaf = this.settings.minSamplesLeaf;
    // Split "every present value left, missing right".
    if (nMissing > 0 && e2 - s >= minLeaf && nMissing >= minLeaf) {
      const wRn = this.weight - wm;
      let proxy: number;
      if (!classification) {
        const sr = this.sum - sumM;
        proxy = (sr * sr) / wRn + (sumM * sumM) / wm;
      } else {
        let a = 0;
        let b = 0;
        for (let k = 0; k < nClasses; k += 1) {
          const mk = cm[k] as number;
          const rk = (tot[k] as number) - mk;
          a += entropy ? xlogx(rk) : rk * rk;
          b += entropy ? xlogx(mk) : mk * mk;
        }
        proxy = entropy ? a - xlogx(wRn) + b - xlogx(wm) : a / wRn + b / wm;
      }
      this.offer(proxy, f, e2 - 1, e2, MISSING_ONLY_THRESHOLD, false);
    }
    if (!classification) this.scanRegression(f, seg, s, e2, nMissing, wm, sumM);
    else if (entropy) this.scanEntropy(f, seg, s, e2, nMissing, wm);
    else this.scanGini(f, seg, s, e2, nMissing, wm);
    return true;
  }

  private offer(
    proxy: number,
    f: number,
    pos: number,
    nonMissingEnd: number,
    threshold: number,
    missingLeft: boolean,
  ): void {
    if (proxy > this.bestProxy) {
      this.bestProxy = proxy;
      this.bestFeature = f;
      this.bestPos = pos;
      this.bestNonMissingEnd = nonMissingEnd;
      this.bestThreshold = threshold;
      this.bestMissingLeft = missingLeft;
    }
  }

  private scanRegression(
    f: number,
    seg: number,
    s: number,
    e2: number,
    nMissing: number,
    wm: number,
    sumM: number,
  ): void {
    const { vals, work, w, y } = this;
    const minLeaf = this.settings.minSamplesLeaf;
    const count = this.count;
    const sRn0 = this.sum - sumM;
    let sl = 0;
    let wl = 0;
    let wRn = this.weight - wm;
    const last = seg + e2 - 1;
    const first = seg + s;
    for (let q = first; q < last; q += 1) {
      const row = work[q] as number;
      const wi = w[row] as number;
      sl += wi * (y[row] as number);
      wl += wi;
      wRn -= wi;
      const v = vals[q] as number;
      const vNext = vals[q + 1] as number;
      if (vNext <= v + FEATURE_THRESHOLD) continue;
      const nl = q - first + 1;
      const sr = sRn0 - sl;
      if (nl >= minLeaf && count - nl >= minLeaf) {
        const srm = sr + sumM;
        const proxy = (sl * sl) / wl + (srm * srm) / (wRn + wm);
        if (proxy > this.bestProxy)
          this.offer(proxy, f, q - seg, e2, midpoint(v, vNext), nMissing === 0 && wl > wRn);
      }
      if (nMissing > 0 && nl + nMissing >= minLeaf && e2 - s - nl >= minLeaf) {
        const slm = sl + sumM;
        const proxy = (slm * slm) / (wl + wm) + (sr * sr) / wRn;
        if (proxy > this.bestProxy) this.offer(proxy, f, q - seg, e2, midpoint(v, vNext), true);
      }
    }
  }

  private scanGini(f: number, seg: number, s: number, e2: number, nMissing: number, wm: number): void {
    const { vals, work, w, labels, cl, cr, cm, tot, nClasses } = this;
    const minLeaf = this.settings.minSamplesLeaf;
    const count = this.count;
    // Sums of squared class weights and their cross terms with the missing rows, kept
    // incrementally so that each candidate costs O(1) whatever the class count.
    let sqL = 0;
    let sqR = 0;
    let dotLM = 0;
    let dotRM = 0;
    let sqM = 0;
    for (let k = 0; k < nClasses; k += 1) {
      const mk = cm[k] as number;
      const rk = (tot[k] as number) - mk;
      cl[k] = 0;
      cr[k] = rk;
      sqR += rk * rk;
      dotRM += rk * mk;
      sqM += mk * mk;
    }
    let wl = 0;
    let wRn = this.weight - wm;
    const last = seg + e2 - 1;
    const first = seg + s;
    for (let q = first; q < last; q += 1) {
      const row = work[q] as number;
      const wi = w[row] as number;
      const c = labels[row] as number;
      const lc = cl[c] as number;
      const rc = cr[c] as number;
      const mc = cm[c] as number;
      sqL += wi * (2 * lc + wi);
      sqR += wi * (wi - 2 * rc);
      dotLM += wi * mc;
      dotRM -= wi * mc;
      cl[c] = lc + wi;
      cr[c] = rc - wi;
      wl += wi;
      wRn -= wi;
      const v = vals[q] as number;
      const vNext = vals[q + 1] as number;
      if (vNext <= v + FEATURE_THRESHOLD) continue;
      const nl = q - first + 1;
      if (nl >= minLeaf && count - nl >= minLeaf) {
        const proxy = sqL / wl + (sqR + 2 * dotRM + sqM) / (wRn + wm);
        if (proxy > this.bestProxy)
          this.offer(proxy, f, q - seg, e2, midpoint(v, vNext), nMissing === 0 && wl > wRn);
      }
      if (nMissing > 0 && nl + nMissing >= minLeaf && e2 - s - nl >= minLeaf) {
        const proxy = (sqL + 2 * dotLM + sqM) / (wl + wm) + sqR / wRn;
        if (proxy > this.bestProxy) this.offer(proxy, f, q - seg, e2, midpoint(v, vNext), true);
      }
    }
  }

  private scanEntropy(f: number, seg: number, s: number, e2: number, nMissing: number, wm: number): void {
    const { vals, work, w, labels, cl, cr, cm, tot, nClasses, xlL, xlR, xlLM, xlRM } = this;
    const minLeaf = this.settings.minSamplesLeaf;
    const count = this.count;
    // Σ c·log c per side, with and without the missing rows, kept incrementally.
    let sL = 0;
    let sR = 0;
    let sLM = 0;
    let sRM = 0;
    for (let k = 0; k < nClasses; k += 1) {
      const mk = cm[k] as number;
      const rk = (tot[k] as number) - mk;
      cl[k] = 0;
      cr[k] = rk;
      xlL[k] = 0;
      xlR[k] = xlogx(rk);
      xlLM[k] = xlogx(mk);
      xlRM[k] = xlogx(rk + mk);
      sR += xlR[k] as number;
      sLM += xlLM[k] as number;
      sRM += xlRM[k] as number;
    }
    let wl = 0;
    let wRn = this.weight - wm;
    const last = seg + e2 - 1;
    const first = seg + s;
    for (let q = first; q < last; q += 1) {
      const row = work[q] as number;
      const wi = w[row] as number;
      const c = labels[row] as number;
      const lc = (cl[c] as number) + wi;
      const rc = (cr[c] as number) - wi;
      cl[c] = lc;
      cr[c] = rc;
      const nl = xlogx(lc);
      const nr = xlogx(rc);
      sL += nl - (xlL[c] as number);
      sR += nr - (xlR[c] as number);
      xlL[c] = nl;
      xlR[c] = nr;
      if (nMissing > 0) {
        const mc = cm[c] as number;
        const nlm = xlogx(lc + mc);
        const nrm = xlogx(rc + mc);
        sLM += nlm - (xlLM[c] as number);
        sRM += nrm - (xlRM[c] as number);
        xlLM[c] = nlm;
        xlRM[c] = nrm;
      }
      wl += wi;
      wRn -= wi;
      const v = vals[q] as number;
      const vNext = vals[q + 1] as number;
      if (vNext <= v + FEATURE_THRESHOLD) continue;
      const nLeft = q - first + 1;
      if (nLeft >= minLeaf && count - nLeft >= minLeaf) {
        const proxy =
          nMissing > 0 ? sL - xlogx(wl) + sRM - xlogx(wRn + wm) : sL - xlogx(wl) + sR - xlogx(wRn);
        if (proxy > this.bestProxy)
          this.offer(proxy, f, q - seg, e2, midpoint(v, vNext), nMissing === 0 && wl > wRn);
      }
      if (nMissing > 0 && nLeft + nMissing >= minLeaf && e2 - s - nLeft >= minLeaf) {
        const proxy = sLM - xlogx(wl + wm) + sR - xlogx(wRn);
        if (proxy > this.bestProxy) this.offer(proxy, f, q - seg, e2, midpoint(v, vNext), true);
      }
    }
  }

  /** Marks the rows of node [s, e) that the best split sends left; returns how many. */
  private markLeft(s: number, e: number): number {
    const { work, goLeft } = this;
    const seg = this.bestFeature * this.m;
    const pos = seg + this.bestPos;
    const missingFrom = seg + this.bestNonMissingEnd;
    const missingLeft = this.bestMissingLeft ? 1 : 0;
    let nLeft = 0;
    for (let q = seg + s; q < seg + e; q += 1) {
      const left = q <= pos ? 1 : q >= missingFrom ? missingLeft : 0;
      goLeft[work[q] as number] = left;
      nLeft += left;
    }
    return nLeft;
  }

  /** Stable partition of one feature segment's node range: left rows first, order kept. */
  private partition(seg: number, s: number, e: number): void {
    const { work, vals, goLeft, temp, tempVals } = this;
    let write = seg + s;
    let t = 0;
    for (let q = seg + s; q < seg + e; q += 1) {
      const row = work[q] as number;
      const v = vals[q] as number;
      if (goLeft[row] === 1) {
        work[write] = row;
        vals[write] = v;
        write += 1;
      } else {
        temp[t] = row;
        tempVals[t] = v;
        t += 1;
      }
    }
    for (let i = 0; i < t; i += 1) {
      work[write + i] = temp[i] as number;
      vals[write + i] = tempVals[i] as number;
    }
  }
}

function fillSegment(
  work: Int32Array,
  vals: Float64Array,
  offset: number,
  order: Int32Array,
  column: Float64Array,
  weights: Float64Array | null,
): void {
  let k = offset;
  for (let j = 0; j < order.length; j += 1) {
    const row = order[j] as number;
    if (weights && (weights[row] as number) <= 0) continue;
    work[k] = row;
    vals[k] = column[row] as number;
    k += 1;
  }
}

/** The midpoint of two consecutive values, never equal to the larger one (as scikit-learn). */
function midpoint(a: number, b: number): number {
  const t = a / 2 + b / 2;
  return t === b || !Number.isFinite(t) ? a : t;
}
