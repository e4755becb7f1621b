"""The GPU runtime seen from Python: ``gpusci.device_stats()`` and what a warm call costs.

On lavapipe and llvmpipe (``backend='gpu'``) a second identical ``gaussian_filter`` of a
1024x1024 float32 image creates no buffer, uploads exactly its input's bytes, downloads exactly
its output's bytes, and submits and waits at most twice and once. SciPy is the oracle for the
answer."""

import numpy as np
import pytest
import scipy.ndimage

import gpusci
import gpusci._core as core
import gpusci.ndimage

KEYS = {
    "uploaded_bytes",
    "downloaded_bytes",
    "submits",
    "waits",
    "buffers_created",
    "pool_bytes_held",
    "pool_bytes_in_use",
    "pool_peak_bytes",
}

#: float32 blur against SciPy's float64 answer (the float32 tests' bound).
F32_TOL = 1e-5


def test_device_stats_has_exactly_the_documented_keys():
    stats = gpusci.device_stats()
    assert set(stats) == KEYS
    assert all(isinstance(v, int) and v >= 0 for v in stats.values())


@pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")
def test_a_warm_gaussian_filter_moves_only_its_data(rng):
    image = rng.normal(size=(1024, 1024)).astype(np.float32)
    first = gpusci.ndimage.gaussian_filter(image, 3.0, backend="gpu")
    gpusci.device_stats(reset=True)
    second = gpusci.ndimage.gaussian_filter(image, 3.0, backend="gpu")
    stats = gpusci.device_stats(reset=True)
    assert stats["buffers_created"] == 0, stats
    assert stats["uploaded_bytes"] == image.nbytes, stats
    assert stats["downloaded_bytes"] == second.nbytes, stats
    assert stats["submits"] <= 2, stats
    assert stats["waits"] <= 1, stats
    assert stats["pool_bytes_in_use"] == 0, stats
    assert stats["pool_bytes_held"] >= image.nbytes, stats
    np.testing.assert_array_equal(first, second)
    want = scipy.ndimage.gaussian_filter(image.astype(np.float64), 3.0)
    np.testing.assert_allclose(second, want, atol=F32_TOL * np.abs(image).max(), rtol=F32_TOL)


@pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")
def test_reset_zeroes_the_counters_but_not_what_the_pool_holds(rng):
    gpusci.ndimage.gaussian_filter(rng.normal(size=(64, 64)), 1.0, backend="gpu")
    before = gpusci.device_stats(reset=True)
    after = gpusci.device_stats()
    assert before["submits"] > 0
    assert after["submits"] == after["waits"] == after["uploaded_bytes"] == 0
    assert after["pool_bytes_held"] == before["pool_bytes_held"]


_AUTO_PROBE = """
import numpy as np, gpusci, gpusci.ndimage
small = np.ones((10, 10), np.float32)
large = np.ones((100, 100), np.float32)
gpusci.ndimage.gaussian_filter(small, 1.0)
s = gpusci.device_stats(reset=True)
gpusci.ndimage.gaussian_filter(large, 1.0)
l = gpusci.device_stats(reset=True)
print(s["submits"], l["submits"])
"""


@pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")
def test_auto_keeps_a_small_call_on_the_cpu_and_sends_a_large_one_to_the_gpu(tmp_path):
    import os
    import subprocess
    import sys

    table = tmp_path / "crossovers.txt"
    table.write_text("# operation arithmetic elements\nblur float32 1000\n")
    env = dict(os.environ, GPUSCI_AUTO_SOFTWARE="1", GPUSCI_CROSSOVER_FILE=str(table))
    env.pop("GPUSCI_ADAPTER", None)
    out = subprocess.run(
        [sys.executable, "-c", _AUTO_PROBE], env=env, capture_output=True, text=True,
        check=True, cwd=tmp_path,
    )
    small, large = map(int, out.stdout.split())
    assert small == 0, "100 elements stay on the CPU below a crossover of 1000"
    assert large > 0, "10,000 elements go to the GPU"


@pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")
def test_a_bad_crossover_file_warns_and_keeps_the_defaults(tmp_path):
    import os
    import subprocess
    import sys

    table = tmp_path / "crossovers.txt"
    table.write_text("blur float32\n")
    env = dict(os.environ, GPUSCI_AUTO_SOFTWARE="1", GPUSCI_CROSSOVER_FILE=str(table))
    env.pop("GPUSCI_ADAPTER", None)
    out = subprocess.run(
        [sys.executable, "-W", "always", "-c", _AUTO_PROBE], env=env, capture_output=True,
        text=True, check=True, cwd=tmp_path,
    )
    assert "crossovers.txt:1" in out.stderr and "RuntimeWarning" in out.stderr, out.stderr
    assert out.stdout.split() == ["0", "0"], "the defaults keep both sizes on the CPU"


@pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")
def test_histogram2d_of_a_million_float64_points_uploads_16_bytes_a_point(rng):
    x = rng.normal(size=1_000_000)
    y = rng.normal(size=1_000_000)
    gpusci.histogram2d(x, y, bins=(64, 48), backend="gpu")
    gpusci.device_stats(reset=True)
    h, xe, ye = gpusci.histogram2d(x, y, bins=(64, 48), backend="gpu")
    stats = gpusci.device_stats(reset=True)
    assert stats["uploaded_bytes"] <= 16 * x.size, stats
    want, wxe, wye = np.histogram2d(x, y, bins=(64, 48))
    np.testing.assert_array_equal(h, want)
    np.testing.assert_array_equal(xe, wxe)


@pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")
def test_auto_and_gpu_share_one_context_per_adapter(tmp_path):
    import os
    import subprocess
    import sys

    probe = """
import numpy as np, gpusci, gpusci.ndimage
image = np.ones((300, 300), np.float32)
gpusci.ndimage.gaussian_filter(image, 1.0, backend="gpu")
gpusci.device_stats(reset=True)
gpusci.ndimage.gaussian_filter(image, 1.0, backend="auto")
print(gpusci.device_stats()["buffers_created"])
"""
    table = tmp_path / "crossovers.txt"
    table.write_text("blur float32 1\n")
    env = dict(os.environ, GPUSCI_AUTO_SOFTWARE="1", GPUSCI_CROSSOVER_FILE=str(table))
    env.pop("GPUSCI_ADAPTER", None)
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                         text=True, check=True, cwd=tmp_path)
    assert out.stdout.split() == ["0"], "auto reuses the buffers gpu's call left in the pool"


def _run(code, tmp_path, **env):
    import os
    import subprocess
    import sys

    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-W", "always", "-c", code], env=full,
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_info_lists_the_adapters_even_when_gpusci_adapter_names_none(tmp_path):
    out = _run("import gpusci; print(gpusci.info())", tmp_path, GPUSCI_ADAPTER="no-such-adapter")
    assert out.returncode == 0, out.stderr
    assert "backend 'auto' runs on: nothing (" in out.stdout, out.stdout


@pytest.mark.skipif(not core.adapters(), reason="no GPU adapter")
def test_a_pool_limit_that_is_no_number_of_bytes_says_so(tmp_path):
    code = ("import numpy as np, gpusci.ndimage\n"
            "gpusci.ndimage.gaussian_filter(np.ones((8, 8), np.float32), 1.0, backend='gpu')\n")
    out = _run(code, tmp_path, GPUSCI_POOL_LIMIT="1GiB")
    assert out.returncode == 0, out.stderr
    assert "GPUSCI_POOL_LIMIT" in out.stderr and "RuntimeWarning" in out.stderr, out.stderr
