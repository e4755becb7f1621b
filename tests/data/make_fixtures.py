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
# N-D: a small (time, y, x) volume, a 1 x N x 1 array, a 4-D array, and a stack of images.
inputs["vol7x9x11"] = rng.normal(size=(7, 9, 11))
inputs["thin1x23x1"] = rng.normal(size=(1, 23, 1))
inputs["vol3x4x5x6"] = rng.normal(size=(3, 4, 5, 6))
inputs["vol_f32"] = rng.normal(size=(6, 10, 8)).astype(np.float32)
inputs["stack5x12x10"] = rng.normal(size=(5, 12, 10))

for name, array in inputs.items():
    np.save(OUT / f"in_{name}.npy", array)

cases = []


def case(name, input_name, sigma, mode="reflect", cval=0.0, truncate=4.0, radius=None, order=0,
         axes=None):
    array = inputs[input_name]
    kwargs = dict(mode=mode, cval=cval, truncate=truncate, order=order)
    if radius is not None:
        kwargs["radius"] = radius
    if axes is not None:
        kwargs["axes"] = axes
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
            mode=[mode] if isinstance(mode, str) else list(mode),
            cval=cval,
            truncate=truncate,
            radius=radius,
            order=list(np.atleast_1d(order).astype(int).tolist()),
            axes=None if axes is None else list(axes),
        )
    )


stacks = []


def stack_case(name, sigmas, mode="reflect", cval=0.0, truncate=4.0):
    """N separate SciPy calls, one per image, each with its own sigma."""
    stack = inputs["stack5x12x10"]
    out = np.stack([ndimage.gaussian_filter(image, s, mode=mode, cval=cval, truncate=truncate)
                    for image, s in zip(stack, sigmas)])
    np.save(OUT / f"out_{name}.npy", out)
    stacks.append(dict(name=name, input="in_stack5x12x10.npy", output=f"out_{name}.npy",
                       sigmas=[float(s) for s in sigmas], mode=mode, cval=cval,
                       truncate=truncate))


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
    case(f"{mode}_3d_s1.2", "vol7x9x11", 1.2, mode, cval)
    case(f"{mode}_3d_per_axis", "vol7x9x11", [0.5, 0.0, 2.0], mode, cval)
    case(f"{mode}_3d_wider_than_axes", "vol7x9x11", [6.0, 1.0, 9.0], mode, cval)
    case(f"{mode}_1xNx1", "thin1x23x1", 2.0, mode, cval)
    case(f"{mode}_3d_f32", "vol_f32", 1.5, mode, cval)
    stack_case(f"stack_{mode}", [0.0, 0.7, 1.5, 3.0, 20.0], mode, cval)
case("seed_sigma100", "seed10000", 100.0)
case("nan_propagates", "nan40", 2.0)
case("3d_modes_per_axis", "vol7x9x11", [1.0, 1.5, 2.0], ["wrap", "constant", "mirror"], 0.5)
case("3d_axes_1_2", "vol7x9x11", 1.5, axes=(1, 2))
case("3d_axes_reversed", "vol7x9x11", [2.0, 1.0], ["nearest", "wrap"], axes=(2, 0))
case("3d_axes_negative", "vol7x9x11", 1.0, axes=(-1,))
case("3d_orders_radius", "vol7x9x11", [1.0, 2.0, 1.5], order=[1, 0, 2], radius=[2, 5, 3])
case("4d_orders", "vol3x4x5x6", 1.0, order=[0, 1, 0, 2])
case("4d_axes_middle", "vol3x4x5x6", [0.8, 2.5], ["reflect", "wrap"], axes=(1, 2))
stack_case("stack_truncate2", [2.0, 0.5, 1.0, 0.0, 4.0], truncate=2.0)

(OUT / "manifest.json").write_text(
    json.dumps(dict(numpy=np.__version__, scipy=scipy.__version__, cases=cases, stacks=stacks),
               indent=1) + "\n"
)
print(f"wrote {len(cases)} cases and {len(stacks)} stacks to {OUT}")
