"""gpusci.convolve and gpusci.signal against NumPy/SciPy."""

import numpy as np
import pytest
import scipy.signal

import gpusci
from gpusci import signal

#: float64 on the CPU (FFT or direct): float64 rounding of max|a| * sum|v|.
F64_TOL = 1e-12
#: The GPU computes in float32 (today's precision; float64 on the GPU is a later issue).
GPU_TOL = 1e-5


def _tol(backend, a, v):
    scale = np.abs(a).max() * np.abs(v).sum()
    return (F64_TOL if backend == "cpu" else GPU_TOL) * scale


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_numpy_convolve(backend, rng, mode):
    a, v = rng.normal(size=300), rng.normal(size=31)
    for x, y in ((a, v), (v, a)):
        np.testing.assert_allclose(gpusci.convolve(x, y, mode, backend=backend),
                                   np.convolve(x, y, mode), atol=_tol(backend, a, v))
    ints = np.arange(10)
    assert gpusci.convolve(ints, [1, 2]).dtype == np.convolve(ints, [1, 2]).dtype
    np.testing.assert_array_equal(gpusci.convolve(ints, [1, 2]), np.convolve(ints, [1, 2]))
    with pytest.raises(ValueError):
        gpusci.convolve([], [1.0])


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_scipy_1d_2d(backend, rng, mode, method, fn):
    ours, theirs = getattr(signal, fn), getattr(scipy.signal, fn)
    a, v = rng.normal(size=200), rng.normal(size=17)
    np.testing.assert_allclose(ours(a, v, mode, method, backend=backend),
                               theirs(a, v, mode, method), atol=_tol(backend, a, v))
    a2, v2 = rng.normal(size=(21, 30)), rng.normal(size=(5, 4))
    np.testing.assert_allclose(ours(a2, v2, mode, method, backend=backend),
                               theirs(a2, v2, mode, method), atol=_tol(backend, a2, v2))


def test_fft_convolutions_and_lags(backend, rng):
    a, v = rng.normal(size=500).astype(np.float32), rng.normal(size=40).astype(np.float32)
    for ours, theirs in ((signal.fftconvolve, scipy.signal.fftconvolve),
                         (signal.oaconvolve, scipy.signal.oaconvolve)):
        got = ours(a, v, "same", backend=backend)
        want = theirs(a, v, "same")
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-4)
    for mode in ("full", "same", "valid"):
        np.testing.assert_array_equal(signal.correlation_lags(50, 13, mode),
                                      scipy.signal.correlation_lags(50, 13, mode))


def test_lag_crossings_rolling(backend, rng):
    t = np.arange(4096)
    a = np.sin(t / 37.0) + 0.1 * rng.normal(size=t.size)
    b = np.roll(a, 123)
    found = signal.lag(a, b, rate=1000.0, backend=backend)
    full = scipy.signal.correlate(a, b)
    assert found.samples == scipy.signal.correlation_lags(a.size, b.size)[np.argmax(full)]
    assert found.seconds == found.samples / 1000.0
    x = rng.normal(size=1000)
    want = np.argwhere(np.diff(x > 0.3, prepend=False)).ravel()
    np.testing.assert_array_equal(signal.crossings(x, 0.3, backend=backend), want)
    x32 = np.array([0, 0.1, 0, 0.2, 0.3, 0, 1e-8, 0], np.float32)
    np.testing.assert_array_equal(signal.crossings(x32, 0.1, backend=backend),
                                  np.argwhere(np.diff(x32 > 0.1, prepend=False)).ravel())
    for mode in ("valid", "same", "full"):
        np.testing.assert_allclose(signal.rolling_mean(x, 20, mode=mode, backend=backend),
                                   np.convolve(x, np.ones(20) / 20, mode), atol=1e-12)
    holes = x.copy()
    holes[[5, 400]] = np.nan
    omitted = signal.rolling_mean(holes, 7, nan_policy="omit", min_count=6, backend=backend)
    np.testing.assert_allclose(omitted, signal.rolling_mean(holes, 7, nan_policy="omit",
                                                            min_count=6, backend="cpu"),
                               atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="same dimensionality"):
        signal.convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        signal.convolve(np.ones(3), np.ones(2), mode="chips")
    with pytest.raises(ValueError, match="method"):
        signal.convolve(np.ones(3), np.ones(2), method="magic")
    with pytest.raises(gpusci.UnsupportedInput):
        signal.convolve(np.ones(3, complex), np.ones(2))
    with pytest.raises(NotImplementedError):
        signal.convolve(np.ones((2, 2, 2)), np.ones((2, 2, 2)))
