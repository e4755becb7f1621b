"""gpusci.models and gpusci.wave against the NumPy reference programs' fixtures
(tests/data/lif, tests/data/hh, made by the checked-in scripts)."""

import pathlib

import numpy as np

import gpusci

DATA = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data"
#: The fast path (float32 voltages) against the float64 NumPy program over 20 ms (mV).
FAST_MV = 0.01
#: HH without inputs on the CPU: float64 against NumPy's float64 Euler loop (mV).
HH_CPU_MV = 1e-7
#: HH on the GPU runs in float32 (mV).
HH_GPU_MV = 0.01


def test_balanced_network_matches_the_reference_program(backend):
    w, v0 = np.load(DATA / "lif" / "w.npy"), np.load(DATA / "lif" / "v0.npy")
    run = gpusci.models.balanced_network(w, v0, T=0.02, backend=backend)
    expected = np.load(DATA / "lif" / "rec_20ms.npy")
    assert run.rec.shape == expected.shape
    assert np.abs(run.rec - expected).max() <= FAST_MV
    np.testing.assert_array_equal(run.spikes, np.load(DATA / "lif" / "spikes_20ms.npy"))
    assert run.rate.shape == (20,)


def test_batches_draw_network_k_from_seed_plus_k():
    batch = gpusci.models.balanced_network(T=0.02, n=200, seed=5, batch=3, backend="cpu")
    alone = gpusci.models.balanced_network(T=0.02, n=200, seed=7, backend="cpu")
    np.testing.assert_array_equal(batch[2].spikes, alone.spikes)


def test_hodgkin_huxley_without_inputs_is_the_euler_loop(backend):
    trace = np.load(DATA / "hh" / "trace.npy")
    (run,) = gpusci.models.hodgkin_huxley(1, n_ex=0, n_in=0, record=1, backend=backend)
    bound = HH_CPU_MV if backend == "cpu" else HH_GPU_MV
    assert run.trace.shape[1] == 4
    assert np.abs(run.trace[: len(trace), 0] - trace[:, 0]).max() <= bound


def test_leapfrog_is_second_order(backend):
    study = gpusci.wave.convergence([50, 100, 200, 400], T=0.5, backend=backend)
    assert abs(study.order_p - 2.0) < 0.05 and abs(study.order_u - 2.0) < 0.05
    run = gpusci.wave.leapfrog(64, 0.3, 0.25, every=4, backend=backend)
    assert run.frames.shape[1] == 64 and run.error_p < 1e-2
