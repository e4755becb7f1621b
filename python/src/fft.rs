//! `gpusci.fft`'s Rust half: rows of transforms (float64 on the CPU, or the GPU).

use ndarray::Array2;
use numpy::{Complex32, Complex64, IntoPyArray, PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::errors::PyResult;
use crate::runtime::*;

/// Rows of `data` (rows x `n_in`, any layout) through `transform` (all values in row order,
/// giving rows x `n_out`), without the GIL; empty input gives empty output.
pub(crate) fn through_rows<'py, A, B>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, A>,
    n_out: impl FnOnce(usize) -> usize,
    transform: impl FnOnce(Vec<A>, usize) -> gpusci::Result<Vec<B>> + Send,
) -> PyResult<Bound<'py, PyArray2<B>>>
where
    A: numpy::Element + Copy + Send + Sync,
    B: numpy::Element + Send,
{
    let (rows, n) = (data.shape()[0], data.shape()[1]);
    let cols = n_out(n);
    let view = data.as_array();
    let out = compute(py, || -> gpusci::Result<Array2<B>> {
        let values: Vec<A> = view.iter().copied().collect();
        let result = if values.is_empty() {
            Vec::new()
        } else {
            transform(values, n)?
        };
        Ok(Array2::from_shape_vec((rows, cols), result).expect("rows of the transform"))
    })?;
    Ok(out.into_pyarray(py))
}

/// Rows of a 2-D array in single (`$single`) or double (`$double`) precision through one row
/// transform written once (`|values, n| body`, generic over the element type), without the
/// GIL; the result keeps the input's precision. `$what` is the `TypeError` for anything else.
macro_rules! rows_in_either_precision {
    ($py:expr, $data:expr, ($single:ty, $double:ty), $what:literal, $n_out:expr,
     |$values:ident, $n:ident| $body:expr) => {{
        if let Ok(rows) = $data.extract::<PyReadonlyArray2<'_, $single>>() {
            return Ok(through_rows($py, rows, $n_out, move |$values, $n| $body)?.into_any());
        }
        let rows: PyReadonlyArray2<'_, $double> =
            $data.extract().map_err(|_| PyTypeError::new_err($what))?;
        Ok(through_rows($py, rows, $n_out, move |$values, $n| $body)?.into_any())
    }};
}

/// `np.fft.fft` (or `ifft`, scaled 1/n) of every row of a complex64 or complex128 2-D array,
/// on `backend`; the result has the input's dtype.
#[pyfunction]
#[pyo3(signature = (data, inverse, backend=None, precision=None))]
pub(crate) fn fft_rows<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    inverse: bool,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    rows_in_either_precision!(
        py,
        data,
        (Complex32, Complex64),
        "fft_rows takes a 2-D complex64 or complex128 array",
        |n| n,
        |values, n| gpusci::fft::fft_rows(device, &values, n, inverse)
    )
}

/// `np.fft.rfft` of every row of a float32 or float64 2-D array: `n / 2 + 1` bins a row, on
/// `backend` (complex64 for float32 rows, complex128 for float64).
#[pyfunction]
#[pyo3(signature = (data, backend=None, precision=None))]
pub(crate) fn rfft_rows<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    rows_in_either_precision!(
        py,
        data,
        (f32, f64),
        "rfft_rows takes a 2-D float32 or float64 array",
        |n| n / 2 + 1,
        |values, n| gpusci::fft::rfft_rows(device, &values, n)
    )
}

/// `np.fft.irfft(spectrum, n)` of every row of a complex64 or complex128 2-D array of
/// `n / 2 + 1` bins, on `backend` (float32 or float64 rows of `n`).
#[pyfunction]
#[pyo3(signature = (data, n, backend=None, precision=None))]
pub(crate) fn irfft_rows<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    n: usize,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    rows_in_either_precision!(
        py,
        data,
        (Complex32, Complex64),
        "irfft_rows takes a 2-D complex64 or complex128 array",
        |_| n,
        |values, _bins| gpusci::fft::irfft_rows(device, &values, n)
    )
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fft_rows, m)?)?;
    m.add_function(wrap_pyfunction!(rfft_rows, m)?)?;
    m.add_function(wrap_pyfunction!(irfft_rows, m)?)?;
    Ok(())
}
