"""float64 on the GPU: with ``precision='auto'`` (the default) or ``'double'`` float64 input
keeps float64 accuracy against SciPy/NumPy (native float64 on lavapipe's Vulkan, double-float
where an adapter has none); ``'single'`` trades it for float32's; float32 input stays float32.
SciPy and NumPy are the oracles."""

import warnings

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

import gpusci
import gpusci._core as core
import gpusci.fft
import gpusci.ndimage
import gpusci.signal

pytestmark = pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")

#: float64 results on a GPU, relative to the largest magnitude of SciPy's: sums of a few
#: hundred terms rounded at 2^-53 (native) or about 2^-47 (double-float).
F64_REL = 1e-12
#: precision='single': float32 sums (the float32 tests' bound).
SINGLE_REL = 2e-5


def _rel(got, want):
    return np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300)


def test_float64_keeps_float64_accuracy_on_the_gpu(rng):
    image = rng.normal(size=(61, 47))
    a, v = rng.normal(size=3001), rng.normal(size=129)
    x = rng.normal(size=1000) + 1j * rng.normal(size=1000)
    for precision in ("auto", "double"):
        kw = dict(backend="gpu", precision=precision)
        got = gpusci.ndimage.gaussian_filter(image, 2.5, mode="wrap", **kw)
        assert got.dtype == np.float64
        assert _rel(got, scipy.ndimage.gaussian_filter(image, 2.5, mode="wrap")) < F64_REL
        got = gpusci.ndimage.gaussian_filter1d(image, 4.0, axis=0, order=1, **kw)
        want = scipy.ndimage.gaussian_filter1d(image, 4.0, axis=0, order=1)
        assert _rel(got, want) < F64_REL
        for method in ("direct", "fft"):
            got = gpusci.signal.convolve(a, v, "same", method, **kw)
            assert _rel(got, scipy.signal.convolve(a, v, "same", "direct")) < F64_REL
            got = gpusci.signal.correlate(a, v, "full", method, **kw)
            assert _rel(got, scipy.signal.correlate(a, v, "full", "direct")) < F64_REL
        got = gpusci.signal.fftconvolve(image, image[:9, :7], **kw)
        assert _rel(got, scipy.signal.convolve(image, image[:9, :7], method="direct")) < F64_REL
        assert _rel(gpusci.fft.fft(x, **kw), np.fft.fft(x)) < F64_REL
        assert _rel(gpusci.fft.irfft(x, 999, **kw), np.fft.irfft(x, 999)) < F64_REL
        assert _rel(gpusci.fft.fft2(image, **kw), np.fft.fft2(image)) < F64_REL


def test_single_precision_is_float32_and_float32_input_stays_float32(rng):
    image = rng.normal(size=(61, 47))
    a, v = rng.normal(size=3001), rng.normal(size=129)
    got = gpusci.ndimage.gaussian_filter(image, 2.5, backend="gpu", precision="single")
    err = _rel(got, scipy.ndimage.gaussian_filter(image, 2.5))
    # float32 arithmetic: clearly worse than float64's, within float32's bound.
    assert 1e-12 < err < SINGLE_REL
    got = gpusci.signal.convolve(a, v, backend="gpu", precision="single")
    err = _rel(got, scipy.signal.convolve(a, v, method="direct"))
    assert 1e-12 < err < SINGLE_REL
    got = gpusci.signal.convolve(a.astype(np.float32), v.astype(np.float32), backend="gpu")
    assert got.dtype == np.float32
    got = gpusci.ndimage.gaussian_filter(image.astype(np.float32), 2.5, backend="gpu")
    assert got.dtype == np.float32


def test_lag_and_bad_precision(rng):
    base = rng.normal(size=5000)
    found = gpusci.signal.lag(base[100:4000], base[137:4037], backend="gpu", precision="double")
    assert found.samples == 37
    with pytest.raises(ValueError, match="precision"):
        gpusci.ndimage.gaussian_filter(base, 1.0, precision="quad")
    with pytest.raises(ValueError, match="precision"):
        gpusci.signal.convolve(base, base[:5], precision="float64")


def test_hodgkin_huxley_double_runs_in_float64_and_says_so():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gpu = gpusci.models.hodgkin_huxley(2, T=0.02, backend="gpu", precision="double")
    assert any("float64" in str(w.message) for w in caught), [str(w.message) for w in caught]
    cpu = gpusci.models.hodgkin_huxley(2, T=0.02, backend="cpu")
    for g, c in zip(gpu, cpu):
        np.testing.assert_array_equal(g.trace, c.trace)
