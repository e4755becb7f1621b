"""W4b peer: a rolling mean of 20 over 10,000,000 float64 samples with
np.convolve(x, np.ones(20) / 20, 'valid'), and threshold crossings with
np.argwhere(np.diff(x > thr, prepend=False)) on the same signal.

    python3 bench/peers/rolling.py [--quick]

Prints one JSON object per line, like `gpusci bench --json`.
"""
import json
import sys
import time

import numpy as np


def median_time(f, runs=7):
    f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    n = 1_000_000 if "--quick" in sys.argv else 10_000_000
    rng = np.random.default_rng(6)
    x = np.sin(np.linspace(-4, 4, n, endpoint=False)) + 0.3 * rng.normal(size=n)
    kernel = np.ones(20) / 20
    s = median_time(lambda: np.convolve(x, kernel, "valid"))
    print(json.dumps({"workload": "W4b", "peer": "numpy.convolve", "seconds": s,
                      "what": f"rolling mean of 20 over {n} f64 samples, valid"}))
    s = median_time(lambda: np.argwhere(np.diff(x > 0.5, prepend=False)))
    print(json.dumps({"workload": "crossings", "peer": "numpy argwhere(diff)", "seconds": s,
                      "what": f"crossings of 0.5 in {n} f64 samples"}))


if __name__ == "__main__":
    main()
