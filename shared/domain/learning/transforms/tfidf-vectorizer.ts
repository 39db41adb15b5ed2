/**
 * TF-IDF over documents, computed as scikit-learn's TfidfVectorizer with its defaults, and
 * independent of tables so that any text input can share it:
 * - tokens: the text lowercased, then every run of two or more word characters (letters,
 *   digits, underscore) — the default token_pattern `(?u)\b\w\w+\b`;
 * - n-grams of `ngramRange` tokens joined by one space;
 * - terms kept: document frequency within [minDf, maxDf]; then, with `maxFeatures`, the most
 *   frequent across the corpus (ties alphabetically); features ordered alphabetically (by code
 *   point, as Python sorts strings);
 * - weight: tf × idf with smooth idf = ln((1 + n) / (1 + df)) + 1 (or ln(n / df) + 1),
 *   tf = the raw count, or 1 + ln(count) with `sublinearTf`; each document then scaled to unit
 *   L2 norm (or L1, or not at all).
 * A missing document is empty.
 */
import { compareCodePoints } from '../table';

export interface TfidfOptions {
  readonly lowercase: boolean;
  readonly ngramRange: readonly [number, number];
  /** A count (≥ 1) or a fraction of the documents (< 1). */
  readonly minDf: number;
  /** A fraction of the documents (≤ 1) or a count (> 1). */
  readonly maxDf: number;
  /** Largest vocabulary; null for no limit. */
  readonly maxFeatures: number | null;
  readonly smoothIdf: boolean;
  readonly sublinearTf: boolean;
  readonly norm: 'l2' | 'l1' | 'none';
}

export const DEFAULT_TFIDF_OPTIONS: TfidfOptions = {
  lowercase: true,
  ngramRange: [1, 1],
  minDf: 1,
  maxDf: 1,
  maxFeatures: null,
  smoothIdf: true,
  sublinearTf: false,
  norm: 'l2',
};

/** A fitted vocabulary: plain JSON. */
export interface TfidfModel {
  readonly options: TfidfOptions;
  /** Terms in feature order (alphabetical). */
  readonly vocabulary: readonly string[];
  /** The idf of each term, in feature order. */
  readonly idf: readonly number[];
  readonly documentCount: number;
}

/** Rows of TF-IDF weights in compressed sparse row form, columns ascending within a row. */
export interface SparseRows {
  readonly nRows: number;
  readonly nColumns: number;
  /** Row r spans indices[indptr[r]…indptr[r + 1]). */
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float64Array;
}

export class TfidfError extends Error {
  override readonly name = 'TfidfError';
}

const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** The terms of one document: its tokens, then its n-grams, as scikit-learn lists them. */
export function analyzeText(
  text: string | null,
  options: Pick<TfidfOptions, 'lowercase' | 'ngramRange'>,
): string[] {
  if (text === null || text.length === 0) return [];
  const source = options.lowercase ? text.toLowerCase() : text;
  const tokens = source.match(TOKEN) ?? [];
  const [minN, maxN] = options.ngramRange;
  if (maxN === 1) return tokens;
  const terms: string[] = minN === 1 ? [...tokens] : [];
  for (let n = Math.max(minN, 2); n <= Math.min(maxN, tokens.length); n += 1)
    for (let i = 0; i + n <= tokens.length; i += 1) terms.push(tokens.slice(i, i + n).join(' '));
  return terms;
}

/** Learns the vocabulary and idf from the training documents. */
export function fitTfidfModel(documents: readonly (string | null)[], options: TfidfOptions): TfidfModel {
  const ids = new Map<string, number>();
  let df: Int32Array = new Int32Array(1024);
  let tf: Float64Array = new Float64Array(1024);
  let lastDoc: Int32Array = new Int32Array(1024).fill(-1);
  const terms: string[] = [];
  for (let d = 0; d < documents.length; d += 1) {
    for (const term of analyzeText(documents[d] ?? null, options)) {
      let id = ids.get(term);
      if (id === undefined) {
        id = terms.length;
        ids.set(term, id);
        terms.push(term);
        if (id >= df.length) {
          const grow = df.length * 2;
          df = resizeInt(df, grow, 0);
          tf = resizeFloat(tf, grow);
          lastDoc = resizeInt(lastDoc, grow, -1);
        }
      }
      tf[id] = (tf[id] ?? 0) + 1;
      if (lastDoc[id] !== d) {
        lastDoc[id] = d;
        df[id] = (df[id] ?? 0) + 1;
      }
    }
  }
  if (terms.length === 0)
    throw new TfidfError(
      'The documents have no words of two or more letters or digits: the vocabulary is empty.',
    );
  const n = documents.length;
  const maxDocCount = options.maxDf <= 1 ? options.maxDf * n : options.maxDf;
  const minDocCount = options.minDf < 1 ? options.minDf * n : options.minDf;
  if (maxDocCount < minDocCount)
    throw new TfidfError(
      `maxDf (${options.maxDf}) allows fewer documents (${maxDocCount}) than minDf (${options.minDf}) requires (${minDocCount}); raise maxDf or lower minDf.`,
    );
  let kept: number[] = [];
  for (let id = 0; id < terms.length; id += 1) {
    const f = df[id] ?? 0;
    if (f >= minDocCount && f <= maxDocCount) kept.push(id);
  }
  if (kept.length === 0)
    throw new TfidfError(
      `No term appears in between minDf (${options.minDf}) and maxDf (${options.maxDf}) of the documents; lower minDf or raise maxDf.`,
    );
  if (options.maxFeatures !== null && kept.length > options.maxFeatures) {
    kept.sort((a, b) => (tf[b] ?? 0) - (tf[a] ?? 0) || compareCodePoints(terms[a] ?? '', terms[b] ?? ''));
    kept = kept.slice(0, options.maxFeatures);
  }
  kept.sort((a, b) => compareCodePoints(terms[a] ?? '', terms[b] ?? ''));
  const vocabulary = kept.map((id) => terms[id] ?? '');
  const idf = kept.map((id) => {
    const f = df[id] ?? 0;
    return options.smoothIdf ? Math.log((n + 1) / (f + 1)) + 1 : Math.log(n / f) + 1;
  });
  return { options, vocabulary, idf, documentCount: n };
}

function resizeInt(a: Int32Array, size: number, fill: number): Int32Array {
  const out = new Int32Array(size).fill(fill);
  out.set(a);
  return out;
}

function resizeFloat(a: Float64Array, size: number): Float64Array {
  const out = new Float64Array(size);
  out.set(a);
  return out;
}

/** The TF-IDF rows of `documents` under a fitted model. */
export function transformTfidf(model: TfidfModel, documents: readonly (string | null)[]): SparseRows {
  const index = new Map<string, number>();
  model.vocabulary.forEach((term, i) => index.set(term, i));
  const idf = Float64Array.from(model.idf);
  const counts = new Float64Array(model.vocabulary.length);
  const indptr = new Int32Array(documents.length + 1);
  let indices: Int32Array = new Int32Array(Math.max(16, documents.length * 4));
  let data: Float64Array = new Float64Array(indices.length);
  let nnz = 0;
  const touched: number[] = [];
  const { sublinearTf, norm } = model.options;
  for (let d = 0; d < documents.length; d += 1) {
    touched.length = 0;
    for (const term of analyzeText(documents[d] ?? null, model.options)) {
      const i = index.get(term);
      if (i === undefined) continue;
      if (counts[i] === 0) touched.push(i);
      counts[i] = (counts[i] ?? 0) + 1;
    }
    // Ascending columns, so that the norm sums in the order scikit-learn's sparse rows do.
    touched.sort((a, b) => a - b);
    if (nnz + touched.length > indices.length) {
      const size = Math.max(indices.length * 2, nnz + touched.length);
      const grownIndices = new Int32Array(size);
      grownIndices.set(indices);
      indices = grownIndices;
      data = resizeFloat(data, size);
    }
    let total = 0;
    for (let k = 0; k < touched.length; k += 1) {
      const i = touched[k] ?? 0;
      const count = counts[i] ?? 0;
      counts[i] = 0;
      const w = (sublinearTf ? 1 + Math.log(count) : count) * (idf[i] ?? 0);
      indices[nnz + k] = i;
      data[nnz + k] = w;
      total += norm === 'l1' ? Math.abs(w) : w * w;
    }
    const scale = norm === 'l2' ? Math.sqrt(total) : norm === 'l1' ? total : 1;
    if (norm !== 'none' && scale > 0)
      for (let k = 0; k < touched.length; k += 1) data[nnz + k] = (data[nnz + k] ?? 0) / scale;
    nnz += touched.length;
    indptr[d + 1] = nnz;
  }
  return {
    nRows: documents.length,
    nColumns: model.vocabulary.length,
    indptr,
    indices: indices.slice(0, nnz),
    data: data.slice(0, nnz),
  };
}
