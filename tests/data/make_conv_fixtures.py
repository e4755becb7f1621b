"""Fixtures for the convolution tests: numpy.convolve, scipy.signal.convolve / correlate /
correlation_lags for 1-D input in every mode, and a lag example (two windows of one noisy
sine, sampled at 1024 Hz, one second apart).

    python3 tests/data/make_conv_fixtures.py

Writes tests/data/conv/: the inputs, the outputs and manifest.json.
"""
import json
import os

import numpy as np
from scipy import signal

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv")
rng = np.random.default_rng(23)
cases = []


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), np.asarray(array))


lengths = [(1, 1), (1, 7), (7, 1), (10, 3), (10, 4), (3, 10), (4, 11), (100, 37), (37, 100), (257, 256)]
for n, k in lengths:
    a, v = rng.normal(size=n), rng.normal(size=k)
    tag = f"{n}_{k}"
    save(f"a_{tag}", a)
    save(f"v_{tag}", v)
    for mode in ("full", "same", "valid"):
        save(f"np_convolve_{tag}_{mode}", np.convolve(a, v, mode))
        save(f"convolve_{tag}_{mode}", signal.convolve(a, v, mode, method="direct"))
        save(f"correlate_{tag}_{mode}", signal.correlate(a, v, mode, method="direct"))
        save(f"lags_{tag}_{mode}", signal.correlation_lags(n, k, mode))
        cases.append({"tag": tag, "mode": mode})

# The seed's lag example (a noisy sine copied with a shift of one second at 1024 Hz).
sr = 1024
y = np.tile(np.sin(np.linspace(0, 2 * np.pi, sr)), 5)
y = y + rng.normal(0, 5, y.shape)
y1, y2 = y[sr:4 * sr], y[:3 * sr]
save("lag_y1", y1)
save("lag_y2", y2)
c = signal.correlate(y1, y2, "full")
lag = int(signal.correlation_lags(len(y1), len(y2), "full")[np.argmax(c)])
# Spectra: np.fft.rfft, rfftfreq and the seed's low-pass reconstruction (bins above a
# cut-off zeroed, then irfft), for an even and an odd length.
spectra = []
for n in (4096, 1001):
    t = np.linspace(0, 10, n, endpoint=False)
    d = t[1] - t[0]
    x = 1.5 * np.sin(2 * np.pi * 3.0 * t) + 0.7 * np.cos(2 * np.pi * 11.0 * t) + 0.1 * rng.normal(size=n)
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(n, d)
    low = spec.copy()
    low[freqs > 5.0] = 0
    save(f"spec_x_{n}", x)
    save(f"spec_re_{n}", spec.real)
    save(f"spec_im_{n}", spec.imag)
    save(f"spec_freqs_{n}", freqs)
    save(f"spec_lowpass_{n}", np.fft.irfft(low, n))
    spectra.append({"n": n, "d": d})

# 2-D scipy.signal.convolve / correlate (zero fill), every mode, odd and even kernel shapes,
# a kernel larger than the image, one element; a separate generator keeps the 1-D files as
# they were.
rng2 = np.random.default_rng(29)
cases_2d = []
for (ar, ac), (kr, kc) in [((1, 1), (1, 1)), ((9, 12), (3, 4)), ((16, 7), (5, 5)),
                           ((4, 5), (6, 8)), ((33, 20), (1, 7)), ((20, 31), (8, 2))]:
    a, v = rng2.normal(size=(ar, ac)), rng2.normal(size=(kr, kc))
    tag = f"{ar}x{ac}_{kr}x{kc}"
    save(f"a2_{tag}", a)
    save(f"v2_{tag}", v)
    for mode in ("full", "same", "valid"):
        save(f"convolve2_{tag}_{mode}", signal.convolve(a, v, mode, method="direct"))
        save(f"correlate2_{tag}_{mode}", signal.correlate(a, v, mode, method="direct"))
        cases_2d.append({"tag": tag, "mode": mode})
# Neither input at least as large as the other in every dimension: SciPy refuses 'valid'.
try:
    signal.convolve(np.ones((3, 8)), np.ones((5, 2)), "valid")
    refused = False
except ValueError:
    refused = True
assert refused

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump({"cases": cases, "seed_lag": lag, "spectra": spectra, "cases_2d": cases_2d}, f, indent=1)
print(len(cases), "cases; seed lag", lag)
