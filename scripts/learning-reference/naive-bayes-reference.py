#!/usr/bin/env python3
"""Reference values from scikit-learn's MultinomialNB for the learning area's tests.

Writes test/fixtures/learning/naive-bayes-reference.json; with --check, recomputes the values and
exits with status 1 if the committed fixture differs (by value, not layout: the file is
formatted with the repository's Prettier). Needs scikit-learn (on Debian:
apt-get install python3-sklearn, then run with /usr/bin/python3). The unit tests only read
the fixture, so running them never needs Python.

Two kinds of case: small count matrices written here (fitted log-probabilities, priors and test
probabilities), and the repository's labelled text corpus (test/fixtures/text/topics.csv, first
100 documents to train, the other 50 to test) through TfidfVectorizer's defaults, then
MultinomialNB: the text classification path end to end.
"""
import csv
import sys

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB

from fixture_io import ROOT, finite, write_or_check

FIXTURE = ROOT / "test" / "fixtures" / "learning" / "naive-bayes-reference.json"
CORPUS = ROOT / "test" / "fixtures" / "text" / "topics.csv"
TRAIN_DOCUMENTS = 100


def counts(seed, rows, features, classes):
    rng = np.random.default_rng(seed)
    y = np.arange(rows) % classes
    rate = rng.uniform(0.2, 3.0, size=(classes, features))
    x = np.stack([rng.poisson(rate[c]) for c in y]).astype(float)
    return x, y


COUNT_CASES = [
    ("counts, defaults", 1, {}, {}),
    ("counts, alpha 0.1, uniform prior", 2, {"alpha": 0.1, "fitPrior": False}, {"alpha": 0.1, "fit_prior": False}),
    ("counts, alpha 5", 3, {"alpha": 5}, {"alpha": 5.0}),
]


def count_case(name, seed, ours, theirs):
    x, y = counts(seed, 40, 6, 3)
    xt, _ = counts(seed + 100, 10, 6, 3)
    model = MultinomialNB(**theirs).fit(x, y)
    return {
        "name": name,
        "params": ours,
        "train": {"x": x.tolist(), "y": y.tolist()},
        "test": xt.tolist(),
        "classLogPrior": [finite(v) for v in model.class_log_prior_],
        "featureLogProb": [[finite(v) for v in row] for row in model.feature_log_prob_],
        "probabilities": [[finite(v) for v in row] for row in model.predict_proba(xt)],
        "predictions": [int(v) for v in model.predict(xt)],
    }


def corpus_case():
    with CORPUS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    labels = [r["label"] for r in rows]
    classes = sorted(set(labels))
    y = [classes.index(label) for label in labels]
    vectorizer = TfidfVectorizer()
    x_train = vectorizer.fit_transform(texts[:TRAIN_DOCUMENTS])
    x_test = vectorizer.transform(texts[TRAIN_DOCUMENTS:])
    model = MultinomialNB().fit(x_train, y[:TRAIN_DOCUMENTS])
    predictions = model.predict(x_test)
    truth = np.array(y[TRAIN_DOCUMENTS:])
    majority = max(np.bincount(y[:TRAIN_DOCUMENTS]))
    return {
        "trainDocuments": TRAIN_DOCUMENTS,
        "classes": classes,
        "vocabulary": [str(t) for t in vectorizer.get_feature_names_out()],
        "classLogPrior": [finite(v) for v in model.class_log_prior_],
        "featureLogProb": [[finite(v) for v in row] for row in model.feature_log_prob_],
        "probabilities": [[finite(v) for v in row] for row in model.predict_proba(x_test)],
        "predictions": [int(v) for v in predictions],
        "accuracy": finite(float((predictions == truth).mean())),
        "majorityShareOfTrain": finite(majority / TRAIN_DOCUMENTS),
    }


def compute():
    return {
        "generatedBy": "scripts/learning-reference/naive-bayes-reference.py",
        "sklearnVersion": sklearn.__version__,
        "counts": [count_case(*case) for case in COUNT_CASES],
        "corpus": corpus_case(),
    }


def main():
    return write_or_check(FIXTURE, compute(), "--check" in sys.argv[1:], sklearn.__version__)


if __name__ == "__main__":
    sys.exit(main())
