"""Fixtures for the Hodgkin-Huxley tests. The reference model is a short NumPy program, posted
as a question, that simulates one Hodgkin-Huxley neuron driven by excitatory and inhibitory
Poisson spike trains with a plain forward-Euler loop; the constants, rate functions and loop
below are that program's. It runs here with no synaptic input (the program's synaptic current
is broken as posted: `h_k = 0` overrides the transmission draws; bench/peers/hh.py repairs it
and adds the inputs) and I_app = 3, dt = 0.01 ms over 300 ms from ic = [-65, 0.05, 0.6, 0.32].

    python3 tests/data/make_hh_fixtures.py

Writes tests/data/hh/trace.npy: (30000, 4) float64 rows V, m, h, n: the initial state, then
the state after each of the 29,999 Euler steps (t = np.arange(0, 300, 0.01), as the program
integrates over t[1:]).
"""
import os

import numpy as np

C_m, g_Na, g_K, g_L = 1.0, 120.0, 36.0, 0.3
E_Na, E_K, E_L = 50.0, -77.0, -54.387


def alpha_m(V): return 0.1 * (V + 40.0) / (1.0 - np.exp(-(V + 40.0) / 10.0))
def beta_m(V): return 4.0 * np.exp(-(V + 65.0) / 18.0)
def alpha_h(V): return 0.07 * np.exp(-(V + 65.0) / 20.0)
def beta_h(V): return 1.0 / (1.0 + np.exp(-(V + 35.0) / 10.0))
def alpha_n(V): return 0.01 * (V + 55.0) / (1.0 - np.exp(-(V + 55.0) / 10.0))
def beta_n(V): return 0.125 * np.exp(-(V + 65) / 80.0)
def I_Na(V, m, h): return g_Na * m**3 * h * (V - E_Na)
def I_K(V, n): return g_K * n**4 * (V - E_K)
def I_L(V): return g_L * (V - E_L)


def dALLdt(X, t):
    V, m, h, n = X
    dVdt = (3 + 0 - I_Na(V, m, h) - I_K(V, n) - I_L(V)) / C_m
    dmdt = alpha_m(V) * (1.0 - m) - beta_m(V) * m
    dhdt = alpha_h(V) * (1.0 - h) - beta_h(V) * h
    dndt = alpha_n(V) * (1.0 - n) - beta_n(V) * n
    return np.array([dVdt, dmdt, dhdt, dndt])


def main():
    dt = 0.01
    t = np.arange(0.0, 300.0, dt)
    X = [np.array([-65, 0.05, 0.6, 0.32], dtype=float)]
    for i in t[1:]:
        X.append(X[-1] + dt * dALLdt(X[-1], i))
    X = np.array(X)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hh")
    np.save(os.path.join(out, "trace.npy"), X)
    V = X[:, 0]
    print(f"{len(X)} states, {np.count_nonzero((V[1:] >= 0) & (V[:-1] < 0))} spikes (upward 0 mV crossings)")


if __name__ == "__main__":
    main()
