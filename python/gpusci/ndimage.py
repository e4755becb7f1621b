"""Drop-in for ``scipy.ndimage``'s Gaussian filters: same names, parameters, defaults, output
dtypes and errors, computed by gpusci (the CPU's float64 path equals SciPy's to float64
rounding; float32 is computed in float32 with a unit-sum kernel, so constant images stay
constant)."""

from __future__ import annotations

import numbers
import operator

import numpy as np

from . import _core
from ._errors import UnsupportedInput, backend_name, real_array

__all__ = ["gaussian_filter", "gaussian_filter1d"]

#: SciPy skips axes whose sigma is at or below this (``gaussian_filter``).
_SIGMA_EPSILON = 1e-15
#: Highest derivative order gpusci computes (SciPy's kernels lose all precision past it).
_MAX_ORDER = 4
_MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-mirror",
          "grid-constant", "grid-wrap")


def _normalize_sequence(value, rank):
    """SciPy's ``_ni_support._normalize_sequence``: a scalar (or string) repeated, or a
    sequence whose length must be the rank."""
    if not isinstance(value, str) and np.iterable(value):
        normalized = list(value)
        if len(normalized) != rank:
            raise RuntimeError("sequence argument must have length equal to input rank")
        return normalized
    return [value] * rank


def _check_axes(axes, ndim):
    """SciPy's ``_ni_support._check_axes``: unique axes, negative ones counted from the end."""
    if axes is None:
        return tuple(range(ndim))
    if np.isscalar(axes):
        axes = (operator.index(axes),)
    elif np.iterable(axes):
        axes = tuple(operator.index(ax) for ax in axes)
    else:
        raise ValueError("axes must be an integer, iterable of integers, or None")
    for ax in axes:
        if ax < -ndim or ax > ndim - 1:
            raise ValueError(f"specified axis: {ax} is out of range")
    axes = tuple(ax % ndim for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError("axes must be unique")
    return axes


def _output(output, input):
    """SciPy's ``_ni_support._get_output``: ``(array to fill, or None for a new one; its
    dtype)``."""
    if output is None:
        # SciPy's zeros(..., dtype=input.dtype.name): the same type, native byte order.
        dtype = input.dtype
        return None, dtype if dtype.isnative else dtype.newbyteorder("=")
    if isinstance(output, (type, np.dtype)) or isinstance(output, str):
        dtype = np.dtype(output)
        if dtype.kind == "c":
            raise UnsupportedInput("complex output is not supported by gpusci")
        if dtype.kind == "f" and dtype.itemsize not in (4, 8):
            raise RuntimeError("array type not supported")
        return None, dtype
    if isinstance(output, np.ndarray):
        if output.shape != input.shape:
            raise RuntimeError("output shape not correct")
        if output.dtype.kind == "c":
            raise UnsupportedInput("complex output is not supported by gpusci")
        return output, output.dtype
    raise RuntimeError("output must be None, a dtype or an array")


def _check_mode(mode):
    if mode not in _MODES:
        raise RuntimeError("boundary mode not supported")
    return mode


def _check_order(order):
    order = operator.index(order)
    if order < 0:
        raise ValueError("order must be non-negative")
    if order > _MAX_ORDER:
        raise NotImplementedError(
            f"gpusci computes Gaussian derivatives up to order {_MAX_ORDER}, not {order}")
    return order


def _check_radius(radius):
    if radius is None:
        return None
    if not isinstance(radius, numbers.Integral) or radius < 0:
        raise ValueError("Radius must be a nonnegative integer.")
    return int(radius)


def _cval(cval):
    if isinstance(cval, (complex, np.complexfloating)) or (
            isinstance(cval, np.ndarray) and cval.dtype.kind == "c"):
        raise UnsupportedInput("complex cval is not supported by gpusci")
    return float(cval)


def _working_dtype(input_dtype, output_dtype, orders):
    """The arithmetic: SciPy's is float64, with each axis's result stored in the output dtype.
    gpusci computes float32 smoothing (order 0) in float32, which keeps SciPy's float32
    results to about 1e-7 of the output; derivative kernels cancel large terms, so float32
    data with a derivative order is computed in float64 and stored in float32, as SciPy."""
    if input_dtype == np.float32 and output_dtype == np.float32 and not any(orders):
        return np.float32
    return np.float64


def _store(values, dtype):
    """Values as SciPy's C code stores them in ``dtype``: a C cast, so integers truncate toward
    zero, and a bool is the truncated value's being non-zero (0.7 is False, 1.5 True)."""
    if dtype.kind == "b":
        return np.trunc(values) != 0
    if dtype.kind in "iu":
        with np.errstate(invalid="ignore"):
            return values.astype(dtype)
    return values.astype(dtype, copy=False)


def _pass(data, axis, sigma, order, mode, cval, truncate, radius, nan_policy, backend):
    """One axis of the filter: the axis moved last, the rows filtered by the core, moved
    back. ``data`` is float32 or float64."""
    if data.size == 0:
        return data.copy()
    last = axis == data.ndim - 1
    moved = data if last else np.moveaxis(data, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = _core.gaussian_filter_2d(
        rows, [0.0, float(sigma)], [0, order], mode, cval, float(truncate),
        None if radius is None else [0, radius], nan_policy, backend)
    out = out.reshape(moved.shape)
    return out if last else np.moveaxis(out, -1, axis)


def _deliver(result, target, dtype):
    """The result in ``dtype``, written into ``target`` when the caller gave one (else the
    new array itself, no copy when the dtype already matches)."""
    stored = _store(result, dtype)
    if target is None:
        return stored
    target[...] = stored
    return target


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None, backend=None, nan_policy="propagate"):
    """1-D Gaussian filter, as ``scipy.ndimage.gaussian_filter1d``.

    Parameters
    ----------
    input : array_like
        Any shape; real numbers (bool, integers, float32, float64). Lists, other byte orders
        and strided views are accepted, as ``np.asarray`` accepts them.
    sigma : float
        Standard deviation of the Gaussian, in samples.
    axis : int, optional
        The axis filtered (default: the last).
    order : int, optional
        0 smooths; 1 to 4 convolve with that derivative of the Gaussian.
    output : ndarray or dtype, optional
        Where to put the result, or its dtype. Default: the input's dtype, as SciPy (integer
        results truncate, as SciPy's C cast does).
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        Edge handling (and SciPy's 'grid-' aliases). Default 'reflect'.
    cval : float, optional
        The value beyond the edges with mode 'constant'.
    truncate : float, optional
        Radius in sigmas: ``radius = int(truncate * sigma + 0.5)``. Default 4.
    radius : int, optional
        The kernel's radius, overriding ``truncate``.
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where to compute (gpusci only; ``None``: :func:`gpusci.set_backend`'s default).
    nan_policy : {'propagate', 'omit'}, optional, keyword-only
        'propagate' (SciPy): NaN spreads over the kernel's footprint. 'omit' (gpusci only):
        NaN samples are left out and the weights renormalised (order 0).

    Returns
    -------
    ndarray
        The filtered array, of the input's shape and the output's dtype.

    Raises
    ------
    ValueError
        A negative radius, a negative order.
    RuntimeError
        An unknown mode (as SciPy).
    UnsupportedInput
        Complex or float16 input (a ``TypeError``).
    NotImplementedError
        Derivative orders above 4.
    """
    input = real_array(input)
    backend = backend_name(backend)
    order = _check_order(order)
    radius = _check_radius(radius)
    _check_mode(mode)
    cval = _cval(cval)
    sd = float(sigma)
    if radius is None and int(float(truncate) * sd + 0.5) < 0:
        raise ValueError("Radius must be a nonnegative integer.")
    target, out_dtype = _output(output, input)
    axis = operator.index(axis)
    if not -input.ndim <= axis < input.ndim:
        raise np.exceptions.AxisError(axis, input.ndim)
    work = _working_dtype(input.dtype, out_dtype, [order])
    data = np.asarray(input, dtype=work)
    result = _pass(data, axis % input.ndim, sd, order, mode, cval, truncate, radius,
                   nan_policy, backend)
    return _deliver(result, target, out_dtype)


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0,
                    truncate=4.0, *, radius=None, axes=None, backend=None,
                    nan_policy="propagate"):
    """Multidimensional Gaussian filter, as ``scipy.ndimage.gaussian_filter``.

    The axes are filtered in order, each result stored in the output's dtype before the next
    axis, exactly as SciPy does. A 2-D float array with one mode runs as one fused blur (on
    the GPU: both passes resident, one read-back).

    Parameters
    ----------
    input : array_like
        Any number of dimensions; real numbers (bool, integers, float32, float64).
    sigma : float or sequence of floats
        Standard deviation in samples: one for every axis, or one per axis of ``axes``. Axes
        with sigma at or below 1e-15 (or negative) are left unfiltered, as SciPy leaves them.
    order : int or sequence of ints, optional
        0 smooths; 1 to 4: that derivative of the Gaussian along the axis.
    output : ndarray or dtype, optional
        Where to put the result, or its dtype. Default: the input's dtype (as SciPy: integer
        inputs give integer results, truncated by a C cast after each axis).
    mode : str or sequence of str, optional
        'reflect' (default), 'constant', 'nearest', 'mirror', 'wrap', per axis or for all.
    cval : float, optional
        The value beyond the edges with mode 'constant'.
    truncate : float, optional
        Radius in sigmas (default 4): ``radius = int(truncate * sigma + 0.5)``.
    radius : int or sequence of ints, optional
        The kernel's radius per axis, overriding ``truncate``.
    axes : int or tuple of ints, optional
        The axes filtered (default: all). Sequences of sigma/order/mode/radius then have one
        entry per axis listed.
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where to compute (gpusci only).
    nan_policy : {'propagate', 'omit'}, optional, keyword-only
        As in :func:`gaussian_filter1d`.

    Returns
    -------
    ndarray
        The filtered array: the input's shape, the output's dtype.

    Raises
    ------
    ValueError, RuntimeError, UnsupportedInput, NotImplementedError
        As :func:`gaussian_filter1d`; ``RuntimeError`` for a sequence of the wrong length, as
        SciPy.
    """
    input = real_array(input)
    backend = backend_name(backend)
    target, out_dtype = _output(output, input)
    axes = _check_axes(axes, input.ndim)
    n = len(axes)
    orders = [_check_order(o) for o in _normalize_sequence(order, n)]
    sigmas = [float(s) for s in _normalize_sequence(sigma, n)]
    modes = [_check_mode(m) for m in _normalize_sequence(mode, n)]
    radii = [_check_radius(r) for r in _normalize_sequence(radius, n)]
    cval = _cval(cval)
    chosen = [(axes[i], sigmas[i], orders[i], modes[i], radii[i])
              for i in range(n) if sigmas[i] > _SIGMA_EPSILON]
    for _, sd, _, _, r in chosen:
        if r is None and int(float(truncate) * sd + 0.5) < 0:
            raise ValueError("Radius must be a nonnegative integer.")
    if not chosen:
        return _deliver(np.array(input), target, out_dtype)
    work = _working_dtype(input.dtype, out_dtype, [c[2] for c in chosen])
    data = np.asarray(input, dtype=work)
    fused = (input.ndim == 2 and len(chosen) == 2 and out_dtype == work
             and chosen[0][3] == chosen[1][3] and [c[0] for c in chosen] == [0, 1]
             and (all(c[4] is None for c in chosen) or all(c[4] is not None for c in chosen)))
    if fused and data.size > 0:
        radius = None if chosen[0][4] is None else [chosen[0][4], chosen[1][4]]
        result = _core.gaussian_filter_2d(
            data, [chosen[0][1], chosen[1][1]], [chosen[0][2], chosen[1][2]], chosen[0][3],
            cval, float(truncate), radius, nan_policy, backend)
        return _deliver(result, target, out_dtype)
    if nan_policy == "omit" and len(chosen) > 1:
        raise NotImplementedError(
            "nan_policy='omit' normalises over all filtered axes at once: gpusci does it for "
            "2-D arrays with one mode and for single axes")
    for axis, sd, order_, mode_, r in chosen:
        data = _pass(data, axis, sd, order_, mode_, cval, truncate, r, nan_policy, backend)
        # SciPy stores each axis's result in the output's dtype before the next axis.
        if out_dtype != work:
            data = np.asarray(_store(data, out_dtype), dtype=work)
    return _deliver(data, target, out_dtype)
