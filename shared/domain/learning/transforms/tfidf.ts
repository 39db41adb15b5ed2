/**
 * TF-IDF features from one text column (see tfidf-vectorizer.ts for the computation, which
 * matches scikit-learn's TfidfVectorizer). The column is replaced by one number column per
 * term, `<column>__tfidf__<term>`, in alphabetical term order (kept with `keepOriginal`).
 *
 * Differences from scikit-learn's defaults, both because the output is dense: `maxFeatures`
 * defaults to 1000 (scikit-learn: no limit). `minDf` is a count when ≥ 1 and a fraction of the
 * documents below 1; `maxDf` a fraction when ≤ 1 and a count above 1 — so the defaults 1 and 1
 * mean "at least one document" and "all documents", as scikit-learn's min_df=1, max_df=1.0.
 */
import { getColumn, type Table, type TableColumn } from '../table';
import { ParamsReader, TransformParamsError } from './params-reader';
import { assertNewColumnNames } from './select-columns';
import { expectKind, mapColumns, type TransformState } from './transform-state';
import {
  fitTfidfModel,
  TfidfError,
  transformTfidf,
  type TfidfModel,
  type TfidfOptions,
} from './tfidf-vectorizer';

const NAME = 'tfidf';
const NORMS = ['l2', 'l1', 'none'] as const;
export const DEFAULT_TFIDF_MAX_FEATURES = 1000;
const MAX_FEATURES_LIMIT = 100_000;

export interface TfidfParams {
  readonly column: string;
  readonly ngramRange?: readonly [number, number];
  readonly maxFeatures?: number;
  readonly minDf?: number;
  readonly maxDf?: number;
  readonly lowercase?: boolean;
  readonly smoothIdf?: boolean;
  readonly sublinearTf?: boolean;
  readonly norm?: 'l2' | 'l1' | 'none';
  readonly keepOriginal?: boolean;
}

export interface TfidfState extends TransformState {
  readonly kind: 'tfidf';
  readonly format: 1;
  readonly column: string;
  readonly keepOriginal: boolean;
  readonly model: TfidfModel;
}

export function resolveTfidfParams(raw: unknown): {
  column: string;
  keepOriginal: boolean;
  options: TfidfOptions;
} {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const column = r.string('column');
  let ngramRange: [number, number] = [1, 1];
  const range = r.value('ngramRange');
  if (range !== undefined) {
    if (!Array.isArray(range) || range.length !== 2)
      r.fail('ngramRange', 'must be a pair [min, max] of word counts, e.g. [1, 2] for words and word pairs.');
    const lo = r.checkNumber('ngramRange[0]', range[0], { min: 1, max: 5, integer: true });
    const hi = r.checkNumber('ngramRange[1]', range[1], { min: 1, max: 5, integer: true });
    if (lo > hi) r.fail('ngramRange', `must have min ≤ max; got [${lo}, ${hi}].`);
    ngramRange = [lo, hi];
  }
  const maxFeatures = r.number('maxFeatures', DEFAULT_TFIDF_MAX_FEATURES, {
    min: 1,
    max: MAX_FEATURES_LIMIT,
    integer: true,
  });
  const minDf = r.number('minDf', 1, { min: 0 });
  if (minDf > 1 && !Number.isInteger(minDf))
    r.fail('minDf', `must be a whole document count (≥ 1) or a fraction below 1; got ${minDf}.`);
  const maxDf = r.number('maxDf', 1, { min: 0, minExclusive: true });
  if (maxDf > 1 && !Number.isInteger(maxDf))
    r.fail('maxDf', `must be a fraction (≤ 1) or a whole document count; got ${maxDf}.`);
  const options: TfidfOptions = {
    lowercase: r.boolean('lowercase', true),
    ngramRange,
    minDf,
    maxDf,
    maxFeatures,
    smoothIdf: r.boolean('smoothIdf', true),
    sublinearTf: r.boolean('sublinearTf', false),
    norm: r.enumValue('norm', NORMS, 'l2'),
  };
  const keepOriginal = r.boolean('keepOriginal', false);
  r.finish();
  return { column, keepOriginal, options };
}

export function tfidfColumnName(column: string, term: string): string {
  return `${column}__tfidf__${term}`;
}

export function fitTfidf(table: Table, params: TfidfParams): TfidfState {
  const p = resolveTfidfParams(params);
  const column = getColumn(table, p.column, `${NAME} column`);
  if (column.kind !== 'string')
    throw new TransformParamsError(
      NAME,
      'column',
      `"${p.column}" is a ${column.kind} column; TF-IDF needs text. Cast it to string first.`,
    );
  let model: TfidfModel;
  try {
    model = fitTfidfModel(column.values, p.options);
  } catch (error) {
    if (error instanceof TfidfError)
      throw new TransformParamsError(NAME, 'column', `"${p.column}": ${error.message}`);
    throw error;
  }
  assertNewColumnNames(
    NAME,
    table,
    model.vocabulary.map((t) => tfidfColumnName(p.column, t)),
    p.keepOriginal ? new Set() : new Set([p.column]),
  );
  return { kind: 'tfidf', format: 1, column: p.column, keepOriginal: p.keepOriginal, model };
}

export function applyTfidf(state: TfidfState, table: Table): Table {
  const source = getColumn(table, state.column, NAME);
  expectKind(NAME, source, ['string']);
  const text = source.kind === 'string' ? source.values : [];
  const rows = transformTfidf(state.model, text);
  const outputs: TableColumn[] = state.model.vocabulary.map((term) => ({
    name: tfidfColumnName(state.column, term),
    kind: 'number',
    values: new Float64Array(table.nRows),
  }));
  for (let r = 0; r < rows.nRows; r += 1) {
    for (let k = rows.indptr[r] ?? 0; k < (rows.indptr[r + 1] ?? 0); k += 1) {
      const out = outputs[rows.indices[k] ?? 0];
      if (out && out.kind === 'number') out.values[r] = rows.data[k] ?? 0;
    }
  }
  return mapColumns(NAME, table, (c) =>
    c.name !== state.column ? [c] : state.keepOriginal ? [c, ...outputs] : outputs,
  );
}

export function describeTfidf(state: TfidfState): string {
  const o = state.model.options;
  return (
    `TF-IDF of "${state.column}": ${state.model.vocabulary.length} terms ` +
    `(n-grams ${o.ngramRange.join('–')}, ${o.sublinearTf ? 'sublinear tf, ' : ''}${o.norm} norm), ` +
    `fitted on ${state.model.documentCount} documents.`
  );
}
