"""Fixtures for the LIF tests: the reference NumPy program tests/data/lif/balanced_network.py (a
balanced network of leaky integrate-and-fire neurons after Nicola & Clopath 2017, with
double-exponential synapses and forward-Euler steps of 50 us) run with given weights and v0.

    python3 tests/data/make_lif_fixtures.py

Writes tests/data/lif/:
    w.npy, v0.npy          the program's weights and initial voltages, n=300, seed 7
    rec_20ms.npy           (400, 10) voltages of neurons 0..9 after each of the first 400 steps
    spikes_20ms.npy        (K, 2) spikes (time s, neuron) of those 400 steps
    spikes_1s.npy          (K, 2) spikes of a 1 s run (rate and ISI statistics)
"""
import os
import sys

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lif")
sys.path.insert(0, HERE)
from balanced_network import balanced_spiking_network, seed_weights  # noqa: E402

w, v0 = seed_weights(n=300, seed=7)
np.save(os.path.join(HERE, "w.npy"), w)
np.save(os.path.join(HERE, "v0.npy"), v0)
rec, spikes = balanced_spiking_network(w, v0, T=0.02)
np.save(os.path.join(HERE, "rec_20ms.npy"), rec)
np.save(os.path.join(HERE, "spikes_20ms.npy"), spikes)
_, spikes = balanced_spiking_network(w, v0, T=1.0)
np.save(os.path.join(HERE, "spikes_1s.npy"), spikes)
print(f"20 ms: {len(np.load(os.path.join(HERE, 'spikes_20ms.npy')))} spikes; 1 s: {len(spikes)} spikes,"
      f" {len(spikes) / 300:.2f} Hz")
