#!/usr/bin/env python3
"""Times the peers of gpusci's density workloads (W1-W7 in BENCHMARKS.md) on this machine.

W2: 10,000,000 float64 points from a 5-cluster Gaussian mixture into 1024x1024 bins on [0,1]^2
    numpy.histogram2d, fast_histogram.histogram2d, datashader Canvas.points (count)
W3: W2 + gaussian blur sigma 3 + log1p + normalise + colormap + PNG file
    numpy + scipy + Pillow; fast_histogram + scipy + cv2.imwrite

The mixture is gpusci's (src/data.rs W2_CLUSTERS): point k belongs to cluster k mod 5.
Prints one JSON object per line, like `gpusci bench --json`.

    pip install numpy scipy fast-histogram datashader opencv-python-headless pillow
    python3 bench/peers/density.py [--quick]
"""
import json
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_time, report  # noqa: E402
from scipy import ndimage

CLUSTERS = [(0.2, 0.3, 0.05), (0.7, 0.2, 0.08), (0.5, 0.5, 0.03), (0.3, 0.8, 0.10), (0.8, 0.75, 0.06)]


def points(n, seed=4):
    rng = np.random.default_rng(seed)
    c = np.array(CLUSTERS)[np.arange(n) % len(CLUSTERS)]
    return c[:, 0] + c[:, 2] * rng.standard_normal(n), c[:, 1] + c[:, 2] * rng.standard_normal(n)


def viridis_lut():
    from matplotlib import cm  # datashader pulls matplotlib in; fall back to a gray ramp
    return (cm.get_cmap("viridis")(np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def main():
    quick = "--quick" in sys.argv
    n = 1_000_000 if quick else 10_000_000
    runs = 3 if quick else 7
    x, y = points(n)
    what2 = f"density {n} f64 points, 1024x1024 bins"
    rng_ = [[0, 1], [0, 1]]
    s, r = median_time(lambda: np.histogram2d(x, y, bins=1024, range=rng_), 3 if not quick else 2)
    report("W2", "numpy.histogram2d", s, r, what2)
    try:
        import fast_histogram
        s, r = median_time(lambda: fast_histogram.histogram2d(x, y, bins=1024, range=rng_), runs)
        report("W2", "fast_histogram.histogram2d", s, r, what2)
    except ImportError:
        fast_histogram = None
    try:
        import datashader as ds
        import pandas as pd
        df = pd.DataFrame(dict(x=x, y=y))
        canvas = ds.Canvas(plot_width=1024, plot_height=1024, x_range=(0, 1), y_range=(0, 1))
        s, r = median_time(lambda: canvas.points(df, "x", "y", agg=ds.count()), runs)
        report("W2", "datashader Canvas.points", s, r, what2)
    except ImportError:
        pass

    try:
        lut = viridis_lut()
    except Exception:
        lut = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    what3 = f"heatmap {n} points -> 1024x1024 PNG, sigma 3, log1p, viridis"
    out = os.path.join(tempfile.mkdtemp(), "w3.png")

    def render(hist):
        img = np.log1p(ndimage.gaussian_filter(hist, 3))
        img = (255 * (img - img.min()) / max(img.max() - img.min(), 1e-300)).astype(np.uint8)
        return lut[img.T[::-1]]  # rows are y, highest y on top

    try:
        from PIL import Image
        s, r = median_time(lambda: Image.fromarray(render(np.histogram2d(x, y, bins=1024, range=rng_)[0])).save(out), 3 if not quick else 2)
        report("W3", "numpy + scipy + Pillow", s, r, what3)
    except ImportError:
        pass
    if fast_histogram is not None:
        try:
            import cv2
            s, r = median_time(lambda: cv2.imwrite(out, render(fast_histogram.histogram2d(x, y, bins=1024, range=rng_))[:, :, ::-1]), runs)
            report("W3", "fast_histogram + scipy + cv2", s, r, what3)
        except ImportError:
            pass


if __name__ == "__main__":
    main()
