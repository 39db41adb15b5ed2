/**
 * Quantile binning for histogram gradient boosting, as scikit-learn's _BinMapper: each numeric
 * feature gets at most `maxBins` bins for present values (one per distinct value when there are
 * few, otherwise cut at quantile midpoints), categorical features use their codes as bins, and
 * bin `maxBins` is reserved for missing values. Codes are stored column-major as bytes:
 * histograms are built one feature at a time, each pass keeping its 256-bin histogram in L1.
 */
import type { FeatureMatrix } from '../learner';
import type { SeededRandom } from '../random';

/** At most this many rows are used to find the quantiles (scikit-learn's subsample). */
const BINNING_SUBSAMPLE = 200_000;

export interface BinMapper {
  readonly nFeatures: number;
  /** Bins for present values are 0…nBins[f]−1; `missingBin` holds missing values. */
  readonly missingBin: number;
  readonly nBins: Int32Array;
  /** Numeric features: a value goes to the first bin b with value <= thresholds[f][b]. */
  readonly thresholds: readonly Float64Array[];
  /** 1 for a feature split natively on its category codes. */
  readonly categorical: Uint8Array;
}

export interface BinnedTrainingData {
  readonly mapper: BinMapper;
  /** Codes of the fitting rows, column-major (as `binRows`). */
  readonly codes: Uint8Array;
}

/**
 * Learns the bins from `rows` of `x` and bins those rows. A categorical feature with more
 * categories than `maxBins` is binned as a numeric one.
 */
export function fitBinMapper(
  x: FeatureMatrix,
  rows: Int32Array,
  maxBins: number,
  categories: readonly number[],
  random: SeededRandom,
): BinnedTrainingData {
  const nFeatures = x.columns.length;
  const n = rows.length;
  const subsample =
    n > BINNING_SUBSAMPLE ? random.shuffle(Int32Array.from(rows)).subarray(0, BINNING_SUBSAMPLE) : null;
  const nBins = new Int32Array(nFeatures);
  const categorical = new Uint8Array(nFeatures);
  const thresholds: Float64Array[] = [];
  const codes = new Uint8Array(n * nFeatures);
  const values = new Float64Array(n);
  for (let f = 0; f < nFeatures; f += 1) {
    const column = x.columns[f] as Float64Array;
    const count = categories[f] ?? 0;
    const out = codes.subarray(f * n, (f + 1) * n);
    if (count > 0 && count <= maxBins) {
      categorical[f] = 1;
      nBins[f] = count;
      thresholds.push(new Float64Array(0));
      binCategorical(out, column, rows, count, maxBins);
      continue;
    }
    const sampleRows = subsample ?? rows;
    const m = sampleRows.length;
    for (let j = 0; j < m; j += 1) values[j] = column[sampleRows[j] as number] as number;
    // Typed-array sort is numeric and puts NaN (missing) last.
    const sorted = values.slice(0, m).sort();
    let nPresent = m;
    while (nPresent > 0 && Number.isNaN(sorted[nPresent - 1] as number)) nPresent -= 1;
    const t = numericThresholds(sorted.subarray(0, nPresent), maxBins);
    thresholds.push(t);
    nBins[f] = t.length + 1;
    binNumeric(out, column, rows, t, maxBins);
  }
  return { mapper: { nFeatures, missingBin: maxBins, nBins, thresholds, categorical }, codes };
}

/** Room for the at most 254 thresholds (255 bins) and one +Infinity sentinel. */
const PADDED_THRESHOLDS = 256;

/** Thresholds from the sorted present values of a feature. */
function numericThresholds(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  let nDistinct = 0;
  const distinct = new Float64Array(Math.min(n, maxBins + 1));
  for (let i = 0; i < n && nDistinct <= maxBins; i += 1) {
    const v = sorted[i] as number;
    if (nDistinct === 0 || v !== distinct[nDistinct - 1]) distinct[nDistinct++] = v;
  }
  if (nDistinct <= maxBins) {
    const out = new Float64Array(Math.max(0, nDistinct - 1));
    for (let i = 0; i < out.length; i += 1)
      out[i] = clampFinite(((distinct[i] as number) + (distinct[i + 1] as number)) * 0.5);
    return out;
  }
  // numpy.percentile(method='midpoint') at 100·k/maxBins, k = 1…maxBins−1.
  const out = new Float64Array(maxBins - 1);
  for (let k = 1; k < maxBins; k += 1) {
    const position = (k / maxBins) * (n - 1);
    const lo = Math.floor(position);
    const hi = Math.ceil(position);
    out[k - 1] = clampFinite(((sorted[lo] as number) + (sorted[hi] as number)) * 0.5);
  }
  return out;
}

/** Infinite thresholds would not survive JSON; the largest double orders the same way. */
function clampFinite(v: number): number {
  return Math.min(Math.max(v, -Number.MAX_VALUE), Number.MAX_VALUE);
}

/** Bin codes of `rows` of `x`, column-major: code of row j, feature f at f·rows.length + j. */
export function binRows(x: FeatureMatrix, rows: Int32Array, mapper: BinMapper): Uint8Array {
  const nFeatures = mapper.nFeatures;
  const n = rows.length;
  const out = new Uint8Array(n * nFeatures);
  for (let f = 0; f < nFeatures; f += 1) {
    const column = x.columns[f] as Float64Array;
    const codes = out.subarray(f * n, (f + 1) * n);
    if (mapper.categorical[f] === 1)
      binCategorical(codes, column, rows, mapper.nBins[f] as number, mapper.missingBin);
    else binNumeric(codes, column, rows, mapper.thresholds[f] as Float64Array, mapper.missingBin);
  }
  return out;
}

function binNumeric(
  out: Uint8Array,
  column: Float64Array,
  rows: Int32Array,
  thresholds: Float64Array,
  missingBin: number,
): void {
  // Thresholds padded to 255 with +Infinity: eight fixed halvings count the thresholds below
  // the value, which is the first threshold not below it (at most 254 thresholds).
  const padded = new Float64Array(PADDED_THRESHOLDS).fill(Infinity);
  padded.set(thresholds.subarray(0, PADDED_THRESHOLDS - 1));
  for (let j = 0; j < rows.length; j += 1) {
    const v = column[rows[j] as number] as number;
    if (v !== v) {
      out[j] = missingBin;
      continue;
    }
    let pos = 0;
    if (v > (padded[127] as number)) pos = 128;
    if (v > (padded[pos + 63] as number)) pos += 64;
    if (v > (padded[pos + 31] as number)) pos += 32;
    if (v > (padded[pos + 15] as number)) pos += 16;
    if (v > (padded[pos + 7] as number)) pos += 8;
    if (v > (padded[pos + 3] as number)) pos += 4;
    if (v > (padded[pos + 1] as number)) pos += 2;
    if (v > (padded[pos] as number)) pos += 1;
    out[j] = pos;
  }
}

function binCategorical(
  out: Uint8Array,
  column: Float64Array,
  rows: Int32Array,
  count: number,
  missingBin: number,
): void {
  for (let j = 0; j < rows.length; j += 1) {
    const v = column[rows[j] as number] as number;
    // Codes outside 0…count−1 are unknown categories, binned with the missing values.
    out[j] = v >= 0 && v < count && Math.floor(v) === v ? v : missingBin;
  }
}
