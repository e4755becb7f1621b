#!/usr/bin/env python3
"""Writes SciPy/NumPy answers for inputs reported from the field (tests/data/exactness/).

Run from the repository root:  python3 tests/data/make_exactness_fixtures.py
Each case stores its input and SciPy's or NumPy's output; manifest.json holds the parameters.
SciPy and NumPy are the oracles here: the Rust tests compare gpusci's answers with these files.

- Infinities under float64 taps that round to zero in float32 (truncate 15 and 20): SciPy's
  footprint is every tap non-zero in float64, so inf reaches every output within the radius.
- Constant images stay constant (SciPy computes in float64, so ones stay exactly 1).
- float32 data compared with a Python float threshold (NEP 50: the threshold is rounded to
  float32 first).
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import ndimage

OUT = pathlib.Path(__file__).parent / "exactness"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261129)
blur_cases = []


def blur_case(name, x, sigma, **kw):
    out = ndimage.gaussian_filter(x, sigma, **kw) if x.ndim == 2 else ndimage.gaussian_filter1d(x, sigma, **kw)
    np.save(OUT / f"{name}_in.npy", x)
    np.save(OUT / f"{name}_out.npy", out)
    blur_cases.append(dict(name=name, sigma=sigma, dtype=str(x.dtype), **kw))


# The smallest report: inf at x[0], truncate 15, the last sample must be inf.
x = np.zeros(16)
x[0] = np.inf
blur_case("inf_truncate15_f64", x, 1.0, truncate=15.0, mode="constant")
blur_case("inf_truncate15_f32", x.astype(np.float32), 1.0, truncate=15.0, mode="constant")
# A 30 x 30 image at truncate 20 with infinities of both signs and a NaN.
img = rng.normal(size=(30, 30))
img[3, 4] = np.inf
img[20, 25] = -np.inf
img[15, 2] = np.nan
for mode in ["constant", "reflect", "wrap"]:
    blur_case(f"inf_image_{mode}_f64", img, 1.0, truncate=20.0, mode=mode)
    blur_case(f"inf_image_{mode}_f32", img.astype(np.float32), 1.0, truncate=20.0, mode=mode)
# Constant images: float32 ones stay exactly 1 in every mode, for several kernels.
for sigma in [0.7, 1.0, 2.0, 3.3, 8.0]:
    for mode in ["reflect", "nearest", "mirror", "wrap"]:
        blur_case(f"ones_s{sigma}_{mode}_1d", np.ones(5, np.float32), sigma, mode=mode)
        blur_case(f"ones_s{sigma}_{mode}_2d", np.ones((7, 300), np.float32), sigma, mode=mode)
    blur_case(f"const_s{sigma}_2d", np.full((9, 11), 3.25, np.float32), sigma, mode="nearest")

# Crossings: float32 data, thresholds rounded to float32 (NEP 50).
crossing_cases = []
signals = {
    "field": np.array([0, 0.1, 0, 0.2, 0.3, 0, 1e-8, 0], np.float32),
    "near": np.array([np.nextafter(np.float32(0.1), np.float32(0)), np.float32(0.1),
                      np.nextafter(np.float32(0.1), np.float32(1)), 0.0, 0.3, 0.1, 0.7], np.float32),
    "big": np.array([3e38, np.inf, -np.inf, 0, 1, np.inf, 0], np.float32),
}
for name, sig in signals.items():
    for thr in [0.1, 0.3, 1e-8, 1e40, -1e40, 0.7]:
        with np.errstate(over="ignore"):
            idx = np.argwhere(np.diff(sig > thr, prepend=False)).ravel()
        key = f"{name}_{thr}"
        np.save(OUT / f"crossings_{key}_x.npy", sig)
        np.save(OUT / f"crossings_{key}_idx.npy", idx.astype(np.int64))
        crossing_cases.append(dict(name=key, threshold=thr))

# .npy headers written by hand (Python 2's NumPy, other writers): what np.load accepts, with
# the array it reads, and what it refuses.
import io
import warnings


def npy_file(header, version=(1, 0), data=b""):
    header = header + " " * (63 - (len(header) + (10 if version == (1, 0) else 12)) % 64) + "\n"
    size = len(header).to_bytes(2 if version == (1, 0) else 4, "little")
    return b"\x93NUMPY" + bytes(version) + size + header.encode() + data


twelve = np.arange(12.0)
headers = [
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }", (2, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }", (3, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (12L,), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (0x3, 4), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3, +4), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1_2,), }", (1, 0), twelve.tobytes()),
    ("{'descr':'<f8','fortran_order':False,'shape':(3,4)}", (1, 0), twelve.tobytes()),
    ("{'shape': (3, 4), 'fortran_order': True, 'descr': '<f8'}", (1, 0), twelve.tobytes()),
    ('{"descr": "<f8", "fortran_order": False, "shape": (12,)}', (1, 0), twelve.tobytes()),
    ("{'descr': 'float64', 'fortran_order': False, 'shape': (12,), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<d', 'fortran_order': False, 'shape': (12,), }", (1, 0), twelve.tobytes()),
    ("{'descr': '|f8', 'fortran_order': False, 'shape': (12,), }", (1, 0), twelve.tobytes()),
    ("{'descr': '>f8', 'fortran_order': False, 'shape': (12,), }", (1, 0), twelve.astype('>f8').tobytes()),
    ("{'descr': 'h', 'fortran_order': False, 'shape': (6,), }", (1, 0), np.arange(6, dtype='<i2').tobytes()),
    ("{'descr': '?', 'fortran_order': False, 'shape': (3,), }", (1, 0), bytes([0, 1, 2])),
    ("{'descr': 'f', 'fortran_order': False, 'shape': (3,), }", (1, 0), np.arange(3, dtype='<f4').tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", (1, 0), twelve[:1].tobytes()),
    # Refused by np.load:
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (np.int64(3), 4), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (12), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': [3, 4], }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': 0, 'shape': (3, 4), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (True, 12), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (03, 4), }", (1, 0), twelve.tobytes()),
    ("{'descr': '!f8', 'fortran_order': False, 'shape': (12,), }", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (12,), 'extra': 1}", (1, 0), twelve.tobytes()),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (,), }", (1, 0), twelve.tobytes()),
]
header_cases = []
(OUT / "headers").mkdir(exist_ok=True)
for k, (header, version, data) in enumerate(headers):
    raw = npy_file(header, version, data)
    (OUT / "headers" / f"h{k}.npy").write_bytes(raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = np.load(io.BytesIO(raw), allow_pickle=False)
        np.save(OUT / "headers" / f"h{k}_expected.npy", np.asarray(a, dtype=np.float32 if a.dtype == np.float32 else np.float64))
        header_cases.append(dict(file=f"h{k}", header=header, version=list(version), accepted=True, shape=list(a.shape)))
    except Exception as e:  # noqa: BLE001 - any refusal counts
        header_cases.append(dict(file=f"h{k}", header=header, version=list(version), accepted=False, numpy_error=type(e).__name__))

(OUT / "manifest.json").write_text(json.dumps(dict(
    numpy=np.__version__, scipy=scipy.__version__, blur=blur_cases, crossings=crossing_cases,
    npy_headers=header_cases), indent=1) + "\n")
print(f"wrote {len(blur_cases)} blur and {len(crossing_cases)} crossings cases to {OUT}")
