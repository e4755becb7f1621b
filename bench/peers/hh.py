"""The seed question's Hodgkin-Huxley neuron with Poisson inputs, in NumPy as the question
writes it (per-step Python loop, its rate functions, forward Euler at dt = 0.01 ms), with the
question's I_syn repaired (as posted, `h_k = 0` overrides the draws) and its inputs drawn per
step as in the question: a Bernoulli draw per input per step, then transmission with p.

    python3 bench/peers/hh.py [--t MS]      # default 30 ms of the 300 ms run (the rest scales)

Prints one JSON object per line: the time for 1 neuron with 100 inputs (the question) and with
5000 (the paper it cites), per simulated 300 ms (scaled from --t).
"""
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "data"))

# The question's constants and rate functions, as the fixture script writes them.
from make_hh_fixtures import (  # noqa: E402
    C_m, E_K, E_L, E_Na, alpha_h, alpha_m, alpha_n, beta_h, beta_m, beta_n, g_K, g_L, g_Na,
)


def run(n_inputs, t_ms, rate=10.0, p=0.5, K=4, G_ex=1.0, dt=0.01, seed=1):
    rng = np.random.default_rng(seed)
    n_ex = n_inputs * 4 // 5
    t = np.arange(0.0, t_ms, dt)
    X = [np.array([-65, 0.05, 0.6, 0.32], dtype=float)]
    for _ in t[1:]:
        V, m, h, n = X[-1]
        spiking = rng.random(n_inputs) < rate * dt / 1000.0
        transmitted = spiking & (rng.random(n_inputs) < p)
        isyn = C_m * G_ex * (np.sum(transmitted[:n_ex]) - K * np.sum(transmitted[n_ex:]))
        dV = (3 + isyn - g_Na * m**3 * h * (V - E_Na) - g_K * n**4 * (V - E_K) - g_L * (V - E_L)) / C_m
        dm = alpha_m(V) * (1.0 - m) - beta_m(V) * m
        dh = alpha_h(V) * (1.0 - h) - beta_h(V) * h
        dn = alpha_n(V) * (1.0 - n) - beta_n(V) * n
        X.append(X[-1] + dt * np.array([dV, dm, dh, dn]))
    return np.array(X)


def main():
    t_ms = float(sys.argv[sys.argv.index("--t") + 1]) if "--t" in sys.argv else 30.0
    for n_inputs in (100, 5000):
        start = time.perf_counter()
        run(n_inputs, t_ms)
        seconds = time.perf_counter() - start
        print(json.dumps({
            "workload": "HH", "peer": "numpy (seed question)", "inputs": n_inputs,
            "seconds_per_300ms_neuron": seconds * 300.0 / t_ms,
            "what": f"1 neuron, {n_inputs} inputs, timed over {t_ms} ms, scaled to 300 ms",
        }))


if __name__ == "__main__":
    main()
