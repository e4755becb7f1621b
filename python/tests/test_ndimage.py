"""gpusci.ndimage against scipy.ndimage (the oracle): dtypes, byte orders, strides, lists,
0-d and empty input, every mode, per-axis arguments, axes, output=, every backend."""

import numpy as np
import pytest
from scipy import ndimage as scipy_ndimage

from gpusci import UnsupportedInput, ndimage

MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]
#: float64 on the CPU: SciPy's sums in another order, a few float64 ulps of the data's scale.
F64_TOL = 1e-12
#: float32 arithmetic (CPU smoothing path, and every GPU path, which computes in float32):
#: a few float32 ulps of the data's scale times the kernel's gain.
F32_TOL = 2e-6


def _close(actual, expected, backend, scale):
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    exact = backend == "cpu" and actual.dtype == np.float64
    tol = (F64_TOL if exact else F32_TOL) * max(scale, 1.0)
    if actual.dtype.kind in "iub":
        # Integer results are truncated float sums: one unit where SciPy's float64 sum sits
        # within rounding of an integer.
        assert np.abs(actual.astype(np.int64) - expected.astype(np.int64)).max(initial=0) <= 1
    else:
        np.testing.assert_allclose(actual, expected, rtol=0, atol=tol)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", [0, 1, 2])
def test_2d_matches_scipy(backend, rng, mode, dtype, order):
    a = rng.normal(size=(37, 53)).astype(dtype)
    ours = ndimage.gaussian_filter(a, 2.5, order=order, mode=mode, cval=0.5, backend=backend)
    theirs = scipy_ndimage.gaussian_filter(a, 2.5, order=order, mode=mode, cval=0.5)
    _close(ours, theirs, backend, 10.0)


@pytest.mark.parametrize("mode", MODES)
def test_1d_and_axis(backend, rng, mode):
    a = rng.normal(size=(6, 41))
    for axis in (0, 1, -1):
        ours = ndimage.gaussian_filter1d(a, 1.7, axis=axis, mode=mode, backend=backend)
        theirs = scipy_ndimage.gaussian_filter1d(a, 1.7, axis=axis, mode=mode)
        _close(ours, theirs, backend, 1.0)


def test_per_axis_sequences_axes_and_3d(backend, rng):
    vol = rng.normal(size=(5, 8, 9)).astype(np.float32)
    kwargs = dict(sigma=[1.0, 0.0, 2.0], order=[0, 0, 1], mode=["wrap", "reflect", "nearest"],
                  radius=[2, 3, 4])
    ours = ndimage.gaussian_filter(vol, **kwargs, backend=backend)
    _close(ours, scipy_ndimage.gaussian_filter(vol, **kwargs), backend, 5.0)
    ours = ndimage.gaussian_filter(vol, [2, 1], axes=(2, 0), backend=backend)
    _close(ours, scipy_ndimage.gaussian_filter(vol, [2, 1], axes=(2, 0)), backend, 1.0)
    ours = ndimage.gaussian_filter(vol, 1.5, axes=-1, backend=backend)
    _close(ours, scipy_ndimage.gaussian_filter(vol, 1.5, axes=-1), backend, 1.0)


@pytest.mark.parametrize("mode", MODES)
def test_volumes_every_axis_in_one_call(backend, rng, mode):
    """A (time, y, x) movie and a 4-D array, kernels wider than an axis, a 1 x N x 1 array."""
    movie = rng.normal(size=(9, 33, 40)).astype(np.float32)
    for kwargs in (dict(sigma=1.5, axes=(1, 2)), dict(sigma=[0.7, 2.0, 3.0]),
                   dict(sigma=[12.0, 1.0, 0.0]), dict(sigma=[2.0, 1.0], axes=(2, 1))):
        ours = ndimage.gaussian_filter(movie, mode=mode, cval=0.25, **kwargs, backend=backend)
        theirs = scipy_ndimage.gaussian_filter(movie, mode=mode, cval=0.25, **kwargs)
        _close(ours, theirs, backend, 1.0)
    four = rng.normal(size=(3, 4, 5, 6))
    modes = [mode, "wrap", "nearest", "mirror"]
    ours = ndimage.gaussian_filter(four, [1.0, 0.5, 2.0, 1.2], mode=modes, backend=backend)
    _close(ours, scipy_ndimage.gaussian_filter(four, [1.0, 0.5, 2.0, 1.2], mode=modes),
           backend, 1.0)
    thin = rng.normal(size=(1, 23, 1))
    _close(ndimage.gaussian_filter(thin, 2.0, mode=mode, backend=backend),
           scipy_ndimage.gaussian_filter(thin, 2.0, mode=mode), backend, 1.0)


def test_mixed_radii_take_scipy_radius_where_none_given(backend, rng):
    vol = rng.normal(size=(6, 7, 8))
    ours = ndimage.gaussian_filter(vol, [1.0, 2.0, 1.5], radius=[2, None, 5], backend=backend)
    theirs = scipy_ndimage.gaussian_filter(vol, [1.0, 2.0, 1.5], radius=[2, None, 5])
    _close(ours, theirs, backend, 1.0)


def test_nan_policy_omit_over_a_volume(backend):
    a = np.ones((6, 10, 12))
    a[2, 4, 5] = np.nan
    out = ndimage.gaussian_filter(a, [1, 2, 2], nan_policy="omit", backend=backend)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)
    # Any float output: the normalised blur runs once in the working type, stored once.
    single = ndimage.gaussian_filter(a, [1, 2, 2], output=np.float32, nan_policy="omit",
                                     backend=backend)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, 1.0, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", [MODES, ["wrap", "constant"]])
def test_stack_equals_separate_scipy_calls(backend, rng, dtype, mode):
    stack = rng.normal(size=(7, 30, 41)).astype(dtype)
    sigmas = [0.0, 0.5, 1.0, 2.5, 4.0, 15.0, 1e-16]
    for one_mode in mode if mode is MODES else [mode]:
        ours = ndimage.gaussian_filter_stack(stack, sigmas, mode=one_mode, cval=0.5,
                                             backend=backend)
        theirs = np.stack([scipy_ndimage.gaussian_filter(img, s, mode=one_mode, cval=0.5)
                           for img, s in zip(stack, sigmas)])
        _close(ours, theirs, backend, 1.0)


def test_stack_dtypes_and_errors(backend, rng):
    ints = (rng.random((3, 8, 9)) * 100).astype(np.int16)
    out = ndimage.gaussian_filter_stack(ints, [1, 2, 3], backend=backend)
    assert out.dtype == np.float64
    theirs = np.stack([scipy_ndimage.gaussian_filter(img.astype(np.float64), s)
                       for img, s in zip(ints, [1, 2, 3])])
    _close(out, theirs, backend, 100.0)
    assert ndimage.gaussian_filter_stack(np.zeros((0, 4, 4)), [], backend=backend).shape == (0, 4, 4)
    with pytest.raises(ValueError, match="one per image"):
        ndimage.gaussian_filter_stack(ints, [1, 2])
    with pytest.raises(ValueError, match="stack"):
        ndimage.gaussian_filter_stack(np.ones((4, 4)), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="sigma"):
        ndimage.gaussian_filter_stack(ints, [1, -2, 3])
    with pytest.raises(TypeError):
        ndimage.gaussian_filter_stack(ints, [1, 2, 3], output=np.int16)
    with pytest.raises(RuntimeError):
        ndimage.gaussian_filter_stack(ints, [1, 2, 3], mode=["wrap"] * 3)


@pytest.mark.parametrize("dtype", [np.int16, np.uint8, np.int64, np.bool_])
def test_integer_inputs_keep_their_dtype(backend, rng, dtype):
    a = (rng.random((12, 15)) * 100).astype(dtype)
    ours = ndimage.gaussian_filter(a, 1.3, backend=backend)
    theirs = scipy_ndimage.gaussian_filter(a, 1.3)
    assert ours.dtype == theirs.dtype == np.dtype(dtype)
    _close(ours, theirs, backend, 100.0)


def test_output_argument(backend, rng):
    a = rng.normal(size=(9, 10))
    out = np.empty((9, 10), np.float32)
    result = ndimage.gaussian_filter(a, 2, output=out, backend=backend)
    assert result is out
    _close(out, scipy_ndimage.gaussian_filter(a, 2, output=np.float32), backend, 1.0)
    as_dtype = ndimage.gaussian_filter(a, 2, output=np.float32, backend=backend)
    assert as_dtype.dtype == np.float32


def test_layouts_lists_byte_orders(backend, rng):
    a = rng.normal(size=(20, 30))
    expected = scipy_ndimage.gaussian_filter(a, 1.5)
    big = a.astype(">f8")
    fortran = np.asfortranarray(a)
    for variant in (a.tolist(), big, fortran):
        _close(ndimage.gaussian_filter(variant, 1.5, backend=backend), expected, backend, 1.0)
    strided = rng.normal(size=(40, 60))[::2, ::2]
    _close(ndimage.gaussian_filter(strided, 1.5, backend=backend),
           scipy_ndimage.gaussian_filter(strided, 1.5), backend, 1.0)


def test_zero_d_and_empty(backend):
    assert ndimage.gaussian_filter(np.float64(3.5), 1, backend=backend) == 3.5
    for shape in [(0,), (0, 5), (5, 0), (2, 0, 3)]:
        a = np.zeros(shape, np.float32)
        out = ndimage.gaussian_filter(a, 2, backend=backend)
        assert out.shape == shape and out.dtype == np.float32


def test_constant_images_stay_constant(backend):
    for dtype in (np.float32, np.float64):
        for mode in MODES:
            a = np.full((7, 300), 3.25, dtype)
            out = ndimage.gaussian_filter(a, 2.0, mode=mode, cval=3.25, backend=backend)
            assert (out == 3.25).all(), (dtype, mode)


def test_nan_policy_omit(backend):
    a = np.ones((10, 12))
    a[4, 5] = np.nan
    out = ndimage.gaussian_filter(a, 2, nan_policy="omit", backend=backend)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


def test_errors_as_scipy():
    a = np.ones((5, 5))
    with pytest.raises(ValueError, match="nonnegative"):
        ndimage.gaussian_filter(a, 2, truncate=-1)
    with pytest.raises(ValueError, match="nonnegative"):
        ndimage.gaussian_filter1d(a, 2, radius=-1)
    with pytest.raises(RuntimeError, match="sequence argument"):
        ndimage.gaussian_filter(a, [1, 2, 3])
    with pytest.raises(RuntimeError):
        ndimage.gaussian_filter(a, 1, mode="bogus")
    with pytest.raises(ValueError, match="unique"):
        ndimage.gaussian_filter(a, 1, axes=(0, 0))
    with pytest.raises(ValueError, match="out of range"):
        ndimage.gaussian_filter(a, 1, axes=(0, 2))
    with pytest.raises(UnsupportedInput):
        ndimage.gaussian_filter(a.astype(complex), 1)
    with pytest.raises(TypeError):
        ndimage.gaussian_filter(a.astype(np.float16), 1)
    with pytest.raises(NotImplementedError):
        ndimage.gaussian_filter(a, 1, order=5)
    with pytest.raises(ValueError):
        ndimage.gaussian_filter(a, 1, backend="tpu")
    # SciPy leaves axes with a negative or zero sigma untouched.
    np.testing.assert_array_equal(ndimage.gaussian_filter(a * 2, -1), a * 2)


def test_bool_results_truncate_as_scipy(backend):
    x = np.array([0, 0, 1, 0, 0, 1, 1, 1, 0, 0], bool)
    np.testing.assert_array_equal(ndimage.gaussian_filter1d(x, 1, backend=backend),
                                  scipy_ndimage.gaussian_filter1d(x, 1))
    v = [0, 0.3, 0.7, 1, 1.5, 2.5]
    np.testing.assert_array_equal(
        ndimage.gaussian_filter1d(v, 1e-3, output=bool, backend=backend),
        scipy_ndimage.gaussian_filter1d(v, 1e-3, output=bool))
    with pytest.raises(np.exceptions.AxisError):
        ndimage.gaussian_filter1d(np.ones((2, 2)), 1, axis=2)
