#!/usr/bin/env python3
"""Writes numpy.histogram2d reference values for the Rust tests (tests/data/density/).

Run from the repository root:  python3 tests/data/make_density_fixtures.py
Each case stores its points (N, 2), optional weights, and NumPy's grid; manifest.json holds the
bins, range and flags. Inputs come from a fixed seed.
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).parent / "density"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261123)
cases = []


def case(name, points, bins, rng_=None, weights=None, density=False):
    points = np.asarray(points)
    kwargs = dict(bins=bins, density=density)
    if rng_ is not None:
        kwargs["range"] = rng_
    if weights is not None:
        kwargs["weights"] = weights
    hist, xe, ye = np.histogram2d(points[:, 0], points[:, 1], **kwargs)
    np.save(OUT / f"{name}_points.npy", points)
    if weights is not None:
        np.save(OUT / f"{name}_weights.npy", weights)
    np.save(OUT / f"{name}_hist.npy", hist)
    np.save(OUT / f"{name}_xedges.npy", xe)
    np.save(OUT / f"{name}_yedges.npy", ye)
    cases.append(dict(name=name, bins=list(np.broadcast_to(bins, 2).tolist()), range=rng_,
                      weights=weights is not None, density=density, dtype=str(points.dtype)))


# Five Gaussian clusters, as W2, small.
centres = rng.uniform(0.2, 0.8, size=(5, 2))
clustered = np.concatenate([c + rng.normal(scale=0.05, size=(2000, 2)) for c in centres])
case("clustered", clustered, 64, [[0, 1], [0, 1]])
case("clustered_auto_range", clustered, 50)
case("non_square", clustered, [30, 70], [[0, 1], [0, 1]])
case("one_bin", clustered, 1, [[0, 1], [0, 1]])
case("zoom", clustered, 16, [[0.4, 0.41], [0.4, 0.41]])
# Points exactly on every edge of a 10x7 grid on [0.1, 0.9] x [-0.3, 2.2], including the last
# right edge, and points just outside.
xe = np.linspace(0.1, 0.9, 11)
ye = np.linspace(-0.3, 2.2, 8)
on_edges = np.array([[x, y] for x in xe for y in ye])
outside = np.array([[np.nextafter(0.1, -1), 0.0], [np.nextafter(0.9, 2), 0.0], [0.5, np.nextafter(2.2, 3)],
                    [0.5, np.nextafter(-0.3, -1)], [-5, -5], [5, 5]])
nasty = np.array([[np.nan, 0.5], [0.5, np.nan], [np.inf, 0.5], [0.5, -np.inf], [np.nan, np.nan]])
edge_set = np.concatenate([on_edges, outside, nasty, rng.uniform(0, 1, size=(300, 2))])
case("edges", edge_set, [10, 7], [[0.1, 0.9], [-0.3, 2.2]])
# The same points just above and below each edge.
near = np.concatenate([on_edges + d for d in (np.nextafter(0, 1) * 0 + 1e-17, -1e-16, 1e-16)])
case("near_edges", near, [10, 7], [[0.1, 0.9], [-0.3, 2.2]])
w = rng.uniform(-1, 2, size=len(clustered))
case("weighted", clustered, 40, [[0, 1], [0, 1]], weights=w)
case("density", clustered, [20, 25], [[0, 1], [0, 1]], density=True)
case("weighted_density", clustered, 20, [[0, 1], [0, 1]], weights=np.abs(w), density=True)
# float32 data with an automatic range: NumPy computes the edges in float32 then.
pts32 = rng.uniform(0, 1, size=(3000, 2)).astype(np.float32)
pts32[:10] = np.float32(0.3)
case("float32_auto_range", pts32, 10)
case("float32_range", pts32, 10, [[0, 1], [0, 1]])
# All points on one value: range min == max is widened by 0.5 each side.
case("degenerate_range", np.full((7, 2), 0.5), 4)
case("no_points", np.zeros((0, 2)), 4)
# Reported from the field: float32 edges put 0.29999998 below the float32 edge 0.3 (NumPy:
# counts [1, 1, 1]; float64 edges give [2, 0, 1]).
case("float32_field", np.array([[0.1, 0], [0.7, 0], [0.29999998211860657, 0]], np.float32), [3, 1])
# float32 points on a fine grid, many of them exactly on (float32) edges.
grid32 = (rng.integers(0, 2001, size=(20000, 2)) / 2000 * 3 - 1).astype(np.float32)
case("float32_fine_grid", grid32, [1500, 997])
case("float32_fine_grid_range", grid32, [1500, 997], [[-1, 2], [-1, 2]])

# x and y of different dtypes: NumPy stacks them, so the edges follow np.result_type(x, y).
mixed = []
for xt, yt in [("float32", "float64"), ("float64", "float32"), ("float32", "int16"),
               ("int16", "float32"), ("float32", "int32"), ("float32", "uint8"), ("int64", "int64")]:
    name = f"mixed_{xt}_{yt}"
    x = (grid32[:, 0] * 7).astype(xt)
    y = (grid32[:, 1] * 5).astype(yt)
    hist, xe, ye = np.histogram2d(x, y, bins=[301, 203])
    np.save(OUT / f"{name}_x.npy", x)
    np.save(OUT / f"{name}_y.npy", y)
    np.save(OUT / f"{name}_hist.npy", hist)
    np.save(OUT / f"{name}_xedges.npy", xe)
    np.save(OUT / f"{name}_yedges.npy", ye)
    mixed.append(dict(name=name, bins=[301, 203], x_dtype=xt, y_dtype=yt, edges_dtype=str(xe.dtype)))

(OUT / "manifest.json").write_text(json.dumps(dict(numpy=np.__version__, cases=cases, mixed=mixed), indent=1) + "\n")
print(f"wrote {len(cases)} cases to {OUT}")
