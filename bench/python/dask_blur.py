#!/usr/bin/env python3
"""gpusci.dask.gaussian_filter beside dask-image's gaussian_filter on one 8192 x 8192
float32 image in 1024 x 1024 chunks (mode reflect), on a LocalCluster of 2 worker processes
with 1 thread each; then the wrap-mode check on a 2-chunk image, where dask-image's halo at
the array's ends is not the far end's samples.

    python3 bench/python/dask_blur.py [--side 8192] [--chunk 1024] [--sigma 4] [--runs 3]

Times the blur with the input already on the workers, reduced to its sum there, so neither the
image's creation nor its transfer to the client is counted.
"""
import argparse
import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "peers"))
from common import timed_runs  # noqa: E402  (the peers' timing helper)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=8192)
    parser.add_argument("--chunk", type=int, default=1024)
    parser.add_argument("--sigma", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", default="cpu")
    args = parser.parse_args()

    import dask.array as da
    import distributed
    from dask_image import ndfilters
    from scipy import ndimage as scipy_ndimage

    import gpusci
    import gpusci.dask as gd

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        client.run(gpusci.set_num_threads, 1)
        image = da.random.default_rng(0).random((args.side, args.side), chunks=args.chunk,
                                               dtype=np.float32)
        image = client.persist(image)
        distributed.wait(image)

        def blurred_sum(make):
            # A sum of the blurred image: every chunk is blurred on the workers, and only a
            # number comes back (persisting would let Dask reuse the previous run's keys).
            return lambda: float(make().sum(dtype=np.float64).compute())

        for tool, make in (
                ("gpusci.dask.gaussian_filter",
                 lambda: gd.gaussian_filter(image, args.sigma, mode="reflect",
                                            backend=args.backend)),
                ("dask_image.ndfilters.gaussian_filter",
                 lambda: ndfilters.gaussian_filter(image, args.sigma, mode="reflect"))):
            median, times = timed_runs(blurred_sum(make), args.runs)
            print(json.dumps(dict(workload="dask blur", tool=tool,
                                  shape=f"{args.side}x{args.side}", chunks=args.chunk,
                                  sigma=args.sigma, seconds=median,
                                  all=[round(t, 3) for t in times])), flush=True)

        # mode='wrap' across chunks: SciPy on the whole image is the oracle.
        small = np.random.default_rng(1).uniform(0, 1, (64, 48)).astype(np.float32)
        split = da.from_array(small, chunks=(32, 48))
        truth = scipy_ndimage.gaussian_filter(small, 4.0, mode="wrap")
        for tool, result in (
                ("gpusci.dask.gaussian_filter", gd.gaussian_filter(split, 4.0, mode="wrap")),
                ("dask_image.ndfilters.gaussian_filter",
                 ndfilters.gaussian_filter(split, 4.0, mode="wrap"))):
            error = float(np.abs(result.compute() - truth).max())
            print(json.dumps(dict(workload="wrap across 2 chunks", tool=tool,
                                  max_abs_error_vs_scipy=error)), flush=True)


if __name__ == "__main__":
    main()
