"""gpusci.dask on a 2-worker LocalCluster (processes): every answer equal to the one-machine
answer (NumPy's, SciPy's and gpusci's own), a worker killed mid-computation, bad input."""

import concurrent.futures
import logging
import os
import signal
import sys
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
import cloudpickle  # noqa: E402  (installed with distributed)
import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from scipy import ndimage as scipy_ndimage  # noqa: E402

import gpusci  # noqa: E402
import gpusci.dask as gd  # noqa: E402
from gpusci import models, ndimage  # noqa: E402

#: The issue's partitioning: 10^6 points in 7 uneven partitions.
POINTS = 10**6
UNEVEN = (10_000, 250_000, 1, 139_999, 300_000, 200_000, 100_000)
MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]
#: A GPU computes blurs in float32: a few float32 ulps of the data's scale (as test_ndimage).
F32_TOL = 2e-6
#: SciPy sums in another order than gpusci's CPU path: float64 rounding of the data's scale.
F64_TOL = 1e-12
#: Weight sums in a tree against NumPy's one pass: a few float64 ulps of the bin's total.
WEIGHT_SUM_RTOL = 1e-13


def _gpu_fixed_point_atol(partition, max_weight):
    """The GPU sums weights in 64-bit fixed point, 2^shift with shift = floor(62 -
    log2(points x max|w|)): each weight rounds by at most half a step, points x max|w| x
    2^-63, and a bin holds at most all of a partition's points."""
    return partition * partition * max_weight * 2.0**-63

pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")

# Workers import gpusci, not this file: the helpers below travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _cluster(workers=2):
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    dashboard_address=":0", silence_logs=logging.ERROR)


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(13)
    x = rng.normal(0.0, 2.0, POINTS)
    y = rng.gamma(2.0, 1.5, POINTS)
    w = rng.integers(-3, 9, POINTS).astype(np.float64)
    return x, y, w


def _chunked(a, chunks=UNEVEN):
    assert sum(chunks) == len(a)
    return da.from_array(a, chunks=(chunks,))


# ---------------------------------------------------------------------------------------------
# histogram2d
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("density", [False, True])
def test_histogram2d_equals_numpy_auto_range(client, backend, points, dtype, density):
    x, y, _ = (a.astype(dtype) for a in points)
    H, xe, ye = gd.histogram2d(_chunked(x), _chunked(y), bins=(97, 64), density=density,
                               backend=backend)
    H0, xe0, ye0 = np.histogram2d(x, y, bins=(97, 64), density=density)
    assert xe.dtype == xe0.dtype == dtype
    np.testing.assert_array_equal(xe, xe0)
    np.testing.assert_array_equal(ye, ye0)
    np.testing.assert_array_equal(H, H0)
    # And the one-machine gpusci answer.
    H1, _, _ = gpusci.histogram2d(x, y, bins=(97, 64), density=density, backend=backend)
    np.testing.assert_array_equal(H, H1)


def test_histogram2d_explicit_range_and_edges_on_partition_extremes(client, backend, points):
    x, y, _ = points
    H, xe, ye = gd.histogram2d(_chunked(x), _chunked(y), bins=[40, 30],
                               range=[[-3, 3], [0.5, 9]], backend=backend)
    H0, xe0, ye0 = np.histogram2d(x, y, bins=[40, 30], range=[[-3, 3], [0.5, 9]])
    np.testing.assert_array_equal(H, H0)
    np.testing.assert_array_equal(xe, xe0)
    # Edges placed exactly on every partition's minimum and maximum (and the last edge on
    # the global maximum, which NumPy counts in the last bin).
    bounds = np.cumsum((0,) + UNEVEN)
    extremes = np.unique(np.concatenate(
        [[x[a:b].min(), x[a:b].max()] for a, b in zip(bounds[:-1], bounds[1:])]))
    ex = np.unique(np.concatenate([extremes, np.linspace(x.min(), x.max(), 9)]))
    ey = np.unique(np.concatenate([[y.min(), y.max()], np.linspace(y.min(), y.max(), 7)]))
    H, xe, ye = gd.histogram2d(_chunked(x), _chunked(y), bins=[ex, ey], backend=backend)
    H0, _, _ = np.histogram2d(x, y, bins=[ex, ey])
    np.testing.assert_array_equal(H, H0)
    assert xe is ex or np.array_equal(xe, ex)
    assert H.sum() == POINTS


def test_histogram2d_weights(client, backend, points):
    x, y, w = points
    # Integer-valued weights: exact, whatever the order of the sums.
    H, _, _ = gd.histogram2d(_chunked(x), _chunked(y), bins=50, weights=_chunked(w),
                             backend=backend)
    np.testing.assert_array_equal(H, np.histogram2d(x, y, bins=50, weights=w)[0])
    H, _, _ = gd.histogram2d(_chunked(x), _chunked(y), bins=50, weights=_chunked(w),
                             density=True, backend=backend)
    np.testing.assert_array_equal(H, np.histogram2d(x, y, bins=50, weights=w, density=True)[0])
    # Other weights: float64 sums in a tree, within rounding of NumPy's one pass.
    wf = np.random.default_rng(3).uniform(0, 1, POINTS)
    H, _, _ = gd.histogram2d(_chunked(x), _chunked(y), bins=50, weights=_chunked(wf),
                             backend=backend)
    atol = 0.0 if backend == "cpu" else _gpu_fixed_point_atol(max(UNEVEN), 1.0)
    np.testing.assert_allclose(H, np.histogram2d(x, y, bins=50, weights=wf)[0],
                               rtol=WEIGHT_SUM_RTOL, atol=atol)


def test_histogram2d_tree_is_the_same_for_any_split(client, points):
    x, y, _ = points
    wf = np.random.default_rng(4).uniform(0, 1, POINTS)
    grids = [gd.histogram2d(_chunked(x), _chunked(y), bins=20, weights=_chunked(wf),
                            split_every=s, backend="cpu")[0] for s in (2, 3, 8)]
    for g in grids[1:]:
        np.testing.assert_allclose(g, grids[0], rtol=WEIGHT_SUM_RTOL)


def test_histogram2d_dataframe_parquet_and_npy_files(client, points, tmp_path):
    x, y, w = (a[:200_003] for a in points)
    frame = pd.DataFrame({"x": x, "y": y, "w": w})
    expected = np.histogram2d(x, y, bins=(31, 17), weights=w)
    df = dd.from_pandas(frame, npartitions=7)
    H, xe, ye = gd.histogram2d(df.x, df.y, bins=(31, 17), weights=df.w, backend="cpu")
    np.testing.assert_array_equal(H, expected[0])
    np.testing.assert_array_equal(xe, expected[1])
    # Columns of two frames partitioned alike (read side by side, not as one frame).
    xs = dd.from_pandas(pd.Series(x, name="v"), npartitions=7)
    ys = dd.from_pandas(pd.Series(y, name="v"), npartitions=7)
    H, _, _ = gd.histogram2d(xs, ys, bins=(31, 17), weights=df.w, backend="cpu")
    np.testing.assert_array_equal(H, expected[0])
    df.to_parquet(tmp_path / "points.parquet")
    df = dd.read_parquet(tmp_path / "points.parquet")
    assert df.npartitions > 1
    H, _, _ = gd.histogram2d(df["x"], df["y"], bins=(31, 17), weights=df["w"], backend="cpu")
    np.testing.assert_array_equal(H, expected[0])
    cuts = [0, 5, 70_000, 70_001, 150_000, len(x)]
    files = {}
    for name, column in (("x", x), ("y", y)):
        files[name] = [tmp_path / f"{name}{i}.npy" for i in range(len(cuts) - 1)]
        for path, a, b in zip(files[name], cuts[:-1], cuts[1:]):
            np.save(path, column[a:b])
    px, py = gd.from_npy_files(files["x"]), gd.from_npy_files(files["y"])
    assert px.numblocks == (5,)
    H, _, _ = gd.histogram2d(px, py, bins=(31, 17), backend="cpu")
    np.testing.assert_array_equal(H, np.histogram2d(x, y, bins=(31, 17))[0])


def test_histogram2d_numpy_rules_on_the_global_range(client):
    # One value everywhere: NumPy widens the range by 0.5 each side (in float32 for float32).
    for dtype in (np.float64, np.float32):
        x = np.full(1001, 0.1, dtype=dtype)
        H, xe, _ = gd.histogram2d(_chunked(x, (1, 500, 500)), _chunked(x, (1, 500, 500)),
                                  bins=4)
        H0, xe0, _ = np.histogram2d(x, x, bins=4)
        np.testing.assert_array_equal(H, H0)
        np.testing.assert_array_equal(xe, xe0)
        assert xe.dtype == xe0.dtype
    # Empty partitions, and no points at all: NumPy's [0, 1].
    empty = da.from_array(np.empty(0), chunks=(0,))
    H, xe, _ = gd.histogram2d(empty, empty, bins=3)
    np.testing.assert_array_equal(xe, np.histogram2d([], [], bins=3)[1])
    assert H.sum() == 0
    # float32 x with float64 y: NumPy's promotion sets float64 edges.
    x = np.linspace(0, 1, 99, dtype=np.float32)
    y = np.linspace(0, 3, 99)
    H, xe, ye = gd.histogram2d(_chunked(x, (50, 49)), _chunked(y, (50, 49)), bins=7)
    H0, xe0, ye0 = np.histogram2d(x, y, bins=7)
    np.testing.assert_array_equal(H, H0)
    assert xe.dtype == xe0.dtype


def test_histogram2d_frames_paired_by_position_not_index(client):
    # Columns of two frames with other indexes: rows pair by position, as NumPy pairs them.
    x = pd.Series(np.arange(10.0), index=np.arange(10))
    y = pd.Series(np.arange(10.0) * 2, index=np.arange(100, 110))
    dx, dy = dd.from_pandas(x, npartitions=3), dd.from_pandas(y, npartitions=3)
    H, _, _ = gd.histogram2d(dx, dy, bins=4, range=[[0, 10], [0, 20]])
    np.testing.assert_array_equal(H, np.histogram2d(x.values, y.values, 4,
                                                    range=[[0, 10], [0, 20]])[0])
    # Partitions of other lengths are refused, never padded with NaN.
    short = dd.from_pandas(pd.Series(np.arange(9.0)), npartitions=3)
    with pytest.raises(ValueError, match="partitioned alike"):
        gd.histogram2d(dx, short, bins=4, range=[[0, 10], [0, 20]])


def test_histogram2d_nullable_columns_and_other_bins_forms(client):
    x = pd.Series([0.5, None, 2.5, 3.5, 1.0, 0.1], dtype="Float64")
    y = pd.Series([1.0, 2.0, None, 0.5, 3.0, 2.2], dtype="Float64")
    df = dd.from_pandas(pd.DataFrame({"x": x, "y": y}), npartitions=2)
    xn, yn = x.to_numpy(np.float64, na_value=np.nan), y.to_numpy(np.float64, na_value=np.nan)
    keep = ~(np.isnan(xn) | np.isnan(yn))
    # NA reads as NaN: NumPy refuses it for an automatic range, and so does gpusci.
    with pytest.raises(ValueError, match="not finite"):
        np.histogram2d(xn, yn, bins=[3, np.array([0, 1, 2, 4])])
    with pytest.raises(ValueError, match="not finite"):
        gd.histogram2d(df.x, df.y, bins=[3, [0, 1, 2, 4]])
    img = gd.heatmap(df.x, df.y, size=(4, 3), range=[[0, 4], [0, 4]], backend="cpu")
    assert (img.used, img.non_finite) == (int(keep.sum()), 2)
    # bins as [int, edges] and edges as lists; weights chunked unlike x.
    rng = np.random.default_rng(21)
    a, b, w = rng.normal(size=1001), rng.normal(size=1001), rng.integers(0, 5, 1001) * 1.0
    edges = [-3, -1, 0, 0.5, 2, 3]
    H, xe, ye = gd.histogram2d(_chunked(a, (500, 501)), _chunked(b, (500, 501)),
                               bins=[7, edges], weights=da.from_array(w, chunks=300))
    H0, xe0, ye0 = np.histogram2d(a, b, bins=[7, edges], weights=w)
    np.testing.assert_array_equal(H, H0)
    np.testing.assert_array_equal(xe, xe0)
    np.testing.assert_array_equal(ye, ye0)


def test_histogram2d_unknown_chunks_and_no_float32_points(client):
    frame = dd.from_pandas(pd.DataFrame({"x": np.linspace(0, 1, 50),
                                         "y": np.linspace(1, 3, 50)}), npartitions=4)
    x, y = frame.x.to_dask_array(), frame.y.to_dask_array()
    assert np.isnan(x.shape[0])
    H, _, _ = gd.histogram2d(x, y, bins=5)
    np.testing.assert_array_equal(H, np.histogram2d(np.linspace(0, 1, 50),
                                                    np.linspace(1, 3, 50), 5)[0])
    # No float32 points: NumPy's range (0, 1) is two integers, so its edges are float64.
    empty = da.from_array(np.empty(0, dtype=np.float32), chunks=(0,))
    H, xe, _ = gd.histogram2d(empty, empty, bins=3)
    H0, xe0, _ = np.histogram2d(np.empty(0, np.float32), np.empty(0, np.float32), bins=3)
    assert xe.dtype == xe0.dtype == np.float64
    np.testing.assert_array_equal(xe, xe0)
    one = gpusci.histogram2d(np.empty(0, np.float32), np.empty(0, np.float32), bins=3)
    assert one[1].dtype == np.float64


def test_histogram2d_bad_input(client):
    x = _chunked(np.array([0.0, np.nan, 2.0]), (1, 2))
    with pytest.raises(ValueError, match="not finite"):
        gd.histogram2d(x, x, bins=3)
    with pytest.raises(ValueError, match="larger than min"):
        gd.histogram2d(x, x, bins=3, range=[[2, 1], [0, 1]])
    with pytest.raises(ValueError, match="partitioned alike"):
        gd.histogram2d(x, dd.from_pandas(pd.Series(np.zeros(3)), npartitions=1), bins=3)
    with pytest.raises(TypeError, match="dask array"):
        gd.histogram2d(x, x.to_delayed()[0], bins=3)
    with pytest.raises(TypeError):
        gd.histogram2d([1, 2], [3, 4])
    with pytest.raises(TypeError):
        gd.histogram2d(x.astype(np.complex128), x, bins=3)
    with pytest.raises(ValueError, match="split_every"):
        gd.histogram2d(x, x, bins=3, range=[[0, 1], [0, 1]], split_every=1)


# ---------------------------------------------------------------------------------------------
# heatmap
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale,sigma", [("log", 0.0), ("linear", 1.5), ("eq_hist", 2.0)])
def test_heatmap_equals_one_machine(client, backend, points, scale, sigma):
    x, y, _ = points
    kwargs = dict(size=(120, 90), sigma=sigma, scale=scale, cmap="magma", backend=backend)
    ours = gd.heatmap(_chunked(x), _chunked(y), **kwargs)
    one = gpusci.heatmap(x, y, **kwargs)
    assert isinstance(ours, gpusci.Heatmap)
    assert (ours.used, ours.out_of_range, ours.non_finite) == (one.used, one.out_of_range,
                                                               one.non_finite)
    if backend == "cpu":
        np.testing.assert_array_equal(ours.rgba, one.rgba)
    else:
        # The one-machine GPU chain keeps the counts on the device; the summed grid is drawn
        # from the host: the same colours within one colormap step.
        assert np.abs(ours.rgba.astype(int) - one.rgba.astype(int)).max() <= 1


def test_heatmap_reports_bad_rows_of_a_partition(client):
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 10, 5000), rng.uniform(0, 10, 5000)
    x[1200:1210] = np.nan      # in the second partition only
    y[1300:1305] = np.inf
    x[1400:1450] = 50.0        # out of the range
    chunks = (1000, 1000, 3000)
    kwargs = dict(size=(64, 48), range=[[0, 10], [0, 10]], backend="cpu")
    ours = gd.heatmap(_chunked(x, chunks), _chunked(y, chunks), **kwargs)
    one = gpusci.heatmap(x, y, **kwargs)
    assert (ours.used, ours.out_of_range, ours.non_finite) == (4935, 50, 15)
    assert (one.used, one.out_of_range, one.non_finite) == (4935, 50, 15)
    np.testing.assert_array_equal(ours.rgba, one.rgba)


def test_heatmap_weighted_equals_one_machine(client, points):
    x, y, w = points
    w = np.abs(w)
    ours = gd.heatmap(_chunked(x), _chunked(y), weights=_chunked(w), size=(80, 60),
                      backend="cpu")
    one = gpusci.heatmap(x, y, weights=w, size=(80, 60), backend="cpu")
    np.testing.assert_array_equal(ours.rgba, one.rgba)


# ---------------------------------------------------------------------------------------------
# Gaussian filters
# ---------------------------------------------------------------------------------------------


def _check_blur(ours, one, theirs, backend, scale=1.0):
    assert ours.dtype == one.dtype == theirs.dtype
    if backend == "cpu":
        np.testing.assert_array_equal(ours, one)
    else:
        np.testing.assert_allclose(ours, one, rtol=0, atol=F32_TOL * scale)
    exact = backend == "cpu" and ours.dtype == np.float64
    np.testing.assert_allclose(ours, theirs, rtol=0,
                               atol=(F64_TOL if exact else F32_TOL) * scale)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunks", [
    ((1,) * 23, (1,) * 19),               # chunks of one sample
    ((3, 3, 3, 3, 3, 3, 3, 2), (2,) * 9 + (1,)),   # thinner than the radius (7)
    ((10, 1, 12), (5, 14)),               # uneven
])
def test_gaussian_filter_2d_equals_scipy(client, backend, mode, chunks):
    rng = np.random.default_rng(8)
    image = rng.normal(size=(23, 19))
    d = da.from_array(image, chunks=chunks)
    ours = gd.gaussian_filter(d, 1.7, mode=mode, cval=0.25, backend=backend)
    assert ours.chunks == d.chunks
    ours = ours.compute()
    one = ndimage.gaussian_filter(image, 1.7, mode=mode, cval=0.25, backend=backend)
    theirs = scipy_ndimage.gaussian_filter(image, 1.7, mode=mode, cval=0.25)
    _check_blur(ours, one, theirs, backend)


def test_wrap_across_two_chunks(client, backend):
    # dask-image 2026.5 is off by up to 0.08 here: its halo at the array's ends is not the
    # far end's samples.
    rng = np.random.default_rng(9)
    image = rng.uniform(0, 1, (64, 48)).astype(np.float32)
    d = da.from_array(image, chunks=(32, 48))
    ours = gd.gaussian_filter(d, 4.0, mode="wrap", backend=backend).compute()
    one = ndimage.gaussian_filter(image, 4.0, mode="wrap", backend=backend)
    theirs = scipy_ndimage.gaussian_filter(image, 4.0, mode="wrap")
    _check_blur(ours, one, theirs, backend)


@pytest.mark.parametrize("mode", MODES)
def test_gaussian_filter_3d_stack_over_axes(client, backend, mode):
    rng = np.random.default_rng(10)
    stack = rng.normal(size=(6, 33, 29)).astype(np.float32)   # (time, y, x)
    d = da.from_array(stack, chunks=((2, 4), (1, 16, 16), (7, 7, 15)))
    for kwargs in (dict(sigma=2.0, axes=(1, 2)), dict(sigma=[0.8, 1.5, 2.5]),
                   dict(sigma=[1.0, 3.0], axes=(0, 2), mode=[mode, "nearest"])):
        kwargs.setdefault("mode", mode)
        ours = gd.gaussian_filter(d, backend=backend, **kwargs).compute()
        one = ndimage.gaussian_filter(stack, backend=backend, **kwargs)
        theirs = scipy_ndimage.gaussian_filter(stack, **kwargs)
        _check_blur(ours, one, theirs, backend)


@pytest.mark.parametrize("mode", MODES)
def test_gaussian_filter1d_and_kernels_wider_than_the_array(client, backend, mode):
    rng = np.random.default_rng(11)
    a = rng.normal(size=(5, 40))
    d = da.from_array(a, chunks=((2, 3), (1, 13, 26)))
    for sigma, axis in ((2.0, -1), (3.0, 0), (15.0, 1)):
        ours = gd.gaussian_filter1d(d, sigma, axis=axis, mode=mode, backend=backend).compute()
        one = ndimage.gaussian_filter1d(a, sigma, axis=axis, mode=mode, backend=backend)
        theirs = scipy_ndimage.gaussian_filter1d(a, sigma, axis=axis, mode=mode)
        _check_blur(ours, one, theirs, backend)


def test_gaussian_filter_integer_output_and_order(client):
    rng = np.random.default_rng(12)
    image = rng.integers(0, 200, (30, 21)).astype(np.uint8)
    d = da.from_array(image, chunks=(7, 5))
    ours = gd.gaussian_filter(d, 2.0, backend="cpu").compute()
    np.testing.assert_array_equal(ours, ndimage.gaussian_filter(image, 2.0, backend="cpu"))
    ours = gd.gaussian_filter(d, 1.5, order=[1, 0], output=np.float64, backend="cpu")
    np.testing.assert_array_equal(
        ours.compute(), ndimage.gaussian_filter(image, 1.5, order=[1, 0], output=np.float64,
                                                backend="cpu"))


def test_gaussian_filter_aliases_radius_and_negative_axes(client):
    rng = np.random.default_rng(14)
    vol = rng.normal(size=(7, 18, 13))
    d = da.from_array(vol, chunks=((3, 4), (5, 6, 7), (1, 12)))
    for kwargs in (dict(sigma=[2.0, 1.0], axes=(-1, -2), mode=["grid-wrap", "grid-mirror"]),
                   dict(sigma=1.5, radius=[2, 5, 3], mode="grid-constant", cval=-1.0),
                   dict(sigma=[0.0, 2.0, 0.0], mode="wrap")):
        ours = gd.gaussian_filter(d, backend="cpu", **kwargs).compute()
        one = ndimage.gaussian_filter(vol, backend="cpu", **kwargs)
        np.testing.assert_array_equal(ours, one)
        np.testing.assert_allclose(ours, scipy_ndimage.gaussian_filter(vol, **kwargs),
                                   rtol=0, atol=F64_TOL)
    with pytest.raises(np.exceptions.AxisError):
        gd.gaussian_filter1d(da.from_array(np.float64(3.0)), 1.0)
    with pytest.raises(np.exceptions.AxisError):
        gd.gaussian_filter1d(d, 1.0, axis=3)


def test_from_npy_files_refuses_what_cannot_be_one_column(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    np.save(tmp_path / "b.npy", np.zeros(3, dtype=np.float32))
    np.save(tmp_path / "c.npy", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="dtype"):
        gd.from_npy_files([tmp_path / "a.npy", tmp_path / "b.npy"])
    with pytest.raises(ValueError, match="1-D"):
        gd.from_npy_files([tmp_path / "c.npy"])
    with pytest.raises(ValueError, match="at least one"):
        gd.from_npy_files([])
    with pytest.raises(OSError):
        gd.from_npy_files([tmp_path / "missing.npy"])


def test_gaussian_filter_bad_input_fails_at_the_call(client):
    d = da.zeros((8, 8), chunks=4)
    with pytest.raises(RuntimeError, match="boundary mode"):
        gd.gaussian_filter(d, 1.0, mode="bogus")
    with pytest.raises(ValueError, match="Radius"):
        gd.gaussian_filter(d, 1.0, radius=-1)
    with pytest.raises(TypeError, match="dask array"):
        gd.gaussian_filter(np.zeros((8, 8)), 1.0)
    with pytest.raises(TypeError, match="dtype"):
        gd.gaussian_filter(d, 1.0, output=np.zeros((8, 8)))
    with pytest.raises(TypeError):
        gd.gaussian_filter(d.astype(np.complex64), 1.0)


# ---------------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------------


def test_sweep_equals_the_one_machine_batch(client, backend):
    rows = {"n": [150] * 5, "T": [0.1] * 5}
    table = gd.sweep(rows, seed=7, batch_size=2, spikes=True, client=client, backend=backend)
    batch = models.balanced_network(n=150, T=0.1, nrec=0, seed=7, batch=5, backend=backend)
    assert list(table["network"]) == list(range(5))
    assert list(table["seed"]) == [7, 8, 9, 10, 11]
    for k, run in enumerate(batch):
        np.testing.assert_array_equal(table["spikes"][k], run.spikes)
        assert table["spike_count"][k] == len(run.spikes)
        assert table["mean_rate"][k] == run.mean_rate
        assert table["isi_cv"][k] == run.isi_cv or (np.isnan(run.isi_cv)
                                                    and np.isnan(table["isi_cv"][k]))
    assert table["spike_count"].sum() > 0


def test_sweep_with_per_network_parameters(client):
    rows = pd.DataFrame({"g": [0.02, 0.04, 0.08], "offset": [-40.0, -42.0, -38.0],
                         "n": [120, 120, 160], "T": [0.08, 0.08, 0.08]})
    table = gd.sweep(rows, seed=3, batch_size=2, backend="cpu")
    assert list(table.columns[:6]) == ["network", "seed", "g", "offset", "n", "T"]
    for k, row in rows.iterrows():
        one = models.balanced_network(g=row.g, offset=row.offset, n=int(row.n), T=row["T"],
                                      nrec=0, seed=3 + k, backend="cpu")
        assert table["spike_count"][k] == len(one.spikes)
        assert table["mean_rate"][k] == one.mean_rate


def test_sweep_of_hodgkin_huxley_populations(client):
    rows = {"I_app": [0.0, 5.0, 10.0], "neurons": [3, 3, 2], "T": [0.05, 0.05, 0.2]}
    table = gd.sweep(rows, model="hodgkin_huxley", seed=11, spikes=True, backend="cpu")
    for k in range(3):
        one = models.hodgkin_huxley(rows["neurons"][k], rows["T"][k], I_app=rows["I_app"][k],
                                    seed=11 + k, record=0, backend="cpu")
        count = sum(len(run.spike_times) for run in one)
        assert table["spike_count"][k] == count == len(table["spikes"][k])
        assert table["mean_rate"][k] == count / (rows["neurons"][k] * rows["T"][k])
        # NumPy as the oracle of the statistic: mean over trains of 3+ spikes of std/mean.
        cvs = [np.diff(r.spike_times).std() / np.diff(r.spike_times).mean()
               for r in one if len(r.spike_times) >= 3]
        if cvs:
            assert table["isi_cv"][k] == pytest.approx(np.mean(cvs), rel=1e-12)
        else:
            assert np.isnan(table["isi_cv"][k])
    assert table["spike_count"][2] > table["spike_count"][0]


def test_sweep_default_batches_use_every_worker_and_zero_neurons(client):
    table = gd.sweep({"neurons": [0, 1], "T": [0.01, 0.01]}, model="hodgkin_huxley",
                     backend="cpu")
    assert table["spike_count"][0] == 0 and np.isnan(table["mean_rate"][0])
    assert np.isnan(table["isi_cv"][1]) or table["isi_cv"][1] >= 0


def test_sweep_bad_input(client):
    with pytest.raises(ValueError, match="seed \\+ k"):
        gd.sweep({"seed": [1, 2]})
    with pytest.raises(ValueError, match="model"):
        gd.sweep(2, model="izhikevich")
    with pytest.raises(ValueError, match="no parameter"):
        gd.sweep([{"tau": 1.0}])
    with pytest.raises(ValueError, match="batch_size"):
        gd.sweep(2, batch_size=0)
    empty = gd.sweep(0)
    assert len(empty) == 0 and "spike_count" in empty.columns


# ---------------------------------------------------------------------------------------------
# Faults, devices
# ---------------------------------------------------------------------------------------------


def _slow_partition(i, n):
    """A partition that takes a while to load (a slow file system), the same every time."""
    time.sleep(0.4)
    return np.random.default_rng(1000 + i).normal(size=n)


def test_a_worker_killed_mid_computation_changes_nothing():
    parts, size = 16, 20_011
    load = dask.delayed(_slow_partition, pure=True)
    x = da.concatenate([da.from_delayed(load(i, size), (size,), np.float64)
                        for i in range(parts)])
    y = da.concatenate([da.from_delayed(load(i + parts, size), (size,), np.float64)
                        for i in range(parts)])
    expected = np.histogram2d(x.compute(scheduler="sync"), y.compute(scheduler="sync"),
                              bins=40, range=[[-4, 4], [-4, 4]])[0]
    with _cluster() as cluster, distributed.Client(cluster) as client:
        before = client.run(os.getpid)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(gd.histogram2d, x, y, bins=40, range=[[-4, 4], [-4, 4]],
                                  client=client, backend="cpu")
            time.sleep(1.5)   # partitions are loading on both workers
            assert not running.done()
            victim = sorted(before.values())[0]
            os.kill(victim, signal.SIGKILL)
            H, _, _ = running.result(timeout=120)
        client.wait_for_workers(2, timeout=60)
        after = client.run(os.getpid)
    assert victim not in after.values()   # the nanny started a new worker process
    np.testing.assert_array_equal(H, expected)   # nothing lost, nothing counted twice


def test_assign_adapters_pins_one_adapter_per_worker_across_restarts():
    adapters = gpusci._core.adapters()
    if not adapters:
        pytest.skip("no GPU adapter")
    by_index = [str(adapters[0]["index"])] * 2
    with _cluster() as cluster, distributed.Client(cluster) as client:
        chosen = gd.assign_adapters(client, adapters=by_index)
        assert sorted(chosen.values()) == by_index
        client.wait_for_workers(2, timeout=60)
        seen = client.run(lambda: os.environ.get("GPUSCI_ADAPTER"))
        assert sorted(seen.values()) == by_index
        described = client.run(lambda: gpusci._core.describe_backend("gpu"))
        assert all(adapters[0]["name"] in text for text in described.values())
        # A worker that dies comes back with its adapter: the nanny keeps it.
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        now = {}
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = client.run(os.getpid, on_error="ignore")
            if len(now) == 2 and victim not in now.values():
                break
        assert len(now) == 2 and victim not in now.values()
        seen = client.run(lambda: os.environ.get("GPUSCI_ADAPTER"))
        assert sorted(seen.values()) == by_index


@pytest.mark.parametrize("hold", ["all", "none", "no client"])
def test_bounds_pass_holding_partitions_or_not(client, points, monkeypatch, hold):
    # Partitions found by the bounds pass are binned from the workers' memory while they fit
    # in HOLD_FRACTION of it, and read again past it (or without a distributed client).
    if hold == "none":
        monkeypatch.setattr(gd, "HOLD_FRACTION", 0.0)
    if hold == "no client":
        monkeypatch.setattr(gd, "_current_client", lambda client: None)
    x, y, _ = points
    H, xe, ye = gd.histogram2d(_chunked(x), _chunked(y), bins=(61, 29), backend="cpu")
    H0, xe0, ye0 = np.histogram2d(x, y, bins=(61, 29))
    np.testing.assert_array_equal(H, H0)
    np.testing.assert_array_equal(xe, xe0)
