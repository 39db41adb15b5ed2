/**
 * Leaf-wise growth of one gradient boosting tree on binned data, as scikit-learn's TreeGrower:
 * the leaf with the largest loss reduction is split next until `maxLeafNodes` leaves exist;
 * per node a histogram of gradient sums, hessian sums and counts per feature and bin; of two
 * siblings only the smaller histogram is built, the other is the parent's minus it. Splits are
 * numeric (bins ≤ b go left, missing values tried on both sides) or, for categorical features,
 * a left set of categories found by sorting them by gradient/hessian ratio.
 */
import type { BinMapper } from './bin-mapper';
import { bitsetWords, TreeBuilder, type Tree } from './tree-model';

/** Categories with less support are left out of categorical split search (scikit-learn). */
const MIN_CAT_SUPPORT = 10;
/** At most this many categories form the scanned side of a categorical split. */
const MAX_CAT_THRESHOLD = 32;
/** Children need at least this hessian sum (scikit-learn's min_hessian_to_split). */
const MIN_HESSIAN_TO_SPLIT = 1e-3;
/** Threshold of a split that sends every present value left and only missing values right. */
const MISSING_ONLY_THRESHOLD = Number.MAX_VALUE;

export interface HistogramTreeSettings {
  /** null: no limit. */
  readonly maxLeafNodes: number | null;
  /** null: no limit. */
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  readonly l2Regularization: number;
  /** Shrinkage applied to leaf values. */
  readonly learningRate: number;
}

export interface GrownHistogramTree {
  readonly tree: Tree;
  /** The split bin per node (numeric splits): bins ≤ it go left. */
  readonly binThreshold: Int32Array;
  /** Loss reduction per feature, summed over this tree's splits. */
  readonly gains: Float64Array;
}

interface SplitInfo {
  gain: number;
  feature: number;
  /** Numeric: bins ≤ binThreshold go left. */
  binThreshold: number;
  missingLeft: boolean;
  /** Categorical: the left set over bins (= category codes); null for numeric. */
  leftSet: Uint32Array | null;
  sumGLeft: number;
  sumHLeft: number;
  countLeft: number;
}

interface GrowNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  sumG: number;
  sumH: number;
  hist: Float64Array | null;
  split: SplitInfo | null;
}

/**
 * Reusable grower for one training set: the binned rows, a row-index buffer that nodes partition
 * in place, and a pool of histograms.
 */
export class HistogramTreeGrower {
  private readonly nFeatures: number;
  private readonly binStride: number;
  private readonly featureStride: number;
  private readonly indices: Int32Array;
  private readonly temp: Int32Array;
  private readonly pool: Float64Array[] = [];
  private leaves: GrowNode[] = [];
  /**
   * The bin codes again, row-major (row i's codes at i·nFeatures…): a node's rows are sparse
   * in the column-major codes, where each row's codes lie on as many cache lines as features.
   */
  private readonly rowCodes: Uint8Array;
  /** The root's counts per feature and bin (the other channels zero): the same for every tree. */
  private rootCounts: Float64Array | null = null;

  constructor(
    private readonly binned: Uint8Array,
    private readonly nRows: number,
    private readonly mapper: BinMapper,
    private readonly settings: HistogramTreeSettings,
  ) {
    this.nFeatures = mapper.nFeatures;
    this.binStride = mapper.missingBin + 1;
    this.featureStride = this.binStride * 3;
    this.indices = new Int32Array(nRows);
    this.temp = new Int32Array(nRows);
    const nFeatures = this.nFeatures;
    this.rowCodes = new Uint8Array(nRows * nFeatures);
    for (let f = 0; f < nFeatures; f += 1) {
      const codes = binned.subarray(f * nRows, (f + 1) * nRows);
      for (let i = 0; i < nRows; i += 1) this.rowCodes[i * nFeatures + f] = codes[i] as number;
    }
  }

  /**
   * Grows a tree on `gradients`/`hessians` (per training row). With `constantHessian` the
   * hessian of every row is 1 and hessian sums are counts, as for squared error.
   */
  grow(gradients: Float64Array, hessians: Float64Array, constantHessian: boolean): GrownHistogramTree {
    const { settings, nRows } = this;
    const indices = this.indices;
    for (let i = 0; i < nRows; i += 1) indices[i] = i;
    const builder = new TreeBuilder(1);
    const binThreshold: number[] = [];
    const gains = new Float64Array(this.nFeatures);
    this.leaves = [];
    const maxLeaves = settings.maxLeafNodes ?? Infinity;

    let sumG = 0;
    let sumH = 0;
    for (let i = 0; i < nRows; i += 1) {
      sumG += gradients[i] as number;
      sumH += constantHessian ? 1 : (hessians[i] as number);
    }
    const root = this.newNode(builder, 0, nRows, 0, sumG, sumH);
    binThreshold.push(0);
    const splittable: GrowNode[] = [];
    if (this.canSplit(root)) {
      root.hist = this.take();
      this.buildHistogram(root.hist, root.start, root.end, gradients, hessians, constantHessian);
      this.findSplit(root, constantHessian);
    }
    this.settle(root, splittable);
    let nLeaves = 1;

    while (splittable.length > 0) {
      let best = 0;
      for (let i = 1; i < splittable.length; i += 1) {
        if (
          ((splittable[i] as GrowNode).split as SplitInfo).gain >
          ((splittable[best] as GrowNode).split as SplitInfo).gain
        )
          best = i;
      }
      const node = splittable[best] as GrowNode;
      splittable.splice(best, 1);
      const split = node.split as SplitInfo;
      this.leaves.splice(this.leaves.indexOf(node), 1);

      const mid = this.partition(node, split);
      const left = this.newNode(builder, node.start, mid, node.depth + 1, split.sumGLeft, split.sumHLeft);
      binThreshold.push(0);
      const right = this.newNode(
        builder,
        mid,
        node.end,
        node.depth + 1,
        node.sumG - split.sumGLeft,
        node.sumH - split.sumHLeft,
      );
      binThreshold.push(0);
      builder.setChildren(node.id, left.id, right.id);
      const feature = split.feature;
      if (split.leftSet) builder.setCategoricalSplit(node.id, feature, split.leftSet, split.missingLeft);
      else {
        const thresholds = this.mapper.thresholds[feature] as Float64Array;
        const threshold =
          split.binThreshold < thresholds.length
            ? (thresholds[split.binThreshold] as number)
            : MISSING_ONLY_THRESHOLD;
        builder.setNumericSplit(node.id, feature, threshold, split.missingLeft);
        binThreshold[node.id] = split.binThreshold;
      }
      gains[feature] = (gains[feature] as number) + split.gain;
      nLeaves += 1;

      const parentHist = node.hist as Float64Array;
      node.hist = null;
      if (nLeaves >= maxLeaves) {
        this.release(parentHist);
        this.settle(left, null);
        this.settle(right, null);
        for (const rest of splittable) this.dropHistogram(rest);
        splittable.length = 0;
        break;
      }
      const leftOk = this.canSplit(left);
      const rightOk = this.canSplit(right);
      if (leftOk || rightOk) {
        // Build the smaller child's histogram; the sibling's is the parent's minus it.
        const [small, large] =
          left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
        small.hist = this.take();
        this.buildHistogram(small.hist, small.start, small.end, gradients, hessians, constantHessian);
        subtract(parentHist, small.hist);
        large.hist = parentHist;
        if (leftOk) this.findSplit(left, constantHessian);
        if (rightOk) this.findSplit(right, constantHessian);
      } else this.release(parentHist);
      this.settle(left, splittable);
      this.settle(right, splittable);
    }

    const tree = builder.finish();
    return { tree, binThreshold: Int32Array.from(binThreshold), gains };
  }

  /**
   * Adds each leaf's value to `raw` for the rows that reached it (training predictions without
   * traversing the tree). Valid until the next `grow`.
   */
  addLeafValues(tree: Tree, raw: Float64Array): void {
    const indices = this.indices;
    for (const leaf of this.leaves) {
      const value = tree.value[leaf.id] as number;
      for (let j = leaf.start; j < leaf.end; j += 1) {
        const i = indices[j] as number;
        raw[i] = (raw[i] as number) + value;
      }
    }
  }

  private newNode(
    builder: TreeBuilder,
    start: number,
    end: number,
    depth: number,
    sumG: number,
    sumH: number,
  ): GrowNode {
    const id = builder.addNode(end - start);
    const { l2Regularization, learningRate } = this.settings;
    builder.setValue(id, 0, (learningRate * -sumG) / (sumH + l2Regularization + 1e-15));
    return { id, start, end, depth, sumG, sumH, hist: null, split: null };
  }

  private canSplit(node: GrowNode): boolean {
    const { maxDepth, minSamplesLeaf } = this.settings;
    if (maxDepth !== null && node.depth >= maxDepth) return false;
    return node.end - node.start >= 2 * minSamplesLeaf && node.sumH >= MIN_HESSIAN_TO_SPLIT;
  }

  /** A node with a split waits to be split; any other node is a final leaf. */
  private settle(node: GrowNode, splittable: GrowNode[] | null): void {
    this.leaves.push(node);
    if (node.split && splittable) splittable.push(node);
    else this.dropHistogram(node);
  }

  private dropHistogram(node: GrowNode): void {
    if (node.hist) this.release(node.hist);
    node.hist = null;
  }

  private take(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.nFeatures * this.featureStride);
  }

  private release(hist: Float64Array): void {
    this.pool.push(hist);
  }

  private buildHistogram(
    hist: Float64Array,
    start: number,
    end: number,
    gradients: Float64Array,
    hessians: Float64Array,
    constantHessian: boolean,
  ): void {
    const { indices, nRows, featureStride, nFeatures } = this;
    // The root holds every row in order: its codes are read column by column, sequentially.
    if (start === 0 && end === nRows) {
      this.buildRootHistogram(hist, gradients, hessians, constantHessian);
      return;
    }
    hist.fill(0);
    const { rowCodes } = this;
    if (constantHessian)
      buildRowCountHistogram(hist, rowCodes, nFeatures, featureStride, indices, start, end, gradients);
    else
      buildRowHistogram(hist, rowCodes, nFeatures, featureStride, indices, start, end, gradients, hessians);
  }

  /** The root's histogram: the cached counts, then the gradient (and hessian) sums. */
  private buildRootHistogram(
    hist: Float64Array,
    gradients: Float64Array,
    hessians: Float64Array,
    constantHessian: boolean,
  ): void {
    const { binned, nRows, featureStride, nFeatures } = this;
    let counts = this.rootCounts;
    if (!counts) {
      counts = new Float64Array(hist.length);
      for (let f = 0; f < nFeatures; f += 1) {
        const codes = binned.subarray(f * nRows, (f + 1) * nRows);
        const base = f * featureStride + 2;
        for (let i = 0; i < nRows; i += 1) {
          const k = base + (codes[i] as number) * 3;
          counts[k] = (counts[k] as number) + 1;
        }
      }
      this.rootCounts = counts;
    }
    hist.set(counts);
    // Four features per pass: one gradient load serves four independent histogram updates.
    let f = 0;
    for (; f + 4 <= nFeatures; f += 4) {
      const c0 = binned.subarray(f * nRows, (f + 1) * nRows);
      const c1 = binned.subarray((f + 1) * nRows, (f + 2) * nRows);
      const c2 = binned.subarray((f + 2) * nRows, (f + 3) * nRows);
      const c3 = binned.subarray((f + 3) * nRows, (f + 4) * nRows);
      if (constantHessian)
        buildRootSums4(hist, f * featureStride, featureStride, c0, c1, c2, c3, nRows, gradients);
      else
        buildRootSumsWithHessians4(
          hist,
          f * featureStride,
          featureStride,
          c0,
          c1,
          c2,
          c3,
          nRows,
          gradients,
          hessians,
        );
    }
    for (; f < nFeatures; f += 1) {
      const codes = binned.subarray(f * nRows, (f + 1) * nRows);
      const base = f * featureStride;
      for (let i = 0; i < nRows; i += 1) {
        const k = base + (codes[i] as number) * 3;
        hist[k] = (hist[k] as number) + (gradients[i] as number);
        if (!constantHessian) hist[k + 1] = (hist[k + 1] as number) + (hessians[i] as number);
      }
    }
  }

  private findSplit(node: GrowNode, constantHessian: boolean): void {
    const hist = node.hist as Float64Array;
    const { minSamplesLeaf, l2Regularization: l2 } = this.settings;
    const count = node.end - node.start;
    const parentScore = (node.sumG * node.sumG) / (node.sumH + l2);
    let best: SplitInfo | null = null;
    const missingBin = this.mapper.missingBin;
    for (let f = 0; f < this.nFeatures; f += 1) {
      const base = f * this.featureStride;
      const nb = this.mapper.nBins[f] as number;
      const m = base + missingBin * 3;
      const gm = hist[m] as number;
      const cm = hist[m + 2] as number;
      const hm = constantHessian ? cm : (hist[m + 1] as number);
      if (this.mapper.categorical[f] === 1) {
        const split = this.findCategoricalSplit(
          hist,
          base,
          f,
          nb,
          node,
          count,
          parentScore,
          constantHessian,
          gm,
          hm,
          cm,
        );
        if (split && (!best || split.gain > best.gain)) best = split;
        continue;
      }
      // Missing values right: scan left to right.
      let gl = 0;
      let hl = 0;
      let cl = 0;
      const lastBin = cm > 0 ? nb - 1 : nb - 2;
      for (let b = 0; b <= lastBin; b += 1) {
        const k = base + b * 3;
        gl += hist[k] as number;
        cl += hist[k + 2] as number;
        hl += constantHessian ? (hist[k + 2] as number) : (hist[k + 1] as number);
        const cr = count - cl;
        if (cl < minSamplesLeaf || hl < MIN_HESSIAN_TO_SPLIT) continue;
        if (cr < minSamplesLeaf) break;
        const hr = node.sumH - hl;
        if (hr < MIN_HESSIAN_TO_SPLIT) break;
        const gr = node.sumG - gl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentScore;
        if (gain > 0 && (!best || gain > best.gain)) {
          // Where the node saw no missing value, they follow the child with more samples.
          best = {
            gain,
            feature: f,
            binThreshold: b,
            missingLeft: cm === 0 && cl > cr,
            leftSet: null,
            sumGLeft: gl,
            sumHLeft: hl,
            countLeft: cl,
          };
        }
      }
      if (cm === 0) continue;
      // Missing values left: scan right to left.
      let gr = 0;
      let hr = 0;
      let cr = 0;
      for (let b = nb - 1; b >= 1; b -= 1) {
        const k = base + b * 3;
        gr += hist[k] as number;
        cr += hist[k + 2] as number;
        hr += constantHessian ? (hist[k + 2] as number) : (hist[k + 1] as number);
        const cLeft = count - cr;
        if (cr < minSamplesLeaf || hr < MIN_HESSIAN_TO_SPLIT) continue;
        if (cLeft < minSamplesLeaf) break;
        const hLeft = node.sumH - hr;
        if (hLeft < MIN_HESSIAN_TO_SPLIT) break;
        const gLeft = node.sumG - gr;
        const gain = (gLeft * gLeft) / (hLeft + l2) + (gr * gr) / (hr + l2) - parentScore;
        if (gain > 0 && (!best || gain > best.gain)) {
          best = {
            gain,
            feature: f,
            binThreshold: b - 1,
            missingLeft: true,
            leftSet: null,
            sumGLeft: gLeft,
            sumHLeft: hLeft,
            countLeft: cLeft,
          };
        }
      }
    }
    node.split = best;
  }

  /**
   * Categories (and the missing bin, as one more category) with enough support are sorted by
   * their smoothed gradient/hessian ratio; the best prefix of that order, scanned from either
   * end, becomes the left set (LightGBM's and scikit-learn's method).
   */
  private findCategoricalSplit(
    hist: Float64Array,
    base: number,
    f: number,
    nb: number,
    node: GrowNode,
    count: number,
    parentScore: number,
    constantHessian: boolean,
    gm: number,
    hm: number,
    cm: number,
  ): SplitInfo | null {
    const { minSamplesLeaf, l2Regularization: l2 } = this.settings;
    const missingBin = this.mapper.missingBin;
    const supportFactor = constantHessian || node.sumH <= 0 ? 1 : count / node.sumH;
    const used: number[] = [];
    const ratio: number[] = [];
    for (let b = 0; b < nb; b += 1) {
      const k = base + b * 3;
      const h = constantHessian ? (hist[k + 2] as number) : (hist[k + 1] as number);
      if (h * supportFactor >= MIN_CAT_SUPPORT) {
        used.push(b);
        ratio[b] = (hist[k] as number) / (h + MIN_CAT_SUPPORT);
      }
    }
    if (cm > 0 && hm * supportFactor >= MIN_CAT_SUPPORT) {
      used.push(missingBin);
      ratio[missingBin] = gm / (hm + MIN_CAT_SUPPORT);
    }
    if (used.length <= 1) return null;
    used.sort((a, b) => (ratio[a] as number) - (ratio[b] as number) || a - b);
    const nUsed = used.length;
    const maxCategories = Math.min(MAX_CAT_THRESHOLD, Math.floor((nUsed + 1) / 2));
    let bestGain = 0;
    let bestEnd = -1;
    let bestDirection = 1;
    let bestG = 0;
    let bestH = 0;
    let bestC = 0;
    for (const direction of [1, -1]) {
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let i = 0; i < maxCategories; i += 1) {
        const b = used[direction === 1 ? i : nUsed - 1 - i] as number;
        const k = base + b * 3;
        gl += hist[k] as number;
        cl += hist[k + 2] as number;
        hl += constantHessian ? (hist[k + 2] as number) : (hist[k + 1] as number);
        if (cl < minSamplesLeaf || hl < MIN_HESSIAN_TO_SPLIT) continue;
        const cr = count - cl;
        const hr = node.sumH - hl;
        if (cr < minSamplesLeaf || hr < MIN_HESSIAN_TO_SPLIT) break;
        const gr = node.sumG - gl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestEnd = i;
          bestDirection = direction;
          bestG = gl;
          bestH = hl;
          bestC = cl;
        }
      }
    }
    if (bestEnd < 0) return null;
    const leftSet = new Uint32Array(bitsetWords(nb));
    let missingLeft = false;
    for (let i = 0; i <= bestEnd; i += 1) {
      const b = used[bestDirection === 1 ? i : nUsed - 1 - i] as number;
      if (b === missingBin) missingLeft = true;
      else leftSet[b >>> 5] = ((leftSet[b >>> 5] as number) | (1 << (b & 31))) >>> 0;
    }
    return {
      gain: bestGain,
      feature: f,
      binThreshold: 0,
      missingLeft,
      leftSet,
      sumGLeft: bestG,
      sumHLeft: bestH,
      countLeft: bestC,
    };
  }

  /** Stable in-place partition of the node's rows; returns the first index of the right child. */
  private partition(node: GrowNode, split: SplitInfo): number {
    const { indices, temp, nRows } = this;
    const codes = this.binned.subarray(split.feature * nRows, (split.feature + 1) * nRows);
    // A lookup table from bin to side keeps the loop free of branches on the split kind.
    const side = new Uint8Array(256);
    const missingBin = this.mapper.missingBin;
    const leftSet = split.leftSet;
    for (let b = 0; b < missingBin; b += 1) {
      side[b] = leftSet ? ((leftSet[b >>> 5] ?? 0) >>> (b & 31)) & 1 : b <= split.binThreshold ? 1 : 0;
    }
    side[missingBin] = split.missingLeft ? 1 : 0;
    return partitionBySide(indices, temp, codes, side, node.start, node.end);
  }
}

function partitionBySide(
  indices: Int32Array,
  temp: Int32Array,
  codes: Uint8Array,
  side: Uint8Array,
  start: number,
  end: number,
): number {
  let write = start;
  let t = 0;
  for (let j = start; j < end; j += 1) {
    const i = indices[j] as number;
    const left = side[codes[i] as number] as number;
    // Write to both places and advance one: no unpredictable branch.
    indices[write] = i;
    temp[t] = i;
    write += left;
    t += 1 - left;
  }
  for (let q = 0; q < t; q += 1) indices[write + q] = temp[q] as number;
  return write;
}

/** A node's histogram from the row-major codes: per row, every feature's bin. */
function buildRowHistogram(
  hist: Float64Array,
  rowCodes: Uint8Array,
  nFeatures: number,
  stride: number,
  indices: Int32Array,
  start: number,
  end: number,
  g: Float64Array,
  h: Float64Array,
): void {
  for (let j = start; j < end; j += 1) {
    const i = indices[j] as number;
    const r = i * nFeatures;
    const gi = g[i] as number;
    const hi = h[i] as number;
    for (let f = 0, base = 0; f < nFeatures; f += 1, base += stride) {
      const k = base + (rowCodes[r + f] as number) * 3;
      hist[k] = (hist[k] as number) + gi;
      hist[k + 1] = (hist[k + 1] as number) + hi;
      hist[k + 2] = (hist[k + 2] as number) + 1;
    }
  }
}

/** As buildRowHistogram with every hessian 1: hessian sums are the counts. */
function buildRowCountHistogram(
  hist: Float64Array,
  rowCodes: Uint8Array,
  nFeatures: number,
  stride: number,
  indices: Int32Array,
  start: number,
  end: number,
  g: Float64Array,
): void {
  for (let j = start; j < end; j += 1) {
    const i = indices[j] as number;
    const r = i * nFeatures;
    const gi = g[i] as number;
    for (let f = 0, base = 0; f < nFeatures; f += 1, base += stride) {
      const k = base + (rowCodes[r + f] as number) * 3;
      hist[k] = (hist[k] as number) + gi;
      hist[k + 2] = (hist[k + 2] as number) + 1;
    }
  }
}

/** Gradient and hessian sums of four features over all rows (counts come from the cache). */
function buildRootSumsWithHessians4(
  hist: Float64Array,
  base: number,
  stride: number,
  c0: Uint8Array,
  c1: Uint8Array,
  c2: Uint8Array,
  c3: Uint8Array,
  n: number,
  g: Float64Array,
  h: Float64Array,
): void {
  const b1 = base + stride;
  const b2 = b1 + stride;
  const b3 = b2 + stride;
  for (let i = 0; i < n; i += 1) {
    const gi = g[i] as number;
    const hi = h[i] as number;
    const k0 = base + (c0[i] as number) * 3;
    const k1 = b1 + (c1[i] as number) * 3;
    const k2 = b2 + (c2[i] as number) * 3;
    const k3 = b3 + (c3[i] as number) * 3;
    hist[k0] = (hist[k0] as number) + gi;
    hist[k1] = (hist[k1] as number) + gi;
    hist[k2] = (hist[k2] as number) + gi;
    hist[k3] = (hist[k3] as number) + gi;
    hist[k0 + 1] = (hist[k0 + 1] as number) + hi;
    hist[k1 + 1] = (hist[k1 + 1] as number) + hi;
    hist[k2 + 1] = (hist[k2 + 1] as number) + hi;
    hist[k3 + 1] = (hist[k3 + 1] as number) + hi;
  }
}

/** Gradient sums of four features over all rows. */
function buildRootSums4(
  hist: Float64Array,
  base: number,
  stride: number,
  c0: Uint8Array,
  c1: Uint8Array,
  c2: Uint8Array,
  c3: Uint8Array,
  n: number,
  g: Float64Array,
): void {
  const b1 = base + stride;
  const b2 = b1 + stride;
  const b3 = b2 + stride;
  for (let i = 0; i < n; i += 1) {
    const gi = g[i] as number;
    const k0 = base + (c0[i] as number) * 3;
    const k1 = b1 + (c1[i] as number) * 3;
    const k2 = b2 + (c2[i] as number) * 3;
    const k3 = b3 + (c3[i] as number) * 3;
    hist[k0] = (hist[k0] as number) + gi;
    hist[k1] = (hist[k1] as number) + gi;
    hist[k2] = (hist[k2] as number) + gi;
    hist[k3] = (hist[k3] as number) + gi;
  }
}

function subtract(parent: Float64Array, child: Float64Array): void {
  for (let k = 0; k < parent.length; k += 1) parent[k] = (parent[k] as number) - (child[k] as number);
}

/**
 * Adds the tree's leaf values to `raw` for binned rows (validation rows during early stopping):
 * the same routing as the fitted thresholds, on bin codes.
 */
export function addBinnedPredictions(
  grown: GrownHistogramTree,
  binned: Uint8Array,
  missingBin: number,
  raw: Float64Array,
): void {
  const { tree, binThreshold } = grown;
  const n = raw.length;
  for (let r = 0; r < n; r += 1) {
    let node = 0;
    for (;;) {
      const f = tree.feature[node] as number;
      if (f < 0) break;
      const b = binned[f * n + r] as number;
      const set = tree.categorySet[node] as number;
      const goLeft =
        b === missingBin
          ? tree.missingLeft[node] === 1
          : set >= 0
            ? (((tree.categoryWords[set + (b >>> 5)] as number) >>> (b & 31)) & 1) === 1
            : b <= (binThreshold[node] as number);
      node = goLeft ? (tree.left[node] as number) : (tree.right[node] as number);
    }
    raw[r] = (raw[r] as number) + (tree.value[node] as number);
  }
}
