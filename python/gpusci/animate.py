"""Animations written as GIF (or MP4 through ffmpeg when it is on the PATH), as Matplotlib's
``FuncAnimation(...).save(...)`` would write them, without Matplotlib's per-frame drawing."""

from __future__ import annotations

import os

import numpy as np

from . import _core
from ._errors import as_float64, backend_name, real_array

__all__ = ["field", "points", "spikes", "traveling_wave"]


def field(values, path, *, size=(640, 360), fps=30.0, frames=None) -> str:
    """A 1-D field over time: one line plot per row of ``values``.

    Parameters
    ----------
    values : array_like, shape (frames, points)
        Real values (drawn in float32).
    path : str or PathLike
        ``.gif``, or ``.mp4`` (ffmpeg; without it a GIF is written beside, and the returned
        text says so).
    size : (int, int)
        Width and height in pixels (8 to 4096).
    fps : float
        Frames per second, in (0, 100].
    frames : int, optional
        Keep this many frames, evenly spaced.

    Returns
    -------
    str
        What was written ("GIF path" or "MP4 path").

    Raises
    ------
    ValueError
        Bad sizes, fewer than 2 points, no finite value; ``OSError`` when the file cannot be
        written (nothing partial is left).
    """
    values = np.ascontiguousarray(real_array(values, "values"), dtype=np.float32)
    if values.ndim != 2:
        raise ValueError("values must be 2-D: (frames, points)")
    return _core.animate_field(values, os.fspath(path), tuple(int(v) for v in size),
                               float(fps), None if frames is None else int(frames))


def points(x, y, t, path, *, bins=(256, 256), window=1.0, step=None, cmap="inferno",
           fps=30.0, frames=None, backend=None) -> str:
    """Time-stamped points as a moving density: one frame per time window (``window`` long,
    starting every ``step``; default ``step = window``), binned over the whole set's x and y
    range, log1p-scaled against the busiest frame (one colour scale), y up.

    Returns
    -------
    str
        What was written.
    """
    x, y, t = (as_float64(real_array(v, name)) for v, name in ((x, "x"), (y, "y"), (t, "t")))
    step = float(window) if step is None else float(step)
    return _core.animate_points(x, y, t, os.fspath(path), tuple(int(b) for b in bins),
                                float(window), step, cmap, float(fps),
                                None if frames is None else int(frames), backend_name(backend))


def traveling_wave(path, *, size=(640, 360), fps=30.0, frames=None) -> str:
    """The traveling wave ``sin(2 pi (x - t))`` for x in [0, 4), t in [0, 2) (200 frames), as
    a line animation: the Matplotlib ``FuncAnimation`` example gpusci replaces.

    Returns
    -------
    str
        What was written.
    """
    return _core.animate_traveling_wave(os.fspath(path), tuple(int(v) for v in size),
                                        float(fps), None if frames is None else int(frames))


def spikes(path, *, n=2000, T=1.0, seed=100, window=0.2, count=120, size=(640, 360),
           fps=30.0, backend=None) -> str:
    """A scrolling spike raster of the balanced LIF network (``n`` neurons drawn from
    ``seed``, ``T`` seconds): ``count`` frames, each showing the last ``window`` seconds.
    Ctrl-C stops the simulation (``KeyboardInterrupt``).

    Returns
    -------
    str
        What was written.
    """
    return _core.animate_spikes(os.fspath(path), int(n), float(T), int(seed), float(window),
                                int(count), tuple(int(v) for v in size), float(fps),
                                backend_name(backend))
