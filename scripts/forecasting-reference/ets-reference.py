#!/usr/bin/env python3
"""Reference numbers for the forecasting tests, computed by statsmodels' ExponentialSmoothing.

The co2 series statsmodels ships (weekly Mauna Loa CO2, 1958-2001) is averaged per calendar month
and gaps are carried forward, as statsmodels' own examples do; then each Holt-Winters setting is
backtested from rolling origins (the last FOLDS windows of HORIZON months, each fitted on every
month before it) and scored with MASE (errors scaled by the training window's seasonal-naive MAE),
sMAPE, MAPE and RMSE, as shared/domain/forecasting/backtest.ts scores them.

Writes test/fixtures/forecasting/ets-reference.json; with --check, recomputes and fails when the
committed fixture differs.
"""
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "test" / "fixtures" / "forecasting" / "ets-reference.json"
CSV = ROOT / "test" / "fixtures" / "timeseries" / "co2.csv"
HORIZON = 12
FOLDS = 5
PERIOD = 12
SETTINGS = [
    {"trend": "add", "seasonal": "add", "damped": False},
    {"trend": "add", "seasonal": "mul", "damped": False},
    {"trend": "add", "seasonal": "add", "damped": True},
]


def monthly_series():
    frame = pd.read_csv(CSV)
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    series = frame.set_index("date")["co2"].resample("MS").mean().ffill()
    return series


def scores(actuals, forecasts, scales):
    per_horizon = []
    for h in range(HORIZON):
        a = np.array([fold[h] for fold in actuals])
        f = np.array([fold[h] for fold in forecasts])
        s = np.array(scales)
        per_horizon.append(metrics(a, f, s))
    a = np.concatenate(actuals)
    f = np.concatenate(forecasts)
    s = np.repeat(scales, HORIZON)
    return metrics(a, f, s), per_horizon


def metrics(a, f, s):
    e = a - f
    return {
        "mase": float(np.mean(np.abs(e) / s)),
        "smape": float(np.mean(200 * np.abs(e) / (np.abs(a) + np.abs(f)))),
        "mape": float(np.mean(100 * np.abs(e / a))),
        "rmse": float(np.sqrt(np.mean(e**2))),
    }


def compute():
    y = monthly_series().to_numpy(dtype=float)
    n = len(y)
    results = []
    for setting in SETTINGS:
        actuals, forecasts, scales, params = [], [], [], []
        for fold in range(FOLDS):
            origin = n - HORIZON - (FOLDS - 1 - fold) * HORIZON
            train = y[:origin]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = ExponentialSmoothing(
                    train,
                    trend=setting["trend"],
                    seasonal=setting["seasonal"],
                    seasonal_periods=PERIOD,
                    damped_trend=setting["damped"],
                    initialization_method="estimated",
                ).fit()
            forecasts.append(np.asarray(model.forecast(HORIZON), dtype=float))
            actuals.append(y[origin : origin + HORIZON])
            scales.append(float(np.mean(np.abs(train[PERIOD:] - train[:-PERIOD]))))
            params.append({k: float(model.params[k]) for k in ("smoothing_level", "smoothing_trend", "smoothing_seasonal", "damping_trend") if model.params.get(k) is not None and not np.isnan(model.params[k])})
        overall, per_horizon = scores(actuals, forecasts, scales)
        results.append({**setting, "overall": overall, "perHorizon": per_horizon, "parameters": params})
    return {
        "source": "statsmodels ExponentialSmoothing (initialization_method='estimated'), co2 monthly means, gaps carried forward",
        "statsmodels": __import__("statsmodels").__version__,
        "horizon": HORIZON,
        "folds": FOLDS,
        "seasonalPeriod": PERIOD,
        "series": [round(float(v), 6) for v in y],
        "settings": results,
    }


def rounded(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def main():
    data = rounded(compute())
    text = json.dumps(data, indent=1) + "\n"
    if "--check" in sys.argv:
        committed = json.loads(FIXTURE.read_text())
        if committed["series"] != data["series"]:
            sys.exit(f"{FIXTURE}: the co2 series differs from what statsmodels' data gives today")
        for mine, theirs in zip(committed["settings"], data["settings"]):
            for key in ("mase", "smape", "mape", "rmse"):
                a, b = mine["overall"][key], theirs["overall"][key]
                if abs(a - b) > 1e-4 * max(1.0, abs(b)):
                    sys.exit(f"{FIXTURE}: {key} of {theirs['trend']}/{theirs['seasonal']}/damped={theirs['damped']} is {b} now, {a} committed; rerun {Path(__file__).name}")
        print(f"{FIXTURE.relative_to(ROOT)} matches statsmodels {data['statsmodels']}")
        return
    FIXTURE.write_text(text)
    # The repository's formatter owns the layout (lint checks it); --check compares values only.
    subprocess.run(["npx", "prettier", "--write", str(FIXTURE)], cwd=ROOT, check=False)
    print(f"wrote {FIXTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
