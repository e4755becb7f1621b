"""``numpy.histogram2d`` and heatmaps."""

from __future__ import annotations

import operator
import os

import numpy as np

from . import _core
from ._errors import UnsupportedInput, as_float64, backend_name, real_array

__all__ = ["histogram2d", "heatmap", "Heatmap"]


def _float32_edges(x, y) -> bool:
    """NumPy stacks ``[x, y]``: automatic edges follow ``np.result_type(x, y)`` (arrays or
    dtypes)."""
    common = np.result_type(x, y)
    if common.kind == "f" and common.itemsize == 2:
        raise UnsupportedInput("float16 points are not supported by gpusci")
    return common == np.float32


def _axis_bins(bins, i):
    """One axis's bins as NumPy's histogramdd reads them: a count or 1-D edges. Returns
    ``(spec for the core, edges to return or None)``."""
    if np.ndim(bins) == 0:
        if bins < 1:
            raise ValueError(f"`bins[{i}]` must be positive, when an integer")
        try:
            n = operator.index(bins)
        except TypeError as e:
            raise TypeError(f"`bins[{i}]` must be an integer, when a scalar") from e
        return n, None
    if np.ndim(bins) == 1:
        edges = np.asarray(bins)
        if np.any(edges[:-1] > edges[1:]):
            raise ValueError(f"`bins[{i}]` must be monotonically increasing, when an array")
        return np.ascontiguousarray(edges, dtype=np.float64), edges
    raise ValueError(f"`bins[{i}]` must be a scalar or 1d array")


def _bins_per_axis(bins):
    """NumPy's reading of ``bins``: a scalar for both axes; a sequence of two, one per axis;
    anything longer, the same edges for both. Returns ``_axis_bins`` of each axis."""
    try:
        n = len(bins)
    except TypeError:
        bins = [bins, bins]
    else:
        if n != 1 and n != 2:
            bins = [np.asarray(bins)] * 2
        elif n != 2:
            raise ValueError(
                "The dimension of bins must be equal to the dimension of the sample x.")
    return _axis_bins(bins[0], 0), _axis_bins(bins[1], 1)


def _range_pairs(range):
    """``[[xmin, xmax], [ymin, ymax]]`` as floats, or None."""
    if range is None:
        return None
    range = [list(r) if r is not None else None for r in range]
    if len(range) != 2:
        raise ValueError("range must have one (min, max) pair per dimension (2)")
    if any(r is None for r in range):
        raise NotImplementedError("gpusci takes a range for both axes, or none")
    return [[float(v) for v in r] for r in range]


def _edges_out(edges, given):
    """The edges as NumPy returns them: the caller's own array, else the core's (in NumPy's
    dtype: float32 when float32 points set the range)."""
    return edges if given is None else given


def histogram2d(x, y, bins=10, range=None, density=None, weights=None, *, backend=None):
    """Bi-dimensional histogram of two data samples, as ``numpy.histogram2d``.

    Counts are identical to NumPy's, points exactly on edges included, on the CPU and on every
    GPU adapter; edges are NumPy's (``np.linspace`` in the data's dtype for an automatic
    range: float32 points give float32 edges).

    Parameters
    ----------
    x, y : array_like, shape (N,)
        The points' coordinates (real numbers).
    bins : int or array_like or [int, int] or [array, array], optional
        NumPy's forms: a count for both axes, edges for both, one of each per axis.
    range : array_like, shape (2, 2), optional
        ``[[xmin, xmax], [ymin, ymax]]``; default: the data's min and max.
    density : bool, optional
        Normalise to a probability density over the range.
    weights : array_like, shape (N,), optional
        A weight per point (sums are float64).
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where to compute (gpusci only).

    Returns
    -------
    H : ndarray, shape (nx, ny), float64
        ``H[i, j]`` counts x in bin i and y in bin j.
    xedges, yedges : ndarray
        The edges (float32 for float32 points with an automatic range, as NumPy).

    Raises
    ------
    ValueError
        Non-positive or non-monotonic bins, an inverted or non-finite range, NaN or infinity
        in the data without a range, lengths that differ.
    MemoryError
        A grid larger than the memory available.
    UnsupportedInput
        Complex or float16 coordinates.
    """
    backend = backend_name(backend)
    x, y = real_array(x, "x"), real_array(y, "y")
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError("x and y must be 1-D arrays")
    if len(x) != len(y):
        raise ValueError("x and y must have the same length.")
    (sx, ex), (sy, ey) = _bins_per_axis(bins)
    range = _range_pairs(range)
    w = None
    if weights is not None:
        w = as_float64(real_array(weights, "weights"))
        if w.shape != x.shape:
            raise ValueError("weights must have the shape of x and y")
    H, xe, ye, _report = _core.histogram2d(
        as_float64(x), as_float64(y), sx, sy, range, bool(density), w, _float32_edges(x, y),
        backend)
    return H, _edges_out(xe, ex), _edges_out(ye, ey)


class Heatmap:
    """An RGBA picture of binned points, as :func:`heatmap` draws it.

    Attributes
    ----------
    rgba : ndarray, shape (height, width, 4), uint8
        The image; row 0 is the highest y.
    used, out_of_range, non_finite : int
        Points drawn; finite points outside the range; points with NaN or infinity.
    """

    def __init__(self, rgba: np.ndarray, report):
        self.rgba = rgba
        self.used, self.out_of_range, self.non_finite = (int(v) for v in report)

    @property
    def shape(self):
        """``(height, width, 4)``."""
        return self.rgba.shape

    def to_png(self, path) -> None:
        """Writes the image as a PNG file (through a temporary file: nothing partial is left).

        Raises
        ------
        OSError
            When the file cannot be written.
        """
        _core.write_png(os.fspath(path), self.rgba)

    def _repr_png_(self) -> bytes:
        return bytes(_core.png_bytes(self.rgba))

    def __array__(self, dtype=None, copy=None):
        return self.rgba if dtype is None else self.rgba.astype(dtype)

    def __repr__(self):
        h, w, _ = self.rgba.shape
        return f"<gpusci.Heatmap {w}x{h}: {self.used} points drawn>"


def heatmap(x, y, *, weights=None, size=(800, 600), range=None, sigma=0.0, scale="log",
            cmap="viridis", backend=None) -> Heatmap:
    """Points binned one per pixel, blurred, scaled and coloured: ``histogram2d`` ->
    ``gaussian_filter`` -> scale -> matplotlib colormap.

    Parameters
    ----------
    x, y : array_like, shape (N,)
        Coordinates.
    weights : array_like, shape (N,), optional
        A weight per point.
    size : (int, int)
        Width and height in pixels (bins).
    range : [[xmin, xmax], [ymin, ymax]], optional
        Default: the data's min and max.
    sigma : float
        Blur in bins (0: none).
    scale : {'log', 'linear', 'cbrt', 'eq_hist'}
        ``log`` is log1p.
    cmap : str
        A matplotlib colormap name (viridis, magma, inferno, plasma, cividis, turbo, gray, hot,
        coolwarm, and ``_r`` forms).
    backend : {'auto', 'gpu', 'cpu'}, optional

    Returns
    -------
    Heatmap
        With ``.rgba`` (H, W, 4) uint8, ``.to_png(path)`` and ``_repr_png_`` for notebooks.
    """
    backend = backend_name(backend)
    x, y = real_array(x, "x"), real_array(y, "y")
    if x.ndim != 1 or y.ndim != 1 or len(x) != len(y):
        raise ValueError("x and y must be 1-D arrays of the same length")
    w = None if weights is None else as_float64(real_array(weights, "weights"))
    if range is not None:
        range = [[float(v) for v in r] for r in range]
    width, height = (operator.index(v) for v in size)
    if width < 1 or height < 1:
        raise ValueError("size: width and height must be at least 1")
    rgba, report = _core.heatmap(as_float64(x), as_float64(y), w, (width, height), range,
                                 float(sigma), scale, cmap, _float32_edges(x, y), backend)
    return Heatmap(rgba, report)
