"""W6 peers: the seed's NumPy program (balanced_network.py) on the default network, n=2000,
T=2 s, dt=50 us (40,000 steps), and Brian2 where it installs and imports.

    python3 bench/peers/lif.py [--quick]      # --quick: T = 0.2 s

Prints one JSON object per line, like `gpusci bench --json`.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "data", "lif"))

from balanced_network import balanced_spiking_network, seed_weights  # noqa: E402


def main():
    quick = "--quick" in sys.argv
    t = 0.2 if quick else 2.0
    w, v0 = seed_weights()
    start = time.perf_counter()
    _, spikes = balanced_spiking_network(w, v0, T=t)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "workload": "W6", "peer": "numpy (seed program)", "seconds": seconds, "runs": 1,
        "what": f"n=2000, T={t} s, {len(spikes)} spikes, {t / seconds:.2f}x real time",
    }))
    try:
        import brian2  # noqa: F401
    except Exception as error:  # an old Brian2 against a new NumPy fails at import
        print(json.dumps({"workload": "W6", "peer": "brian2", "skipped": f"import failed: {error!r}"}))


if __name__ == "__main__":
    main()
