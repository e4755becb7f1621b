"""W4b peer: a rolling mean of 20 over 10,000,000 float64 samples with
np.convolve(x, np.ones(20) / 20, 'valid'), and threshold crossings with
np.argwhere(np.diff(x > thr, prepend=False)) on the same signal.

    python3 bench/peers/rolling.py [--quick]

Prints one JSON object per line, like `gpusci bench --json`.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_time, report  # noqa: E402


def main():
    n = 1_000_000 if "--quick" in sys.argv else 10_000_000
    rng = np.random.default_rng(6)
    x = np.sin(np.linspace(-4, 4, n, endpoint=False)) + 0.3 * rng.normal(size=n)
    kernel = np.ones(20) / 20
    s, runs = median_time(lambda: np.convolve(x, kernel, "valid"), 7)
    report("W4b", "numpy.convolve", s, runs, f"rolling mean of 20 over {n} f64 samples, valid")
    s, runs = median_time(lambda: np.argwhere(np.diff(x > 0.5, prepend=False)), 7)
    report("crossings", "numpy argwhere(diff)", s, runs, f"crossings of 0.5 in {n} f64 samples")

if __name__ == "__main__":
    main()
