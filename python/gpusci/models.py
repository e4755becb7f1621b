"""Spiking-network and neuron models: gpusci's balanced LIF network and Hodgkin-Huxley neurons
with Poisson inputs, on the GPU or the CPU."""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from . import _core
from ._errors import as_float64, backend_name, precision_name, real_array

__all__ = ["balanced_network", "NetworkRun", "hodgkin_huxley", "NeuronRun"]


class NetworkRun(NamedTuple):
    """One network's run.

    Attributes
    ----------
    rec : ndarray, shape (steps, nrec), float64
        The first ``nrec`` neurons' voltages (mV) after each step, 30 mV at a spike.
    spikes : ndarray, shape (K, 2), float64
        ``(time s, neuron index)`` in time order.
    rate : ndarray, float64
        Population rate (Hz) in bins of ``rate_bin`` seconds.
    monitored : ndarray, shape (samples, len(monitor)), float64
        The monitored neurons' voltages every ``every`` steps.
    mean_rate : float
        Spikes per neuron per second (Hz).
    isi_cv : float
        Mean coefficient of variation of the inter-spike intervals (neurons with 3+ spikes).
    """

    rec: np.ndarray
    spikes: np.ndarray
    rate: np.ndarray
    monitored: np.ndarray
    mean_rate: float
    isi_cv: float


def balanced_network(w=None, v0=None, dt=0.00005, T=2.0, tref=0.002, tm=0.01, vreset=-65.0,
                     vpeak=-40.0, td=0.02, tr=0.002, offset=-40.0, nrec=10, *, weights=None,
                     n=2000, p=0.1, g=0.04, seed=100, batch=1, monitor=None, every=1,
                     rate_bin=0.001, backend=None):
    """The balanced network of leaky integrate-and-fire neurons (Nicola & Clopath 2017) as the
    NumPy reference program (``tests/data/lif/balanced_network.py`` in the repository) runs
    it: same parameter names, defaults (seconds, mV) and update order.

    Parameters
    ----------
    w : array_like, shape (n, n), optional
        Weights, ``w[i, j]`` from neuron j onto neuron i (also accepted as ``weights=``). With
        ``v0``; else drawn from ``seed`` with the reference program's distributions (``n``,
        ``p``, ``g``).
    v0 : array_like, shape (n,), optional
        Initial voltages (mV).
    dt, T, tref, tm, td, tr : float
        Time step, simulated time, refractory period, membrane, synaptic decay and rise time
        constants (s). The run has ``round(T / dt)`` steps.
    vreset, vpeak, offset : float
        Reset voltage, threshold, constant input (mV).
    nrec : int
        Neurons whose voltages are recorded every step (the first ``nrec``).
    n, p, g, seed : keyword-only
        The drawn network: neurons, connection probability, coupling, seed.
    batch : int, keyword-only
        Networks to run (network k drawn from ``seed + k``); on a GPU they share dispatches.
    monitor : sequence of int, optional, keyword-only
        Any neurons to sample every ``every`` steps.
    rate_bin : float, keyword-only
        Bin of the population rate (s).
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only

    Returns
    -------
    NetworkRun, or a list of ``batch`` of them when ``batch > 1``.

    Raises
    ------
    ValueError
        Shapes that disagree, non-finite weights, bad parameters; ``MemoryError`` for a
        recording larger than the memory available.
    """
    if weights is not None:
        if w is not None:
            raise ValueError("give the weights once: w or weights")
        w = weights
    monitor = [] if monitor is None else [int(k) for k in monitor]
    weights = None if w is None else np.ascontiguousarray(as_float64(real_array(w, "w")))
    start = None if v0 is None else np.ascontiguousarray(as_float64(real_array(v0, "v0")))
    params = _lif_params(dt, T, tref, tm, vreset, vpeak, td, tr, offset, nrec, monitor, every)
    runs = _core.balanced_network(params, (int(n), float(p), float(g), int(seed)), weights,
                                  start, int(batch), backend_name(backend))
    neurons = weights.shape[0] if weights is not None else int(n)
    results = [NetworkRun(rec, spikes, _population_rate(spikes, neurons, T, rate_bin),
                          monitored, mean_rate, isi_cv)
               for rec, spikes, monitored, (mean_rate, isi_cv) in runs]
    return results[0] if batch == 1 else results


def _lif_params(dt, T, tref, tm, vreset, vpeak, td, tr, offset, nrec, monitor, every):
    """The core's parameter tuple of one network run."""
    return (float(dt), float(T), float(tref), float(tm), float(vreset), float(vpeak),
            float(td), float(tr), float(offset), int(nrec), [int(k) for k in monitor],
            int(every))


def _population_rate(spikes, neurons, T, rate_bin):
    """Spikes per neuron per second (Hz) in bins of ``rate_bin`` seconds."""
    bins = max(1, int(round(float(T) / float(rate_bin))))
    counts = np.zeros(bins)
    if len(spikes):
        index = np.minimum((spikes[:, 0] / float(rate_bin)).astype(np.int64), bins - 1)
        np.add.at(counts, index, 1.0)
    return counts / (neurons * float(rate_bin))


class NeuronRun(NamedTuple):
    """One Hodgkin-Huxley neuron's run: ``spike_times`` (s, where V first reached 0 mV from
    below), ``inputs`` (excitatory, inhibitory spikes transmitted), ``trace`` (states, 4) of
    V (mV), m, h, n, or None when not recorded."""

    spike_times: np.ndarray
    inputs: tuple
    trace: Optional[np.ndarray]


def hodgkin_huxley(neurons=1, T=0.3, dt=1e-5, I_app=3.0, n_ex=80, n_in=20, rate=10.0,
                   p=0.5, seed=1, *, record=1, backend=None, precision="auto"):
    """Hodgkin-Huxley neurons (the classic squid-axon constants, forward Euler) driven by
    Poisson spike trains; neuron k draws the same inputs wherever it runs.

    Parameters
    ----------
    neurons : int
        Independent neurons.
    T, dt : float
        Simulated time and step (s).
    I_app : float
        Applied current (uA/cm^2).
    n_ex, n_in : int
        Excitatory and inhibitory inputs per neuron.
    rate : float
        Each input's Poisson rate (Hz).
    p : float
        Transmission probability of an input spike.
    seed : int
    record : int, keyword-only
        Neurons (the first ones) whose traces are kept.
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        The GPU computes in float32 (a trace through a spike within about 0.002 mV of
        float64's; spike times within one step over 60 ms), the CPU in float64.
    precision : {'auto', 'double', 'single'}, optional, keyword-only
        'double' computes in float64 on the CPU even with a GPU backend (the GPU kernel's
        exponentials have no float64 form in WGSL) and warns so; 'auto' and 'single' run the
        float32 GPU kernel.

    Returns
    -------
    list of NeuronRun
    """
    found = _core.hodgkin_huxley(int(neurons), int(record), float(T) * 1e3, float(dt) * 1e3,
                                 float(I_app), int(n_ex), int(n_in), float(rate), float(p),
                                 int(seed), backend_name(backend), precision_name(precision))
    return [NeuronRun((steps + 1) * float(dt), tuple(inputs), trace)
            for steps, inputs, trace in found]
