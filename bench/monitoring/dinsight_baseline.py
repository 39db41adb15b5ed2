"""A plain NumPy/SciPy DInsight baseline map, the reference the monitoring benchmark measures against.

The same work as the map of a baseline analysis: pairwise Euclidean distances (scipy's pdist),
normalised by the smallest positive and the largest distance, DInsight's similarity
f(x) = a*exp(-x^2/w1) + (1 - a)(1 - x^2/w2) with w1 = mean of the normalised distances, and Adam on
the mean squared similarity error over pairs from seeded random 2-D positions, stopping after imax
iterations or once the cost changes by less than gamma0. Written as one would in NumPy: full n x n
matrices per iteration, no loops over rows.

Usage: dinsight_baseline.py <float64 row-major file> <rows> <cols> <repetitions>
Prints JSON: {"ms": [...], "cpuMs": [...], "iterations": [...], "cost": <last cost>}: wall and
process CPU time of each fit.
"""
import json
import sys
import time

import numpy as np
from scipy.spatial.distance import pdist, squareform

A, W2, ALPHA, BETA1, BETA2, EPS, IMAX, GAMMA0, LOWDIM = 0.8, 1.0, 0.1, 0.9, 0.999, 1e-8, 1000, 1e-7, 2


def fit(x, seed):
    n = x.shape[0]
    d = pdist(x)
    positive = d[d > 0]
    lo, hi = positive.min(), d.max()
    norm = np.maximum(0.0, (d - lo) / (hi - lo))
    w1 = norm.mean()
    targets = squareform(A * np.exp(-norm**2 / w1) + (1 - A) * (1 - norm**2 / W2))
    pairs = n * (n - 1) / 2
    off = ~np.eye(n, dtype=bool)
    y = np.random.default_rng(seed).random((n, LOWDIM))
    m = np.zeros_like(y)
    v = np.zeros_like(y)
    scale = 1.0 / (n - 1)
    previous, cost, iterations = np.inf, np.inf, 0
    for t in range(1, IMAX + 1):
        sq = (y * y).sum(1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * y @ y.T, 0.0)
        e = np.exp(-d2 / w1)
        residual = (A * e + (1 - A) * (1 - d2 / W2) - targets) * off
        cost = (residual * residual).sum() / 2 / pairs
        iterations = t
        if abs(previous - cost) < GAMMA0:
            break
        previous = cost
        g = 2 * residual * ((-2 * A * e) / w1 - (2 * (1 - A)) / W2) * scale
        grad = y * g.sum(1)[:, None] - g @ y
        m = BETA1 * m + (1 - BETA1) * grad
        v = BETA2 * v + (1 - BETA2) * grad * grad
        y = y - ALPHA * (m / (1 - BETA1**t)) / (np.sqrt(v / (1 - BETA2**t)) + EPS)
    return iterations, cost


def main():
    path, rows, cols, repetitions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    x = np.fromfile(path, dtype="<f8").reshape(rows, cols)
    ms, cpu_ms, iterations, cost = [], [], [], float("nan")
    for r in range(repetitions):
        started, cpu_started = time.perf_counter(), time.process_time()
        its, cost = fit(x, 42 + r)
        ms.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.process_time() - cpu_started) * 1000)
        iterations.append(its)
    print(json.dumps({"ms": ms, "cpuMs": cpu_ms, "iterations": iterations, "cost": float(cost)}))


if __name__ == "__main__":
    main()
