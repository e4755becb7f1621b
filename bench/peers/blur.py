#!/usr/bin/env python3
"""Times the peers of gpusci's blur workloads (W1-W7 in BENCHMARKS.md) on this machine.

W1:  4096x4096 float32 N(0,1), sigma 8, truncate 4 (radius 32), reflect
W1b: 1024x1024 float32, sigma 2
W1c: a 128x256x256 float32 (time, y, x) movie, sigma 2 on every axis
W7:  gaussian_filter1d of 10,000 float64 samples, sigma 100

Peers: scipy.ndimage.gaussian_filter / gaussian_filter1d, and cv2.GaussianBlur with the same
kernel size (2*radius + 1) and BORDER_REFLECT (SciPy's 'reflect'), with OpenCV's default
threads. Prints one JSON object per line, like `gpusci bench --json`.

    pip install numpy scipy opencv-python-headless
    python3 bench/peers/blur.py [--quick]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_time, report  # noqa: E402
from scipy import ndimage

try:
    import cv2
except ImportError:  # OpenCV is optional
    cv2 = None


def main():
    quick = "--quick" in sys.argv
    rng = np.random.default_rng(1)
    n1, n1b = (512, 256) if quick else (4096, 1024)
    runs = 3 if quick else 7
    for workload, n, sigma in (("W1", n1, 8.0), ("W1b", n1b, 2.0)):
        image = rng.standard_normal((n, n), dtype=np.float32)
        what = f"blur {n}x{n} f32, sigma {sigma}, reflect"
        s, r = median_time(lambda: ndimage.gaussian_filter(image, sigma, mode="reflect", truncate=4.0), runs)
        report(workload, "scipy.ndimage.gaussian_filter", s, r, what)
        if cv2 is not None:
            radius = int(4.0 * sigma + 0.5)
            k = 2 * radius + 1
            s, r = median_time(lambda: cv2.GaussianBlur(image, (k, k), sigma, borderType=cv2.BORDER_REFLECT), runs)
            report(workload, f"cv2.GaussianBlur ({cv2.getNumThreads()} threads)", s, r, what)
    frames, side = (16, 64) if quick else (128, 256)
    movie = rng.standard_normal((frames, side, side), dtype=np.float32)
    what = f"blur {frames}x{side}x{side} f32, sigma 2.0, reflect"
    s, r = median_time(lambda: ndimage.gaussian_filter(movie, 2.0, mode="reflect"), runs)
    report("W1c", "scipy.ndimage.gaussian_filter", s, r, what)
    x = np.linspace(-4, 4, 10_000)
    signal = np.sin(x) + rng.normal(scale=0.3, size=x.size)
    s, r = median_time(lambda: ndimage.gaussian_filter1d(signal, 100.0), 50)
    report("W7", "scipy.ndimage.gaussian_filter1d", s, r, "gaussian_filter1d 10000 f64, sigma 100")


if __name__ == "__main__":
    main()
