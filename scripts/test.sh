#!/usr/bin/env bash
# Every test: the Rust suite (cargo test: the library, the CLI, GPU tests on every adapter),
# then the Python package: its wheel built with maturin into a virtual environment (.venv),
# gpusci's own pytest suite, and SciPy's and NumPy's own tests run with gpusci substituted
# (python/tests/gpusci_peers.py). Run from anywhere; needs Rust and Python 3.9+ (pip reaches
# PyPI for maturin, numpy, scipy, pytest, mypy, and dask, pandas and pyarrow for gpusci.dask's
# tests on a 2-process LocalCluster).
#
#   scripts/test.sh            everything
#   scripts/test.sh --python   the Python part only (the Rust suite skipped)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--python" ]; then
    echo "== cargo test"
    start=$SECONDS
    cargo test --locked
    echo "== cargo test: $((SECONDS - start)) s (compiling and running)"
fi

echo "== the Python package"
venv=.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "maturin>=1.7,<2" pytest numpy scipy hypothesis mypy \
    "dask[array,dataframe,distributed]" pandas pyarrow
rm -rf target/wheels
"$venv/bin/maturin" build --release --locked -o target/wheels
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps target/wheels/gpusci-*.whl

echo "== gpusci's Python tests"
# From another folder, so the installed package (not python/gpusci) is what is imported.
here="$(pwd)"
cd /tmp
"$here/$venv/bin/python" -m pytest -q "$here/python/tests" -p no:cacheprovider

echo "== the stub matches the module (mypy.stubtest)"
"$here/$venv/bin/python" -m mypy.stubtest gpusci._core --ignore-missing-stub

echo "== SciPy's and NumPy's own tests with gpusci substituted"
peers() {
    PYTHONPATH="$here/python/tests" "$here/$venv/bin/python" -m pytest -q -p gpusci_peers \
        -p no:cacheprovider --no-header "$@"
}
signal_tests="(TestConvolve and not TestConvolve2d) or TestFFTConvolve or TestOAConvolve \
or TestAllFreqConvolves or TestCorrelateReal \
or (TestCorrelate and not Correlate2d and not CorrelateComplex) or correlation_lags"
peers --pyargs scipy.ndimage.tests.test_filters -k gaussian
peers --pyargs numpy.lib.tests.test_twodim_base -k TestHistogram2d
peers --pyargs scipy.signal.tests.test_signaltools -k "$signal_tests"
# The same float64 tests on the GPU backend (float64 computed to float64 accuracy there), where
# wgpu finds an adapter.
if "$here/$venv/bin/python" -c "import gpusci._core as c, sys; sys.exit(not c.adapters())"; then
    echo "== the same suites on the GPU backend"
    export GPUSCI_PEERS_BACKEND=gpu
    peers --pyargs scipy.ndimage.tests.test_filters -k gaussian
    peers --pyargs numpy.lib.tests.test_twodim_base -k TestHistogram2d
    peers --pyargs scipy.signal.tests.test_signaltools -k "$signal_tests"
    unset GPUSCI_PEERS_BACKEND
else
    echo "*** no GPU adapter: the GPU runs of SciPy's and NumPy's tests were SKIPPED ***"
fi
echo "== all tests passed"
