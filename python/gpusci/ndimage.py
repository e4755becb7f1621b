"""Drop-in for ``scipy.ndimage``'s Gaussian filters: same names, parameters, defaults, output
dtypes and errors, computed by gpusci (the CPU's float64 path equals SciPy's to float64
rounding; float32 is computed in float32 with a unit-sum kernel, so constant images stay
constant)."""

from __future__ import annotations

import numbers
import operator

import numpy as np

from . import _core
from ._errors import UnsupportedInput, backend_name, precision_name, real_array

__all__ = ["gaussian_filter", "gaussian_filter1d", "gaussian_filter_stack"]

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


def _radii(chosen, truncate):
    """The chosen axes' radii for the core: None when no axis gives one, else every axis's
    (SciPy's ``int(truncate * sigma + 0.5)`` where none was given)."""
    if all(c[4] is None for c in chosen):
        return None
    return [c[4] if c[4] is not None else int(float(truncate) * c[1] + 0.5) for c in chosen]


def _filter(data, chosen, cval, truncate, nan_policy, backend, precision):
    """The chosen ``(axis, sigma, order, mode, radius)`` passes in one call to the core, in
    order (on the GPU: every pass resident, one read-back). ``data`` is float32 or float64."""
    return _core.gaussian_filter_nd(
        data, [c[0] for c in chosen], [c[1] for c in chosen], [c[2] for c in chosen],
        [c[3] for c in chosen], cval, float(truncate), _radii(chosen, truncate), nan_policy,
        backend, precision)


def _deliver(result, target, dtype):
    """The result in ``dtype``, written into ``target`` when the caller gave one (else the
    new array itself, no copy when the dtype already matches)."""
    stored = _store(result, dtype)
    if target is None:
        return stored
    target[...] = stored
    return target


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None, backend=None, nan_policy="propagate",
                      precision="auto"):
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
    precision : {'auto', 'double', 'single'}, optional, keyword-only
        How float64 work is computed on a GPU (gpusci only): 'auto' and 'double' to float64
        accuracy (native float64, or double-float where the adapter has none), 'single' in
        float32 (faster; relative error about 1e-6). float32 work stays float32; the CPU
        computes float64 in float64.

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
    precision = precision_name(precision)
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
    result = _filter(data, [(axis % input.ndim, sd, order, mode, radius)], cval, truncate,
                     nan_policy, backend, precision)
    return _deliver(result, target, out_dtype)


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0,
                    truncate=4.0, *, radius=None, axes=None, backend=None,
                    nan_policy="propagate", precision="auto"):
    """Multidimensional Gaussian filter, as ``scipy.ndimage.gaussian_filter``.

    The axes are filtered in order, each result stored in the output's dtype before the next
    axis, exactly as SciPy does. With a float output every axis runs in one call (on the GPU:
    every pass resident, one read-back; a non-contiguous axis is read in coalesced tiles).

    Parameters
    ----------
    input : array_like
        Any number of dimensions (an image, a (time, y, x) calcium-imaging movie, a z-stack);
        real numbers (bool, integers, float32, float64).
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
        As in :func:`gaussian_filter1d`; 'omit' renormalises over all filtered axes at once
        (float outputs).
    precision : {'auto', 'double', 'single'}, optional, keyword-only
        As in :func:`gaussian_filter1d`: float64 accuracy on a GPU unless 'single'.

    Returns
    -------
    ndarray
        The filtered array: the input's shape, the output's dtype.

    Raises
    ------
    ValueError, RuntimeError, UnsupportedInput, NotImplementedError
        As :func:`gaussian_filter1d`; ``RuntimeError`` for a sequence of the wrong length, as
        SciPy; ``ValueError`` for axes out of range or repeated; ``NotImplementedError`` for
        'omit' over several axes with an integer output.
    """
    input = real_array(input)
    backend = backend_name(backend)
    precision = precision_name(precision)
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
    # 'omit' (gpusci only) normalises over all axes at once: one call in the working float
    # type, stored once; SciPy's per-axis storing only applies to its own policy.
    if out_dtype == work or (nan_policy == "omit" and out_dtype.kind == "f"):
        return _deliver(_filter(data, chosen, cval, truncate, nan_policy, backend, precision),
                        target,
                        out_dtype)
    if nan_policy == "omit" and len(chosen) > 1:
        raise NotImplementedError(
            "nan_policy='omit' normalises over all filtered axes at once, in a float type: "
            "ask for a float32 or float64 output")
    for c in chosen:
        data = _filter(data, [c], cval, truncate, nan_policy, backend, precision)
        # SciPy stores each axis's result in the output's dtype before the next axis.
        data = np.asarray(_store(data, out_dtype), dtype=work)
    return _deliver(data, target, out_dtype)


def gaussian_filter_stack(input, sigmas, order=0, output=None, mode="reflect", cval=0.0,
                          truncate=4.0, *, radius=None, backend=None, nan_policy="propagate",
                          precision="auto"):
    """Blurs each image of an ``(N, H, W)`` stack with its own sigma (gpusci only).

    Equal to ``np.stack([scipy.ndimage.gaussian_filter(input[i], sigmas[i], ...) for i in
    range(N)])``, in one call: on the GPU, one dispatch per axis for the whole stack, each
    workgroup reading its image's kernel. Useful for scale-space stacks, per-trial smoothing
    widths, or frames whose point-spread function changes with depth.

    Parameters
    ----------
    input : array_like, shape (N, H, W)
        Real numbers (bool, integers, float32, float64).
    sigmas : sequence of float, length N
        Image ``i``'s standard deviation in samples, on both of its axes (0: left as is).
    order, mode, radius : int, str or sequence of two
        As :func:`gaussian_filter`, for the image's two axes (the same for every image).
    output : ndarray or dtype, optional
        Where to put the result, or its dtype: float32 or float64 (default: the input's float
        type; float64 for other inputs).
    cval, truncate, backend, nan_policy, precision :
        As :func:`gaussian_filter`.

    Returns
    -------
    ndarray, shape (N, H, W)

    Raises
    ------
    ValueError
        Input that is not 3-D, ``len(sigmas) != N``, a negative or non-finite sigma, a
        negative radius or order.
    RuntimeError
        An unknown mode, a sequence of the wrong length (as SciPy).
    TypeError
        Complex or float16 input; an integer or bool output.
    NotImplementedError
        Derivative orders above 4.
    """
    input = real_array(input)
    backend = backend_name(backend)
    precision = precision_name(precision)
    if input.ndim != 3:
        raise ValueError(f"gaussian_filter_stack takes an (N, H, W) stack, got shape "
                         f"{input.shape}")
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if sigmas.ndim != 1 or sigmas.shape[0] != input.shape[0]:
        raise ValueError(f"sigmas: one per image: {input.shape[0]} images, sigmas of shape "
                         f"{sigmas.shape}")
    if output is None and input.dtype.kind != "f":
        output = np.float64
    target, out_dtype = _output(output, input)
    if out_dtype.kind != "f":
        raise TypeError(f"gaussian_filter_stack writes float32 or float64, not {out_dtype}")
    orders = [_check_order(o) for o in _normalize_sequence(order, 2)]
    modes = [_check_mode(m) for m in _normalize_sequence(mode, 2)]
    radii = [_check_radius(r) for r in _normalize_sequence(radius, 2)]
    cval = _cval(cval)
    work = _working_dtype(input.dtype, out_dtype, orders)
    if any(r is None for r in radii) and not all(r is None for r in radii):
        raise ValueError("radius: give one for both axes, or none")
    result = _core.gaussian_filter_stack(
        np.asarray(input, dtype=work), sigmas.tolist(), orders, modes, cval, float(truncate),
        None if radii[0] is None else radii, nan_policy, backend, precision)
    return _deliver(result, target, out_dtype)
