//! `gpusci._core`: the Rust half of the Python package. Each function takes NumPy arrays
//! already normalised by the pure-Python layer (`python/gpusci/`: SciPy's and NumPy's
//! signatures, dtype rules and argument forms), borrows them without a copy where the layout
//! allows, releases the GIL while it computes, and hands its result to NumPy without a copy.
//!
//! Errors map to Python's: bad arguments and shapes to `ValueError`, memory to
//! `MemoryError`, files to `OSError`, GPU failures to `RuntimeError`.

#![deny(unsafe_code)]
#![allow(
    clippy::type_complexity,
    reason = "arguments and results are Python tuples of arrays, named where they recur"
)]

use std::sync::Arc;

use ndarray::ArrayView1;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

mod animate;
mod array;
mod density;
mod errors;
mod fft;
mod heatmap;
mod models;
mod ndimage;
mod runtime;
mod signal;

/// Checks one 1-D view for the bindings' tests (length and first value), to prove that a
/// borrowed, non-contiguous view arrives intact.
#[pyfunction]
fn _probe_view(x: PyReadonlyArray1<'_, f64>) -> (usize, f64) {
    let view: ArrayView1<'_, f64> = x.as_array();
    (view.len(), view.first().copied().unwrap_or(f64::NAN))
}

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    gpusci::gpu::set_cpu_fallback_hook(Some(Arc::new(|note: &str| {
        runtime::CPU_NOTES
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(note.to_string());
    })));
    runtime::register(m)?;
    array::register(m)?;
    ndimage::register(m)?;
    density::register(m)?;
    signal::register(m)?;
    fft::register(m)?;
    heatmap::register(m)?;
    models::register(m)?;
    animate::register(m)?;
    m.add_function(wrap_pyfunction!(_probe_view, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
