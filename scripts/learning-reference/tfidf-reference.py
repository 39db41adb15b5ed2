#!/usr/bin/env python3
"""Reference TF-IDF values from scikit-learn's TfidfVectorizer for the learning area's tests.

Writes test/fixtures/learning/tfidf-reference.json; with --check, recomputes the values and
exits with status 1 if the committed fixture differs (by value, not layout: the file is
formatted with the repository's Prettier). Needs scikit-learn (on Debian:
apt-get install python3-sklearn, then run with /usr/bin/python3). The unit tests only read
the fixture, so running them never needs Python.
"""
import sys

import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from fixture_io import ROOT, finite, write_or_check

FIXTURE = ROOT / "test" / "fixtures" / "learning" / "tfidf-reference.json"

TRAIN = [
    "The quick brown fox jumps over the lazy dog.",
    "Never jump over the lazy dog quickly; the dog sleeps.",
    "A fox, a dog and a cat: friends_forever since 2021!",
    "Café, cafe\u0301 and CAFÉ are not the same token here.",
    "東京 is 東京都 and 北京 is 北京 — 12 34 5 x y",
    "İstanbul ΣΊΣΥΦΟΣ Straße नमस्ते world",
    "",
    "dog dog dog dog cat",
]
TEST = [
    "the dog and the unseen zebra",
    "CAT cat Cat",
    "nothing known here? only here",
    "",
    "東京 straße istanbul",
]

# Each case: our parameter names (camelCase) and scikit-learn's equivalents.
CASES = [
    ("defaults", {}, {}),
    ("bigrams", {"ngramRange": [1, 2]}, {"ngram_range": (1, 2)}),
    ("bigrams only", {"ngramRange": [2, 2]}, {"ngram_range": (2, 2)}),
    ("sublinear tf", {"sublinearTf": True}, {"sublinear_tf": True}),
    ("document frequency limits", {"minDf": 2, "maxDf": 0.5}, {"min_df": 2, "max_df": 0.5}),
    ("fractional min df", {"minDf": 0.25}, {"min_df": 0.25}),
    # scikit-learn ranks by corpus frequency with NumPy's unstable argsort, so its order among
    # equally frequent terms is not defined; these limits fall where frequencies differ.
    ("max features 3", {"maxFeatures": 3}, {"max_features": 3}),
    ("max features 10", {"maxFeatures": 10}, {"max_features": 10}),
    ("no smoothing, l1", {"smoothIdf": False, "norm": "l1"}, {"smooth_idf": False, "norm": "l1"}),
    ("no norm, keep case", {"norm": "none", "lowercase": False}, {"norm": None, "lowercase": False}),
]


def check_no_tie_at_limit(name, theirs):
    limit = theirs.get("max_features")
    if limit is None:
        return
    counts = CountVectorizer(**{k: v for k, v in theirs.items() if k != "max_features"}).fit_transform(TRAIN)
    totals = sorted(counts.sum(axis=0).tolist()[0], reverse=True)
    if len(totals) > limit and totals[limit - 1] == totals[limit]:
        raise SystemExit(f"case {name!r}: max_features={limit} cuts through tied frequencies")


def compute():
    cases = []
    for name, ours, theirs in CASES:
        check_no_tie_at_limit(name, theirs)
        vectorizer = TfidfVectorizer(**theirs)
        train = vectorizer.fit_transform(TRAIN).toarray()
        test = vectorizer.transform(TEST).toarray()
        cases.append(
            {
                "name": name,
                "params": ours,
                "vocabulary": [str(t) for t in vectorizer.get_feature_names_out()],
                "idf": [finite(x) for x in vectorizer.idf_],
                "train": [[finite(x) for x in row] for row in train],
                "test": [[finite(x) for x in row] for row in test],
            }
        )
    return {
        "generatedBy": "scripts/learning-reference/tfidf-reference.py",
        "sklearnVersion": sklearn.__version__,
        "train": TRAIN,
        "test": TEST,
        "cases": cases,
    }


def main():
    return write_or_check(FIXTURE, compute(), "--check" in sys.argv[1:], sklearn.__version__)


if __name__ == "__main__":
    sys.exit(main())
