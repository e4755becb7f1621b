//! gpusci's errors as the Python exceptions a NumPy user expects: bad arguments and shapes
//! `ValueError`, memory `MemoryError`, files `OSError`, an interrupted run
//! `KeyboardInterrupt`, GPU failures `RuntimeError`.
//!
//! Neither `gpusci::Error` nor `PyErr` is this crate's, so `From<gpusci::Error> for PyErr`
//! cannot be written here; [`BindingError`] holds either, converts from both and into
//! `PyErr`, and every binding returns this module's [`PyResult`], so call sites use `?` on
//! the library's results and on Python's alike.

use pyo3::exceptions::{
    PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::PyErr;

use gpusci::Error;

/// What a binding fails with: the library's error or Python's.
#[derive(Debug)]
pub(crate) enum BindingError {
    /// gpusci's error, raised as the exception [`to_py`] names.
    Gpusci(Error),
    /// A Python exception, raised as it is.
    Python(PyErr),
}

/// The result of every binding.
pub(crate) type PyResult<T> = std::result::Result<T, BindingError>;

impl From<Error> for BindingError {
    fn from(error: Error) -> Self {
        BindingError::Gpusci(error)
    }
}

impl From<PyErr> for BindingError {
    fn from(error: PyErr) -> Self {
        BindingError::Python(error)
    }
}

impl From<BindingError> for PyErr {
    fn from(error: BindingError) -> Self {
        match error {
            BindingError::Gpusci(error) => to_py(error),
            BindingError::Python(error) => error,
        }
    }
}

/// gpusci's error as the Python exception a NumPy user expects.
pub(crate) fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::InvalidParam { .. }
        | Error::ShapeMismatch { .. }
        | Error::EmptyInput(_)
        | Error::ExceedsLimit { .. } => PyValueError::new_err(message),
        Error::MemoryLimit { .. } | Error::OutOfMemory { .. } => PyMemoryError::new_err(message),
        Error::Io { .. } | Error::Npy { .. } | Error::Csv { .. } | Error::Png { .. } => {
            PyOSError::new_err(message)
        }
        Error::Cancelled => PyKeyboardInterrupt::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// A name the library parses (a mode, a method, a norm), as `ValueError` when it is not one.
pub(crate) fn parse<T: std::str::FromStr<Err = Error>>(text: &str) -> PyResult<T> {
    Ok(text.parse::<T>()?)
}

/// A `ValueError` with `message`.
pub(crate) fn value_error(message: impl Into<String>) -> BindingError {
    BindingError::Python(PyValueError::new_err(message.into()))
}

/// A `TypeError` with `message`.
pub(crate) fn type_error(message: impl Into<String>) -> BindingError {
    BindingError::Python(pyo3::exceptions::PyTypeError::new_err(message.into()))
}

/// A `RuntimeError` with `message`.
pub(crate) fn runtime_error(message: impl Into<String>) -> BindingError {
    BindingError::Python(PyRuntimeError::new_err(message.into()))
}
