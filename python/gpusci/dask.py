"""gpusci past one machine, on Dask: gpusci's functions are the per-partition kernels and
Dask (``dask.distributed``: a laptop's ``LocalCluster``, or SLURM/PBS through dask-jobqueue)
schedules them. Every answer is the one-machine answer:

- :func:`histogram2d` and :func:`heatmap`: one reduction finds the global bounds (NumPy's
  automatic range), every partition is binned with the shared edges, the grids are summed in
  a tree, and the picture is blurred, scaled and coloured once, on the summed grid;
- :func:`gaussian_filter` and :func:`gaussian_filter1d`: ``map_overlap`` with SciPy's radius
  as the depth per axis, the array's true edges handled by the filter's own mode;
- :func:`sweep`: network k of a parameter sweep is drawn from ``seed + k``, in batches that
  each worker runs on its one device;
- :func:`assign_adapters`: one GPU per worker on a multi-GPU node;
- :func:`from_npy_files`: many ``.npy`` files as one lazily read dask array.

Needs ``dask[array,dataframe,distributed]`` (and pandas); ``import gpusci`` does not import
Dask.
"""

from __future__ import annotations

import math
import operator
import os
from typing import Any, Optional

import dask
import dask.array as da
from dask.delayed import Delayed
import numpy as np

from . import _core, models, ndimage
from ._errors import UnsupportedInput, backend_name
from ._histogram import (Heatmap, _bins_per_axis, _edges_out, _float32_edges, _range_pairs)

__all__ = [
    "assign_adapters",
    "from_npy_files",
    "gaussian_filter",
    "gaussian_filter1d",
    "heatmap",
    "histogram2d",
    "sweep",
]

#: Partition grids added per task of the tree sum (Dask's ``split_every``).
DEFAULT_SPLIT_EVERY = 8
#: The bounds of no points: NumPy's automatic range of an empty set is then [0, 1].
_NO_BOUNDS = (math.inf, -math.inf, False)


# ---------------------------------------------------------------------------------------------
# Points: dask arrays, dask dataframe columns, many .npy files
# ---------------------------------------------------------------------------------------------


def _column_parts(column, name):
    """``(delayed partitions, dtype)`` of a dask array (1-D) or a dask dataframe column."""
    if isinstance(column, da.Array):
        if column.ndim != 1:
            raise ValueError(f"{name} must be a 1-D dask array")
        return list(column.to_delayed().ravel()), column.dtype
    if isinstance(column, Delayed):
        raise TypeError("x, y and weights must be a dask array or a dask dataframe column, "
                        "not a Delayed")
    if _is_dask_series(column):
        return list(column.to_delayed()), _numpy_dtype(column.dtype)
    if isinstance(column, np.ndarray):
        return [column], column.dtype
    raise TypeError(f"{name} must be a dask array, a dask dataframe column or a NumPy array, "
                    f"not {type(column).__name__}")


def _numpy_dtype(dtype):
    """The NumPy dtype of a column's dtype (pandas' nullable and Arrow dtypes name one)."""
    return np.dtype(getattr(dtype, "numpy_dtype", dtype))


def _is_dask_series(column):
    try:
        import dask.dataframe as dd
    except ImportError:   # dask without its dataframe extra: no columns to take
        return False
    return isinstance(column, dd.Series)


def _as_numpy(part, name):
    """A partition (NumPy array or pandas Series) as a float64 NumPy array."""
    if hasattr(part, "to_numpy"):   # a pandas column: nullable dtypes' NA read as NaN
        plain = isinstance(part.dtype, np.dtype)
        values = part.to_numpy() if plain else part.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(part)
    kind = values.dtype.kind
    if kind == "c" or kind not in "biuf" or (kind == "f" and values.dtype.itemsize == 2):
        raise UnsupportedInput(f"{name}: dtype {values.dtype} is not supported by gpusci")
    return np.ascontiguousarray(values, dtype=np.float64)


def _check_dtype(dtype, name):
    if dtype.kind == "c" or dtype.kind not in "biuf" or (dtype.kind == "f"
                                                          and dtype.itemsize == 2):
        raise UnsupportedInput(f"{name}: dtype {dtype} is not supported by gpusci")


def _points_tuple(x, y, w):
    return x, y, w


def _partitions(x, y, weights):
    """The point set as a list of delayed partitions, each giving ``(x, y, weights)`` (a
    tuple, or a pandas frame of those columns), and whether NumPy would make float32 edges.

    Columns of dask dataframes are read together (one Parquet read per partition, not one per
    column); dask arrays are rechunked to x's chunks when they differ."""
    if weights is None:
        columns = [x, y]
    else:
        columns = [x, y, weights]
    names = ["x", "y", "weights"]
    common = _common_frame(columns) if all(_is_dask_series(c) for c in columns) else None
    if common is not None:
        frame, wanted = common
        for c, name in zip(columns, names):
            _check_dtype(_numpy_dtype(c.dtype), name)
        select = dask.delayed(_columns_of, pure=True)
        parts = [select(part, wanted) for part in frame.to_delayed()]
    else:
        # Partitions paired by position (never by index label); their lengths are checked
        # when they are read.
        if isinstance(x, da.Array) and x.ndim == 1 and not np.isnan(x.shape[0]):
            columns = [c.rechunk(x.chunks) if isinstance(c, da.Array) and c.ndim == 1
                       and c.shape == x.shape and c.chunks != x.chunks else c
                       for c in columns]
        split = [_column_parts(c, name) for c, name in zip(columns, names)]
        for (blocks, dtype), name in zip(split, names):
            _check_dtype(dtype, name)
            if len(blocks) != len(split[0][0]):
                raise ValueError(f"x, y and weights must be partitioned alike ({name} has "
                                 f"{len(blocks)} partitions, x {len(split[0][0])})")
        pack = dask.delayed(_points_tuple, pure=True)
        ws = split[2][0] if weights is not None else [None] * len(split[0][0])
        parts = [pack(px, py, pw) for px, py, pw in zip(split[0][0], split[1][0], ws)]
    dtypes = [_numpy_dtype(c.dtype) for c in columns[:2]]
    return parts, _float32_edges(*dtypes)


def _common_frame(columns):
    """When every column is a column of one dask frame (``df.x, df.y``): that frame narrowed to
    them, and their names, so that a partition is read once for all of them (one Parquet read,
    not one per column). Else None."""
    try:
        from dask.dataframe.dask_expr import new_collection

        exprs = [c.expr for c in columns]
        if not all(type(e).__name__ == "Projection" and isinstance(e.operand("columns"), str)
                   for e in exprs):
            return None
        parents = {e.frame._name: e.frame for e in exprs}
        if len(parents) != 1:
            return None
        wanted = [e.operand("columns") for e in exprs]
        return new_collection(parents.popitem()[1])[list(dict.fromkeys(wanted))], wanted
    except (ImportError, AttributeError, TypeError, ValueError, KeyError):
        return None   # another dask-expr: the columns are read one by one


def _columns_of(frame, names):
    """A partition's (x, y, weights or None) columns, from a pandas frame of them."""
    found = tuple(frame[name] for name in names)
    return found if len(found) == 3 else found + (None,)


def _unpack(points):
    """A partition's ``(x, y, weights or None)`` as float64 NumPy arrays, checked."""
    x, y, w = points
    x, y = _as_numpy(x, "x"), _as_numpy(y, "y")
    if len(x) != len(y):
        raise ValueError(f"a partition has {len(x)} x values and {len(y)} y values: x and y "
                         "must be partitioned alike")
    if w is not None:
        w = _as_numpy(w, "weights")
        if len(w) != len(x):
            raise ValueError(f"a partition has {len(x)} points and {len(w)} weights")
    return x, y, w


def from_npy_files(paths) -> da.Array:
    """Many ``.npy`` files (1-D, one column each, same dtype) as one dask array, one chunk per
    file, read lazily on the workers (memory-mapped).

    Parameters
    ----------
    paths : sequence of str or path-like
        The files, in order. Only their headers are read here.

    Returns
    -------
    dask.array.Array, shape (total,)

    Raises
    ------
    ValueError
        No files, files that are not 1-D, or dtypes that differ.
    OSError
        A file that cannot be read.
    """
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("from_npy_files needs at least one file")
    parts, dtype = [], None
    for path in paths:
        header = np.load(path, mmap_mode="r")
        if header.ndim != 1:
            raise ValueError(f"{path}: shape {header.shape}, expected one column (1-D)")
        if dtype is not None and header.dtype != dtype:
            raise ValueError(f"{path}: dtype {header.dtype}, the first file's is {dtype}")
        dtype = header.dtype
        load = dask.delayed(_load_npy, pure=True)(path)
        parts.append(da.from_delayed(load, shape=header.shape, dtype=header.dtype))
    return da.concatenate(parts)


def _load_npy(path):
    return np.load(path, mmap_mode="r")


# ---------------------------------------------------------------------------------------------
# histogram2d and heatmap
# ---------------------------------------------------------------------------------------------


def _merge_bounds(found):
    """Partitions' bounds merged as ``density::Bounds::merge``: smallest min, largest max,
    any NaN."""
    merged = [_NO_BOUNDS, _NO_BOUNDS]
    for pair in found:
        merged = [(min(m[0], b[0]), max(m[1], b[1]), m[2] or b[2])
                  for m, b in zip(merged, pair)]
    return tuple(merged)


def _partition_bounds(points):
    """The bounds of a partition's x and y, and how many bytes its points take."""
    x, y, w = _unpack(points)
    size = x.nbytes + y.nbytes + (0 if w is None else w.nbytes)
    return (_core.bounds(x), _core.bounds(y)), size


def _partition_grid(points, sx, sy, range, float32, bounds, backend):
    """One partition's grid (float64 counts or weight sums) and report
    ``[used, out_of_range, non_finite]``, with the whole set's edges."""
    x, y, w = _unpack(points)
    H, _, _, report = _core.histogram2d(x, y, sx, sy, range, False, w, float32, backend,
                                        bounds)
    if w is None and len(x) < 2**32:
        # Counts travel between workers as uint32: half the bytes of the float64 grid.
        H = H.astype(np.uint32)
    return H, np.asarray(report, dtype=np.uint64)


def _add_grids(*parts):
    """Grids (float64) and reports added, in partition order."""
    H, report = parts[0][0].astype(np.float64), parts[0][1].copy()
    for h, r in parts[1:]:
        H += h
        report += r
    return H, report


def _tree_sum(parts, split_every):
    """Sums delayed ``(grid, report)`` pairs in a tree, ``split_every`` per task: the same
    tree, whatever the workers, so the result does not depend on who ran what."""
    add = dask.delayed(_add_grids, pure=True)
    while len(parts) > 1:
        parts = [add(*parts[i:i + split_every]) for i in range(0, len(parts), split_every)]
    return parts[0]


def _compute(client, *graphs):
    if client is not None:
        return tuple(client.gather(client.compute(list(graphs))))
    return dask.compute(*graphs)


#: Share of the workers' memory that may hold partitions between the bounds pass and the
#: binning pass, so that they are read once; partitions past it are read again.
HOLD_FRACTION = 0.25


def _current_client(client):
    if client is not None:
        return client
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None


def _bounds_pass(parts, client):
    """The whole set's bounds (one reduction over the partitions), and the partitions for the
    binning pass: with a distributed client, those that fit in :data:`HOLD_FRACTION` of the
    workers' memory stay there as futures (read once), the rest are read again."""
    bounds_of = dask.delayed(_partition_bounds, pure=True)
    client = _current_client(client)
    if client is None:
        found = dask.compute(*[bounds_of(p) for p in parts])
        return _merge_bounds(b for b, _ in found), parts
    from distributed import as_completed

    workers = _workers(client).values()
    budget = HOLD_FRACTION * sum(w.get("memory_limit") or 0 for w in workers)
    held = client.compute(parts)
    # Each partition's bounds run as soon as it is read, so those past the budget are freed
    # early.
    sized = client.map(_partition_bounds, held, pure=False, priority=1)
    index = {future.key: k for k, future in enumerate(sized)}
    found, sources, kept = [None] * len(parts), list(parts), 0
    try:
        for future in as_completed(sized):
            k = index[future.key]
            found[k], size = future.result()
            if kept + size <= budget:
                kept += size
                sources[k] = held[k]
            held[k] = None   # the only other reference: dropping it frees the worker's copy
    except BaseException:
        client.cancel([f for f in held + sized if f is not None])
        raise
    return _merge_bounds(found), sources


def _workers(client):
    """Every worker's information (newer distributed lists only 5 unless asked for all)."""
    try:
        return client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:   # distributed before the n_workers argument
        return client.scheduler_info()["workers"]


def _binned(x, y, sx, sy, range, weights, split_every, backend, client):
    """The summed grid, its report and the global bounds of a partitioned point set, and
    whether its points are float32 (for NumPy's edge dtype, decided by the core)."""
    parts, float32 = _partitions(x, y, weights)
    split_every = DEFAULT_SPLIT_EVERY if split_every is None else int(split_every)
    if split_every < 2:
        raise ValueError(f"split_every must be at least 2, got {split_every}")
    needs_bounds = range is None and not (isinstance(sx, np.ndarray)
                                          and isinstance(sy, np.ndarray))
    if needs_bounds:
        # One reduction first: NumPy's automatic range is the whole set's min and max.
        bounds, parts = _bounds_pass(parts, client)
    else:
        bounds = (_NO_BOUNDS, _NO_BOUNDS)
    # The plan (edges, sizes, the range's checks) is made here once, so a bad request fails
    # before the partitions are binned.
    empty = np.empty(0)
    try:
        _core.histogram2d(empty, empty, sx, sy, range, False, None, float32, "cpu", bounds)
    except BaseException:
        client = _current_client(client)
        if client is not None:   # partitions held by the bounds pass
            client.cancel([p for p in parts if not isinstance(p, Delayed)])
        raise
    grid_of = dask.delayed(_partition_grid, pure=True)
    grids = [grid_of(p, sx, sy, range, float32, bounds, backend) for p in parts]
    ((H, report),) = _compute(client, _tree_sum(grids, split_every))
    # (One partition's counts come back as they travelled: uint32.)
    return np.asarray(H, dtype=np.float64), [int(v) for v in report], bounds, float32


def histogram2d(x, y, bins=10, range=None, density=None, weights=None, *, split_every=None,
                client=None, backend=None):
    """``numpy.histogram2d`` of a partitioned point set, equal to NumPy's answer on all the
    points concatenated.

    With no range, one reduction first finds the global min and max (NumPy's dtype and
    single-value rules applied to them, as :func:`gpusci.histogram2d` does). Every partition
    is then binned by :func:`gpusci.histogram2d` with the shared edges, and the grids are
    summed in a tree of ``split_every`` per task. Counts are exact. Weight sums are float64:
    integer-valued weights (below 2**53 in total) are exact; other weights are added in
    another order than NumPy's one pass, so the last bits can differ (about 1e-16 relative per
    level of the tree), and they do not depend on the workers or the order they finish in.

    Parameters
    ----------
    x, y : dask.array.Array or dask dataframe column, shape (N,)
        The coordinates, partitioned alike (columns of one dataframe, or dask arrays: y is
        rechunked to x's chunks). Parquet: ``dd.read_parquet(path)``'s columns; many
        ``.npy`` files: :func:`from_npy_files`.
    bins, range, density :
        As :func:`numpy.histogram2d`.
    weights : dask.array.Array or column, shape (N,), optional
        A weight per point, partitioned as x.
    split_every : int, optional, keyword-only
        Partition grids added per task (default 8).
    client : distributed.Client, optional, keyword-only
        Default: Dask's current scheduler (the active client, if any).
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where each worker bins (each worker process opens its device once).

    Returns
    -------
    H : ndarray, shape (nx, ny), float64
    xedges, yedges : ndarray
        NumPy's edges (float32 for float32 points with an automatic range).

    Raises
    ------
    ValueError
        As :func:`gpusci.histogram2d` (NaN or infinity with no range, bad bins or range),
        partitions that do not pair up.
    TypeError
        Inputs that are not dask arrays, dask dataframe columns or NumPy arrays (one
        partition); ``UnsupportedInput`` for complex or float16 points.
    MemoryError
        A grid larger than the memory available (on the client or a worker).
    """
    backend = _backend(backend)
    (sx, ex), (sy, ey) = _bins_per_axis(bins)
    range = _range_pairs(range)
    H, report, bounds, float32 = _binned(x, y, sx, sy, range, weights, split_every, backend,
                                         client)
    H, xe, ye = _core.histogram2d_from_sums(H, sx, sy, range, bool(density), float32, bounds,
                                            report)
    return H, _edges_out(xe, ex), _edges_out(ye, ey)


def heatmap(x, y, *, weights=None, size=(800, 600), range=None, sigma=0.0, scale="log",
            cmap="viridis", split_every=None, client=None, backend=None) -> Heatmap:
    """:func:`gpusci.heatmap` of a partitioned point set: the partitions binned as
    :func:`histogram2d` bins them, then the summed grid blurred, scaled and coloured once
    (never per partition: a log scale does not commute with the sum). On the CPU path equal
    to :func:`gpusci.heatmap` on all the points, pixel for pixel (for counts and integer
    weights); on a GPU within one colormap step (the one-machine chain keeps its counts on
    the device).

    Parameters
    ----------
    x, y, weights :
        As :func:`histogram2d`.
    size, range, sigma, scale, cmap :
        As :func:`gpusci.heatmap` (``size`` is (width, height) in pixels = bins).
    split_every, client, backend : keyword-only
        As :func:`histogram2d`; ``backend`` also draws the picture.

    Returns
    -------
    gpusci.Heatmap
        ``.rgba`` (height, width, 4) uint8, and the report over every partition: ``used``,
        ``out_of_range`` (finite points outside the range), ``non_finite`` (NaN or infinite
        coordinates).

    Raises
    ------
    ValueError, TypeError, MemoryError
        As :func:`histogram2d`; a size below 1 pixel.
    """
    backend = _backend(backend)
    width, height = (operator.index(v) for v in size)
    if width < 1 or height < 1:
        raise ValueError("size: width and height must be at least 1")
    range = _range_pairs(range)
    H, report, _, _ = _binned(x, y, width, height, range, weights, split_every, backend, client)
    rgba, report = _core.heatmap_from_sums(H, report, float(sigma), scale, cmap, backend)
    return Heatmap(rgba, report)


# ---------------------------------------------------------------------------------------------
# Gaussian filters
# ---------------------------------------------------------------------------------------------

_WRAP_MODES = ("wrap", "grid-wrap")


def _backend(backend):
    """The backend every worker uses: the caller's default (``gpusci.set_backend`` in this
    process) when not given, so that workers with another default do not decide alone."""
    return backend_name(backend) or _core.get_backend()


def _radius(sigma, truncate, radius):
    """SciPy's ``_gaussian_kernel1d`` radius: the kernel reaches this far each side."""
    return int(radius) if radius is not None else int(float(truncate) * float(sigma) + 0.5)


def _blur_blocks(x, per_axis, out_dtype, block_filter):
    """``map_overlap`` of ``block_filter`` with ``per_axis[axis] = (radius, mode)`` for the
    filtered axes.

    Interior block edges get neighbours' values ``radius`` deep; the array's own edges get
    none (``boundary='none'``): the block filter's mode extends them exactly as it extends
    the whole array, because every block reaching an edge holds at least ``radius + 1`` true
    samples from it. ``wrap`` needs the far end instead, so those axes take Dask's periodic
    halo. An axis shorter than ``2 * radius + 2`` is not split at all."""
    depth, boundary, whole = {}, {}, {}
    for axis in range(x.ndim):
        r, mode = per_axis.get(axis, (0, None))
        if r == 0:
            depth[axis], boundary[axis] = 0, "none"
        elif x.shape[axis] < 2 * r + 2:
            whole[axis] = -1
            depth[axis], boundary[axis] = 0, "none"
        else:
            depth[axis] = r
            boundary[axis] = "periodic" if mode in _WRAP_MODES else "none"
    source = x.rechunk(whole) if whole else x
    out = source.map_overlap(block_filter, depth=depth, boundary=boundary, dtype=out_dtype,
                             meta=np.empty((0,) * x.ndim, dtype=out_dtype))
    # Dask widens chunks thinner than the depth; the caller gets its own chunks back.
    return out if out.chunks == x.chunks else out.rechunk(x.chunks)


def _dask_input(input):
    if not isinstance(input, da.Array):
        raise TypeError(f"input must be a dask array, not {type(input).__name__} (use "
                        "gpusci.ndimage for NumPy arrays)")
    kind = input.dtype.kind
    if kind == "c" or kind not in "biuf" or (kind == "f" and input.dtype.itemsize == 2):
        raise UnsupportedInput(f"input: dtype {input.dtype} is not supported by gpusci")
    if any(np.isnan(s) for s in input.shape):
        raise ValueError("input has unknown chunk sizes: call compute_chunk_sizes() first")
    return input


def _output_dtype(output, input):
    if output is None:
        return input.dtype.newbyteorder("=")
    if isinstance(output, (type, np.dtype, str)):
        dtype = np.dtype(output)
        if dtype.kind == "c":
            raise UnsupportedInput("complex output is not supported by gpusci")
        return dtype
    raise TypeError("output must be None or a dtype for a dask array (the result is a new "
                    "dask array)")


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0,
                    *, radius=None, axes=None, backend=None, nan_policy="propagate"):
    """``scipy.ndimage.gaussian_filter`` of a dask array, block by block with
    ``map_overlap`` (depth: SciPy's radius per filtered axis), equal to
    :func:`gpusci.ndimage.gaussian_filter` of the whole array (bit for bit on the CPU path), in
    every mode, whatever the chunks (thinner than the radius, uneven, ``wrap`` across chunks).

    Parameters
    ----------
    input : dask.array.Array
        Any number of dimensions (a calcium-imaging stack (time, y, x): ``axes=(1, 2)``
        blurs each frame); bool, integers, float32, float64; chunk sizes known.
    sigma, order, mode, cval, truncate, radius, axes, nan_policy :
        As :func:`gpusci.ndimage.gaussian_filter` (SciPy's meanings and defaults; sequences
        per filtered axis).
    output : dtype, optional
        The result's dtype (default: the input's). An array cannot be filled in place.
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where each block is filtered.

    Returns
    -------
    dask.array.Array
        Lazy; the input's shape and chunks, the output's dtype.

    Raises
    ------
    ValueError, RuntimeError, NotImplementedError
        As :func:`gpusci.ndimage.gaussian_filter`, when the call is made (not at compute).
    TypeError
        Input that is not a dask array, an output array; ``UnsupportedInput`` for complex or
        float16 data.
    """
    input = _dask_input(input)
    backend = _backend(backend)
    out_dtype = _output_dtype(output, input)
    axes = ndimage._check_axes(axes, input.ndim)
    n = len(axes)
    sigmas = [float(s) for s in ndimage._normalize_sequence(sigma, n)]
    modes = [ndimage._check_mode(m) for m in ndimage._normalize_sequence(mode, n)]
    radii = [ndimage._check_radius(r) for r in ndimage._normalize_sequence(radius, n)]
    [ndimage._check_order(o) for o in ndimage._normalize_sequence(order, n)]
    per_axis = {}
    for axis, sd, mode_, r in zip(axes, sigmas, modes, radii):
        if sd > ndimage._SIGMA_EPSILON:
            reach = _radius(sd, truncate, r)
            if reach < 0:
                raise ValueError("Radius must be a nonnegative integer.")
            per_axis[axis] = (reach, mode_)
    # The call's own checks (cval, nan_policy, ...) on a tiny array, before any block runs.
    ndimage.gaussian_filter(np.zeros((1,) * input.ndim, dtype=input.dtype), sigma, order,
                            out_dtype, mode, cval, truncate, radius=radius, axes=axes,
                            backend="cpu", nan_policy=nan_policy)

    def block_filter(block):
        return ndimage.gaussian_filter(block, sigma, order, out_dtype, mode, cval, truncate,
                                       radius=radius, axes=axes, backend=backend,
                                       nan_policy=nan_policy)

    return _blur_blocks(input, per_axis, out_dtype, block_filter)


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None, backend=None, nan_policy="propagate"):
    """``scipy.ndimage.gaussian_filter1d`` of a dask array along ``axis``, as
    :func:`gaussian_filter` does it: equal to :func:`gpusci.ndimage.gaussian_filter1d` of the
    whole array (bit for bit on the CPU path).

    Parameters
    ----------
    input : dask.array.Array
    sigma, axis, order, mode, cval, truncate, radius, nan_policy :
        As :func:`gpusci.ndimage.gaussian_filter1d`.
    output : dtype, optional
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only

    Returns
    -------
    dask.array.Array

    Raises
    ------
    As :func:`gaussian_filter`; ``numpy.exceptions.AxisError`` for an axis out of range.
    """
    input = _dask_input(input)
    backend = _backend(backend)
    out_dtype = _output_dtype(output, input)
    axis = operator.index(axis)
    if not -input.ndim <= axis < input.ndim:
        raise np.exceptions.AxisError(axis, input.ndim)
    ndimage.gaussian_filter1d(np.zeros((1,) * input.ndim, dtype=input.dtype), sigma, axis,
                              order, out_dtype, mode, cval, truncate, radius=radius,
                              backend="cpu", nan_policy=nan_policy)
    axis = axis % input.ndim
    reach = _radius(sigma, truncate, ndimage._check_radius(radius))

    def block_filter(block):
        return ndimage.gaussian_filter1d(block, sigma, axis, order, out_dtype, mode, cval,
                                         truncate, radius=radius, backend=backend,
                                         nan_policy=nan_policy)

    return _blur_blocks(input, {axis: (reach, mode)}, out_dtype, block_filter)


# ---------------------------------------------------------------------------------------------
# Sweeps of networks and neuron populations
# ---------------------------------------------------------------------------------------------

#: What a row of a balanced-network sweep may set, with balanced_network's defaults (a
#: sweep records no voltages unless asked: ``nrec=0``).
_LIF_DEFAULTS = dict(dt=0.00005, T=2.0, tref=0.002, tm=0.01, vreset=-65.0, vpeak=-40.0,
                     td=0.02, tr=0.002, offset=-40.0, nrec=0, n=2000, p=0.1, g=0.04, every=1)
#: What a row of a Hodgkin-Huxley sweep may set, with hodgkin_huxley's defaults.
_HH_DEFAULTS = dict(neurons=1, T=0.3, dt=1e-5, I_app=3.0, n_ex=80, n_in=20, rate=10.0, p=0.5)
_MODELS = {"balanced_network": _LIF_DEFAULTS, "hodgkin_huxley": _HH_DEFAULTS}


def _rows(params):
    """The sweep's rows as a list of dicts (a DataFrame, a dict of columns, a list of dicts,
    or a count of networks with the defaults)."""
    if isinstance(params, (int, np.integer)):
        if params < 0:
            raise ValueError(f"a sweep of {params} networks")
        return [{} for _ in range(int(params))]
    if hasattr(params, "to_dict") and hasattr(params, "columns"):
        return params.to_dict("records")
    if isinstance(params, dict):
        lengths = {len(v) for v in params.values()}
        if len(lengths) > 1:
            raise ValueError("every column of params must have the same length")
        count = lengths.pop() if lengths else 0
        return [{k: v[i] for k, v in params.items()} for i in range(count)]
    return [dict(row) for row in params]


def _run_lif(rows, first, seed, spikes, backend):
    jobs = []
    for k, row in enumerate(rows):
        p = {**_LIF_DEFAULTS, **row}
        params = models._lif_params(p["dt"], p["T"], p["tref"], p["tm"], p["vreset"],
                                    p["vpeak"], p["td"], p["tr"], p["offset"], p["nrec"], [],
                                    p["every"])
        jobs.append((params, (int(p["n"]), float(p["p"]), float(p["g"]), seed + first + k)))
    out = []
    for _, train, _, (mean_rate, isi_cv) in _core.balanced_network_jobs(jobs, backend):
        stats = {"spike_count": len(train), "mean_rate": mean_rate, "isi_cv": isi_cv}
        if spikes:
            stats["spikes"] = train
        out.append(stats)
    return out


def _run_hh(rows, first, seed, spikes, backend):
    out = []
    for k, row in enumerate(rows):
        p = {**_HH_DEFAULTS, **row}
        found = models.hodgkin_huxley(p["neurons"], p["T"], p["dt"], p["I_app"], p["n_ex"],
                                      p["n_in"], p["rate"], p["p"], int(seed) + first + k,
                                      record=0, backend=backend)
        trains = [run.spike_times for run in found]
        count = sum(len(t) for t in trains)
        neuron_seconds = int(p["neurons"]) * float(p["T"])
        stats = {"spike_count": count,
                 "mean_rate": count / neuron_seconds if neuron_seconds > 0 else math.nan,
                 "isi_cv": _core.isi_cv([np.asarray(t, dtype=np.float64) for t in trains])}
        if spikes:
            times = np.concatenate([t for t in trains] + [np.empty(0)])
            neuron = np.concatenate([np.full(len(t), i, dtype=np.float64)
                                     for i, t in enumerate(trains)] + [np.empty(0)])
            order = np.lexsort((neuron, times))
            stats["spikes"] = np.column_stack([times[order], neuron[order]])
        out.append(stats)
    return out


def sweep(params, *, model="balanced_network", seed=100, batch_size=None, spikes=False,
          client=None, backend=None):
    """Many networks (or Hodgkin-Huxley populations), each with its own parameters, spread
    over the workers in batches. Network k is drawn from ``seed + k``, so row k equals the
    one-machine run ``gpusci.models.balanced_network(**row, seed=seed + k)`` (and, for rows
    alike, ``balanced_network(batch=K, seed=seed)[k]``) exactly, whichever worker ran it.

    Each worker process keeps one device (opened on its first batch); a batch of networks of
    the same size shares GPU dispatches.

    Parameters
    ----------
    params : pandas.DataFrame, dict of sequences, sequence of dicts, or int
        One row per network. ``balanced_network`` rows may set dt, T, tref, tm, td, tr (s),
        vreset, vpeak, offset (mV), nrec, every, n, p, g; ``hodgkin_huxley`` rows neurons, T,
        dt (s), I_app (uA/cm^2), n_ex, n_in, rate (Hz), p. Unset: those functions' defaults
        (``nrec=0``: no voltage recording). An int: that many networks with the defaults.
    model : {'balanced_network', 'hodgkin_huxley'}, keyword-only
    seed : int, keyword-only
        Network k's seed is ``seed + k``.
    batch_size : int, optional, keyword-only
        Networks per task (default: the rows spread over about four tasks per worker).
    spikes : bool, keyword-only
        Also return each network's spikes, ``(K, 2)`` arrays of (time s, neuron index).
    client : distributed.Client, optional, keyword-only
        Default: Dask's current scheduler.
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only

    Returns
    -------
    pandas.DataFrame
        One row per network, in order: ``network`` (k), ``seed``, the parameters given,
        ``spike_count``, ``mean_rate`` (spikes per neuron per second, Hz), ``isi_cv`` (mean
        coefficient of variation of the inter-spike intervals over neurons with 3+ spikes;
        NaN when none has) and, with ``spikes=True``, ``spikes``.

    Raises
    ------
    ValueError
        An unknown model or parameter, a ``seed`` column, bad parameters (as the one-machine
        functions), a batch size below 1.
    """
    import pandas as pd

    if model not in _MODELS:
        raise ValueError(f"model must be one of {sorted(_MODELS)}, got {model!r}")
    backend = _backend(backend)
    rows = _rows(params)
    known = _MODELS[model]
    for row in rows:
        unknown = sorted(set(row) - set(known))
        if unknown:
            hint = " (network k's seed is seed + k)" if "seed" in unknown else ""
            raise ValueError(f"{model} has no parameter {unknown}{hint}; rows may set "
                             f"{sorted(known)}")
    if batch_size is None:
        active = _current_client(client)
        workers = max(1, len(_workers(active))) if active is not None else 1
        batch_size = max(1, math.ceil(len(rows) / (4 * workers)))
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    run = dask.delayed(_run_lif if model == "balanced_network" else _run_hh, pure=True)
    tasks = [run(rows[i:i + batch_size], i, int(seed), bool(spikes), backend)
             for i in range(0, len(rows), batch_size)]
    done = _compute(client, *tasks) if tasks else ()
    stats = [s for batch in done for s in batch]
    table = pd.DataFrame(rows, index=pd.RangeIndex(len(rows)))
    table.insert(0, "network", np.arange(len(rows)))
    table.insert(1, "seed", int(seed) + np.arange(len(rows)))
    columns = ["spike_count", "mean_rate", "isi_cv"] + (["spikes"] if spikes else [])
    for name in columns:
        table[name] = [s[name] for s in stats]
    return table


# ---------------------------------------------------------------------------------------------
# One device per worker
# ---------------------------------------------------------------------------------------------


def _pin_adapter(adapter):
    """For a worker without a nanny: ``GPUSCI_ADAPTER`` in its own process."""
    if _core.gpu_device_open() and os.environ.get("GPUSCI_ADAPTER") != adapter:
        raise RuntimeError(
            f"this worker opened its GPU already (GPUSCI_ADAPTER="
            f"{os.environ.get('GPUSCI_ADAPTER')!r}); assign adapters before the first GPU "
            "call, or restart the workers")
    os.environ["GPUSCI_ADAPTER"] = adapter
    return adapter


def _hardware_adapters():
    return [a["index"] for a in _core.adapters() if not a["software"] and
            a["backend"] != "gl"]


def _adapter_plugin(by_nanny):
    """A nanny plugin that puts each nanny's adapter in the environment of the worker
    processes it starts, this one (restarted now) and every later one (after a crash)."""
    from distributed.diagnostics.plugin import NannyPlugin

    class AdapterPerNanny(NannyPlugin):
        restart = True

        def __init__(self, by_nanny):
            self.by_nanny = dict(by_nanny)

        def setup(self, nanny):
            adapter = self.by_nanny.get(nanny.address)
            if adapter is not None:
                nanny.env["GPUSCI_ADAPTER"] = adapter

    return AdapterPerNanny(by_nanny)


def assign_adapters(client, adapters: Optional[list[Any]] = None) -> dict:
    """Gives each worker its own GPU through ``GPUSCI_ADAPTER`` (Vulkan ignores
    ``CUDA_VISIBLE_DEVICES``). Workers on one host take the adapters in turn, in the order of
    their addresses.

    Each worker's nanny keeps the choice: the workers restart now (call this once after the
    cluster starts: data they hold is lost), and a worker that crashes later comes back on
    the same GPU. A worker without a nanny has the variable set in its process instead (a
    ``RuntimeError`` if it has opened another GPU already), and loses it if it restarts.

    Parameters
    ----------
    client : distributed.Client
    adapters : list of int or str, optional
        Adapter indices (as ``gpusci.info()`` numbers them) or PCI bus ids
        (``'0000:3b:00.0'``, or nvidia-smi's ``'00000000:3B:00.0'``). Default: every hardware
        adapter that is not GL, as each host's first worker sees them.

    Returns
    -------
    dict
        ``{worker address: adapter}`` (the addresses before the restart).

    Raises
    ------
    ValueError
        No adapter to assign.
    RuntimeError
        A worker without a nanny that has opened a different GPU already.
    """
    workers = sorted(_workers(client).items(),
                     key=lambda item: (item[1].get("host", ""), item[0]))
    by_host: dict = {}
    for address, info in workers:
        by_host.setdefault(info.get("host", ""), []).append((address, info.get("nanny")))
    chosen, by_nanny = {}, {}
    for members in by_host.values():
        available = adapters
        if available is None:
            first = members[0][0]
            available = client.run(_hardware_adapters, workers=[first])[first]
        available = [str(a) for a in available]
        if not available:
            raise ValueError("no adapter to assign (no hardware GPU found; pass adapters=)")
        for k, (address, nanny) in enumerate(members):
            chosen[address] = available[k % len(available)]
            if nanny:
                by_nanny[nanny] = chosen[address]
    for address, adapter in chosen.items():
        if not _workers(client).get(address, {}).get("nanny"):
            client.run(_pin_adapter, adapter, workers=[address])
    if by_nanny:
        client.register_plugin(_adapter_plugin(by_nanny), name="gpusci-adapters")
    return chosen
