//! `gpusci.signal`'s Rust half: convolutions, correlation lags, crossings and rolling means.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::errors::{parse, type_error, value_error, PyResult};
use crate::runtime::*;
use gpusci::conv::{self, Method};

/// `numpy.convolve` (`kind` "numpy"), `scipy.signal.convolve` ("convolve") or
/// `scipy.signal.correlate` ("correlate") of 1-D or 2-D float64 arrays.
#[pyfunction]
#[pyo3(signature = (kind, in1, in2, mode, method, backend, precision=None))]
#[allow(
    clippy::too_many_arguments,
    reason = "SciPy's parameters, then gpusci's two"
)]
pub(crate) fn convolve<'py>(
    py: Python<'py>,
    kind: &str,
    in1: &Bound<'py, PyAny>,
    in2: &Bound<'py, PyAny>,
    mode: &str,
    method: &str,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let mode = parse::<conv::Mode>(mode)?;
    let method = parse::<Method>(method)?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    if let (Ok(a), Ok(v)) = (
        in1.extract::<PyReadonlyArray1<'py, f64>>(),
        in2.extract::<PyReadonlyArray1<'py, f64>>(),
    ) {
        let (a, v) = (a.as_array(), v.as_array());
        let out = compute(py, || match kind {
            "numpy" => conv::np_convolve(device, a, v, mode, method),
            "convolve" => conv::convolve(device, a, v, mode, method),
            _ => conv::correlate(device, a, v, mode, method),
        })?;
        return Ok(out.into_pyarray(py).into_any());
    }
    if let (Ok(a), Ok(v)) = (
        in1.extract::<PyReadonlyArray2<'py, f64>>(),
        in2.extract::<PyReadonlyArray2<'py, f64>>(),
    ) {
        let (a, v) = (a.as_array(), v.as_array());
        let out = compute(py, || match kind {
            "correlate" => conv::two_d::correlate_2d(device, a, v, mode, method),
            _ => conv::two_d::convolve_2d(device, a, v, mode, method),
        })?;
        return Ok(out.into_pyarray(py).into_any());
    }
    Err(type_error(
        "convolve takes two 1-D or two 2-D float64 arrays",
    ))
}

/// `scipy.signal.correlation_lags(in1_len, in2_len, mode)`.
#[pyfunction]
pub(crate) fn correlation_lags<'py>(
    py: Python<'py>,
    in1_len: usize,
    in2_len: usize,
    mode: &str,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let mode = parse::<conv::Mode>(mode)?;
    if in1_len == 0 || in2_len == 0 {
        return Err(value_error("input lengths must be positive"));
    }
    Ok(conv::correlation_lags(in1_len, in2_len, mode).into_pyarray(py))
}

/// The lag of `b` against `a`: `(samples, refined, peak, pearson)`.
#[pyfunction]
#[pyo3(signature = (a, b, method, backend, precision=None))]
pub(crate) fn lag(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    method: &str,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<(i64, f64, f64, f64)> {
    let method = parse::<Method>(method)?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    let (a, b) = (a.as_array(), b.as_array());
    let found = compute(py, || conv::lag(device, a, b, method))?;
    Ok((found.samples, found.refined, found.peak, found.pearson))
}

/// Event indices (int64) and interpolated times (float64).
pub(crate) type Events<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

/// Threshold crossings of a float64 signal: `(indices, times)`.
#[pyfunction]
#[pyo3(signature = (x, threshold, down, direction, min_gap, float32, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
pub(crate) fn crossings<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    threshold: f64,
    down: Option<f64>,
    direction: &str,
    min_gap: usize,
    float32: bool,
    backend: Option<BackendArg>,
) -> PyResult<Events<'py>> {
    let params = gpusci::signal::CrossingParams {
        threshold,
        down,
        direction: parse::<gpusci::signal::Direction>(direction)?,
        min_gap,
    };
    let params = if float32 {
        params.for_float32_data()
    } else {
        params
    };
    let exec = executor(backend)?;
    let x = x.as_array();
    let found = compute(py, || gpusci::signal::crossings(exec.device(), x, &params))?;
    let indices: Vec<i64> = found.iter().map(|c| c.index as i64).collect();
    let times: Vec<f64> = found.iter().map(|c| c.time).collect();
    Ok((indices.into_pyarray(py), times.into_pyarray(py)))
}

/// Rolling mean of a float64 signal (`np.convolve(x, ones(k)/k, mode)`, NaN policy).
#[pyfunction]
#[pyo3(signature = (x, k, mode, nan_policy, min_count, backend=None))]
pub(crate) fn rolling_mean<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    k: usize,
    mode: &str,
    nan_policy: &str,
    min_count: Option<usize>,
    backend: Option<BackendArg>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let mut params = gpusci::signal::RollingParams::new(k);
    params.mode = parse::<gpusci::signal::ConvMode>(mode)?;
    params.nan_policy = match nan_policy {
        "propagate" => gpusci::signal::rolling::NanPolicy::Propagate,
        "omit" => gpusci::signal::rolling::NanPolicy::Omit,
        other => {
            return Err(value_error(format!(
                "nan_policy '{other}' is not one of propagate, omit"
            )))
        }
    };
    if let Some(m) = min_count {
        params.min_count = m;
    }
    let x = x.as_array();
    let exec = executor(backend)?;
    let out = compute(py, || {
        gpusci::signal::rolling_mean(exec.device(), x, &params)
    })?;
    Ok(out.into_pyarray(py))
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(convolve, m)?)?;
    m.add_function(wrap_pyfunction!(correlation_lags, m)?)?;
    m.add_function(wrap_pyfunction!(lag, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_mean, m)?)?;
    m.add_function(wrap_pyfunction!(crossings, m)?)?;
    Ok(())
}
