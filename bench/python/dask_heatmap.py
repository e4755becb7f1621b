#!/usr/bin/env python3
"""gpusci.dask.heatmap beside datashader + dask on the same Parquet files, in one run, on a
LocalCluster of 2 worker processes with 1 thread each (the issue's 2-core machine).

    python3 bench/python/dask_heatmap.py [--points 200000000] [--dir /tmp/gpusci-dask-points]
                                         [--size 1920x1080] [--runs 3] [--backend cpu]

Writes float64 x, y in Parquet (one file of 10^7 rows per partition) once, then times, for
each tool, the whole job from the files to an RGBA image of the given size: read, bin, log
scale, a 256-entry colormap (viridis for gpusci, colorcet's fire for datashader). Both with the range given (one pass over the files) and with the range found
from the data (two passes). Prints one JSON line per (tool, range) with the median of `runs`.
"""
import argparse
import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "peers"))
from common import timed_runs  # noqa: E402  (the peers' timing helper)

ROWS_PER_FILE = 10_000_000


def write_points(directory, points):
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    files = (points + ROWS_PER_FILE - 1) // ROWS_PER_FILE
    done = directory / f"complete-{points}"
    if done.exists():
        return
    for old in directory.glob("*.parquet"):
        old.unlink()
    for i in range(files):
        n = min(ROWS_PER_FILE, points - i * ROWS_PER_FILE)
        rng = np.random.default_rng(i)
        # A few Gaussian clusters, as bench W2, over the square [-4, 4]^2.
        centre = rng.uniform(-2, 2, (5, 2))
        which = rng.integers(0, 5, n)
        x = centre[which, 0] + rng.normal(0, 0.5, n)
        y = centre[which, 1] + rng.normal(0, 0.3, n)
        pq.write_table(pa.table({"x": x, "y": y}), directory / f"part-{i:04d}.parquet",
                       row_group_size=ROWS_PER_FILE)
        print(f"# wrote part {i + 1}/{files}", flush=True)
    done.touch()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=200_000_000)
    parser.add_argument("--dir", default="/tmp/gpusci-dask-points")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", default="cpu")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    directory = pathlib.Path(args.dir)
    write_points(directory, args.points)

    import dask.dataframe as dd
    import datashader as ds
    import datashader.transfer_functions as tf
    import distributed
    from colorcet import fire  # installed with datashader: a 256-entry colormap

    import gpusci
    import gpusci.dask as gd

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        # One gpusci thread per Dask thread: the cluster's 2 processes fill the 2 cores.
        client.run(gpusci.set_num_threads, 1)
        frame = dd.read_parquet(str(directory), columns=["x", "y"])
        print(f"# {args.points:,} points, {frame.npartitions} partitions, "
              f"{width}x{height} pixels, gpusci backend {args.backend}", flush=True)
        for label, bounds in (("given range", ((-4.0, 4.0), (-4.0, 4.0))), ("data range", None)):
            def ours():
                return gd.heatmap(frame.x, frame.y, size=(width, height),
                                  range=None if bounds is None else [list(b) for b in bounds],
                                  scale="log", cmap="viridis", backend=args.backend).rgba

            def datashader():
                if bounds is None:
                    # datashader memoises a dataframe's bounds (toolz.memoize, its cache a
                    # closure's dict): cleared, so every run finds the range from the data,
                    # as gpusci's does.
                    memoised = ds.glyphs.points._PointLike.compute_bounds_dask
                    for cell in memoised.__closure__ or ():
                        if isinstance(cell.cell_contents, dict):
                            cell.cell_contents.clear()
                    canvas = ds.Canvas(plot_width=width, plot_height=height)
                else:
                    canvas = ds.Canvas(plot_width=width, plot_height=height,
                                       x_range=bounds[0], y_range=bounds[1])
                counts = canvas.points(frame, "x", "y")
                return np.asarray(tf.shade(counts, cmap=fire, how="log").to_pil())

            for tool, fn in (("gpusci.dask.heatmap", ours), ("datashader + dask", datashader)):
                median, times = timed_runs(fn, args.runs)
                print(json.dumps(dict(workload="dask heatmap", tool=tool, range=label,
                                      points=args.points, partitions=frame.npartitions,
                                      pixels=f"{width}x{height}", seconds=median,
                                      all=[round(t, 3) for t in times])), flush=True)


if __name__ == "__main__":
    main()
