"""scikit-learn baseline of the learning benchmark (bench/learning/run-learning.ts).

    python3 sklearn_baseline.py --versions
    python3 sklearn_baseline.py '{"dataDir": ..., "learner": ..., "rows": ..., "repetitions": ..., "params": {...}}'

Reads the run's float64 files (see data.ts), fits the estimator `repetitions` times on the first
`rows` training rows, and prints one JSON object: the time of each fit, the test accuracy
(classifiers) or the inertia per training row (k-means), and the thread pools numpy and
scikit-learn ran with. The caller sets OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1.
"""

import json
import sys
import time
import warnings

FEATURES = 20


def versions():
    import numpy
    import sklearn

    return {"python": sys.version.split()[0], "sklearn": sklearn.__version__, "numpy": numpy.__version__}


def estimator(learner, params):
    if learner == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(**params)
    if learner == "decision_tree":
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier(**params)
    if learner == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(**params)
    if learner == "logistic_regression":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        # Ours standardises inside its fit; the scaler does the same work here.
        return make_pipeline(StandardScaler(), LogisticRegression(**params))
    if learner == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(**params)
    raise ValueError(f"unknown learner {learner}")


def load(data_dir, split, rows=None):
    import numpy as np

    x = np.fromfile(f"{data_dir}/{split}-x.f64", dtype="<f8").reshape(-1, FEATURES)
    y = np.fromfile(f"{data_dir}/{split}-y.f64", dtype="<f8").astype(np.int64)
    if rows is not None:
        x, y = x[:rows], y[:rows]
    return np.ascontiguousarray(x), y


def main():
    if sys.argv[1:] == ["--versions"]:
        print(json.dumps(versions()))
        return
    request = json.loads(sys.argv[1])
    from threadpoolctl import threadpool_info

    x, y = load(request["dataDir"], "train", request["rows"])
    x_test, y_test = load(request["dataDir"], "test")
    learner = request["learner"]
    fit_ms = []
    model = None
    with warnings.catch_warnings():
        # Logistic regression may stop at max_iter, as ours may; the times still compare.
        warnings.simplefilter("ignore")
        for _ in range(request["repetitions"]):
            model = estimator(learner, request["params"])
            started = time.perf_counter()
            if learner == "kmeans":
                model.fit(x)
            else:
                model.fit(x, y)
            fit_ms.append((time.perf_counter() - started) * 1000)
    result = {"fitMs": fit_ms, "testAccuracy": None, "inertiaPerRow": None}
    if learner == "kmeans":
        result["inertiaPerRow"] = float(model.inertia_) / len(x)
    else:
        result["testAccuracy"] = float((model.predict(x_test) == y_test).mean())
    result["threadpools"] = [
        {"api": pool["internal_api"], "threads": pool["num_threads"]} for pool in threadpool_info()
    ]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
