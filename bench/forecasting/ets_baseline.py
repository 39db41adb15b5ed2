"""Times statsmodels' ExponentialSmoothing fits (additive trend and season, period 12, estimated
initial states) on the monthly co2 series the forecasting benchmark passes as a JSON array, one
fit per repetition; prints {"ms": [...], "sse": ...} on standard output."""
import json
import sys
import time
import warnings

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

series = np.array(json.load(open(sys.argv[1])), dtype=float)
repetitions = int(sys.argv[2])
ms = []
sse = None
for _ in range(repetitions):
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(
            series, trend="add", seasonal="add", seasonal_periods=12, initialization_method="estimated"
        ).fit()
    ms.append((time.perf_counter() - started) * 1000)
    sse = float(fit.sse)
print(json.dumps({"ms": ms, "sse": sse}))
