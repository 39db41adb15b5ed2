#!/usr/bin/env python3
"""Writes the scikit-learn reference fixtures the learning area is tested against.

Two outputs, both under test/fixtures/learning/:

* datasets/*.csv: scikit-learn's bundled data sets (iris, wine, breast cancer, diabetes, digits)
  copied from its data folder as plain headered CSV (features, then `target`), plus two generated
  sets (make_classification, make_friedman1). Both sides of the comparison read these bytes.
* sklearn-reference.json: per data set the stratified train/test split and the cross-validation
  folds, per data set x learner the hyperparameters (in PipeWeave's camelCase names) and
  scikit-learn's scores, k-means inertia, PCA results, and golden cases for every metric, and
  `templateSplits` (below).

Template splits. `templateSplits` scores scikit-learn on the split PipeWeave's tabular
classification template makes (table.split with testFraction 0.2, seed 42, not stratified), read
from template-split/<data set>.json: the 0-based CSV data rows of train and test, as written by
test/unit/shared/domain/nodes/library/split-node-template-split.test.ts from the node itself
(PW_UPDATE_FIXTURES=1). Per data set it holds the test accuracy of a few learners with scikit-learn's
default hyperparameters, trained on the train rows with `target` as the label and every other column
as a feature, and `bestAccuracy`, the highest of them: the number an end-to-end run of the template's
AutoML is compared with.

Evaluation protocol. A data set under 2,000 rows is scored by the mean over 5 stratified folds
(KFold for regression): on iris one test row is worth 0.02-0.03 of accuracy, more than the
parity tolerance, and the randomised learners (bootstrap, feature sampling, tie-breaking) change
their score by several rows from one seed to the next. Averaging 5 folds covers every row once and
shrinks the seed noise so that a 0.01 tolerance separates a correct learner from a broken one.
Larger sets are scored on one stratified 25 % hold-out. The evaluation used is recorded per data set.

Hyperparameters are fixed here. Decision trees are depth-limited (a fully grown tree's test score
depends on how equal-gain splits are broken, which differs between implementations). Learners
that depend on random_state (trees, forests) are also scored with random_states 0-4, and the
fixture keeps the range (`seedRange`): another implementation's random stream is as good as any of
scikit-learn's, so parity means lying within the tolerance of that range. On the small sets a
depth-5 tree's fold-mean accuracy moves by up to 0.017 between random_states, more than the
tolerance, which is why the range, not the random_state 0 score, is the reference.

The output is deterministic: one thread (set before numpy loads), fixed seeds, sorted keys, floats
by repr. The JSON is laid out exactly as Prettier formats it (the repository's lint checks every
.json file), numbers included. Learner scores are rounded to 12 significant digits so that the
last bits of a BLAS kernel cannot change the file; metric golden values keep 15.

Usage (Debian: apt-get install python3-sklearn):
    python3 scripts/learning-reference/make-reference.py           # rewrite the fixtures
    python3 scripts/learning-reference/make-reference.py --check   # exit 1 if they differ
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import gzip  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn import datasets as sk_datasets  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    silhouette_score,
)
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "learning"
DATASETS = FIXTURES / "datasets"
REFERENCE = FIXTURES / "sklearn-reference.json"
TEMPLATE_SPLITS = FIXTURES / "template-split"
SKLEARN_DATA = Path(sk_datasets.__file__).parent / "data"

SEED = 20240611
N_FOLDS = 5
TEST_FRACTION = 0.25
FOLDS_BELOW_ROWS = 2000


# --------------------------------------------------------------------------- formatting


def number_text(value):
    """Integral values without a fraction (the digits set is all small integers), others by repr."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"non-finite value {value!r} in a fixture")
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def rounded(value, digits=12):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"non-finite value {value!r} in a fixture")
    return float(f"{value:.{digits}g}")


def golden(value):
    return rounded(value, 15)


PRINT_WIDTH = 110  # the repository's Prettier printWidth


def prettier_number(value):
    """A number as Prettier prints it in JSON (repr, then Prettier's number normalisation)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("a boolean is not a number")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("non-finite value in the reference")
    text = repr(value).lower()
    text = re.sub(r"^([+-]?[\d.]+e)(?:\+|(-))?0*(\d)", r"\1\2\3", text)
    text = re.sub(r"^([+-]?[\d.]+)e[+-]?0+$", r"\1", text)
    text = re.sub(r"(\.\d+?)0+(?=e|$)", r"\1", text)
    return re.sub(r"\.(?=e|$)", "", text)


def is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def to_json(value, indent=0, prefix=0, suffix=0):
    """JSON exactly as Prettier formats it (the repository's lint checks every .json file): sorted
    keys, objects expanded, a list of numbers on one line when it fits, else filled to the print
    width; `prefix` and `suffix` are the columns taken on the value's first and last line."""
    pad = " " * indent
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = sorted(value)
        items = []
        for i, key in enumerate(keys):
            head = f"{inner}{json.dumps(key)}: "
            tail = 0 if i == len(keys) - 1 else 1
            items.append(head + to_json(value[key], indent + 2, len(head), tail))
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(is_number(item) for item in value):
            texts = [prettier_number(item) for item in value]
            flat = "[" + ", ".join(texts) + "]"
            if len(value) == 1 or prefix + len(flat) + suffix <= PRINT_WIDTH:
                return flat
            contents = [text + "," for text in texts[:-1]] + [texts[-1]]
            lines, line = [], inner + contents[0]
            for text in contents[1:]:
                if len(line) + 1 + len(text) <= PRINT_WIDTH:
                    line += " " + text
                else:
                    lines.append(line)
                    line = inner + text
            lines.append(line)
            return "[\n" + "\n".join(lines) + "\n" + pad + "]"
        items = [
            inner + to_json(item, indent + 2, indent + 2, 0 if i == len(value) - 1 else 1)
            for i, item in enumerate(value)
        ]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if is_number(value):
        return prettier_number(value)
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"cannot write {type(value).__name__}")


def snake(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# --------------------------------------------------------------------------- data sets


def csv_text(feature_names, x, target):
    out = io.StringIO()
    out.write(",".join(feature_names + ["target"]) + "\n")
    for row, label in zip(x, target):
        out.write(",".join(number_text(v) for v in row) + "," + number_text(label) + "\n")
    return out.getvalue()


def read_sklearn_csv(name):
    """scikit-learn's own CSV layout: a header of counts and class names, then rows, target last."""
    with open(SKLEARN_DATA / name, newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    data = np.array([[float(v) for v in row] for row in rows])
    return data[:, :-1], data[:, -1]


def dataset_texts():
    """Every fixture CSV as text, built from scikit-learn's data folder and fixed generators."""
    texts = {}
    x, y = read_sklearn_csv("iris.csv")
    texts["iris"] = csv_text([snake(n) for n in sk_datasets.load_iris().feature_names], x, y)
    x, y = read_sklearn_csv("wine_data.csv")
    texts["wine"] = csv_text([snake(n) for n in sk_datasets.load_wine().feature_names], x, y)
    x, y = read_sklearn_csv("breast_cancer.csv")
    names = [snake(n) for n in sk_datasets.load_breast_cancer().feature_names]
    texts["breast_cancer"] = csv_text(names, x, y)
    # The raw (unscaled) diabetes measurements, as load_diabetes(scaled=False) returns them.
    x = np.loadtxt(SKLEARN_DATA / "diabetes_data_raw.csv.gz")
    y = np.loadtxt(SKLEARN_DATA / "diabetes_target.csv.gz")
    texts["diabetes"] = csv_text(list(sk_datasets.load_diabetes().feature_names), x, y)
    with gzip.open(SKLEARN_DATA / "digits.csv.gz", "rt") as handle:
        data = np.loadtxt(handle, delimiter=",")
    texts["digits"] = csv_text(list(sk_datasets.load_digits().feature_names), data[:, :-1], data[:, -1])
    # Generated sets, rounded to 6 decimals: the CSV is the source of truth for both sides.
    x, y = sk_datasets.make_classification(
        n_samples=5000,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        n_repeated=0,
        n_classes=2,
        flip_y=0.03,
        class_sep=0.8,
        random_state=SEED,
    )
    texts["classification"] = csv_text([f"f{i:02d}" for i in range(20)], np.round(x, 6), y)
    x, y = sk_datasets.make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=SEED)
    texts["regression"] = csv_text([f"x{i:02d}" for i in range(10)], np.round(x, 6), np.round(y, 6))
    return texts


DATASET_TASKS = {
    "iris": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "digits": "classification",
    "classification": "classification",
    "diabetes": "regression",
    "regression": "regression",
}

LICENSE_TEXT = """\
The files iris.csv, wine.csv, breast_cancer.csv, diabetes.csv and digits.csv are copied from the
data folder of scikit-learn (sklearn/datasets/data), rewritten as headered CSV with a `target`
column; classification.csv and regression.csv were generated with scikit-learn's
make_classification and make_friedman1 (see scripts/learning-reference/make-reference.py).

scikit-learn is distributed under the BSD 3-Clause License:

Copyright (c) 2007-2022 The scikit-learn developers.
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

* Redistributions of source code must retain the above copyright notice, this
  list of conditions and the following disclaimer.

* Redistributions in binary form must reproduce the above copyright notice,
  this list of conditions and the following disclaimer in the documentation
  and/or other materials provided with the distribution.

* Neither the name of the copyright holder nor the names of its
  contributors may be used to endorse or promote products derived from
  this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""


def parse_csv_text(text):
    rows = list(csv.reader(io.StringIO(text)))
    data = np.array([[float(v) for v in row] for row in rows[1:]])
    return rows[0][:-1], data[:, :-1], data[:, -1]


# --------------------------------------------------------------------------- learners


def classification_learners():
    """(name, our hyperparameters, scikit-learn estimator); names and values match one another."""
    tree = {"maxDepth": 5, "minSamplesLeaf": 2, "minSamplesSplit": 4}
    forest = {
        "nEstimators": 100,
        "maxDepth": None,
        "maxFeatures": "sqrt",
        "minSamplesLeaf": 1,
        "minSamplesSplit": 2,
        "bootstrap": True,
        "criterion": "gini",
    }
    boosting = {
        "learningRate": 0.1,
        "maxIter": 100,
        "maxLeafNodes": 31,
        "maxDepth": None,
        "minSamplesLeaf": 20,
        "l2Regularization": 0.0,
        "maxBins": 255,
        "earlyStopping": False,
    }
    logistic = {"C": 1.0, "maxIter": 1000, "tol": 1e-4, "solver": "lbfgs"}
    return [
        (
            "decision_tree_gini",
            {**tree, "criterion": "gini"},
            lambda rs: DecisionTreeClassifier(
                criterion="gini", max_depth=5, min_samples_leaf=2, min_samples_split=4, random_state=rs
            ),
        ),
        (
            "decision_tree_entropy",
            {**tree, "criterion": "entropy"},
            lambda rs: DecisionTreeClassifier(
                criterion="entropy", max_depth=5, min_samples_leaf=2, min_samples_split=4, random_state=rs
            ),
        ),
        (
            "random_forest_classifier",
            forest,
            lambda rs: RandomForestClassifier(
                n_estimators=100,
                max_depth=None,
                max_features="sqrt",
                min_samples_leaf=1,
                min_samples_split=2,
                bootstrap=True,
                criterion="gini",
                random_state=rs,
                n_jobs=1,
            ),
        ),
        (
            "hist_gradient_boosting_classifier",
            boosting,
            lambda rs: HistGradientBoostingClassifier(
                learning_rate=0.1,
                max_iter=100,
                max_leaf_nodes=31,
                max_depth=None,
                min_samples_leaf=20,
                l2_regularization=0.0,
                max_bins=255,
                early_stopping=False,
                random_state=rs,
            ),
        ),
        (
            "logistic_regression",
            logistic,
            # Standardised inside the pipeline: PipeWeave standardises internally, so both sides
            # penalise the same (standardised) coefficients.
            lambda rs: make_pipeline(
                StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, tol=1e-4, solver="lbfgs")
            ),
        ),
    ]


def regression_learners():
    tree = {"maxDepth": 5, "minSamplesLeaf": 2, "minSamplesSplit": 4, "criterion": "squared_error"}
    forest = {
        "nEstimators": 100,
        "maxDepth": None,
        "maxFeatures": "all",
        "minSamplesLeaf": 1,
        "minSamplesSplit": 2,
        "bootstrap": True,
        "criterion": "squared_error",
    }
    boosting = {
        "learningRate": 0.1,
        "maxIter": 100,
        "maxLeafNodes": 31,
        "maxDepth": None,
        "minSamplesLeaf": 20,
        "l2Regularization": 0.0,
        "maxBins": 255,
        "earlyStopping": False,
    }
    return [
        (
            "decision_tree_regressor",
            tree,
            lambda rs: DecisionTreeRegressor(
                criterion="squared_error", max_depth=5, min_samples_leaf=2, min_samples_split=4, random_state=rs
            ),
        ),
        (
            "random_forest_regressor",
            forest,
            lambda rs: RandomForestRegressor(
                n_estimators=100,
                max_depth=None,
                max_features=1.0,
                min_samples_leaf=1,
                min_samples_split=2,
                bootstrap=True,
                criterion="squared_error",
                random_state=rs,
                n_jobs=1,
            ),
        ),
        (
            "hist_gradient_boosting_regressor",
            boosting,
            lambda rs: HistGradientBoostingRegressor(
                learning_rate=0.1,
                max_iter=100,
                max_leaf_nodes=31,
                max_depth=None,
                min_samples_leaf=20,
                l2_regularization=0.0,
                max_bins=255,
                early_stopping=False,
                random_state=rs,
            ),
        ),
        ("linear_regression", {}, lambda rs: LinearRegression()),
        ("ridge", {"alpha": 1.0}, lambda rs: Ridge(alpha=1.0)),
    ]


KMEANS_CASES = [("iris", 3), ("wine", 3), ("digits", 10), ("classification", 8)]
PCA_CASES = [("iris", 4), ("wine", 5), ("breast_cancer", 5), ("digits", 10), ("diabetes", 4)]


def splits(task, y):
    n = len(y)
    indices = np.arange(n)
    if task == "classification":
        train, test = train_test_split(indices, test_size=TEST_FRACTION, random_state=SEED, stratify=y)
        folder = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    else:
        train, test = train_test_split(indices, test_size=TEST_FRACTION, random_state=SEED)
        folder = KFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    folds = [sorted(int(i) for i in fold_test) for _, fold_test in folder.split(indices, y)]
    return sorted(int(i) for i in train), sorted(int(i) for i in test), folds


def score_classifier(model, x_train, y_train, x_test, y_test):
    model.fit(x_train, y_train)
    proba = model.predict_proba(x_test)
    accuracy = accuracy_score(y_test, model.predict(x_test))
    if proba.shape[1] == 2:
        auc = roc_auc_score(y_test, proba[:, 1])
    else:
        auc = roc_auc_score(y_test, proba, multi_class="ovr", average="macro")
    return {"accuracy": accuracy, "rocAuc": auc}


def score_regressor(model, x_train, y_train, x_test, y_test):
    model.fit(x_train, y_train)
    return {"r2": r2_score(y_test, model.predict(x_test))}


# Learners whose result depends on random_state (bootstrap, feature sampling, the random order in
# which equal-gain splits are met); the others are deterministic given the data.
RANDOMISED = {
    "decision_tree_gini",
    "decision_tree_entropy",
    "decision_tree_regressor",
    "random_forest_classifier",
    "random_forest_regressor",
}
SEEDS = range(5)


def learner_cases(name, info, x, y):
    """Scores with random_state 0, and for randomised learners the range over 5 random_states.

    The range is what parity is measured against: another implementation's random stream is as
    good as any of scikit-learn's, so a learner passes when its score lies within the tolerance
    of scikit-learn's seed range (a single point for the deterministic learners).
    """
    task = info["task"]
    learners = classification_learners() if task == "classification" else regression_learners()
    score = score_classifier if task == "classification" else score_regressor
    target = y.astype(int) if task == "classification" else y
    if info["evaluation"] == "folds":
        parts = []
        for fold_test in info["folds"]:
            mask = np.zeros(len(y), dtype=bool)
            mask[fold_test] = True
            parts.append((np.flatnonzero(~mask), np.flatnonzero(mask)))
    else:
        parts = [(np.array(info["split"]["train"]), np.array(info["split"]["test"]))]
    cases = []
    for learner, params, make in learners:
        by_seed = []
        for rs in SEEDS if learner in RANDOMISED else [0]:
            by_fold = [score(make(rs), x[tr], target[tr], x[te], target[te]) for tr, te in parts]
            by_seed.append(by_fold)
        by_fold = by_seed[0]
        means = [{key: float(np.mean([s[key] for s in folds])) for key in folds[0]} for folds in by_seed]
        case = {
            "dataset": name,
            "learner": learner,
            "params": params,
            "evaluation": info["evaluation"],
            "metrics": {key: rounded(value) for key, value in means[0].items()},
            "seedRange": {
                key: [rounded(min(m[key] for m in means)), rounded(max(m[key] for m in means))]
                for key in means[0]
            },
            "seeds": len(by_seed),
        }
        if info["evaluation"] == "folds":
            case["byFold"] = [{key: rounded(v) for key, v in s.items()} for s in by_fold]
        cases.append(case)
    return cases


def kmeans_case(name, x, n_clusters):
    params = {"nClusters": n_clusters, "nInit": 10, "maxIter": 300, "tol": 1e-4}
    inertias = [
        KMeans(n_clusters=n_clusters, n_init=10, max_iter=300, tol=1e-4, random_state=rs).fit(x).inertia_
        for rs in SEEDS
    ]
    return {
        "dataset": name,
        "learner": "kmeans",
        "params": params,
        "inertia": rounded(inertias[0]),
        "seedRange": {"inertia": [rounded(min(inertias)), rounded(max(inertias))]},
        "seeds": len(inertias),
    }


def pca_case(name, x, n_components):
    # svd_solver="full": the default picks a randomised solver on the larger sets.
    model = PCA(n_components=n_components, whiten=False, svd_solver="full").fit(x)
    return {
        "dataset": name,
        "learner": "pca",
        "params": {"nComponents": n_components, "whiten": False},
        "explainedVariance": [rounded(v) for v in model.explained_variance_],
        "explainedVarianceRatio": [rounded(v) for v in model.explained_variance_ratio_],
        "components": [[rounded(v) for v in row] for row in model.components_],
        "mean": [rounded(v) for v in model.mean_],
    }


# --------------------------------------------------------------------------- template splits

# The split parameters of the tabular classification template (shared/domain/pipelines/reference-data.ts).
TEMPLATE_SPLIT_PARAMS = {"testFraction": 0.2, "seed": 42}
TEMPLATE_SPLIT_DATASETS = ["breast_cancer"]


def template_split_learners():
    """(name, scikit-learn estimator) with scikit-learn's default hyperparameters."""
    return [
        ("hist_gradient_boosting_classifier", HistGradientBoostingClassifier(random_state=0)),
        ("random_forest_classifier", RandomForestClassifier(random_state=0, n_jobs=1)),
        ("logistic_regression", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
    ]


def read_template_split(name, n_rows):
    """The train and test rows of template-split/<name>.json, checked to partition the data set."""
    path = TEMPLATE_SPLITS / f"{name}.json"
    if not path.exists():
        raise SystemExit(
            f"{path.relative_to(ROOT)} is missing: PW_UPDATE_FIXTURES=1 npx vitest run --project unit "
            "test/unit/shared/domain/nodes/library/split-node-template-split.test.ts"
        )
    split = json.loads(path.read_text())
    train, test = [int(i) for i in split["train"]], [int(i) for i in split["test"]]
    problems = []
    if split.get("file") != f"datasets/{name}.csv":
        problems.append(f"file {split.get('file')!r} is not datasets/{name}.csv")
    if split.get("params") != TEMPLATE_SPLIT_PARAMS:
        problems.append(f"params {split.get('params')!r} are not {TEMPLATE_SPLIT_PARAMS!r}")
    if split.get("nRows") != n_rows or sorted(train + test) != list(range(n_rows)):
        problems.append(f"train and test do not partition the {n_rows} rows")
    if problems:
        raise SystemExit(f"{path.relative_to(ROOT)}: " + "; ".join(problems))
    return path, train, test


def template_split_case(name, text):
    rows = list(csv.reader(io.StringIO(text)))
    header, data = rows[0], np.array([[float(v) for v in row] for row in rows[1:]])
    label = header.index("target")
    features = [i for i in range(len(header)) if i != label]
    x, y = data[:, features], data[:, label].astype(int)
    path, train, test = read_template_split(name, len(y))
    accuracies = {}
    for learner, model in template_split_learners():
        model.fit(x[train], y[train])
        accuracies[learner] = rounded(accuracy_score(y[test], model.predict(x[test])))
    best = max(accuracies.values())
    return {
        "file": str(path.relative_to(FIXTURES)),
        "params": TEMPLATE_SPLIT_PARAMS,
        "nTrain": len(train),
        "nTest": len(test),
        "accuracy": accuracies,
        "bestAccuracy": best,
        "bestLearners": sorted(k for k, v in accuracies.items() if v == best),
    }


# --------------------------------------------------------------------------- metric golden cases


def classification_metric_values(y_true, y_pred, proba, n_classes):
    labels = list(range(n_classes))
    values = {
        "accuracy": accuracy_score(y_true, y_pred),
        "balancedAccuracy": balanced_accuracy_score(y_true, y_pred),
        "confusionMatrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    for metric, function in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        for average in ("macro", "weighted"):
            key = metric + average.capitalize()
            values[key] = function(y_true, y_pred, average=average, zero_division=0)
        if n_classes == 2:
            values[metric + "Binary"] = function(y_true, y_pred, average="binary", zero_division=0)
    rows = np.column_stack(proba)
    if n_classes == 2:
        values["rocAuc"] = roc_auc_score(y_true, rows[:, 1])
        values["averagePrecision"] = average_precision_score(y_true, rows[:, 1])
        values["brier"] = brier_score_loss(y_true, rows[:, 1])
    else:
        values["rocAuc"] = roc_auc_score(y_true, rows, multi_class="ovr", average="macro", labels=labels)
        onehot = np.eye(n_classes)[y_true]
        values["averagePrecision"] = average_precision_score(onehot, rows, average="macro")
        # scikit-learn 1.2 has no multiclass Brier score: this is the original definition, the mean
        # over rows of the summed squared differences to the one-hot target, computed with numpy.
        values["brier"] = float(np.mean(np.sum((onehot - rows) ** 2, axis=1)))
    values["logLoss"] = log_loss(y_true, rows, labels=labels)
    values["logLossEps1e15"] = log_loss(y_true, rows, labels=labels, eps=1e-15)
    return {
        key: (value if key == "confusionMatrix" else golden(value)) for key, value in values.items()
    }


def probabilities(rng, n, n_classes, decimals):
    """Rows summing to 1 with few decimals, so that ties and exact zeros occur."""
    raw = rng.dirichlet(np.ones(n_classes) * 0.7, size=n)
    step = 10.0**decimals
    head = np.floor(raw[:, :-1] * step) / step
    last = np.round(1.0 - head.sum(axis=1), decimals)
    rows = np.column_stack([head, last])
    return [[float(v) for v in rows[:, c]] for c in range(n_classes)]


def classification_golden_cases():
    rng = np.random.RandomState(SEED)
    cases = []

    def add(name, y_true, proba, y_pred=None):
        n_classes = len(proba)
        rows = np.column_stack(proba)
        if y_pred is None:
            y_pred = np.argmax(rows, axis=1)
        y_true = np.asarray(y_true, dtype=int)
        y_pred = np.asarray(y_pred, dtype=int)
        cases.append(
            {
                "name": name,
                "nClasses": n_classes,
                "yTrue": [int(v) for v in y_true],
                "yPred": [int(v) for v in y_pred],
                "proba": [[float(v) for v in column] for column in proba],
                "values": classification_metric_values(y_true, y_pred, proba, n_classes),
            }
        )

    # Binary, scores on a 0.1 grid: many tied scores across both classes.
    y = rng.randint(0, 2, size=40)
    p = np.clip(np.round(0.3 * y + rng.rand(40) * 0.7, 1), 0, 1)
    add("binary_ties", y, [[1 - float(v) for v in p], [float(v) for v in p]])
    # Binary, distinct scores, including exact 0 and 1 (log loss clipping).
    y = rng.randint(0, 2, size=60)
    p = np.round(np.clip(0.25 * y + rng.rand(60) * 0.75, 0, 1), 6)
    p[0], p[1] = 0.0, 1.0
    y[0], y[1] = 1, 0
    add("binary_distinct", y, [[float(1 - v) for v in p], [float(v) for v in p]])
    # Binary, imbalanced (6 positives in 50), predictions at a threshold that predicts none positive
    # for some rows (zero_division paths for the positive class do not arise; macro does).
    y = np.zeros(50, dtype=int)
    y[rng.choice(50, 6, replace=False)] = 1
    p = np.round(np.clip(0.35 * y + rng.rand(50) * 0.6, 0, 1), 2)
    add("binary_imbalanced", y, [[float(1 - v) for v in p], [float(v) for v in p]])
    # Binary, a classifier that never predicts the positive class (precision 0 by zero_division).
    y = rng.randint(0, 2, size=30)
    p = np.round(rng.rand(30) * 0.45, 3)
    add("binary_never_positive", y, [[float(1 - v) for v in p], [float(v) for v in p]])
    # Three classes, probabilities on a 0.01 grid (ties, exact zeros).
    y = rng.randint(0, 3, size=50)
    proba = probabilities(rng, 50, 3, 2)
    add("multiclass_3", y, proba)
    # Four classes where class 3 is never predicted, and rows biased towards the true class.
    y = rng.randint(0, 4, size=80)
    proba = np.array(probabilities(rng, 80, 4, 3))
    rows = proba.T.copy()
    rows[np.arange(80), y] += 0.5
    rows[:, 3] *= 0.2
    rows = np.round(rows / rows.sum(axis=1, keepdims=True), 3)
    rows[:, 3] = np.round(1.0 - rows[:, :3].sum(axis=1), 3)
    y_pred = np.argmax(rows[:, :3], axis=1)
    add("multiclass_4_unpredicted", y, [[float(v) for v in rows[:, c]] for c in range(4)], y_pred)
    return cases


def regression_golden_cases():
    rng = np.random.RandomState(SEED + 1)
    cases = []

    def add(name, y_true, y_pred):
        y_true = np.asarray(y_true, dtype=float)
        y_pred = np.asarray(y_pred, dtype=float)
        cases.append(
            {
                "name": name,
                "yTrue": [float(v) for v in y_true],
                "yPred": [float(v) for v in y_pred],
                "values": {
                    "rmse": golden(math.sqrt(mean_squared_error(y_true, y_pred))),
                    "mae": golden(mean_absolute_error(y_true, y_pred)),
                    "r2": golden(r2_score(y_true, y_pred)),
                    "mape": golden(mean_absolute_percentage_error(y_true, y_pred)),
                },
            }
        )

    y = np.round(rng.randn(40) * 10 + 50, 3)
    add("positive", y, np.round(y + rng.randn(40) * 3, 3))
    y = np.round(rng.randn(40) * 2, 3)
    y[:3] = 0.0
    add("with_zeros_and_negatives", y, np.round(y + rng.randn(40), 3))
    add("constant_target_imperfect", [3.0] * 10, list(np.round(3 + rng.randn(10), 3)))
    add("constant_target_perfect", [3.0] * 10, [3.0] * 10)
    return cases


def clustering_golden_cases(texts):
    cases = []
    for name, labels_of in (
        ("iris_species", lambda y: y.astype(int)),
        # A singleton cluster (row 0 alone) exercises the silhouette of 0 for a lone point.
        ("iris_singleton", lambda y: np.where(np.arange(len(y)) == 0, 3, y.astype(int))),
    ):
        _, x, y = parse_csv_text(texts["iris"])
        labels = labels_of(y)
        centres = np.array([x[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
        inertia = float(np.sum((x - centres[labels]) ** 2))
        cases.append(
            {
                "name": name,
                "dataset": "iris",
                "labels": [int(v) for v in labels],
                "values": {
                    "silhouette": golden(silhouette_score(x, labels, metric="euclidean")),
                    "inertia": golden(inertia),
                },
            }
        )
    return cases


# --------------------------------------------------------------------------- main


def build(texts):
    datasets = {}
    cases, clustering, decomposition = [], [], []
    parsed = {name: parse_csv_text(text) for name, text in texts.items()}
    for name in sorted(texts):
        names, x, y = parsed[name]
        task = DATASET_TASKS[name]
        train, test, folds = splits(task, y)
        info = {
            "file": f"datasets/{name}.csv",
            "task": task,
            "nRows": int(len(y)),
            "nFeatures": len(names),
            "evaluation": "folds" if len(y) < FOLDS_BELOW_ROWS else "holdout",
            "split": {"train": train, "test": test},
            "folds": folds,
        }
        if task == "classification":
            info["nClasses"] = int(y.max()) + 1
        datasets[name] = info
        cases.extend(learner_cases(name, info, x, y))
    for name, k in KMEANS_CASES:
        clustering.append(kmeans_case(name, parsed[name][1], k))
    for name, k in PCA_CASES:
        decomposition.append(pca_case(name, parsed[name][1], k))
    return {
        "generator": "scripts/learning-reference/make-reference.py",
        "sklearnVersion": sklearn.__version__,
        "numpyVersion": np.__version__,
        "seed": SEED,
        "testFraction": TEST_FRACTION,
        "nFolds": N_FOLDS,
        "datasets": datasets,
        "cases": cases,
        "clustering": clustering,
        "decomposition": decomposition,
        "metrics": {
            "classification": classification_golden_cases(),
            "regression": regression_golden_cases(),
            "clustering": clustering_golden_cases(texts),
        },
        "templateSplits": {name: template_split_case(name, texts[name]) for name in TEMPLATE_SPLIT_DATASETS},
    }


def expected_files():
    texts = dataset_texts()
    files = {DATASETS / f"{name}.csv": text for name, text in texts.items()}
    files[DATASETS / "LICENSE"] = LICENSE_TEXT
    files[REFERENCE] = to_json(build(texts)) + "\n"
    return files


def differences(path, expected):
    """A short summary of how the committed file differs from the regenerated one."""
    if not path.exists():
        return [f"{path.relative_to(ROOT)}: missing"]
    actual = path.read_text()
    if actual == expected:
        return []
    if path.suffix != ".json":
        a, b = actual.splitlines(), expected.splitlines()
        changed = sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))
        return [f"{path.relative_to(ROOT)}: {changed} line(s) differ"]
    found = []

    def walk(old, new, where):
        if type(old) is not type(new) or (not isinstance(old, (dict, list)) and old != new):
            found.append(f"{where or '/'}: {str(old)[:60]} != {str(new)[:60]}")
        elif isinstance(old, dict):
            for key in sorted(set(old) | set(new)):
                walk(old.get(key), new.get(key), f"{where}/{key}")
        elif isinstance(old, list):
            if len(old) != len(new):
                found.append(f"{where}: {len(old)} item(s) != {len(new)}")
            else:
                for i, (o, n) in enumerate(zip(old, new)):
                    walk(o, n, f"{where}/{i}")

    try:
        walk(json.loads(actual), json.loads(expected), "")
    except json.JSONDecodeError as error:
        found.append(f"not JSON: {error}")
    lines = [f"{path.relative_to(ROOT)}: {len(found)} difference(s) (committed != regenerated)"]
    return lines + [f"  {line}" for line in found[:20]] + (["  ..."] if len(found) > 20 else [])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    args = parser.parse_args()
    files = expected_files()
    if args.check:
        problems = [line for path, text in files.items() for line in differences(path, text)]
        if problems:
            print("The learning reference fixtures are out of date:", file=sys.stderr)
            print("\n".join(problems), file=sys.stderr)
            print("Regenerate: python3 scripts/learning-reference/make-reference.py", file=sys.stderr)
            return 1
        print(f"learning reference fixtures match scikit-learn {sklearn.__version__}")
        return 0
    DATASETS.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
