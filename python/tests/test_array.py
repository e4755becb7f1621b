"""``gpusci.Array``: NumPy expressions on data that stays on the GPU, against NumPy.

The seed program's low-pass chain (fft, a boolean-mask assignment, ifft, ``.real``) moves its
data up once and its result down once; with the CPU backend the same script gets NumPy arrays
and the same answer. Operators and ufuncs follow NumPy 2 (dtypes, NaN, infinities, empty and
0-d arrays, broadcasting); anything not listed raises ``TypeError`` without downloading.
The kernels themselves are held to their CPU twin on every adapter by tests/gpu/elementwise.rs;
the chain runs here on each adapter in a process of its own."""

import os
import subprocess
import sys

import numpy as np
import pytest

import gpusci
import gpusci._core as core
import gpusci.fft

needs_gpu = pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")

#: float32 results against NumPy's float32: WGSL allows 2.5 ulp for quotients and roots.
F32_RTOL = 4 * np.finfo(np.float32).eps
#: float64 results (native or double-float) against NumPy: double-float's 2^-47 of the scale.
F64_RTOL = 1e-13
#: The seed chain's FFTs at float64 accuracy (2e-15 (log2 n + 1) relative, times the scale).
CHAIN_ATOL = 1e-11

SLACK = 64 * 1024


def seed_chain(data, threshold, backend):
    """The seed program's low-pass filter, written as NumPy code on gpusci's arrays."""
    x = gpusci.asarray(data, backend=backend)
    data_fft = gpusci.fft.fft(x, backend=backend)
    data_fft[np.abs(data_fft) < threshold] = 0
    return gpusci.fft.ifft(data_fft, backend=backend).real


def numpy_chain(data, threshold):
    data_fft = np.fft.fft(data)
    data_fft[np.abs(data_fft) < threshold] = 0
    return np.fft.ifft(data_fft).real


@needs_gpu
def test_the_seed_chain_stays_on_the_gpu_and_equals_numpy(rng):
    data = rng.standard_normal(1 << 14) + np.sin(np.arange(1 << 14) * 0.05) * 8
    gpusci.asarray(data, backend="gpu")  # warm: pipelines compiled, pool filled
    gpusci.device_stats(reset=True)
    result = seed_chain(data, 150.0, "gpu")
    assert isinstance(result, gpusci.Array)
    assert result.dtype == np.float64 and result.shape == data.shape
    host = result.get()
    stats = gpusci.device_stats()
    assert stats["uploaded_bytes"] <= data.nbytes + SLACK, stats
    assert stats["downloaded_bytes"] <= host.nbytes + SLACK, stats
    assert stats["waits"] == 1, stats
    want = numpy_chain(data, 150.0)
    np.testing.assert_allclose(host, want, rtol=0, atol=CHAIN_ATOL * np.abs(want).max())


def test_the_seed_chain_on_the_cpu_gives_numpy_arrays(rng):
    data = rng.standard_normal(4096)
    result = seed_chain(data, 40.0, "cpu")
    assert type(result) is np.ndarray
    np.testing.assert_allclose(result, numpy_chain(data, 40.0), rtol=0, atol=1e-12)


@needs_gpu
@pytest.mark.parametrize("adapter", ["vulkan", "gl"])
def test_the_seed_chain_on_each_adapter(adapter, tmp_path):
    if not any(a["backend"].lower() == adapter for a in core.adapters()):
        pytest.skip(f"no {adapter} adapter")
    script = (
        "import numpy as np, gpusci, gpusci.fft\n"
        "data = np.random.default_rng(3).standard_normal(3000)\n"
        "x = gpusci.asarray(data, backend='gpu')\n"
        "f = gpusci.fft.fft(x)\n"
        "f[np.abs(f) < 30] = 0\n"
        "got = gpusci.fft.ifft(f).real.get()\n"
        "g = np.fft.fft(data); g[np.abs(g) < 30] = 0\n"
        "want = np.fft.ifft(g).real\n"
        "print(np.abs(got - want).max() / np.abs(want).max())\n"
    )
    env = dict(os.environ, GPUSCI_ADAPTER=adapter)
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.split()[-1]) < CHAIN_ATOL


DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def _values(rng, shape, dtype):
    x = rng.uniform(-2, 2, shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-2, 2, shape)
    x = x.astype(dtype)
    flat = x.reshape(-1)
    if flat.size > 6:
        flat[1] = np.nan
        flat[3] = np.inf
        flat[5] = 0
    return x


def _close(got, want):
    assert isinstance(got, gpusci.Array), type(got)
    host = got.get()
    assert host.dtype == want.dtype, (host.dtype, want.dtype)
    assert host.shape == want.shape
    if want.dtype == np.bool_:
        np.testing.assert_array_equal(host, want)
        return
    rtol = F32_RTOL if want.dtype in (np.float32, np.complex64) else F64_RTOL
    finite = np.abs(want[np.isfinite(want)]) if want.size else np.zeros(0)
    scale = finite.max() if finite.size else 0.0
    np.testing.assert_allclose(host, want, rtol=rtol, atol=rtol * scale, equal_nan=True)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((4, 1), (1, 5)), ((7,), (3, 7)), ((), (6,)), ((0, 3), (3,)),
                                    ((1,), (1,))])
def test_operators_and_ufuncs_match_numpy(rng, dtype, shapes):
    a, b = _values(rng, shapes[0], dtype), _values(rng, shapes[1], dtype)
    x, y = gpusci.asarray(a, backend="gpu"), gpusci.asarray(b, backend="gpu")
    with np.errstate(all="ignore"):
        for op in (np.add, np.subtract, np.multiply):
            _close(op(x, y), op(a, b))
        _close(x + y, a + b)
        _close(x - 2.5, a - dtype(2.5))
        _close(3 * x, dtype(3) * a)
        _close(x == y, a == b)
        _close(x != y, a != b)
        _close(-x, -a)
        _close(abs(x), np.abs(a))
        _close(np.conjugate(x), np.conjugate(a))
        _close(x.real, a.real)
        _close(x.imag, a.imag)
        _close(np.real(x), np.real(a))
        _close(x / 4.0, a / dtype(4.0))
        if np.dtype(dtype).kind == "f":
            _close(x / y, a / b)
            _close(2.0 / x, dtype(2.0) / a)
            for op in (np.minimum, np.maximum, np.less, np.less_equal, np.greater,
                       np.greater_equal):
                _close(op(x, y), op(a, b))
            _close(x < 0.5, a < 0.5)
            _close(np.sqrt(x), np.sqrt(a))
            _close((x < 0) & (y > 0), (a < 0) & (b > 0))
            _close((x < 0) | (y > 0), (a < 0) | (b > 0))
            _close(~(x < 0), ~(a < 0))
            _close(np.logical_xor(x < 0, y > 0), np.logical_xor(a < 0, b > 0))
        else:
            _close(x + 1j, a + dtype(1j))


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_complex_scalar_makes_a_real_array_complex(rng, dtype):
    a = _values(rng, (9,), dtype)
    got = gpusci.asarray(a, backend="gpu") * (2 - 1j)
    want = a * (2 - 1j)
    assert want.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    _close(got, want)


@needs_gpu
def test_masked_assignment_out_and_attributes(rng):
    a = _values(rng, (5, 6), np.float64)
    x = gpusci.asarray(a, backend="gpu")
    assert (x.shape, x.ndim, x.size, x.nbytes, len(x)) == ((5, 6), 2, 30, a.nbytes, 5)
    assert x.dtype == np.float64 and isinstance(x.device, str)
    assert "gpusci.Array(shape=(5, 6), dtype=float64" in repr(x)
    kept = x.copy()
    with np.errstate(invalid="ignore"):
        x[x > 1] = -7
        want = a.copy()
        want[want > 1] = -7
    _close(x, want)
    _close(kept, a)
    out = gpusci.asarray(np.zeros((5, 6)), backend="gpu")
    result = np.add(x, 1.0, out=out)
    assert result is out
    _close(out, want + 1)
    np.testing.assert_array_equal(np.asarray(out), want + 1)
    with pytest.raises(ValueError):
        np.add(x, 1.0, out=gpusci.asarray(np.zeros(3), backend="gpu"))


@needs_gpu
def test_unsupported_operations_raise_type_error_without_downloading(rng):
    x = gpusci.asarray(rng.standard_normal(1000), backend="gpu")
    gpusci.device_stats(reset=True)
    with pytest.raises(TypeError, match="exp"):
        np.exp(x)
    with pytest.raises(TypeError, match="sum"):
        np.sum(x)
    with pytest.raises(TypeError, match="gpusci.asarray"):
        x + np.ones(1000)
    with pytest.raises(TypeError):
        x[3]
    with pytest.raises(TypeError):
        x[1:3] = 0
    with pytest.raises(TypeError):
        len(gpusci.asarray(np.float64(1.0), backend="gpu"))
    with pytest.raises(ValueError):
        np.asarray(x, copy=False)
    with pytest.raises(TypeError, match="int64"):
        gpusci.asarray(np.arange(4), backend="gpu")
    assert gpusci.device_stats()["downloaded_bytes"] == 0
    with pytest.raises(ValueError):
        gpusci.asarray(np.ones(3), backend="tpu")


def test_asarray_on_the_cpu_is_numpy():
    got = gpusci.asarray([1.0, 2.0], backend="cpu")
    assert type(got) is np.ndarray and got.dtype == np.float64


@needs_gpu
def test_numpy_scalars_promote_as_numpy_2(rng):
    a32 = _values(rng, (8,), np.float32)
    a64 = _values(rng, (8,), np.float64)
    x32, x64 = gpusci.asarray(a32, backend="gpu"), gpusci.asarray(a64, backend="gpu")
    with np.errstate(all="ignore"):
        _close(x64 < np.float64(0.5), a64 < np.float64(0.5))
        _close(x32 * np.float32(3), a32 * np.float32(3))
        # NEP 50: a float64 scalar makes a float32 array's result float64 (the mixed precisions
        # run on the CPU, with a warning, and come back).
        with pytest.warns(RuntimeWarning, match="add"):
            got = x32 + np.float64(2)
        _close(got, a32 + np.float64(2))
        _close(x64 * np.complex128(1 - 2j), a64 * np.complex128(1 - 2j))


@needs_gpu
def test_truth_byte_order_small_scalars_and_complex_order(rng):
    a = _values(rng, (6,), np.float32)
    x = gpusci.asarray(a, backend="gpu")
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x == x)
    assert bool(gpusci.asarray(np.array([2.0]), backend="gpu") > 1)
    big_endian = np.arange(5, dtype=">f8")
    _close(gpusci.asarray(big_endian, backend="gpu") * 2, big_endian.astype(np.float64) * 2)
    with np.errstate(all="ignore"):
        _close(x * np.int16(2), a * np.int16(2))          # float32, as NumPy 2
        _close(x * np.True_, a * np.True_)
        _close((x > 0) & True, (a > 0) & True)
    with pytest.raises(TypeError):
        (x > 0) & 2
    z = _values(rng, (7,), np.complex128)
    w = _values(rng, (7,), np.complex128)
    z[2] = w[2].real + 1j * (w[2].imag + 1)  # equal real parts: the imaginary parts decide
    zd, wd = gpusci.asarray(z, backend="gpu"), gpusci.asarray(w, backend="gpu")
    with np.errstate(all="ignore"):
        for op in (np.less, np.less_equal, np.greater, np.greater_equal):
            _close(op(zd, wd), op(z, w))
        with pytest.warns(RuntimeWarning):
            got = np.minimum(zd, wd)
        _close(got, np.minimum(z, w))
        _close(zd / (1e200 + 1e200j), z / (1e200 + 1e200j))
