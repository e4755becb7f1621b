#!/usr/bin/env python3
"""The host-side cost of one GPU call, apart from its kernels: warm calls on tiny inputs
(where the kernels take microseconds), timed through the Python API, with the runtime's
counters for one call (`gpusci.device_stats`, where the installed gpusci has it).

    python3 bench/python/host_cost.py [--backend gpu] [--runs 200]

On a software adapter this measures exactly what the GPU runtime changes: buffers created,
staging copies, submits, waits and mapping, not GPU speed. Prints one JSON line per call.
"""
import argparse
import json
import statistics
import time

import numpy as np

import gpusci
import gpusci.fft
import gpusci.ndimage
import gpusci.signal


def calls(backend):
    rng = np.random.default_rng(1)
    image = rng.normal(size=(16, 16)).astype(np.float32)
    wide = rng.normal(size=(16, 16))
    x, y = rng.normal(size=100), rng.normal(size=100)
    signal = rng.normal(size=64)
    kernel = rng.normal(size=9)
    return {
        "gaussian_filter 16x16 float32": lambda: gpusci.ndimage.gaussian_filter(
            image, 1.0, backend=backend),
        "gaussian_filter 16x16 float64": lambda: gpusci.ndimage.gaussian_filter(
            wide, 1.0, backend=backend),
        "histogram2d 100 points, 16x16": lambda: gpusci.histogram2d(
            x, y, bins=16, backend=backend),
        "rfft 64 float64": lambda: gpusci.fft.rfft(signal, backend=backend),
        "convolve 64 with 9 taps": lambda: gpusci.signal.convolve(
            signal, kernel, method="direct", backend=backend),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="gpu")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    stats = getattr(gpusci, "device_stats", None)
    for name, call in calls(args.backend).items():
        for _ in range(5):
            call()
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        one = None
        if stats is not None:
            stats(reset=True)
            call()
            one = stats(reset=True)
        print(json.dumps(dict(call=name, backend=args.backend, median_us=round(
            statistics.median(times) * 1e6, 1), runs=args.runs, device_stats=one)), flush=True)


if __name__ == "__main__":
    main()
