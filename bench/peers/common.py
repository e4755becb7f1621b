"""Timing helpers shared by the peer scripts: median of repeated runs, JSON lines like
`gpusci bench --json`."""
import json
import statistics
import time


def timed_runs(fn, runs):
    """Median wall time of `runs` calls of `fn` after one warm-up call, and every time."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def median_time(fn, runs):
    """Median wall time of `runs` calls of `fn` after one warm-up call, and `runs`."""
    return timed_runs(fn, runs)[0], runs


def report(workload, peer, seconds, runs, what):
    """One JSON line, the fields of `gpusci bench --json`."""
    print(json.dumps(dict(workload=workload, backend="cpu", adapter=peer, seconds=seconds, runs=runs, what=what)), flush=True)
