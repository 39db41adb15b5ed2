import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../../../../../../shared/domain/learning/learner';
import { fitLearner, restoreLearner } from '../../../../../../shared/domain/learning/learner-catalog';
import {
  fitMultinomialNb,
  NegativeFeatureError,
} from '../../../../../../shared/domain/learning/learners/naive-bayes';
import {
  DEFAULT_TFIDF_OPTIONS,
  fitTfidfModel,
  transformTfidf,
  type SparseRows,
} from '../../../../../../shared/domain/learning/transforms/tfidf-vectorizer';
import { TEST_FIXTURES } from '../../../../../support/repo-paths';

interface CountCase {
  name: string;
  params: { alpha?: number; fitPrior?: boolean };
  train: { x: number[][]; y: number[] };
  test: number[][];
  classLogPrior: number[];
  featureLogProb: number[][];
  probabilities: number[][];
  predictions: number[];
}
interface Reference {
  counts: CountCase[];
  corpus: {
    trainDocuments: number;
    classes: string[];
    vocabulary: string[];
    classLogPrior: number[];
    featureLogProb: number[][];
    probabilities: number[][];
    predictions: number[];
    accuracy: number;
    majorityShareOfTrain: number;
  };
}

// Values from scikit-learn's MultinomialNB, written by scripts/learning-reference/naive-bayes-reference.py.
const reference = JSON.parse(
  readFileSync(path.join(TEST_FIXTURES, 'learning/naive-bayes-reference.json'), 'utf8'),
) as Reference;

function matrix(rows: number[][]): FeatureMatrix {
  const d = rows[0]?.length ?? 0;
  return {
    nRows: rows.length,
    columns: Array.from({ length: d }, (_, j) => Float64Array.from(rows, (r) => r[j] ?? 0)),
    names: Array.from({ length: d }, (_, j) => `f${j}`),
  };
}

function dense(rows: SparseRows): FeatureMatrix {
  const columns = Array.from({ length: rows.nColumns }, () => new Float64Array(rows.nRows));
  for (let r = 0; r < rows.nRows; r += 1)
    for (let k = rows.indptr[r] ?? 0; k < (rows.indptr[r + 1] ?? 0); k += 1) {
      const column = columns[rows.indices[k] ?? 0];
      if (column) column[r] = rows.data[k] ?? 0;
    }
  return { nRows: rows.nRows, columns, names: columns.map((_, j) => `t${j}`) };
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits: number): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, digits));
}

function probabilityRows(proba: Float64Array[], nRows: number): number[][] {
  return Array.from({ length: nRows }, (_, i) => proba.map((column) => column[i] ?? 0));
}

describe('multinomial naive Bayes', () => {
  it.each(reference.counts.map((c) => [c.name, c] as const))(
    'matches scikit-learn’s MultinomialNB on %s',
    (_name, c) => {
      const nClasses = Math.max(...c.train.y) + 1;
      const model = fitMultinomialNb(
        matrix(c.train.x),
        { labels: Int32Array.from(c.train.y), nClasses },
        { alpha: c.params.alpha ?? 1, fitPrior: c.params.fitPrior ?? true },
      );
      const state = model.toState();
      expectClose(state.classLogPrior, c.classLogPrior, 12);
      state.featureLogProb.forEach((row, k) => expectClose(row, c.featureLogProb[k] ?? [], 12));
      const test = matrix(c.test);
      const proba = probabilityRows(model.predictProba(test), test.nRows);
      proba.forEach((row, i) => expectClose(row, c.probabilities[i] ?? [], 10));
      expect(Array.from(model.predict(test))).toEqual(c.predictions);
    },
  );

  it('classifies the repository’s text corpus as scikit-learn does, from TF-IDF of the raw text', () => {
    const csv = readFileSync(path.join(TEST_FIXTURES, 'text/topics.csv'), 'utf8').trim().split('\n').slice(1);
    const rows = csv.map((line) => {
      const cut = line.lastIndexOf(',');
      return { text: line.slice(0, cut), label: line.slice(cut + 1) };
    });
    const { trainDocuments, classes } = reference.corpus;
    const train = rows.slice(0, trainDocuments);
    const test = rows.slice(trainDocuments);
    const tfidf = fitTfidfModel(
      train.map((r) => r.text),
      DEFAULT_TFIDF_OPTIONS,
    );
    expect(tfidf.vocabulary).toEqual(reference.corpus.vocabulary);
    const labels = Int32Array.from(train, (r) => classes.indexOf(r.label));
    const model = fitLearner(
      'multinomial_nb',
      dense(
        transformTfidf(
          tfidf,
          train.map((r) => r.text),
        ),
      ),
      { problemType: 'classification', y: { labels, nClasses: classes.length } },
      {},
      { seed: 0 },
    );
    if (model.problemType !== 'classification') throw new Error('not a classifier');
    const x = dense(
      transformTfidf(
        tfidf,
        test.map((r) => r.text),
      ),
    );
    const proba = probabilityRows(model.predictProba(x), x.nRows);
    proba.forEach((row, i) => expectClose(row, reference.corpus.probabilities[i] ?? [], 10));
    const predicted = Array.from(model.predict(x));
    expect(predicted).toEqual(reference.corpus.predictions);
    const accuracy = predicted.filter((p, i) => classes[p] === test[i]?.label).length / test.length;
    expect(accuracy).toBe(reference.corpus.accuracy);
    expect(accuracy).toBeGreaterThan(reference.corpus.majorityShareOfTrain);

    const restored = restoreLearner(JSON.parse(JSON.stringify(model.toState())));
    expect(Array.from(restored.predict(x))).toEqual(predicted);
  });

  it('refuses negative features, naming the feature and the row', () => {
    const x = matrix([
      [1, 0],
      [0, -0.5],
    ]);
    expect(() => fitMultinomialNb(x, { labels: Int32Array.from([0, 1]), nClasses: 2 })).toThrow(
      NegativeFeatureError,
    );
    expect(() => fitMultinomialNb(x, { labels: Int32Array.from([0, 1]), nClasses: 2 })).toThrow(
      /feature 'f1' has -0.5 in row 1/,
    );
  });
});
