//! Fast Fourier transforms: our own Stockham FFT in WGSL on the GPU ([`gpu::FftGpu`]) and its
//! CPU twin on `rustfft` / `realfft` in float64 ([`cpu`]).
//!
//! Conventions are NumPy's: forward transforms unscaled, inverse transforms scaled by 1/n
//! (`np.fft.fft` / `ifft`, `rfft` / `irfft`, `fft2` / `ifft2`). Data are rows of `n` points,
//! row after row; a batch of rows is transformed in one set of dispatches.
//!
//! The GPU transform takes power-of-two sizes (callers pad: the convolution planner does); a
//! row of up to [`gpu::LOCAL_MAX`] points is transformed entirely in workgroup memory in one
//! dispatch, longer rows take one pass over global memory per radix-8 (then 4, 2) stage.
//! Twiddles are computed in float64 and stored as float32, once per size and context.

pub mod cpu;
pub mod gpu;

pub use realfft::num_complex::Complex;

use crate::error::{Error, Result};

/// Checks a GPU transform size: a power of two, at least `min`.
pub(crate) fn check_size(n: usize, min: usize) -> Result<()> {
    if n < min || !n.is_power_of_two() {
        return Err(Error::param(
            "FFT size",
            format!("{n} points: the GPU FFT takes powers of two of at least {min} (pad the input; the convolution planner does)"),
        ));
    }
    Ok(())
}

/// The number of whole rows of `row` values in `len` values.
pub(crate) fn whole_rows(what: &'static str, len: usize, row: usize) -> Result<usize> {
    if len == 0 {
        return Err(Error::EmptyInput(what));
    }
    if !len.is_multiple_of(row) {
        return Err(Error::ShapeMismatch {
            what,
            expected: format!("rows of {row} values"),
            got: vec![len],
        });
    }
    Ok(len / row)
}

/// Checks a GPU transform of rows of `n` points (see [`check_size`]) over `len` values and
/// returns the number of rows.
pub(crate) fn check_rows(what: &'static str, len: usize, n: usize, min: usize) -> Result<usize> {
    check_size(n, min)?;
    whole_rows(what, len, n)
}
