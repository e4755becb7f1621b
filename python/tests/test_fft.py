"""gpusci.fft against numpy.fft: every length from 1 to 130, n, axis, norm, 2-D; the
scipy.fft backend."""

import numpy as np
import pytest
import scipy.fft

from gpusci import fft

#: float64 FFTs: relative L2 error grows like log n; 1e-13 covers every length here.
FFT_RTOL = 1e-13


def _close(a, b):
    scale = max(np.linalg.norm(b), 1e-300)
    assert np.linalg.norm(a - b) <= FFT_RTOL * scale * max(np.log2(b.size), 1)


def test_every_length(rng):
    for n in range(1, 131):
        x = rng.normal(size=n) + 1j * rng.normal(size=n)
        _close(fft.fft(x), np.fft.fft(x))
        _close(fft.ifft(x), np.fft.ifft(x))
        r = x.real
        _close(fft.rfft(r), np.fft.rfft(r))
        _close(fft.irfft(np.fft.rfft(r), n), r)


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_n_axis_norm(rng, norm):
    x = rng.normal(size=(6, 10))
    for n in (None, 4, 16):
        for axis in (0, -1):
            _close(fft.fft(x, n, axis, norm), np.fft.fft(x, n, axis, norm))
            _close(fft.ifft(x, n, axis, norm), np.fft.ifft(x, n, axis, norm))
            _close(fft.rfft(x, n, axis, norm), np.fft.rfft(x, n, axis, norm))
            _close(fft.irfft(x, n, axis, norm), np.fft.irfft(x, n, axis, norm))
    _close(fft.fft2(x, norm=norm), np.fft.fft2(x, norm=norm))
    _close(fft.ifft2(x, s=(4, 12), norm=norm), np.fft.ifft2(x, s=(4, 12), norm=norm))


def test_freqs_and_errors():
    for n in (1, 2, 7, 10):
        np.testing.assert_array_equal(fft.fftfreq(n, 0.1), np.fft.fftfreq(n, 0.1))
        np.testing.assert_array_equal(fft.rfftfreq(n, 0.1), np.fft.rfftfreq(n, 0.1))
    with pytest.raises(ValueError):
        fft.fft(np.ones(4), n=0)
    with pytest.raises(ValueError):
        fft.fft(np.ones(4), norm="bogus")


def test_scipy_backend(rng):
    x = rng.normal(size=64).astype(np.float32)
    with scipy.fft.set_backend(fft, only=True):
        got = scipy.fft.rfft(x)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, np.fft.rfft(x), rtol=1e-5, atol=1e-5)
    # What gpusci does not do (a DCT, complex input to rfft) falls back to SciPy.
    expected = scipy.fft.dct(x.astype(float))
    with scipy.fft.set_backend(fft):
        np.testing.assert_allclose(scipy.fft.dct(x.astype(float)), expected)
    assert fft.__ua_function__(scipy.fft.dct, (x,), {}) is NotImplemented
    assert fft.__ua_function__(scipy.fft.rfft, (x + 1j,), {}) is NotImplemented


def test_numpy2_dtypes_nd_and_shifts(rng):
    x32 = rng.normal(size=(4, 6)).astype(np.float32)
    for ours, theirs in ((fft.fft, np.fft.fft), (fft.rfft, np.fft.rfft), (fft.fft2, np.fft.fft2),
                         (fft.rfft2, np.fft.rfft2), (fft.fftn, np.fft.fftn),
                         (fft.rfftn, np.fft.rfftn)):
        got, want = ours(x32), theirs(x32)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    x = rng.normal(size=(3, 4, 5))
    for ours, theirs in ((fft.fftn, np.fft.fftn), (fft.ifftn, np.fft.ifftn)):
        _close(ours(x), theirs(x))
        _close(ours(x, s=(3, 8), axes=(0, 2)), theirs(x, s=(3, 8), axes=(0, 2)))
    spectrum = np.fft.rfftn(x)
    _close(fft.irfftn(spectrum, s=x.shape, axes=(0, 1, 2)),
           np.fft.irfftn(spectrum, s=x.shape, axes=(0, 1, 2)))
    _close(fft.irfft2(np.fft.rfft2(x)), np.fft.irfft2(np.fft.rfft2(x)))
    _close(fft.fft2(x, axes=None), np.fft.fft2(x, axes=None))
    for axes in (None, 0, (1, 2)):
        np.testing.assert_array_equal(fft.fftshift(x, axes), np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    with pytest.raises(ValueError):
        fft.irfft(np.array([1 + 0j]))
    with pytest.raises(np.exceptions.AxisError):
        fft.fft(np.ones(3), axis=2)
    with pytest.raises(TypeError):
        fft.fft(np.arange(4.0), out=np.empty(4))


#: float32 transforms (the GPU computes in float32; single-precision input on the CPU is
#: rounded to float32): relative L2 error about 1e-7 per log2 n; 1e-6 per log2 n bounds it.
F32_RTOL_PER_LOG2 = 1e-6


def _close32(a, b):
    scale = max(np.linalg.norm(b), 1e-300)
    assert np.linalg.norm(a - b) <= F32_RTOL_PER_LOG2 * scale * max(np.log2(b.size), 1)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_every_length_on_each_backend(backend, rng, dtype):
    """Lengths 1 to 130 (powers of two, mixed radix, Bluestein primes) on the CPU and the GPU;
    complex64 stays complex64, complex128 stays complex128."""
    for n in range(1, 131):
        x = (rng.normal(size=(2, n)) + 1j * rng.normal(size=(2, n))).astype(dtype)
        got = fft.fft(x, backend=backend)
        assert got.dtype == dtype
        exact = backend == "cpu" and dtype == np.complex128
        (_close if exact else _close32)(got, np.fft.fft(x.astype(np.complex128)))
        back = fft.ifft(got, backend=backend)
        (_close if exact else _close32)(back, x.astype(np.complex128))
        r = x.real
        spectrum = fft.rfft(r, backend=backend)
        assert spectrum.dtype == dtype
        (_close if exact else _close32)(spectrum, np.fft.rfft(r.astype(np.float64)))
        (_close if exact else _close32)(fft.irfft(spectrum, n, backend=backend), r)


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_n_axis_norm_and_2d_on_each_backend(backend, rng, norm):
    x = (rng.normal(size=(6, 10, 7)) + 1j * rng.normal(size=(6, 10, 7))).astype(np.complex64)
    wide = x.astype(np.complex128)
    for n in (None, 5, 13, 16):
        for axis in (0, 1, -1):
            _close32(fft.fft(x, n, axis, norm, backend=backend), np.fft.fft(wide, n, axis, norm))
            _close32(fft.irfft(x, n, axis, norm, backend=backend),
                     np.fft.irfft(wide, n, axis, norm))
    _close32(fft.fft2(x, s=(7, 11), norm=norm, backend=backend),
             np.fft.fft2(wide, s=(7, 11), norm=norm))
    _close32(fft.rfftn(x.real, norm=norm, backend=backend), np.fft.rfftn(wide.real, norm=norm))
    _close32(fft.irfftn(x, s=(5, 6, 9), axes=(0, 1, 2), norm=norm, backend=backend),
             np.fft.irfftn(wide, s=(5, 6, 9), axes=(0, 1, 2), norm=norm))


def test_backend_and_precision_reach_the_core(rng, monkeypatch):
    """'auto' is forwarded as asked (the core's 'auto' picks only a hardware GPU, where float64
    keeps float64 accuracy); precision reaches the core; bad values are a ValueError."""
    import gpusci._core as core
    calls = []
    original = core.fft_rows
    monkeypatch.setattr(core, "fft_rows",
                        lambda rows, inverse, backend=None, precision=None:
                        calls.append((backend, precision))
                        or original(rows, inverse, backend, precision))
    x = rng.normal(size=33)
    fft.fft(x, backend="auto")
    fft.fft(x.astype(np.float32), backend="cpu", precision="single")
    assert calls == [("auto", "auto"), ("cpu", "single")]
    with pytest.raises(ValueError):
        fft.fft(x, backend="tpu")
    with pytest.raises(ValueError):
        fft.fft(x, precision="half")
