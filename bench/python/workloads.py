#!/usr/bin/env python3
"""Times the standard workloads (W1-W7 of BENCHMARKS.md) through gpusci's Python API beside
SciPy/NumPy (and OpenCV, fast_histogram, datashader when installed), in one process, on the
same data, and the cost of one call on a 16-element array.

    python3 bench/python/workloads.py [--quick] [--backend cpu|gpu|auto]

Prints one JSON line per (workload, peer), with the fields of `gpusci bench --json`, then
`gpusci bench`'s in-process figures for the same workloads (run as a subprocess) so the
Python call's overhead can be read off side by side.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

import gpusci
from gpusci import ndimage, signal

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "peers"))
from common import median_time as _median_time  # noqa: E402  (the peers' timing helper)


def median_time(fn, runs):
    """Median seconds of `runs` calls after a warm-up (bench/peers/common.py)."""
    return _median_time(fn, runs)[0]


def report(workload, peer, seconds, runs):
    print(json.dumps(dict(workload=workload, peer=peer, seconds=seconds, runs=runs)), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", default="cpu")
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    b = args.backend
    rng = np.random.default_rng(0)
    scale = 4 if args.quick else 1
    import scipy.ndimage
    import scipy.signal

    # W1 / W1b: blur.
    w1 = rng.standard_normal((4096 // scale, 4096 // scale)).astype(np.float32)
    report("W1", f"gpusci.ndimage ({b})", median_time(lambda: ndimage.gaussian_filter(w1, 8, backend=b), runs), runs)
    report("W1", "scipy.ndimage", median_time(lambda: scipy.ndimage.gaussian_filter(w1, 8), runs), runs)
    try:
        import cv2
        report("W1", f"cv2.GaussianBlur ({cv2.getNumThreads()} threads)", median_time(
            lambda: cv2.GaussianBlur(w1, (65, 65), 8, borderType=cv2.BORDER_REFLECT), runs), runs)
    except ImportError:
        print("# cv2 not installed: no OpenCV row", file=sys.stderr)
    w1b = rng.standard_normal((1024, 1024)).astype(np.float32)
    report("W1b", f"gpusci.ndimage ({b})", median_time(lambda: ndimage.gaussian_filter(w1b, 2, backend=b), runs), runs)
    report("W1b", "scipy.ndimage", median_time(lambda: scipy.ndimage.gaussian_filter(w1b, 2), runs), runs)
    # An image stack, each image with its own sigma: one call against a SciPy loop.
    stack = rng.standard_normal((64 // scale, 256, 256)).astype(np.float32)
    sigmas = np.linspace(0.5, 8.0, stack.shape[0])
    report("stack", f"gpusci.ndimage.gaussian_filter_stack ({b})", median_time(
        lambda: ndimage.gaussian_filter_stack(stack, sigmas, backend=b), runs), runs)
    report("stack", "scipy.ndimage.gaussian_filter per image", median_time(
        lambda: np.stack([scipy.ndimage.gaussian_filter(im, s) for im, s in zip(stack, sigmas)]),
        runs), runs)
    # W2: density of 10^7 clustered points.
    n = 10_000_000 // (10 if args.quick else 1)
    centres = rng.uniform(0.2, 0.8, size=(5, 2))
    pts = np.concatenate([c + rng.normal(scale=0.05, size=(n // 5, 2)) for c in centres])
    x, y = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    rng2 = [[0, 1], [0, 1]]
    report("W2", f"gpusci.histogram2d ({b})", median_time(lambda: gpusci.histogram2d(x, y, 1024, rng2, backend=b), runs), runs)
    report("W2", "numpy.histogram2d", median_time(lambda: np.histogram2d(x, y, 1024, rng2), min(runs, 3)), min(runs, 3))
    try:
        import fast_histogram
        report("W2", "fast_histogram", median_time(lambda: fast_histogram.histogram2d(x, y, 1024, [(0, 1), (0, 1)]), runs), runs)
    except ImportError:
        print("# fast_histogram not installed: no row", file=sys.stderr)
    try:
        import datashader as ds
        import pandas as pd
        frame = pd.DataFrame({"x": x, "y": y})
        canvas = ds.Canvas(plot_width=1024, plot_height=1024, x_range=(0, 1), y_range=(0, 1))
        report("W2", "datashader Canvas.points", median_time(lambda: canvas.points(frame, "x", "y"), runs), runs)
    except ImportError:
        print("# datashader not installed: no row", file=sys.stderr)
    # W4 / W4b / W5.
    s = rng.standard_normal(4_194_304 // scale)
    k = rng.standard_normal(65_536 // scale)
    report("W4", f"gpusci.signal.fftconvolve ({b})", median_time(lambda: signal.fftconvolve(s, k, "same", backend=b), runs), runs)
    report("W4", "scipy.signal.fftconvolve", median_time(lambda: scipy.signal.fftconvolve(s, k, "same"), runs), runs)
    r = rng.standard_normal(10_000_000 // scale)
    report("W4b", "gpusci.signal.rolling_mean", median_time(lambda: signal.rolling_mean(r, 20), runs), runs)
    report("W4b", "numpy.convolve", median_time(lambda: np.convolve(r, np.ones(20) / 20, "valid"), runs), runs)
    a = rng.standard_normal(1_048_576 // scale)
    bb = np.roll(a, 12_345) + 0.1 * rng.standard_normal(a.size)
    report("W5", f"gpusci.signal.lag ({b})", median_time(lambda: signal.lag(a, bb, backend=b), runs), runs)
    report("W5", "scipy.signal.correlate+lags", median_time(lambda: scipy.signal.correlation_lags(a.size, bb.size)[np.argmax(scipy.signal.correlate(a, bb))], runs), runs)
    # W6: the LIF network.
    report("W6", f"gpusci.models.balanced_network ({b})", median_time(lambda: gpusci.models.balanced_network(T=2.0 / scale, backend=b), min(runs, 3)), min(runs, 3))
    # W7.
    w7 = rng.standard_normal(10_000)
    report("W7", f"gpusci.ndimage ({b})", median_time(lambda: ndimage.gaussian_filter1d(w7, 100, backend=b), runs * 5), runs * 5)
    report("W7", "scipy.ndimage", median_time(lambda: scipy.ndimage.gaussian_filter1d(w7, 100), runs * 5), runs * 5)
    # The cost of one call: 16 float64 samples.
    tiny = rng.standard_normal(16)
    report("call16", "gpusci.ndimage.gaussian_filter1d (cpu)", median_time(lambda: ndimage.gaussian_filter1d(tiny, 1, backend="cpu"), 2001), 2001)
    report("call16", "scipy.ndimage.gaussian_filter1d", median_time(lambda: scipy.ndimage.gaussian_filter1d(tiny, 1), 2001), 2001)
    # gpusci bench's in-process figures, for the overhead of the Python layer.
    exe = os.environ.get("GPUSCI_EXE", str(HERE.parents[1] / "target" / "release" / "gpusci"))
    if pathlib.Path(exe).exists():
        flags = ["--quick"] if args.quick else []
        out = subprocess.run([exe, "bench", "--json", "--backend", "cpu", *flags], capture_output=True, text=True)
        for line in out.stdout.splitlines():
            row = json.loads(line)
            report(row["workload"], "gpusci bench (in-process, cpu)", row["seconds"], row["runs"])
    else:
        print(f"# {exe} not built: no in-process figures", file=sys.stderr)


if __name__ == "__main__":
    main()
