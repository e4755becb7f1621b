"""A pytest plugin that runs SciPy's and NumPy's own tests with gpusci substituted for the
functions it replaces (``-p gpusci_peers``, with this folder on ``sys.path``).

The peers' test modules call ``ndimage.gaussian_filter``, ``np.histogram2d``,
``signal.convolve``, ...; before any test module is imported, those module attributes are
replaced by gpusci's functions. A test that reaches something gpusci does not compute (complex
input, more than 2-D convolutions, ...) gets ``UnsupportedInput`` or ``NotImplementedError``
from gpusci and is reported as skipped, with the reason.

``GPUSCI_PEERS_BACKEND`` (``cpu`` by default) is the backend the substituted functions use.
"""

from __future__ import annotations

import functools
import os

import pytest

_SUBSTITUTED: list[str] = []


def _wrap(ours, backend):
    @functools.wraps(ours)
    def substituted(*args, **kwargs):
        try:
            return ours(*args, backend=backend, **kwargs)
        except NotImplementedError as e:  # gpusci says it does not compute this input
            pytest.skip(f"gpusci: {e}")
        except TypeError as e:
            import gpusci

            if isinstance(e, gpusci.UnsupportedInput):
                pytest.skip(f"gpusci: {e}")
            raise

    return substituted


def pytest_configure(config):
    import numpy
    import scipy.ndimage
    import scipy.signal

    import gpusci
    import gpusci.ndimage
    import gpusci.signal

    backend = os.environ.get("GPUSCI_PEERS_BACKEND", "cpu")
    table = [
        (scipy.ndimage, "gaussian_filter", gpusci.ndimage.gaussian_filter),
        (scipy.ndimage, "gaussian_filter1d", gpusci.ndimage.gaussian_filter1d),
        (numpy, "histogram2d", gpusci.histogram2d),
        (scipy.signal, "convolve", gpusci.signal.convolve),
        (scipy.signal, "correlate", gpusci.signal.correlate),
        (scipy.signal, "fftconvolve", gpusci.signal.fftconvolve),
        (scipy.signal, "oaconvolve", gpusci.signal.oaconvolve),
    ]
    try:  # SciPy's array-API test marks look functions up by identity.
        from scipy._lib._array_api import xp_capabilities_table as capabilities
    except ImportError:
        capabilities = {}
    for module, name, ours in table:
        original = getattr(module, name)
        wrapper = _wrap(ours, backend)
        if original in capabilities:
            capabilities[wrapper] = capabilities[original]
        setattr(module, name, wrapper)
        _SUBSTITUTED.append(f"{module.__name__}.{name}")
    # correlation_lags takes no backend.
    original = scipy.signal.correlation_lags
    if original in capabilities:
        capabilities[gpusci.signal.correlation_lags] = capabilities[original]
    scipy.signal.correlation_lags = gpusci.signal.correlation_lags
    _SUBSTITUTED.append("scipy.signal.correlation_lags")


def pytest_report_header(config):
    return "gpusci substituted for: " + ", ".join(_SUBSTITUTED)
