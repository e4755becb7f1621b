"""How the bindings behave: the GIL is released during compute, two threads at once, a fork
after import, thread counts, errors as Python's exceptions, inputs borrowed intact."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from scipy import ndimage as scipy_ndimage

import gpusci
import gpusci._core as core
from gpusci import ndimage


def test_gil_is_released_during_compute():
    """While a long blur runs in one thread, pure-Python code runs in another: it could not
    if the call held the GIL."""
    big = np.random.default_rng(0).normal(size=(1500, 1500)).astype(np.float32)
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    time.sleep(0.02)
    start = time.perf_counter()
    for _ in range(3):
        ndimage.gaussian_filter(big, 12, backend="cpu")
    end = time.perf_counter()
    done.set()
    counter.join()
    during = [t for t in ticks if start < t < end]
    assert len(during) >= 3, f"{len(during)} ticks in {end - start:.3f} s of compute"


def test_two_threads_at_once(backend):
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(200, 300)) for _ in range(4)]
    results = [None] * 4

    def work(k):
        results[k] = ndimage.gaussian_filter(inputs[k], 3, backend=backend)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        np.testing.assert_allclose(results[k], scipy_ndimage.gaussian_filter(inputs[k], 3),
                                   atol=1e-5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_fork_after_import():
    """The device is opened lazily: a child forked after import (and after a CPU call) opens
    its own and computes correctly."""
    a = np.random.default_rng(2).normal(size=(30, 40))
    expected = scipy_ndimage.gaussian_filter(a, 2)
    ndimage.gaussian_filter(a, 2, backend="cpu")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ok = np.allclose(ndimage.gaussian_filter(a, 2, backend="auto"), expected, atol=1e-5)
            code = 0 if ok else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_thread_counts():
    before = gpusci.get_num_threads()
    gpusci.set_num_threads(1)
    assert gpusci.get_num_threads() == 1
    a = np.random.default_rng(3).normal(size=(50, 60))
    np.testing.assert_allclose(ndimage.gaussian_filter(a, 2, backend="cpu"),
                               scipy_ndimage.gaussian_filter(a, 2), atol=1e-12)
    gpusci.set_num_threads(0)
    assert gpusci.get_num_threads() == before
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", "import gpusci; print(gpusci.get_num_threads())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_backend_default_and_info():
    assert gpusci.get_backend() == "auto"
    gpusci.set_backend("cpu")
    try:
        assert gpusci.get_backend() == "cpu"
    finally:
        gpusci.set_backend("auto")
    with pytest.raises(ValueError):
        gpusci.set_backend("tpu")
    text = gpusci.info()
    assert "backend 'auto' runs on" in text


def test_errors_map_to_python_exceptions(tmp_path, monkeypatch):
    with pytest.raises(ValueError):
        core.convolve("numpy", np.ones(0), np.ones(2), "full", "auto", "cpu")
    # A grid past the memory available (lowered here to 1 MB) is NumPy's MemoryError.
    monkeypatch.setenv("GPUSCI_MEMORY_LIMIT", "1000000")
    with pytest.raises(MemoryError):
        gpusci.histogram2d([0.5], [0.5], [1000, 1000], range=[[0, 1], [0, 1]])
    monkeypatch.delenv("GPUSCI_MEMORY_LIMIT")
    with pytest.raises(OSError):
        core.write_png(str(tmp_path), np.zeros((2, 2, 4), np.uint8))
    with pytest.raises(TypeError):
        core.gaussian_filter_nd(np.ones((2, 2), np.int32), None, [1, 1], [0, 0], ["reflect"],
                                0, 4, None, "propagate", "cpu")


def test_borrowed_views_arrive_intact():
    base = np.arange(20.0)
    assert core._probe_view(base[3::4]) == (5, 3.0)
    assert core._probe_view(base[::-1]) == (20, 19.0)


@pytest.mark.parametrize("model", ["lif", "hh"])
def test_ctrl_c_stops_a_long_simulation(backend, model):
    """SIGINT during a run that would take minutes raises KeyboardInterrupt within seconds,
    and the next run works."""
    import signal as signals

    if not hasattr(signals, "SIGINT") or threading.current_thread() is not threading.main_thread():
        pytest.skip("needs SIGINT on the main thread")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signals.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        if model == "lif":
            gpusci.models.balanced_network(T=500.0, n=1000, nrec=0, backend=backend)
        else:
            gpusci.models.hodgkin_huxley(neurons=20000, T=30.0, record=0, backend=backend)
    timer.cancel()
    assert time.perf_counter() - start < 20
    run = gpusci.models.balanced_network(T=0.01, n=100, backend=backend)
    assert run.rec.shape == (200, 10)


def test_every_adapter_in_a_subprocess():
    """The process's device is the first adapter; each other adapter (llvmpipe's GL here) runs
    the same checks in a process of its own, picked by GPUSCI_ADAPTER."""
    names = {a["backend"] for a in core.adapters()}
    if not names:
        pytest.skip("no GPU adapter")
    code = """
import numpy as np, gpusci
from gpusci import ndimage
from scipy import ndimage as scipy_ndimage
rng = np.random.default_rng(0)
a = rng.normal(size=(40, 50)).astype(np.float32)
assert np.abs(ndimage.gaussian_filter(a, 2, backend='gpu') - scipy_ndimage.gaussian_filter(a, 2)).max() < 1e-5
x, y = rng.random(5000), rng.random(5000)
assert (gpusci.histogram2d(x, y, 17, backend='gpu')[0] == np.histogram2d(x, y, 17)[0]).all()
v = rng.normal(size=9)
assert np.abs(gpusci.convolve(x, v, backend='gpu') - np.convolve(x, v)).max() < 1e-4
print(gpusci._core.describe_backend('gpu'))
"""
    for name in sorted(names):
        env = dict(os.environ, GPUSCI_ADAPTER=name)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True)
        assert out.returncode == 0, f"{name}: {out.stderr}"
        assert f"[{name}]" in out.stdout
