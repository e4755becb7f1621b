#!/usr/bin/env python3
"""Writes NumPy's FFT values the Rust tests compare the FFT routers against (tests/data/fft/):
numpy.fft's n (cut and zero-padded, prime and mixed-radix lengths), axis and norm, real
transforms of odd and even lengths, and fftn with s and axes.

Run from the repository root:  python3 tests/data/make_fft_fixtures.py
Complex arrays are stored as two float64 files (_re, _im). Made with the NumPy version
recorded in the manifest; the inputs come from a fixed seed.
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).parent / "fft"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261130)

x = rng.normal(size=(4, 6, 5)) + 1j * rng.normal(size=(4, 6, 5))
r = rng.normal(size=(3, 7, 10))


def save_complex(name, a):
    np.save(OUT / f"{name}_re.npy", np.ascontiguousarray(a.real))
    np.save(OUT / f"{name}_im.npy", np.ascontiguousarray(a.imag))


save_complex("in_x", x)
np.save(OUT / "in_r.npy", r)
cases = []


def case(name, kind, **kw):
    if kind == "fft":
        out = np.fft.fft(x, **kw)
    elif kind == "ifft":
        out = np.fft.ifft(x, **kw)
    elif kind == "rfft":
        out = np.fft.rfft(r, **kw)
    elif kind == "irfft":
        out = np.fft.irfft(x, **kw)
    elif kind == "fftn":
        out = np.fft.fftn(x, **kw)
    elif kind == "ifftn":
        out = np.fft.ifftn(x, **kw)
    if np.iscomplexobj(out):
        save_complex(f"out_{name}", out)
    else:
        np.save(OUT / f"out_{name}.npy", out)
    cases.append(dict(name=name, kind=kind, complex=bool(np.iscomplexobj(out)),
                      **{k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}))


case("fft_default", "fft")
case("fft_n7_axis1_ortho", "fft", n=7, axis=1, norm="ortho")
case("fft_n3_axis0_forward", "fft", n=3, axis=0, norm="forward")
case("fft_n11_axis2", "fft", n=11, axis=2)
case("ifft_n13_axis1", "ifft", n=13, axis=1)
case("ifft_axis0_ortho", "ifft", axis=0, norm="ortho")
case("ifft_n4_forward", "ifft", n=4, norm="forward")
case("rfft_default", "rfft")
case("rfft_n9_axis1_ortho", "rfft", n=9, axis=1, norm="ortho")
case("rfft_n17_axis0", "rfft", n=17, axis=0)
case("irfft_default", "irfft")
case("irfft_n9_axis1", "irfft", n=9, axis=1)
case("irfft_n4_axis0_forward", "irfft", n=4, axis=0, norm="forward")
case("fftn_default", "fftn")
case("fftn_s_axes", "fftn", s=(5, 7), axes=(0, 2), norm="ortho")
case("ifftn_s", "ifftn", s=(3, 8))

(OUT / "manifest.json").write_text(
    json.dumps(dict(numpy=np.__version__, cases=cases), indent=1) + "\n")
print(f"wrote {len(cases)} cases to {OUT}")
