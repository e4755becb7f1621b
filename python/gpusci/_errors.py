"""Errors and the input checks every module shares."""

from __future__ import annotations

import numpy as np


class UnsupportedInput(TypeError):
    """An input gpusci does not compute (complex or float16 data, say). SciPy/NumPy take it;
    gpusci says so instead of handing the work to them."""


def real_array(x, name: str = "input") -> np.ndarray:
    """``np.asarray(x)``, refusing what gpusci does not compute: complex, float16, objects,
    strings."""
    a = np.asarray(x)
    kind = a.dtype.kind
    if kind == "c":
        raise UnsupportedInput(f"{name}: complex input ({a.dtype}) is not supported by gpusci")
    if kind == "f" and a.dtype.itemsize not in (4, 8):
        raise UnsupportedInput(f"{name}: {a.dtype} is not supported (float32 and float64 are)")
    if kind not in "biuf":
        raise UnsupportedInput(f"{name}: dtype {a.dtype} is not a real number type")
    return a


def as_float64(a: np.ndarray) -> np.ndarray:
    """float64, native byte order (a copy only when needed)."""
    return np.asarray(a, dtype=np.float64)


def precision_name(precision) -> str:
    """``precision=`` checked: ``'single'``, ``'double'`` or ``'auto'``."""
    if precision not in ("single", "double", "auto"):
        raise ValueError(
            f"precision must be 'single', 'double' or 'auto', got {precision!r}")
    return precision


def backend_name(backend) -> str | None:
    if backend is None:
        return None
    if backend not in ("auto", "gpu", "cpu"):
        raise ValueError(f"backend must be 'auto', 'gpu' or 'cpu', got {backend!r}")
    return backend
