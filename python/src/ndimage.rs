//! `gpusci.ndimage`'s Rust half: Gaussian filters of N-D arrays and stacks.

use numpy::{IntoPyArray, PyReadonlyArray3, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use crate::errors::{parse, type_error, PyResult};
use crate::runtime::*;
use gpusci::blur::{self, BlurParams, Mode, NanPolicy};

/// SciPy's per-axis lists as [`BlurParams`] (the Python side has checked types and lengths;
/// the library checks values).
#[allow(clippy::too_many_arguments, reason = "SciPy's parameters, one each")]
pub(crate) fn blur_params(
    axes: Option<Vec<isize>>,
    sigma: Vec<f64>,
    order: Vec<u32>,
    modes: Vec<String>,
    cval: f64,
    truncate: f64,
    radius: Option<Vec<usize>>,
    nan_policy: &str,
) -> PyResult<BlurParams> {
    let modes = modes
        .iter()
        .map(|m| parse::<Mode>(m))
        .collect::<PyResult<Vec<Mode>>>()?;
    let mut params = BlurParams::per_axis(&sigma)
        .with_truncate(truncate)
        .with_orders(&order)
        .with_modes(&modes)
        .with_cval(cval)
        .with_nan_policy(parse::<NanPolicy>(nan_policy)?);
    params.radius = radius;
    params.axes = axes;
    Ok(params)
}

/// `gaussian_filter` of a float32 or float64 array of any number of dimensions: `axes` (None:
/// all) and per-axis `sigma`, `order`, `mode` and `radius` (one, or one per filtered axis).
/// The result has the input's dtype.
#[pyfunction]
#[pyo3(signature = (input, axes, sigma, order, mode, cval, truncate, radius, nan_policy, backend, precision=None))]
#[allow(clippy::too_many_arguments, reason = "SciPy's parameters, one each")]
pub(crate) fn gaussian_filter_nd<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    axes: Option<Vec<isize>>,
    sigma: Vec<f64>,
    order: Vec<u32>,
    mode: Vec<String>,
    cval: f64,
    truncate: f64,
    radius: Option<Vec<usize>>,
    nan_policy: &str,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = blur_params(axes, sigma, order, mode, cval, truncate, radius, nan_policy)?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    if let Ok(array) = input.extract::<PyReadonlyArrayDyn<'py, f32>>() {
        let view = array.as_array();
        let out = compute(py, || blur::gaussian_filter(device, view, &params))?;
        return Ok(out.into_pyarray(py).into_any());
    }
    if let Ok(array) = input.extract::<PyReadonlyArrayDyn<'py, f64>>() {
        let view = array.as_array();
        let out = compute(py, || blur::gaussian_filter(device, view, &params))?;
        return Ok(out.into_pyarray(py).into_any());
    }
    Err(type_error(
        "gaussian_filter_nd takes a float32 or float64 array",
    ))
}

/// Each image of a float32 or float64 `(N, H, W)` stack blurred with its own sigma
/// (`gaussian_filter_stack`); `order`, `mode`, `radius` for the image's two axes.
#[pyfunction]
#[pyo3(signature = (input, sigmas, order, mode, cval, truncate, radius, nan_policy, backend, precision=None))]
#[allow(clippy::too_many_arguments, reason = "SciPy's parameters, one each")]
pub(crate) fn gaussian_filter_stack<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    sigmas: Vec<f64>,
    order: Vec<u32>,
    mode: Vec<String>,
    cval: f64,
    truncate: f64,
    radius: Option<Vec<usize>>,
    nan_policy: &str,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = blur_params(
        None,
        vec![0.0],
        order,
        mode,
        cval,
        truncate,
        radius,
        nan_policy,
    )?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    if let Ok(array) = input.extract::<PyReadonlyArray3<'py, f32>>() {
        let view = array.as_array();
        let out = compute(py, || {
            blur::gaussian_filter_stack(device, view, &sigmas, &params)
        })?;
        return Ok(out.into_pyarray(py).into_any());
    }
    if let Ok(array) = input.extract::<PyReadonlyArray3<'py, f64>>() {
        let view = array.as_array();
        let out = compute(py, || {
            blur::gaussian_filter_stack(device, view, &sigmas, &params)
        })?;
        return Ok(out.into_pyarray(py).into_any());
    }
    Err(type_error(
        "gaussian_filter_stack takes a 3-D float32 or float64 array",
    ))
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(gaussian_filter_nd, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_filter_stack, m)?)?;
    Ok(())
}
