"""Drop-in for ``scipy.signal``'s convolutions and correlations (real 1-D and 2-D input),
plus gpusci's lag, threshold crossings and rolling means."""

from __future__ import annotations

import operator
import warnings
from typing import NamedTuple

import numpy as np

from . import _core
from ._errors import as_float64, backend_name, precision_name, real_array

__all__ = ["convolve", "correlate", "fftconvolve", "oaconvolve", "correlation_lags", "lag",
           "Lag", "crossings", "rolling_mean"]

_MODES = ("full", "same", "valid")

def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
    return mode

def _check_method(method):
    if method not in ("auto", "direct", "fft"):
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    return method

def _operands(in1, in2):
    a, v = real_array(in1, "in1"), real_array(in2, "in2")
    if a.ndim != v.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if a.ndim > 2:
        raise NotImplementedError(
            f"gpusci convolves 1-D and 2-D arrays, not {a.ndim}-D")
    return a, v

def _result(out, dtype):
    """The float64 result in SciPy's result dtype: integers rounded (exact while the sums stay
    below 2^53, where float64 holds every integer), float32 rounded from float64."""
    if dtype.kind in "iub":
        return np.around(out).astype(dtype)
    return out.astype(dtype, copy=False)

def _one_contains_other(a, v):
    return (all(p >= q for p, q in zip(a.shape, v.shape))
            or all(q >= p for p, q in zip(a.shape, v.shape)))


def _run(kind, in1, in2, mode, method, backend, precision, result_dtype=None):
    a, v = _operands(in1, in2)
    _check_mode(mode)
    _check_method(method)
    if mode == "valid" and a.ndim == 2 and not _one_contains_other(a, v):
        if result_dtype is not None:
            # SciPy's FFT convolutions leave length-1 axes to broadcasting; gpusci does not.
            raise NotImplementedError("valid mode with neither input the larger in every "
                                      "dimension (broadcast axes)")
        raise ValueError("For 'valid' mode, one must be at least as large as the other "
                         "in every dimension")
    backend = backend_name(backend)
    precision = precision_name(precision)
    dtype = np.result_type(a, v) if result_dtype is None else np.dtype(result_dtype)
    # float32 work stays float32 on a GPU whatever the precision (its answer is float32).
    if dtype == np.float32:
        precision = "single"
    if a.ndim == 0:
        return _result(np.asarray(as_float64(a) * as_float64(v)), dtype)
    # Integer sums are exact only as float64 direct sums: on the CPU (the GPU sums in float32,
    # exact only below 2^24).
    if dtype.kind in "iub":
        if method == "auto":
            method = "direct"
        backend = "cpu"
    a64, v64 = as_float64(a), as_float64(v)
    if method == "fft" and not (np.isfinite(a64).all() and np.isfinite(v64).all()):
        warnings.warn("Use of fft convolution on input with NAN or inf results in NAN or inf "
                      "output. Consider using method='direct' instead.",
                      category=RuntimeWarning, stacklevel=3)
    out = _core.convolve(kind, a64, v64, mode, method, backend, precision)
    return _result(out, dtype)

def _np_convolve(a, v, mode="full", *, backend=None, precision="auto"):
    """Discrete, linear convolution of two 1-D sequences, as ``numpy.convolve``.

    Parameters
    ----------
    a, v : array_like, shape (N,) and (M,)
        Real sequences; ``v`` longer than ``a`` is swapped, as NumPy does.
    mode : {'full', 'valid', 'same'}, optional
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
    precision : {'auto', 'double', 'single'}, optional, keyword-only
        As :func:`convolve`.

    Returns
    -------
    ndarray
        ``np.result_type(a, v)`` (integer sums exact, float32 rounded from float64).

    Raises
    ------
    ValueError
        An empty operand, an unknown mode, more than one dimension.
    """
    a, v = np.array(a, copy=None, ndmin=1), np.array(v, copy=None, ndmin=1)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError("object too deep for desired array")
    if len(v) > len(a):
        a, v = v, a
    if len(a) == 0:
        raise ValueError("a cannot be empty")
    if len(v) == 0:
        raise ValueError("v cannot be empty")
    mode = {"f": "full", "s": "same", "v": "valid"}.get(mode, mode) if isinstance(mode, str) else mode
    return _run("numpy", a, v, mode, "auto", backend, precision)

def convolve(in1, in2, mode="full", method="auto", *, backend=None, precision="auto"):
    """Convolve two N-dimensional arrays (real, 1-D or 2-D), as ``scipy.signal.convolve``.

    Parameters
    ----------
    in1, in2 : array_like
        Real arrays of the same dimensionality (1-D or 2-D; 0-d multiplies).
    mode : {'full', 'valid', 'same'}, optional
        SciPy's windows (``same`` centred on ``in1``).
    method : {'auto', 'direct', 'fft'}, optional
        ``auto`` weighs measured costs and never uses the FFT on input with NaN or infinity.
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where to compute (gpusci only).
    precision : {'auto', 'double', 'single'}, optional, keyword-only
        How float64 work is computed on a GPU (gpusci only): 'auto' and 'double' to float64
        accuracy (native float64, or double-float where the adapter has none: within 1e-13 of
        max|in1|·sum|in2|), 'single' in float32 (faster; within about 1e-6 of it). float32
        input is computed in float32. Integer input is summed exactly on the CPU.

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)``; integer results rounded as SciPy rounds them.

    Raises
    ------
    ValueError
        Different dimensionalities, empty input, unknown mode or method, ``valid`` with neither
        input at least as large as the other in every dimension.
    UnsupportedInput
        Complex input. ``NotImplementedError`` for more than 2 dimensions.
    """
    return _run("convolve", in1, in2, mode, method, backend, precision)

def correlate(in1, in2, mode="full", method="auto", *, backend=None, precision="auto"):
    """Cross-correlate two real 1-D or 2-D arrays, as ``scipy.signal.correlate``.

    Parameters and errors as :func:`convolve`; ``in2`` is reversed (real input: no
    conjugate).
    """
    return _run("correlate", in1, in2, mode, method, backend, precision)

def _centered(arr, shape):
    """The centre of ``arr`` of ``shape`` (SciPy's ``_centered``)."""
    start = [(c - n) // 2 for c, n in zip(arr.shape, shape)]
    return arr[tuple(slice(s, s + n) for s, n in zip(start, shape))]


def _freq_axes(axes, ndim):
    """SciPy's checks of ``axes`` for the FFT convolutions (``_init_freq_conv_axes``)."""
    if axes is None:
        return set(range(ndim))
    listed = np.atleast_1d(axes)
    if listed.size == 0:
        raise ValueError("when provided, axes cannot be empty")
    if listed.ndim > 1 or listed.dtype.kind not in "iu":
        raise ValueError("axes must be a scalar or iterable of integers")
    listed = [operator.index(ax) for ax in listed]
    if any(ax >= ndim or ax < -ndim for ax in listed):
        raise ValueError("axes exceeds dimensionality of input")
    listed = [ax % ndim for ax in listed]
    if len(set(listed)) != len(listed):
        raise ValueError("all axes must be unique")
    return set(listed)


def _fft_kind(in1, in2, mode, axes, backend, precision):
    a, v = _operands(in1, in2)
    if a.ndim == 0:
        return a * v
    if a.size == 0 or v.size == 0:
        return np.array([])
    listed = _freq_axes(axes, a.ndim)
    if all(p == 1 or q == 1 for p, q in zip(a.shape, v.shape)):
        # SciPy transforms no axis of length 1: a broadcast product, in the inputs' dtype.
        product = a * v
        return _centered(product, a.shape) if mode == "same" else product
    # An axis left out is broadcast by SciPy; a convolution along it is the same only when
    # one input has length 1 there.
    if any(i not in listed and a.shape[i] > 1 and v.shape[i] > 1 for i in range(a.ndim)):
        raise NotImplementedError("gpusci convolves over every axis where both inputs are "
                                  "longer than 1")
    dtype = np.result_type(a, v)
    # SciPy's FFT convolutions give float32 for float32 input and float64 otherwise.
    out_dtype = np.float32 if dtype == np.float32 else np.float64
    return _run("convolve", a, v, mode, "fft", backend, precision, result_dtype=out_dtype)

def fftconvolve(in1, in2, mode="full", axes=None, *, backend=None, precision="auto"):
    """Convolve two real arrays using FFTs, as ``scipy.signal.fftconvolve``.

    Empty input gives an empty array, as SciPy. Returns float32 for float32 input, else
    float64. ``axes`` other than all axes raises ``NotImplementedError``. ``backend`` and
    ``precision`` as :func:`convolve`.
    """
    _check_mode(mode)
    return _fft_kind(in1, in2, mode, axes, backend, precision)

def oaconvolve(in1, in2, mode="full", axes=None, *, backend=None, precision="auto"):
    """Convolve two real arrays by overlap-add, as ``scipy.signal.oaconvolve`` (gpusci's FFT
    convolution is overlap-add for long signals). Dtypes, ``axes``, ``backend`` and
    ``precision`` as :func:`fftconvolve`."""
    _check_mode(mode)
    return _fft_kind(in1, in2, mode, axes, backend, precision)

def correlation_lags(in1_len, in2_len, mode="full"):
    """Lag indices of a 1-D cross-correlation, as ``scipy.signal.correlation_lags``.

    Returns
    -------
    ndarray of int
        The lag of each output of ``correlate(in1, in2, mode)``.
    """
    if mode not in _MODES:
        raise ValueError(f"Mode {mode} is invalid")
    in1_len, in2_len = int(in1_len), int(in2_len)
    if in1_len < 1 or in2_len < 1:
        raise ValueError("input lengths must be positive")
    return _core.correlation_lags(in1_len, in2_len, mode)

class Lag(NamedTuple):
    """The delay of ``b`` against ``a``: ``samples`` (the argmax of the full correlation, as
    ``correlation_lags(...)[argmax(correlate(a, b))]``), ``seconds`` (with ``rate``, else
    None), ``refined`` (sub-sample, parabolic), ``peak`` (the correlation there), ``pearson``
    (correlation coefficient of the overlap)."""

    samples: int
    seconds: float | None
    refined: float
    peak: float
    pearson: float

def lag(a, b, *, rate=None, method="auto", backend=None, precision="auto") -> Lag:
    """The lag between two signals (gpusci): where their cross-correlation peaks.

    Parameters
    ----------
    a, b : array_like, 1-D
        Finite real signals.
    rate : float, optional
        Samples per second (Hz), for ``seconds``.
    method, backend, precision : optional, keyword-only
        As :func:`convolve` (the correlation and its argmax run there; the peak, refinement
        and Pearson correlation are float64 on the CPU).

    Returns
    -------
    Lag
    """
    a, b = real_array(a, "a"), real_array(b, "b")
    precision = precision_name(precision)
    # Two float32 signals are correlated in float32 on a GPU, as convolve computes them.
    if np.result_type(a, b) == np.float32:
        precision = "single"
    a, b = as_float64(a), as_float64(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError("lag takes 1-D signals")
    samples, refined, peak, pearson = _core.lag(a, b, _check_method(method),
                                                backend_name(backend), precision)
    seconds = None if rate is None else samples / float(rate)
    return Lag(int(samples), seconds, refined, peak, pearson)

def crossings(x, threshold, *, direction="both", down=None, min_gap=0, times=False,
              backend=None):
    """Threshold crossings, as ``np.argwhere(np.diff(x > threshold, prepend=False))``.

    Parameters
    ----------
    x : array_like, 1-D
        The signal (float32 data compares with the threshold rounded to float32, as NumPy 2).
    threshold : float
        A sample is above when ``x > threshold``.
    direction : {'up', 'down', 'both'}
    down : float, optional
        Hysteresis: once above, below again only at ``x <= down``.
    min_gap : int
        Events closer than this many samples to the previous kept one are dropped.
    times : bool
        Also return the crossing times in samples, interpolated linearly.

    Returns
    -------
    indices : ndarray of int64
    times : ndarray of float64, only with ``times=True``
    """
    x = real_array(x, "x")
    if x.ndim != 1:
        raise ValueError("crossings take a 1-D signal")
    single = x.dtype == np.float32
    idx, t = _core.crossings(as_float64(x), float(threshold),
                             None if down is None else float(down), direction, int(min_gap),
                             single, backend_name(backend))
    return (idx, t) if times else idx

def rolling_mean(x, k, *, mode="valid", nan_policy="propagate", min_count=None, backend=None):
    """Rolling mean of ``k`` samples, as ``np.convolve(x, np.ones(k) / k, mode)``, in O(n)
    without drift: on the CPU a float64 running sum recomputed every 4096 outputs; on the GPU
    exact 64-bit fixed-point prefix sums (each sample rounded once to a grid of about
    k max|x| 2^-63).

    Parameters
    ----------
    x : array_like, 1-D
    k : int
        Window length.
    mode : {'valid', 'same', 'full'}
    nan_policy : {'propagate', 'omit'}
        'omit': the mean of the window's finite samples (NaN below ``min_count`` of them).
    min_count : int, optional
        With 'omit' (default 1).
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where to compute.

    Returns
    -------
    ndarray of float64
    """
    x = as_float64(real_array(x, "x"))
    if x.ndim != 1:
        raise ValueError("rolling_mean takes a 1-D signal")
    return _core.rolling_mean(x, int(k), mode, nan_policy, min_count, backend_name(backend))

# Used by the package root as gpusci.convolve.
_np_convolve.__name__ = "convolve"
_np_convolve.__qualname__ = "convolve"

