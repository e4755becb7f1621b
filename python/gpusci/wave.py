"""The staggered leapfrog solver of the 1-D wave equation p_t = -u_x, u_t = -p_x with periodic
boundaries, and its convergence study (second order)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _core
from ._errors import backend_name

__all__ = ["leapfrog", "LeapfrogRun", "convergence", "Convergence"]


class LeapfrogRun(NamedTuple):
    """``p`` (n,) at time T, ``u`` (n,) at T + dt/2 (staggered), ``frames`` (k, n) float32 of p
    every ``every`` steps, ``steps``, ``dt``, and the L2 errors against the exact solution
    (scaled by sqrt(dx))."""

    p: np.ndarray
    u: np.ndarray
    frames: np.ndarray
    steps: int
    dt: float
    error_p: float
    error_u: float


def leapfrog(n=200, cfl=0.3, T=2.0, *, problem="question", start="exact", every=0,
             backend=None) -> LeapfrogRun:
    """One run on ``n`` cells of width 1/n, with dt = cfl / n (the step count rounded up so
    the run ends at T exactly).

    Parameters
    ----------
    n : int
        Cells (3 to 2^26).
    cfl : float
        Courant number, in (0, 1).
    T : float
        Simulated time.
    problem : {'question', 'answer'}
        The test problems: p0 = cos 2 pi x, u0 = -cos 2 pi x ('question'), or f = cos 2 pi x,
        g = 2 sin 6 pi x ('answer').
    start : {'exact', 'taylor'}
        u at dt/2 from the exact solution, or by a second-order Taylor step.
    every : int
        Keep a frame of p every this many steps (0: none).
    backend : {'auto', 'gpu', 'cpu'}, optional
        The GPU computes in double-float (pairs of float32), within 2e-13 of the CPU.

    Raises
    ------
    ValueError
        cfl outside (0, 1), n outside [3, 2^26], a non-finite T.
    """
    p, u, frames, steps, dt, (ep, eu) = _core.leapfrog(int(n), float(cfl), float(T), problem,
                                                      start, int(every), backend_name(backend))
    return LeapfrogRun(p, u, frames, steps, dt, ep, eu)


class Convergence(NamedTuple):
    """Errors against n and the fitted orders (least squares on log-log)."""

    n: np.ndarray
    error_p: np.ndarray
    error_u: np.ndarray
    order_p: float
    order_u: float


def convergence(sizes=tuple(range(50, 1001, 50)), cfl=0.3, T=2.0, *, problem="question",
                start="exact", backend=None) -> Convergence:
    """The convergence study: one run per size, the L2 errors and the fitted order (2 for the
    leapfrog scheme)."""
    n, ep, eu, op, ou = _core.convergence([int(k) for k in sizes], float(cfl), float(T),
                                          problem, start, backend_name(backend))
    return Convergence(np.asarray(n), np.asarray(ep), np.asarray(eu), op, ou)
