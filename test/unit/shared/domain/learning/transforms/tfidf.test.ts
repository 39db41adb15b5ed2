import path from 'node:path';
import { TEST_FIXTURES } from '../../../../../support/repo-paths';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createTable,
  numberColumn,
  selectRows,
  stringColumn,
  type Table,
} from '../../../../../../shared/domain/learning/table';
import {
  applyTfidf,
  describeTfidf,
  fitTfidf,
} from '../../../../../../shared/domain/learning/transforms/tfidf';
import {
  analyzeText,
  DEFAULT_TFIDF_OPTIONS,
  fitTfidfModel,
  transformTfidf,
} from '../../../../../../shared/domain/learning/transforms/tfidf-vectorizer';
import { expectReplayable, plain, valuesOf } from './transform-test-support';

interface ReferenceCase {
  name: string;
  params: Record<string, unknown>;
  vocabulary: string[];
  idf: number[];
  train: number[][];
  test: number[][];
}
interface Reference {
  train: string[];
  test: string[];
  cases: ReferenceCase[];
}

// Values from scikit-learn's TfidfVectorizer, written by scripts/learning-reference/tfidf-reference.py.
const reference = JSON.parse(
  readFileSync(path.join(TEST_FIXTURES, 'learning/tfidf-reference.json'), 'utf8'),
) as Reference;

function textTable(docs: readonly (string | null)[]): Table {
  return createTable([
    numberColumn(
      'id',
      docs.map((_, i) => i),
    ),
    stringColumn('text', docs),
  ]);
}

function rowsOf(table: Table, vocabulary: readonly string[]): number[][] {
  const columns = vocabulary.map((t) => valuesOf(table, `text__tfidf__${t}`) as number[]);
  return Array.from({ length: table.nRows }, (_, r) => columns.map((c) => c[r] ?? NaN));
}

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    expect(row.length).toBe(expected[r]?.length);
    row.forEach((v, c) => expect(Math.abs(v - (expected[r]?.[c] ?? NaN))).toBeLessThan(1e-12));
  });
}

describe('TF-IDF by hand', () => {
  // Two documents; "a" is too short to be a token. df: cat 2, dog 1, sat 1; n = 2.
  const docs = ['A cat sat.', 'cat CAT dog'];
  const idfRare = Math.log(3 / 2) + 1;

  it('fits the vocabulary alphabetically with smooth idf', () => {
    const model = fitTfidfModel(docs, DEFAULT_TFIDF_OPTIONS);
    expect(model.vocabulary).toEqual(['cat', 'dog', 'sat']);
    expect(model.idf).toEqual([1, idfRare, idfRare]);
  });

  it('weights tf × idf and normalises each row to unit length', () => {
    const out = applyTfidf(fitTfidf(textTable(docs), { column: 'text' }), textTable(docs));
    const n0 = Math.sqrt(1 + idfRare ** 2);
    const n1 = Math.sqrt(4 + idfRare ** 2);
    expectClose(rowsOf(out, ['cat', 'dog', 'sat']), [
      [1 / n0, 0, idfRare / n0],
      [2 / n1, idfRare / n1, 0],
    ]);
  });

  it('uses 1 + ln(tf) with sublinearTf', () => {
    const state = fitTfidf(textTable(docs), { column: 'text', sublinearTf: true, norm: 'none' });
    expectClose(rowsOf(applyTfidf(state, textTable(docs)), ['cat', 'dog']), [
      [1, 0],
      [1 + Math.log(2), idfRare],
    ]);
  });

  it('gives a document without known terms (or missing) a row of zeros', () => {
    const state = fitTfidf(textTable(docs), { column: 'text' });
    const out = applyTfidf(state, textTable(['zebra', null, '']));
    expect(rowsOf(out, ['cat', 'dog', 'sat'])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});

describe('TF-IDF against scikit-learn', () => {
  it.each(reference.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const state = fitTfidf(textTable(reference.train), { column: 'text', ...c.params });
    expect(state.model.vocabulary).toEqual(c.vocabulary);
    state.model.idf.forEach((v, i) => expect(Math.abs(v - (c.idf[i] ?? NaN))).toBeLessThan(1e-12));
    expectClose(rowsOf(applyTfidf(state, textTable(reference.train)), c.vocabulary), c.train);
    expectClose(rowsOf(applyTfidf(state, textTable(reference.test)), c.vocabulary), c.test);
  });
});

describe('analyzeText', () => {
  it.each([
    ['The quick, brown fox!', ['the', 'quick', 'brown', 'fox']],
    ['a I x2 __ 3.14 e-mail', ['x2', '__', '14', 'mail']],
    ['Straße ΣΊΣΥΦΟΣ 東京都', ['straße', 'σίσυφος', '東京都']],
    ['cafe\u0301 नमस्ते', ['cafe', 'नमस']],
  ])('tokenises %j as the default token pattern does', (text, tokens) => {
    expect(analyzeText(text, DEFAULT_TFIDF_OPTIONS)).toEqual(tokens);
  });

  it('adds n-grams after the tokens', () => {
    expect(analyzeText('one two three', { lowercase: true, ngramRange: [1, 3] })).toEqual([
      'one',
      'two',
      'three',
      'one two',
      'two three',
      'one two three',
    ]);
    expect(analyzeText('one two', { lowercase: true, ngramRange: [2, 3] })).toEqual(['one two']);
  });
});

describe('fitTfidf', () => {
  it('keeps the most frequent terms, ties alphabetically, then orders features alphabetically', () => {
    const docs = ['bb aa cc dd', 'dd cc', 'ee dd'];
    const model = fitTfidfModel(docs, { ...DEFAULT_TFIDF_OPTIONS, maxFeatures: 3 });
    expect(model.vocabulary).toEqual(['aa', 'cc', 'dd']);
  });

  it('prunes by document frequency: counts from 1, fractions below 1 (minDf) or up to 1 (maxDf)', () => {
    const docs = ['aa bb', 'aa cc', 'aa bb', 'dd'];
    expect(fitTfidfModel(docs, { ...DEFAULT_TFIDF_OPTIONS, minDf: 2 }).vocabulary).toEqual(['aa', 'bb']);
    expect(fitTfidfModel(docs, { ...DEFAULT_TFIDF_OPTIONS, maxDf: 0.5 }).vocabulary).toEqual([
      'bb',
      'cc',
      'dd',
    ]);
    expect(fitTfidfModel(docs, { ...DEFAULT_TFIDF_OPTIONS, maxDf: 2 }).vocabulary).toEqual([
      'bb',
      'cc',
      'dd',
    ]);
    expect(fitTfidfModel(docs, { ...DEFAULT_TFIDF_OPTIONS, minDf: 0.5 }).vocabulary).toEqual(['aa', 'bb']);
  });

  it('fits on the training rows only', () => {
    const table = textTable(['red fish', 'blue fish', 'green parrot']);
    const state = fitTfidf(selectRows(table, [0, 1]), { column: 'text' });
    expect(state.model.vocabulary).toEqual(['blue', 'fish', 'red']);
    expect(state.model.documentCount).toBe(2);
    expect(valuesOf(applyTfidf(state, selectRows(table, [2])), 'text__tfidf__fish')).toEqual([0]);
  });

  it('replaces the text column in place, or keeps it', () => {
    const table = textTable(['red fish', 'blue fish']);
    const names = (keepOriginal: boolean) =>
      plain(applyTfidf(fitTfidf(table, { column: 'text', keepOriginal }), table)).columns.map((c) => c.name);
    expect(names(false)).toEqual(['id', 'text__tfidf__blue', 'text__tfidf__fish', 'text__tfidf__red']);
    expect(names(true)).toEqual(['id', 'text', 'text__tfidf__blue', 'text__tfidf__fish', 'text__tfidf__red']);
  });

  it.each([
    [{}, 'tfidf: column is required: a non-empty string'],
    [{ column: 'id' }, 'tfidf: column "id" is a number column; TF-IDF needs text.'],
    [{ column: 'text', ngramRange: [2, 1] }, 'tfidf: ngramRange must have min ≤ max; got [2, 1].'],
    [{ column: 'text', minDf: 1.5 }, 'tfidf: minDf must be a whole document count'],
    [{ column: 'text', maxDf: 0 }, 'tfidf: maxDf must be greater than 0; got 0.'],
    [{ column: 'text', maxFeatures: 0 }, 'tfidf: maxFeatures must be at least 1; got 0.'],
    [{ column: 'text', minDf: 3 }, 'maxDf (1) allows fewer documents (2) than minDf (3) requires (3)'],
    [
      { column: 'text', minDf: 2, maxDf: 0.4 },
      'maxDf (0.4) allows fewer documents (0.8) than minDf (2) requires (2)',
    ],
    [
      { column: 'text', max_features: 10 },
      'tfidf: max_features is not a parameter of tfidf. Did you mean "maxFeatures"?',
    ],
  ])('rejects %j', (params, message) => {
    expect(() => fitTfidf(textTable(['red fish', 'blue fish']), params as never)).toThrow(message);
  });

  it('rejects limits that no term meets', () => {
    expect(() => fitTfidf(textTable(['aa', 'bb']), { column: 'text', minDf: 2 })).toThrow(
      'No term appears in between minDf (2) and maxDf (1) of the documents; lower minDf or raise maxDf.',
    );
  });

  it('rejects a corpus without a single token', () => {
    expect(() => fitTfidf(textTable(['a b', null, '!']), { column: 'text' })).toThrow(
      'the vocabulary is empty',
    );
  });

  it('describes itself', () => {
    expect(describeTfidf(fitTfidf(textTable(['red fish', 'blue fish']), { column: 'text' }))).toBe(
      'TF-IDF of "text": 3 terms (n-grams 1–1, l2 norm), fitted on 2 documents.',
    );
  });

  it('replays exactly after a JSON round trip, row by row', () => {
    const table = textTable(reference.train);
    expectReplayable(
      fitTfidf(table, { column: 'text', ngramRange: [1, 2] }),
      applyTfidf,
      textTable(reference.test),
    );
  });
});

describe('transformTfidf', () => {
  it('returns sparse rows with ascending columns', () => {
    const model = fitTfidfModel(['bb aa', 'cc'], DEFAULT_TFIDF_OPTIONS);
    const rows = transformTfidf(model, ['cc aa bb aa', '', 'zz']);
    expect(Array.from(rows.indptr)).toEqual([0, 3, 3, 3]);
    expect(Array.from(rows.indices)).toEqual([0, 1, 2]);
    expect(rows.nColumns).toBe(3);
  });
});
