#!/usr/bin/env python3
"""Data that stays on the GPU (`gpusci.Array`) against host calls and NumPy, in one run:

- the seed program's FFT low-pass chain (fft, zero the bins below a threshold, ifft, real
  part) on 2^24 float64 samples (`--log2n`), as NumPy, as gpusci host calls (NumPy in, NumPy
  out at each step: the masking in NumPy), and as a gpusci Array chain (one upload, one
  read-back);
- `gpusci.asarray` then `.get()` of 256 MiB of float32 (`--mib`), against two NumPy copies.

    python3 bench/python/array_chain.py [--backend gpu] [--log2n 24] [--mib 256] [--runs 3]

Prints one JSON line per row: best time of `--runs`, and for the Array chain the runtime's
counters. On a software adapter the times are the driver running kernels on the CPU: compare
the host-side figures (bytes moved, waits), not GPU speed.
"""
import argparse
import json
import time

import numpy as np

import gpusci
import gpusci.fft


def best(runs, work):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="gpu")
    parser.add_argument("--log2n", type=int, default=24)
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    n = 1 << args.log2n
    data = rng.standard_normal(n) + 4 * np.sin(np.arange(n) * 1e-3)
    threshold = 3 * np.sqrt(n)

    def numpy_chain():
        spectrum = np.fft.fft(data)
        spectrum[np.abs(spectrum) < threshold] = 0
        return np.fft.ifft(spectrum).real

    def host_chain():
        spectrum = gpusci.fft.fft(data, backend=args.backend)
        spectrum[np.abs(spectrum) < threshold] = 0
        return gpusci.fft.ifft(spectrum, backend=args.backend).real

    def array_chain():
        x = gpusci.asarray(data, backend=args.backend)
        spectrum = gpusci.fft.fft(x)
        spectrum[np.abs(spectrum) < threshold] = 0
        out = gpusci.fft.ifft(spectrum).real
        return out.get() if isinstance(out, gpusci.Array) else out

    want = numpy_chain()
    for name, work in [("numpy", numpy_chain), ("gpusci host calls", host_chain),
                       ("gpusci Array chain", array_chain)]:
        got = work()  # warm: pipelines compiled, pool filled
        error = float(np.abs(got - want).max() / np.abs(want).max())
        gpusci.device_stats(reset=True)
        seconds = best(args.runs, work)
        stats = gpusci.device_stats(reset=True)
        print(json.dumps({"row": f"low-pass chain 2^{args.log2n}", "how": name,
                          "seconds": round(seconds, 4), "max_rel_error": error,
                          "device_stats_per_run": {k: v // args.runs for k, v in stats.items()
                                                   if k in ("uploaded_bytes", "downloaded_bytes",
                                                            "submits", "waits")}}))

    x = rng.standard_normal(args.mib << 18, dtype=np.float32)
    gpusci.asarray(x[:1024], backend=args.backend)

    def round_trip():
        a = gpusci.asarray(x, backend=args.backend)
        return a.get() if isinstance(a, gpusci.Array) else a

    def two_copies():
        return x.copy().copy()

    trip, copies = best(args.runs, round_trip), best(args.runs, two_copies)
    print(json.dumps({"row": f"asarray + get of {args.mib} MiB float32",
                      "seconds": round(trip, 4), "two_numpy_copies_seconds": round(copies, 4),
                      "ratio": round(trip / copies, 2)}))


if __name__ == "__main__":
    main()
