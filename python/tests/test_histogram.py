"""gpusci.histogram2d against numpy.histogram2d: counts identical, edges identical (dtype
included), weights and density to float64 rounding; heatmaps."""

import numpy as np
import pytest

import gpusci

#: Weighted sums and density divisions in another order than np.bincount's.
WEIGHT_RTOL = 1e-12


def _same(ours, theirs, exact=True):
    (h, xe, ye), (hn, xen, yen) = ours, theirs
    assert xe.dtype == xen.dtype and ye.dtype == yen.dtype
    np.testing.assert_array_equal(xe, xen)
    np.testing.assert_array_equal(ye, yen)
    assert h.dtype == hn.dtype == np.float64
    if exact:
        np.testing.assert_array_equal(h, hn)
    else:
        np.testing.assert_allclose(h, hn, rtol=WEIGHT_RTOL, atol=1e-300)


@pytest.mark.parametrize("bins", [10, [7, 13], np.linspace(0, 1, 6),
                                  [5, np.array([0.0, 0.1, 0.5, 1.0])]])
def test_bins_forms(backend, rng, bins):
    x, y = rng.random(5000), rng.random(5000)
    _same(gpusci.histogram2d(x, y, bins, backend=backend), np.histogram2d(x, y, bins))


def test_range_density_weights(backend, rng):
    x, y = rng.normal(size=4000), rng.normal(size=4000)
    w = rng.random(4000)
    r = [[-1, 2], [-3, 0.5]]
    _same(gpusci.histogram2d(x, y, 16, range=r, backend=backend),
          np.histogram2d(x, y, 16, range=r))
    _same(gpusci.histogram2d(x, y, 16, range=r, weights=w, density=True, backend=backend),
          np.histogram2d(x, y, 16, range=r, weights=w, density=True), exact=False)
    ints = rng.integers(0, 5, 4000)
    _same(gpusci.histogram2d(x, y, 9, weights=ints, backend=backend),
          np.histogram2d(x, y, 9, weights=ints))


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float32", "float64"),
                                    ("float32", "int16"), ("int64", "int64")])
def test_dtype_rules(backend, rng, dtypes):
    grid = rng.integers(0, 2001, size=(2, 20000)) / 2000 * 3 - 1
    x, y = (grid[0] * 7).astype(dtypes[0]), (grid[1] * 5).astype(dtypes[1])
    _same(gpusci.histogram2d(x, y, [301, 203], backend=backend),
          np.histogram2d(x, y, [301, 203]))


def test_field_report_float32_edges(backend):
    x = np.array([0.1, 0.7, 0.29999998211860657], np.float32)
    y = np.zeros(3, np.float32)
    h, _, _ = gpusci.histogram2d(x, y, (3, 1), backend=backend)
    np.testing.assert_array_equal(h.ravel(), [1, 1, 1])


def test_empty_lists_and_errors(monkeypatch):
    _same(gpusci.histogram2d([], [], 4), np.histogram2d([], [], 4))
    _same(gpusci.histogram2d([0.1, 0.5], [0.2, 0.9], 3), np.histogram2d([0.1, 0.5], [0.2, 0.9], 3))
    with pytest.raises(ValueError, match="same length"):
        gpusci.histogram2d([1.0, 2.0], [1.0], 3)
    with pytest.raises(ValueError):
        gpusci.histogram2d([np.nan, 1.0], [1.0, 2.0], 3)
    with pytest.raises(ValueError):
        gpusci.histogram2d([1.0], [1.0], 0)
    with pytest.raises(ValueError, match="monotonically"):
        gpusci.histogram2d([1.0], [1.0], [3, 2, 1])
    monkeypatch.setenv("GPUSCI_MEMORY_LIMIT", "1000000")
    with pytest.raises(MemoryError):
        gpusci.histogram2d([0.5], [0.5], [1000, 1000], range=[[0, 1], [0, 1]])


def test_heatmap(backend, rng, tmp_path):
    x, y = rng.normal(size=10000), rng.normal(size=10000)
    h = gpusci.heatmap(x, y, size=(64, 48), sigma=1.5, cmap="inferno", backend=backend)
    assert h.rgba.shape == (48, 64, 4) and h.rgba.dtype == np.uint8
    assert h.used == 10000
    png = h._repr_png_()
    assert png.startswith(b"\x89PNG")
    path = tmp_path / "h.png"
    h.to_png(path)
    assert path.read_bytes() == png
    with pytest.raises(OSError):
        h.to_png(tmp_path)


def test_open_ended_edges(backend, rng):
    x, y = rng.normal(size=3000), rng.normal(size=3000)
    x[:3] = [np.inf, -np.inf, 5.0]
    bins = [[-np.inf, -1, 0, 1, np.inf], 4]
    _same(gpusci.histogram2d(x, y, bins, backend=backend), np.histogram2d(x, y, bins))


def test_gpu_requests_warn_when_a_part_runs_on_the_cpu(backend, recwarn):
    """With a GPU backend, a part that must run on the CPU raises a RuntimeWarning saying so
    (weights with NaN have no exact fixed-point sum; eq_hist ranks on the CPU); never on the
    CPU backend."""
    import warnings
    x = np.array([0.1, 0.2, 0.7])
    y = np.array([0.3, 0.9, 0.5])
    w = np.array([1.0, np.nan, 2.0])
    if backend == "gpu":
        with pytest.warns(RuntimeWarning, match="summed on the CPU"):
            gpusci.histogram2d(x, y, bins=4, range=[[0, 1], [0, 1]], weights=w, backend=backend)
        with pytest.warns(RuntimeWarning, match="eq_hist"):
            gpusci.heatmap(x, y, size=(16, 8), range=[[0, 1], [0, 1]], scale="eq_hist",
                           backend=backend)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            gpusci.histogram2d(x, y, bins=4, range=[[0, 1], [0, 1]], weights=w, backend=backend)
            gpusci.heatmap(x, y, size=(16, 8), range=[[0, 1], [0, 1]], scale="eq_hist",
                           backend=backend)
