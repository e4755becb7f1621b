"""gpusci: NumPy's and SciPy's answers, fast on any GPU (wgpu: Vulkan, Metal, DX12, GL) and
on the CPU.

Change one import and keep your code::

    from gpusci import ndimage          # instead of: from scipy import ndimage
    smooth = ndimage.gaussian_filter(image, 3)

Modules mirror the ones they replace, with the same names, parameters, defaults and return
types:

- :mod:`gpusci.ndimage`: ``gaussian_filter``, ``gaussian_filter1d`` (``scipy.ndimage``), and
  ``gaussian_filter_stack`` (a sigma per image of a stack)
- :func:`gpusci.histogram2d` (``numpy.histogram2d``), :func:`gpusci.convolve`
  (``numpy.convolve``), :func:`gpusci.heatmap` (binned, blurred, coloured points)
- :mod:`gpusci.signal`: ``convolve``, ``correlate``, ``fftconvolve``, ``oaconvolve``,
  ``correlation_lags`` (``scipy.signal``), and ``lag``, ``crossings``, ``rolling_mean``
- :mod:`gpusci.fft`: ``fft``, ``ifft``, ``rfft``, ``irfft``, ``fft2``, ``ifft2``, ``fftn``,
  ``ifftn``, ``rfft2``, ``irfft2``, ``rfftn``, ``irfftn``, ``fftfreq``, ``rfftfreq``,
  ``fftshift``, ``ifftshift`` (``numpy.fft``), also a ``scipy.fft`` backend
- :mod:`gpusci.models`: ``balanced_network`` (LIF), ``hodgkin_huxley``; :mod:`gpusci.wave`:
  ``leapfrog``, ``convergence``; :mod:`gpusci.animate`: ``field``, ``points``, ``spikes``,
  ``traveling_wave`` (GIF/MP4)

gpusci-only options are keyword-only and come last: ``backend='auto'|'gpu'|'cpu'`` (``None``:
the default set by :func:`set_backend`, initially ``'auto'``: a hardware GPU when present, else
the CPU), ``precision='auto'|'double'|'single'`` (how float64 input is computed on a GPU:
float64 accuracy unless ``'single'``; float32 input stays float32) and ``nan_policy``. SciPy
and NumPy are never called to compute an answer; what gpusci
cannot do raises :class:`UnsupportedInput` (a ``TypeError``) or ``NotImplementedError``.
"""

from __future__ import annotations

import os as _os

import numpy as _np

from . import _core
from ._core import Array
from ._errors import UnsupportedInput, backend_name as _backend_name
from ._errors import precision_name as _precision_name
from ._histogram import heatmap, Heatmap, histogram2d
from .signal import _np_convolve as convolve
from . import animate, fft, models, ndimage, signal, wave

__version__ = _core.__version__

__all__ = [
    "Array",
    "Heatmap",
    "asarray",
    "animate",
    "UnsupportedInput",
    "convolve",
    "device_stats",
    "fft",
    "get_backend",
    "get_num_threads",
    "heatmap",
    "histogram2d",
    "info",
    "models",
    "ndimage",
    "set_backend",
    "set_num_threads",
    "signal",
    "wave",
]


def asarray(x, dtype=None, *, backend=None, precision="auto"):
    """An array whose data stays on the GPU: NumPy expressions on it run there.

    ``x`` (a NumPy array or anything ``numpy.asarray`` takes) is uploaded once; operators
    (``+ - * /``, unary ``-``, ``abs``, comparisons, ``& | ^ ~`` of bool arrays), NumPy's
    ufuncs ``add``, ``subtract``, ``multiply``, ``divide``, ``minimum``, ``maximum``,
    ``negative``, ``absolute``, ``sqrt``, ``conjugate``, the comparisons and
    ``logical_and/or/xor/not`` (with ``out=``), ``np.real``/``np.imag``/``.real``/``.imag``,
    ``a[mask] = scalar`` and :func:`gpusci.fft.fft`/``ifft`` return new ``gpusci.Array``s on
    the same GPU. NumPy 2's promotion: a Python scalar takes the array's precision. ``.get()``
    or ``np.asarray(a)`` downloads (a copy). Anything else raises ``TypeError``: nothing
    downloads silently. float64 keeps float64 accuracy on every GPU (double-float where the
    GPU has no float64); what the GPU cannot compute runs on the CPU with a
    ``RuntimeWarning`` and comes back.

    Parameters
    ----------
    x : array_like
        float32, float64, complex64, complex128 or bool data (``dtype`` converts first).
    dtype : data-type, optional
        As ``numpy.asarray``.
    backend : {'auto', 'gpu', 'cpu'}, optional, keyword-only
        Where the data goes. With ``'cpu'``, or when the backend has no GPU (``'auto'`` on a
        machine without a hardware GPU), the result is NumPy's array: the same script runs
        without a GPU.
    precision : {'auto', 'double', 'single'}, optional, keyword-only
        How float64 data is held on a GPU without native float64 (see the package notes).

    Returns
    -------
    gpusci.Array or numpy.ndarray

    Raises
    ------
    TypeError
        Integer, string or object data (pass ``dtype=np.float64``), or another array type.
    ValueError
        An unknown backend or precision.
    """
    backend = _backend_name(backend)
    precision = _precision_name(precision)
    if isinstance(x, Array):
        if dtype is not None and _np.dtype(dtype) != x.dtype:
            raise TypeError(f"converting a gpusci.Array from {x.dtype} to {_np.dtype(dtype)} "
                            "is not supported on the device: .get() it first")
        return x
    host = _np.asarray(x, dtype=dtype)
    if backend == "cpu":
        return host
    if host.dtype.newbyteorder("=") not in (_np.float32, _np.float64, _np.complex64,
                                            _np.complex128, _np.bool_):
        raise TypeError(f"gpusci.Array holds float32, float64, complex64, complex128 or bool, "
                        f"not {host.dtype}: pass dtype=numpy.float64 (say)")
    if not (host.flags.c_contiguous and host.dtype.isnative):
        # (np.ascontiguousarray would make a 0-d array 1-d.)
        host = _np.array(host, dtype=host.dtype.newbyteorder("="), order="C")
    device = _core.asarray(host, backend, precision)
    return host if device is None else device


def set_backend(backend: str) -> None:
    """Sets the default ``backend`` of every later call that passes ``backend=None``.

    Parameters
    ----------
    backend : {'auto', 'gpu', 'cpu'}
        ``'auto'``: a hardware GPU when one is present, else the CPU (software adapters such as
        lavapipe are used only when asked for with ``'gpu'`` or ``GPUSCI_ADAPTER``).

    Raises
    ------
    ValueError
        For any other name.
    """
    _core.set_backend(backend)


def get_backend() -> str:
    """The default backend: ``'auto'``, ``'gpu'`` or ``'cpu'``."""
    return _core.get_backend()


def set_num_threads(n: int) -> None:
    """Sets how many CPU threads later calls use (0: all cores, or ``RAYON_NUM_THREADS``).

    Use it, or ``RAYON_NUM_THREADS``, so that gpusci does not oversubscribe a thread pool of
    your own or a Dask worker.

    Raises
    ------
    ValueError
        For a negative ``n``.
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    _core.set_num_threads(int(n))


def get_num_threads() -> int:
    """CPU threads the next call uses."""
    return _core.get_num_threads()


def device_stats(reset: bool = False) -> dict[str, int]:
    """What the GPU runtime has moved and kept since the GPU device was opened (or last reset).

    Counts every call on the process's GPU device (``backend='gpu'``, and ``'auto'`` where it
    picks a GPU); all zeros while no GPU device is open. Use it to check that a call moves only
    its data: a warm ``gaussian_filter`` of a 1024x1024 float32 image uploads 4 MiB, downloads
    4 MiB, submits once, waits once and creates no buffer.

    Parameters
    ----------
    reset : bool, optional
        Zero the counters after reading them (the pool figures describe memory held now and
        are not counters; the peak restarts from what is held).

    Returns
    -------
    dict of str to int
        Exactly these keys:

        - ``uploaded_bytes``, ``downloaded_bytes``: array data moved between host and device
          (kernel parameters such as filter taps and bin edges are not counted);
        - ``submits``, ``waits``: command submissions, and blocking waits for the device;
        - ``buffers_created``: device buffers made (a warm call reuses pooled ones);
        - ``pool_bytes_held``, ``pool_bytes_in_use``, ``pool_peak_bytes``: device memory the
          buffer pool owns, leases out now, and has held at most.
    """
    return _core.device_stats(bool(reset))


def info() -> str:
    """What gpusci sees: the adapters wgpu finds and where ``backend='auto'`` runs.

    Returns
    -------
    str
        One line per adapter, then the backend ``'auto'`` resolves to. Opening it opens the
        process's one GPU device (once).
    """
    lines = []
    for k, a in enumerate(_core.adapters()):
        kind = "software: correct, not fast" if a["software"] else a["type"]
        lines.append(
            f"adapter {k}: {a['name']} [{a['backend']}] ({kind}), shader f64: "
            f"{a['shader_f64']}, max storage binding: {a['max_storage_binding'] >> 20} MiB"
        )
    if not lines:
        lines.append("no GPU adapter found")
    try:
        auto = _core.describe_backend("auto")
    except RuntimeError as error:  # GPUSCI_ADAPTER names no adapter, say: the list still helps
        auto = f"nothing ({error})"
    lines.append(f"backend 'auto' runs on: {auto}")
    lines.append(f"CPU threads: {get_num_threads()}"
                 + (f" (RAYON_NUM_THREADS={_os.environ['RAYON_NUM_THREADS']})"
                    if "RAYON_NUM_THREADS" in _os.environ else ""))
    return "\n".join(lines)
