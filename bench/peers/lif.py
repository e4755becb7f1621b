"""W6 peers: the seed's NumPy program (balanced_network.py) on the default network, n=2000,
T=2 s, dt=50 us (40,000 steps), and Brian2 (runtime numpy and cython, C++ standalone) where it
imports, on the same weights and initial voltages.

    python3 bench/peers/lif.py [--quick]      # --quick: T = 0.2 s

Brian2 2.9 needs NumPy < 2 (it uses ndarray.ptp); in a venv:
    python3 -m venv /tmp/b2env && /tmp/b2env/bin/pip install "numpy<2" brian2 cython
    /tmp/b2env/bin/python bench/peers/lif.py

Prints one JSON object per line, like `gpusci bench --json`. Brian2 integrates the seed's
model as equations (dv/dt = (-v + ipsc + offset)/tm unless refractory, dipsc/dt = -ipsc/tr + hm,
dhm/dt = -hm/td, a spike adding w/(tr td) to its targets' hm), so its spike count is close to,
not equal to, the seed program's.
"""
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "data", "lif"))

from balanced_network import balanced_spiking_network, seed_weights  # noqa: E402


def report(peer, seconds, t, spikes, extra=""):
    print(json.dumps({
        "workload": "W6", "peer": peer, "seconds": seconds, "runs": 1,
        "what": f"n=2000, T={t} s, {spikes} spikes, {t / seconds:.2f}x real time{extra}",
    }), flush=True)


def brian2_run(w, v0, t, target):
    import numpy as np
    import brian2 as b2

    b2.start_scope()
    build_dir = tempfile.mkdtemp(prefix="gpusci-brian2-")
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", build_on_run=False, directory=build_dir)
    else:
        b2.set_device("runtime")
        b2.prefs.codegen.target = target
    b2.defaultclock.dt = 50 * b2.usecond
    tm, tr, td = 10 * b2.ms, 2 * b2.ms, 20 * b2.ms
    offset = -40 * b2.mV
    eqs = """
    dv/dt = (-v + ipsc + offset) / tm : volt (unless refractory)
    dipsc/dt = -ipsc / tr + hm : volt
    dhm/dt = -hm / td : volt / second
    """
    group = b2.NeuronGroup(len(v0), eqs, threshold="v >= -40*mV", reset="v = -65*mV",
                           refractory=2 * b2.ms, method="euler")
    group.v = v0 * b2.mV
    post, pre = np.nonzero(w)
    syn = b2.Synapses(group, group, "w : volt", on_pre="hm_post += w / (tr * td) * second")
    syn.connect(i=pre, j=post)
    syn.w = w[post, pre] * b2.mV
    monitor = b2.SpikeMonitor(group)
    start = time.perf_counter()
    b2.run(t * b2.second)
    if target == "cpp_standalone":
        # build() has its own directory argument (default ./output): keep the build out of
        # the working tree.
        b2.device.build(directory=build_dir, run=True)
    seconds = time.perf_counter() - start
    # The standalone binary times its own run (compilation excluded).
    run_only = getattr(b2.device, "_last_run_time", None) if target == "cpp_standalone" else None
    count = monitor.num_spikes
    if target == "cpp_standalone":
        b2.device.reinit()
        b2.device.activate()
    return seconds, run_only, count


def main():
    quick = "--quick" in sys.argv
    t = 0.2 if quick else 2.0
    w, v0 = seed_weights()
    start = time.perf_counter()
    _, spikes = balanced_spiking_network(w, v0, T=t)
    report("numpy (seed program)", time.perf_counter() - start, t, len(spikes))
    try:
        import brian2  # noqa: F401
    except Exception as error:  # Brian2 2.9 against NumPy 2 fails at import
        print(json.dumps({"workload": "W6", "peer": "brian2", "skipped": f"import failed: {error!r}"}))
        return
    for target in ("numpy", "cython", "cpp_standalone"):
        try:
            if target == "cython":
                brian2_run(w, v0, 0.001, target)  # compiles (and caches) the generated code
            seconds, run_only, count = brian2_run(w, v0, t, target)
            if run_only is not None:
                report(f"brian2 {target} (run)", run_only, t, count)
                report(f"brian2 {target} (build, compile and run)", seconds, t, count)
            else:
                report(f"brian2 {target}", seconds, t, count)
        except Exception as error:
            print(json.dumps({"workload": "W6", "peer": f"brian2 {target}",
                              "skipped": repr(error)[:300]}), flush=True)


if __name__ == "__main__":
    main()
