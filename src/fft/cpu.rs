//! The CPU twin of the GPU FFT: `rustfft` (complex) and `realfft` (real) in float64 with
//! NumPy's scaling, plans made once per size and shared.

use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftDirection, FftPlanner};

use super::Complex;
use crate::error::{Error, Result};

/// The plan for `n` points: rustfft's planner keeps every plan it made, so a size is planned
/// once per process.
fn plan(n: usize, direction: FftDirection) -> Arc<dyn Fft<f64>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f64>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(FftPlanner::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .plan_fft(n, direction)
}

fn rows_of(len: usize, n: usize) -> Result<()> {
    if n == 0 || len == 0 {
        return Err(Error::EmptyInput("FFT input"));
    }
    if !len.is_multiple_of(n) {
        return Err(Error::ShapeMismatch {
            what: "FFT input",
            expected: format!("rows of {n} values"),
            got: vec![len],
        });
    }
    Ok(())
}

/// `np.fft.fft` (or `ifft` when `inverse`, scaled by 1/n) of each row of `n` points, in
/// place; rows in parallel.
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::ShapeMismatch`] when `data` is not whole rows.
pub fn fft_rows(data: &mut [Complex<f64>], n: usize, inverse: bool) -> Result<()> {
    rows_of(data.len(), n)?;
    let direction = if inverse {
        FftDirection::Inverse
    } else {
        FftDirection::Forward
    };
    let fft = plan(n, direction);
    data.par_chunks_mut(n).for_each(|row| {
        fft.process(row);
        if inverse {
            let scale = 1.0 / n as f64;
            row.iter_mut().for_each(|x| *x *= scale);
        }
    });
    Ok(())
}

/// `np.fft.rfft` of each row of `n` real points: `n / 2 + 1` bins per row.
///
/// ```
/// use gpusci::fft::cpu::rfft_rows;
///
/// // np.fft.rfft(np.cos(2 * np.pi * 3 * np.arange(16) / 16)): all the power in bin 3.
/// let x: Vec<f64> = (0..16).map(|i| (std::f64::consts::TAU * 3.0 * i as f64 / 16.0).cos()).collect();
/// let bins = rfft_rows(&x, 16)?;
/// assert_eq!(bins.len(), 9);
/// assert!((bins[3].re - 8.0).abs() < 1e-12 && bins[2].norm() < 1e-12);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`fft_rows`].
pub fn rfft_rows(x: &[f64], n: usize) -> Result<Vec<Complex<f64>>> {
    rows_of(x.len(), n)?;
    let (forward, _) = real_plans(n);
    let bins = n / 2 + 1;
    let mut out = vec![Complex::new(0.0, 0.0); x.len() / n * bins];
    out.par_chunks_mut(bins)
        .zip(x.par_chunks(n))
        .for_each(|(spectrum, row)| {
            let mut input = row.to_vec();
            forward
                .process(&mut input, spectrum)
                .expect("lengths from the plan");
        });
    Ok(out)
}

/// `np.fft.irfft(X, n)` of each row of `n / 2 + 1` bins: `n` real points per row. As NumPy,
/// the imaginary parts of the zero (and, for even n, the Nyquist) bins are ignored.
///
/// # Errors
/// As [`fft_rows`], with rows of `n / 2 + 1` bins.
pub fn irfft_rows(spectrum: &[Complex<f64>], n: usize) -> Result<Vec<f64>> {
    if n == 0 {
        return Err(Error::EmptyInput("inverse real FFT output (n = 0)"));
    }
    let bins = n / 2 + 1;
    rows_of(spectrum.len(), bins)?;
    let (_, inverse) = real_plans(n);
    let mut out = vec![0.0f64; spectrum.len() / bins * n];
    let scale = 1.0 / n as f64;
    out.par_chunks_mut(n)
        .zip(spectrum.par_chunks(bins))
        .for_each(|(row, bins_of_row)| {
            let mut input = bins_of_row.to_vec();
            input[0].im = 0.0;
            if n.is_multiple_of(2) {
                input[n / 2].im = 0.0;
            }
            inverse
                .process(&mut input, row)
                .expect("lengths from the plan");
            row.iter_mut().for_each(|x| *x *= scale);
        });
    Ok(out)
}

/// `np.fft.fft2` (or `ifft2`) of a `rows x cols` array stored row after row, in place.
///
/// # Errors
/// As [`fft_rows`].
pub fn fft2(data: &mut [Complex<f64>], rows: usize, cols: usize, inverse: bool) -> Result<()> {
    if data.len() != rows * cols {
        return Err(Error::ShapeMismatch {
            what: "2-D FFT input",
            expected: format!("{rows} x {cols} values"),
            got: vec![data.len()],
        });
    }
    fft_rows(data, cols, inverse)?;
    let mut transposed = transpose(data, rows, cols);
    fft_rows(&mut transposed, rows, inverse)?;
    data.copy_from_slice(&transpose(&transposed, cols, rows));
    Ok(())
}

/// The `cols x rows` transpose of a `rows x cols` array.
pub(crate) fn transpose<T: Copy + Send + Sync>(data: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(data.len());
    for c in 0..cols {
        out.extend((0..rows).map(|r| data[r * cols + c]));
    }
    out
}

/// Real FFT plans, made once per size and shared (planning a 2^21-point transform costs about
/// as much as running it).
pub(crate) fn real_plans(
    size: usize,
) -> (Arc<dyn RealToComplex<f64>>, Arc<dyn ComplexToReal<f64>>) {
    static PLANNER: OnceLock<Mutex<RealFftPlanner<f64>>> = OnceLock::new();
    let mut planner = PLANNER
        .get_or_init(|| Mutex::new(RealFftPlanner::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    (
        planner.plan_fft_forward(size),
        planner.plan_fft_inverse(size),
    )
}
