"""Drop-in for ``numpy.fft`` (and a ``scipy.fft`` backend): discrete Fourier transforms of
every length, with NumPy's ``n``, ``axis``, ``s``, ``axes``, ``norm`` and ``out``, and NumPy
2's dtypes (float32/complex64 input gives complex64). ``hfft``/``ihfft`` are not provided.

Where they run (the keyword-only ``backend``): on the CPU in float64 (rustfft/realfft), or on
a GPU (our WGSL FFT: mixed radix 2, 3, 4, 5, 7, 8, 11, 13, and Bluestein's algorithm for larger
prime factors). On a GPU, single-precision input is computed in float32 (relative L2 error
about 2e-7 at a million points) and double-precision input, with the keyword-only
``precision='auto'`` (or ``'double'``), to float64 accuracy: native float64 where the adapter
has it, double-float where it has not (relative L2 error within 2e-15 x (log2 n + 1));
``precision='single'`` computes it in float32 instead (faster; 5e-7 x (log2 n + 1)).
``backend='auto'`` only picks a hardware GPU.

As a ``scipy.fft`` backend::

    import scipy.fft, gpusci.fft
    with scipy.fft.set_backend(gpusci.fft):
        spectrum = scipy.fft.rfft(signal)

functions and arguments gpusci does not take (complex input to ``rfft``, ``plan=``, the
Hermitian and real-to-real transforms) return ``NotImplemented``, and SciPy falls back to its
own.
"""

from __future__ import annotations

import operator

import numpy as np

from . import _core
from ._errors import UnsupportedInput, backend_name, precision_name

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2",
           "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

__ua_domain__ = "numpy.scipy.fft"


def _norm_factor(norm, n, inverse):
    """The scale applied on top of the core's (forward 1, inverse 1/n, NumPy's 'backward')."""
    if norm is None or norm == "backward":
        return 1.0
    if norm == "ortho":
        return np.sqrt(n) if inverse else 1.0 / np.sqrt(n)
    if norm == "forward":
        return float(n) if inverse else 1.0 / n
    raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')


def _length(n, default):
    """``n`` (or the default length) checked as NumPy checks it."""
    if n is None:
        n = default
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return n


def _fit(a, n, axis):
    """``a`` cut or zero-padded to ``n`` along ``axis``."""
    m = a.shape[axis]
    if m == n:
        return a
    if m > n:
        index = [slice(None)] * a.ndim
        index[axis] = slice(0, n)
        return a[tuple(index)]
    pad = [(0, 0)] * a.ndim
    pad[axis] = (0, n - m)
    return np.pad(a, pad)


def _check_axis(a, axis):
    """The axis as an index of ``a`` (at least 1-D), as NumPy checks it (``AxisError``)."""
    axis = operator.index(axis)
    if a.ndim == 0 or not -a.ndim <= axis < a.ndim:
        raise np.exceptions.AxisError(axis, a.ndim)
    return axis


def _single(a) -> bool:
    """NumPy 2 keeps single precision single: float32, complex64 (and float16) give
    complex64/float32 results. gpusci computes in float64 and rounds back."""
    dtype = np.asarray(a).dtype
    if dtype.kind in "fc" and dtype.itemsize > 16:
        raise UnsupportedInput(f"{dtype} is not supported by gpusci (float64 at most)")
    return dtype in (np.float16, np.float32, np.complex64)




def _deliver(result, single, out):
    """The result in NumPy's dtype, into ``out`` when given (with NumPy's casting rule)."""
    if single:
        result = result.astype(np.complex64 if result.dtype.kind == "c" else np.float32)
    if out is not None:
        if out.shape != result.shape:
            raise ValueError(f"output array has wrong shape {out.shape}, expected {result.shape}")
        np.copyto(out, result, casting="same_kind")
        return out
    return result


def _rows(a, axis):
    """``a`` with ``axis`` last, as C-contiguous rows, and how to undo it."""
    moved = np.moveaxis(a, axis, -1)
    return np.ascontiguousarray(moved).reshape(-1, moved.shape[-1]), moved.shape


def _finish(out, moved_shape, axis, factor):
    result = np.moveaxis(out.reshape(moved_shape), -1, axis)
    if factor != 1.0:
        result = result * factor
    return result


def _complex_input(a, name="a", single=False):
    a = np.asarray(a)
    if a.dtype.kind not in "biufc":
        raise UnsupportedInput(f"{name}: dtype {a.dtype} is not a number type")
    return a.astype(np.complex64 if single else np.complex128, copy=False)


def _c2c(a, n, axis, norm, out, inverse, backend=None, precision="auto"):
    if isinstance(a, _core.Array):
        # The output lives where the input lives: on the array's GPU.
        if out is not None:
            raise TypeError("out= is not supported for a gpusci.Array")
        return _core.array_fft(a, None if n is None else _length(n, None),
                               operator.index(axis), norm, inverse)
    single = _single(a)
    a = _complex_input(a, single=single)
    axis = _check_axis(a, axis)
    n = _length(n, a.shape[axis])
    factor = _norm_factor(norm, n, inverse)
    rows, shape = _rows(_fit(a, n, axis), axis)
    shape = shape[:-1] + (n,)
    result = _core.fft_rows(rows, inverse, backend_name(backend),
                            precision_name(precision))
    return _deliver(_finish(result, shape, axis, factor), single, out)


def fft(a, n=None, axis=-1, norm=None, out=None, *, backend=None, precision="auto"):
    """One-dimensional discrete Fourier transform, as ``numpy.fft.fft``.

    Parameters
    ----------
    a : array_like
        Real or complex input.
    n : int, optional
        Length of the transform: the input is cut or zero-padded along ``axis``.
    axis : int, optional
        Default: the last.
    norm : {'backward', 'ortho', 'forward'}, optional
    out : complex ndarray, optional
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where to compute (gpusci only).
    precision : {'auto', 'double', 'single'}, optional, keyword-only
        How complex128 work is computed on a GPU (gpusci only; see the module's notes):
        float64 accuracy unless 'single'.

    Returns
    -------
    complex128 ndarray (complex64 for float32 or complex64 input); a ``gpusci.Array`` on the
    same GPU for a ``gpusci.Array`` input (computed there: the last axis with NumPy's default
    ``n`` and ``norm``, anything else on the CPU with a warning, and put back).

    Raises
    ------
    ValueError
        ``n < 1``, an unknown norm, an axis out of range, an unknown backend or precision.
    """
    return _c2c(a, n, axis, norm, out, inverse=False, backend=backend, precision=precision)


def ifft(a, n=None, axis=-1, norm=None, out=None, *, backend=None, precision="auto"):
    """One-dimensional inverse discrete Fourier transform, as ``numpy.fft.ifft`` (scaled
    1/n with the default norm)."""
    return _c2c(a, n, axis, norm, out, inverse=True, backend=backend, precision=precision)


def rfft(a, n=None, axis=-1, norm=None, out=None, *, backend=None, precision="auto"):
    """Discrete Fourier transform of real input, as ``numpy.fft.rfft``: ``n // 2 + 1`` bins.

    Raises
    ------
    UnsupportedInput
        Complex input (NumPy discards the imaginary part; gpusci refuses it).
    """
    a = np.asarray(a)
    if a.dtype.kind == "c":
        raise UnsupportedInput("rfft takes real input")
    if a.dtype.kind not in "biuf":
        raise UnsupportedInput(f"dtype {a.dtype} is not a number type")
    single = _single(a)
    a = a.astype(np.float32 if single else np.float64, copy=False)
    axis = _check_axis(a, axis)
    n = _length(n, a.shape[axis])
    factor = _norm_factor(norm, n, inverse=False)
    rows, shape = _rows(_fit(a, n, axis), axis)
    shape = shape[:-1] + (n // 2 + 1,)
    result = _core.rfft_rows(rows, backend_name(backend), precision_name(precision))
    return _deliver(_finish(result, shape, axis, factor), single, out)


def irfft(a, n=None, axis=-1, norm=None, out=None, *, backend=None, precision="auto"):
    """Inverse of :func:`rfft`, as ``numpy.fft.irfft``: ``n`` real outputs (default
    ``2 * (m - 1)`` for ``m`` input bins)."""
    single = _single(a)
    a = _complex_input(a, single=single)
    axis = _check_axis(a, axis)
    n = _length(2 * (a.shape[axis] - 1) if n is None else n, None)
    factor = _norm_factor(norm, n, inverse=True)
    rows, shape = _rows(_fit(a, n // 2 + 1, axis), axis)
    shape = shape[:-1] + (n,)
    result = _core.irfft_rows(rows, n, backend_name(backend), precision_name(precision))
    return _deliver(_finish(result, shape, axis, factor), single, out)


def _axes_and_sizes(a, s, axes):
    """NumPy 2's ``s``/``axes`` for the n-dimensional transforms: ``axes=None`` is every axis
    (the last ``len(s)`` with ``s``); ``-1`` in ``s`` keeps an axis's length."""
    a = np.asarray(a)
    if axes is None:
        axes = list(range(a.ndim)) if s is None else list(range(-len(s), 0))
    axes = [operator.index(ax) for ax in axes]
    if s is None:
        sizes = [None] * len(axes)
    else:
        if len(s) != len(axes):
            raise ValueError("Shape and axes have different lengths.")
        sizes = [None if n == -1 else operator.index(n) for n in s]
    return axes, sizes


def _c2c_nd(a, s, axes, norm, out, inverse, backend, precision):
    single = _single(a)
    axes, sizes = _axes_and_sizes(a, s, axes)
    a = _complex_input(a, single=single) if axes else np.asarray(a)
    # NumPy transforms the last listed axis first.
    for axis, n in reversed(list(zip(axes, sizes))):
        a = _c2c(a, n, axis, norm, None, inverse, backend, precision)
    return _deliver(a, single and bool(axes), out)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None, *, backend=None, precision="auto"):
    """Two-dimensional discrete Fourier transform, as ``numpy.fft.fft2``."""
    return _c2c_nd(a, s, axes, norm, out, inverse=False, backend=backend, precision=precision)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None, *, backend=None, precision="auto"):
    """Two-dimensional inverse discrete Fourier transform, as ``numpy.fft.ifft2``."""
    return _c2c_nd(a, s, axes, norm, out, inverse=True, backend=backend, precision=precision)


def fftn(a, s=None, axes=None, norm=None, out=None, *, backend=None, precision="auto"):
    """N-dimensional discrete Fourier transform, as ``numpy.fft.fftn``."""
    return _c2c_nd(a, s, axes, norm, out, inverse=False, backend=backend, precision=precision)


def ifftn(a, s=None, axes=None, norm=None, out=None, *, backend=None, precision="auto"):
    """N-dimensional inverse discrete Fourier transform, as ``numpy.fft.ifftn``."""
    return _c2c_nd(a, s, axes, norm, out, inverse=True, backend=backend, precision=precision)


def rfftn(a, s=None, axes=None, norm=None, out=None, *, backend=None, precision="auto"):
    """N-dimensional FFT of real input, as ``numpy.fft.rfftn``: a real transform along the
    last axis, then complex transforms along the others."""
    single = _single(a)
    axes, sizes = _axes_and_sizes(a, s, axes)
    if not axes:
        raise ValueError("at least one axis must be transformed")
    result = rfft(a, sizes[-1], axes[-1], norm, backend=backend, precision=precision)
    for axis, n in reversed(list(zip(axes[:-1], sizes[:-1]))):
        result = _c2c(result, n, axis, norm, None, inverse=False, backend=backend,
                      precision=precision)
    return _deliver(result, single, out)


def irfftn(a, s=None, axes=None, norm=None, out=None, *, backend=None, precision="auto"):
    """Inverse of :func:`rfftn`, as ``numpy.fft.irfftn``."""
    single = _single(a)
    axes, sizes = _axes_and_sizes(a, s, axes)
    if not axes:
        raise ValueError("at least one axis must be transformed")
    result = np.asarray(a)
    for axis, n in zip(axes[:-1], sizes[:-1]):
        result = _c2c(result, n, axis, norm, None, inverse=True, backend=backend,
                      precision=precision)
    last = irfft(result, sizes[-1], axes[-1], norm, backend=backend, precision=precision)
    return _deliver(last, single, out)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None, *, backend=None, precision="auto"):
    """Two-dimensional FFT of real input, as ``numpy.fft.rfft2``."""
    return rfftn(a, s, axes, norm, out, backend=backend, precision=precision)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None, *, backend=None, precision="auto"):
    """Inverse of :func:`rfft2`, as ``numpy.fft.irfft2``."""
    return irfftn(a, s, axes, norm, out, backend=backend, precision=precision)


def fftshift(x, axes=None):
    """The zero-frequency bin moved to the centre, as ``numpy.fft.fftshift`` (an index
    rotation, no arithmetic)."""
    x = np.asarray(x)
    axes = tuple(range(x.ndim)) if axes is None else (axes if np.iterable(axes) else (axes,))
    return np.roll(x, [x.shape[ax] // 2 for ax in axes], axes)


def ifftshift(x, axes=None):
    """The inverse of :func:`fftshift`, as ``numpy.fft.ifftshift``."""
    x = np.asarray(x)
    axes = tuple(range(x.ndim)) if axes is None else (axes if np.iterable(axes) else (axes,))
    return np.roll(x, [-(x.shape[ax] // 2) for ax in axes], axes)


def fftfreq(n, d=1.0, device=None):
    """Sample frequencies of :func:`fft`, as ``numpy.fft.fftfreq``: cycles per unit of ``d``
    (Hz for ``d`` in seconds)."""
    n = operator.index(n)
    val = 1.0 / (n * d)
    results = np.empty(n, int)
    first = (n - 1) // 2 + 1
    results[:first] = np.arange(0, first, dtype=int)
    results[first:] = np.arange(-(n // 2), 0, dtype=int)
    return results * val


def rfftfreq(n, d=1.0, device=None):
    """Sample frequencies of :func:`rfft`, as ``numpy.fft.rfftfreq``."""
    n = operator.index(n)
    val = 1.0 / (n * d)
    return np.arange(0, n // 2 + 1, dtype=int) * val


# ---------------------------------------------------------------------------------------------
# scipy.fft backend protocol (uarray)
# ---------------------------------------------------------------------------------------------

_BACKEND = {"fft": fft, "ifft": ifft, "rfft": rfft, "irfft": irfft, "fft2": fft2,
            "ifft2": ifft2, "fftn": fftn, "ifftn": ifftn, "rfft2": rfft2, "irfft2": irfft2,
            "rfftn": rfftn, "irfftn": irfftn}


def __ua_function__(method, args, kwargs):
    """``scipy.fft``'s backend entry: gpusci's transform, or ``NotImplemented`` so that SciPy
    falls back to its own."""
    ours = _BACKEND.get(getattr(method, "__name__", ""))
    if ours is None:
        return NotImplemented
    kwargs = dict(kwargs)
    # scipy.fft's (x, n|s, axis|axes, norm, overwrite_x, workers, *, plan): the first four
    # are NumPy's; overwrite_x and workers are hints gpusci may ignore.
    args = list(args[:4])
    kwargs.pop("overwrite_x", None)
    kwargs.pop("workers", None)
    if kwargs.pop("plan", None) is not None:
        return NotImplemented
    if "x" in kwargs:
        kwargs["a"] = kwargs.pop("x")
    try:
        x = np.asarray(args[0] if args else kwargs["a"])
        result = ours(*args, **kwargs)
    except (UnsupportedInput, NotImplementedError, TypeError):
        return NotImplemented
    # scipy.fft keeps single precision single (float16 too, as float32).
    if x.dtype in (np.float16, np.float32, np.complex64):
        result = result.astype(np.complex64 if result.dtype.kind == "c" else np.float32)
    return result
