"""gpusci.animate writes GIFs (decoded back here by their header and frame count)."""

import numpy as np
import pytest

from gpusci import animate


def _gif_frames(path):
    data = path.read_bytes()
    assert data.startswith(b"GIF89a")
    return data.count(b"\x21\xf9\x04")  # one graphic control extension a frame


def test_field_and_points(tmp_path, backend):
    x = np.linspace(0, 4, 200)
    values = np.sin(2 * np.pi * (x[None, :] - np.linspace(0, 1, 20)[:, None]))
    out = tmp_path / "wave.gif"
    said = animate.field(values, out, size=(120, 80), frames=10)
    assert "GIF" in said and _gif_frames(out) == 10
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(3, 5000))
    pts[2] = np.abs(pts[2]) * 2
    out2 = tmp_path / "points.gif"
    animate.points(pts[0], pts[1], pts[2], out2, bins=(64, 48), window=0.5, backend=backend)
    assert _gif_frames(out2) >= 2


def test_spikes_and_traveling_wave(tmp_path, backend):
    out = tmp_path / "raster.gif"
    animate.spikes(out, n=200, T=0.3, window=0.1, count=6, size=(96, 64), backend=backend)
    assert _gif_frames(out) == 6
    wave = tmp_path / "wave.gif"
    animate.traveling_wave(wave, size=(80, 48), frames=5)
    assert _gif_frames(wave) == 5


def test_errors(tmp_path):
    with pytest.raises(ValueError):
        animate.field(np.ones(5), tmp_path / "a.gif")
    with pytest.raises(ValueError):
        animate.field(np.ones((3, 5)), tmp_path / "a.gif", frames=0)
    with pytest.raises(OSError):
        animate.field(np.ones((3, 5)), tmp_path)
    assert list(tmp_path.iterdir()) == []
