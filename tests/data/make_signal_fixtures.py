"""Fixtures for the signal tests: NumPy's rolling means (np.convolve with a uniform kernel) and
threshold crossings (np.argwhere(np.diff(x > thr, prepend=False))).

    python3 tests/data/make_signal_fixtures.py

Writes tests/data/signal/: x_*.npy inputs, rolling_*.npy and crossings_*.npy outputs, and
manifest.json listing each case.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "signal")
rng = np.random.default_rng(11)
cases = []


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), array)


signals = {
    "noise": rng.normal(size=1000),
    "walk": np.cumsum(rng.normal(size=3001)) + 1e6,  # far from zero: drift shows
    "one": np.array([2.5]),
    "nan": np.where(rng.random(500) < 0.02, np.nan, rng.normal(size=500)),
    "inf": np.concatenate([rng.normal(size=60), [np.inf], rng.normal(size=60), [-np.inf],
                           rng.normal(size=5), [np.inf], rng.normal(size=30)]),
    "seed": np.array([0, 0, 0, 5, 5, 5, 5, 0, 0, 0, 0, 4, 4, 4, 0, 0, 0], dtype=float),
}
for name, x in signals.items():
    save("x_" + name, x)
    for k in (1, 2, 7, 20, 1000, 1501):
        for mode in ("full", "same", "valid"):
            with np.errstate(invalid="ignore"):
                y = np.convolve(x, np.ones(k) / k, mode)
            case = f"rolling_{name}_{k}_{mode}"
            save(case, y)
            cases.append({"kind": "rolling", "signal": name, "k": k, "mode": mode, "out": case})
    for thr in (0.0, 0.5, 2.0, 1e6):
        with np.errstate(invalid="ignore"):
            idx = np.argwhere(np.diff(x > thr, prepend=False))[:, 0].astype(np.int64)
        case = f"crossings_{name}_{thr}"
        save(case, idx)
        cases.append({"kind": "crossings", "signal": name, "threshold": thr, "out": case})

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(cases, f, indent=1)
print(len(cases), "cases")
