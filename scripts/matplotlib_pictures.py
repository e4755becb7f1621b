"""Draws with matplotlib what `gpusci lif --raster/--traces` draws, from the same run's files,
so the two can be looked at side by side (ARCHITECTURE.md, Pictures). Not a test: matplotlib is
the picture we aim at, not an oracle of pixels.

    gpusci lif --spikes S.npy --record R.npy --raster raster.png --traces traces.png
    python3 scripts/matplotlib_pictures.py S.npy R.npy --dt 5e-5 --n 2000 --out DIR
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spikes", help="(K, 2) float64: time (s), neuron index")
    parser.add_argument("record", help="(steps, nrec) float64 voltages (mV)")
    parser.add_argument("--dt", type=float, default=5e-5, help="time step (s)")
    parser.add_argument("--n", type=int, default=2000, help="neurons in the network")
    parser.add_argument("--out", default=".", help="folder for the two PNGs")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    spikes = np.load(args.spikes)
    rec = np.load(args.record)
    seconds = rec.shape[0] * args.dt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(12, 8), dpi=100, gridspec_kw={"height_ratios": [7, 3]}, sharex=True
    )
    shown = spikes[spikes[:, 1] < 200]
    top.eventplot([shown[shown[:, 1] == k, 0] for k in range(200)], colors="k", linewidths=0.8)
    top.set_ylabel("neuron index")
    top.set_title(f"Spike raster: neurons 0-199 of {args.n}")
    bins = min(rec.shape[0], 400)
    counts, edges = np.histogram(spikes[:, 0], bins=bins, range=(0, seconds))
    rate = counts / args.n / np.diff(edges)
    bottom.plot((edges[:-1] + edges[1:]) / 2, rate, label=f"population rate, all {args.n} neurons")
    bottom.set_ylim(0, np.percentile(rate, 99) * 1.2)
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("rate (Hz)")
    bottom.legend(loc="upper right")
    fig.savefig(out / "raster_matplotlib.png")

    fig, ax = plt.subplots(figsize=(12, 6), dpi=100)
    t = (np.arange(rec.shape[0]) + 1) * args.dt
    for k in range(min(3, rec.shape[1])):
        ax.plot(t, rec[:, k] + 100 * k, lw=0.8, label=f"neuron {k}" + (f" (+{100 * k} mV)" if k else ""))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("V (mV), neuron k shifted by 100 k mV")
    ax.set_title("Membrane potential of neurons 0-2")
    ax.legend(loc="upper right")
    fig.savefig(out / "traces_matplotlib.png")


if __name__ == "__main__":
    main()
