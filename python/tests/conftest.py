"""Shared fixtures: the backends to test (the CPU, and the GPU when wgpu finds an adapter)."""

import numpy as np
import pytest

import gpusci._core as core

BACKENDS = ["cpu"] + (["gpu"] if core.adapters() else [])


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261129)
