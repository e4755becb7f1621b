#!/usr/bin/env python3
"""Writes the SciPy reference values the Rust tests compare against (tests/data/blur/).

Run from the repository root:  python3 tests/data/make_fixtures.py
Made with the numpy/scipy versions recorded in tests/data/blur/manifest.json. The inputs come
from a fixed seed, so re-running gives the same files.
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import ndimage

OUT = pathlib.Path(__file__).parent / "blur"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261123)

inputs = {
    "grid13x17": rng.normal(size=(13, 17)),
    "grid5x7": rng.normal(size=(5, 7)),
    "line29": rng.normal(size=29),
    "one": np.array([2.0]),
    "row1x9": rng.normal(size=(1, 9)),
    "col9x1": rng.normal(size=(9, 1)),
}
# The seed question: 10,000 noisy samples smoothed with sigma 100.
x = np.linspace(-4, 4, 10_000)
inputs["seed10000"] = np.sin(x) + rng.normal(scale=0.3, size=x.size)
inputs["grid_f32"] = rng.normal(size=(21, 19)).astype(np.float32)
nan_line = rng.normal(size=40)
nan_line[17] = np.nan
inputs["nan40"] = nan_line

for name, array in inputs.items():
    np.save(OUT / f"in_{name}.npy", array)

cases = []


def case(name, input_name, sigma, mode="reflect", cval=0.0, truncate=4.0, radius=None, order=0):
    array = inputs[input_name]
    kwargs = dict(mode=mode, cval=cval, truncate=truncate, order=order)
    if radius is not None:
        kwargs["radius"] = radius
    if array.ndim == 1:
        out = ndimage.gaussian_filter1d(array, sigma, **kwargs)
    else:
        out = ndimage.gaussian_filter(array, sigma, **kwargs)
    np.save(OUT / f"out_{name}.npy", out)
    cases.append(
        dict(
            name=name,
            input=f"in_{input_name}.npy",
            output=f"out_{name}.npy",
            sigma=list(np.atleast_1d(sigma).astype(float)),
            mode=mode,
            cval=cval,
            truncate=truncate,
            radius=radius,
            order=list(np.atleast_1d(order).astype(int).tolist()),
        )
    )


for mode in ["reflect", "constant", "nearest", "mirror", "wrap"]:
    cval = 1.5 if mode == "constant" else 0.0
    case(f"{mode}_2d_s1.5", "grid13x17", 1.5, mode, cval)
    case(f"{mode}_2d_per_axis", "grid13x17", [0.3, 2.5], mode, cval)
    case(f"{mode}_2d_one_axis", "grid13x17", [0.0, 1.7], mode, cval)
    case(f"{mode}_2d_wider_than_array", "grid5x7", 10.0, mode, cval)
    case(f"{mode}_2d_order1", "grid13x17", 2.0, mode, cval, order=1)
    case(f"{mode}_2d_orders_0_2", "grid13x17", [1.0, 2.0], mode, cval, order=[0, 2])
    case(f"{mode}_2d_truncate2", "grid13x17", 1.0, mode, cval, truncate=2.0)
    case(f"{mode}_row1x9", "row1x9", 2.0, mode, cval)
    case(f"{mode}_col9x1", "col9x1", 2.0, mode, cval)
    case(f"{mode}_1d_s3", "line29", 3.0, mode, cval)
    case(f"{mode}_1d_wider_than_array", "line29", 20.0, mode, cval)
    case(f"{mode}_1d_order2", "line29", 2.0, mode, cval, order=2)
    case(f"{mode}_1d_radius3", "line29", 2.0, mode, cval, radius=3)
    case(f"{mode}_one_element", "one", 5.0, mode, cval)
    case(f"{mode}_f32", "grid_f32", 2.0, mode, cval)
case("seed_sigma100", "seed10000", 100.0)
case("nan_propagates", "nan40", 2.0)

(OUT / "manifest.json").write_text(
    json.dumps(dict(numpy=np.__version__, scipy=scipy.__version__, cases=cases), indent=1) + "\n"
)
print(f"wrote {len(cases)} cases to {OUT}")
