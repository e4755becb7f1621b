"""W4 and W5 peers: scipy.signal.fftconvolve and oaconvolve on W4 (4,194,304 float64 samples
convolved with a 65,536-sample kernel, mode same), and scipy.signal.correlate +
correlation_lags on W5 (the lag of two 1,048,576-sample signals, b delayed by 12,345 plus noise).
np.convolve is direct (O(n k)): on W4 it would take minutes, so it is timed on a 1/64 slice.

    python3 bench/peers/conv.py [--quick]

Prints one JSON object per line, like `gpusci bench --json`.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_time, report  # noqa: E402
from scipy import signal


def main():
    scale = 16 if "--quick" in sys.argv else 1
    rng = np.random.default_rng(7)
    a = rng.normal(size=4_194_304 // scale)
    v = rng.normal(size=65_536 // scale)
    what = f"convolve {a.size} f64 samples with a {v.size} kernel, same"
    report("W4", "scipy.signal.fftconvolve", *median_time(lambda: signal.fftconvolve(a, v, "same"), 5), what)
    report("W4", "scipy.signal.oaconvolve", *median_time(lambda: signal.oaconvolve(a, v, "same"), 5), what)
    small = a[: a.size // 64]
    report("W4", "numpy.convolve (1/64 of the signal)",
           *median_time(lambda: np.convolve(small, v, "same"), 1), f"{small.size} samples")
    n, delay = 1_048_576 // scale, 12_345 // scale
    base = rng.normal(size=n + delay)
    x, y = base[delay:], base[:n] + 0.5 * rng.normal(size=n)

    def lag():
        c = signal.correlate(x, y, "full")
        return signal.correlation_lags(x.size, y.size, "full")[np.argmax(c)]

    report("W5", "scipy.signal.correlate + correlation_lags", *median_time(lag, 5),
           f"lag of {x.size} and {y.size} f64 samples (found {lag()})")


if __name__ == "__main__":
    main()
