//! 2-D `scipy.signal.convolve` / `correlate` (zero fill outside the arrays) in every mode:
//! `full`, `same` (the first input's shape, centred as SciPy's `_centered`) and `valid` (one
//! input at least as large as the other in every dimension, else an error as in SciPy).
//! The CPU sums directly in float64 or multiplies 2-D FFTs (rustfft, 5-smooth sizes); the GPU
//! sums directly or multiplies our WGSL 2-D FFTs, at the device's precision (float64 accuracy
//! unless `Precision::Single`).

use ndarray::{s, Array2, ArrayView2};
use rayon::prelude::*;

use super::{check, fft_len, scipy_window, Method, Mode};
use crate::error::{Error, Result};
use crate::fft::{cpu, Complex};
use crate::gpu::Device;
use crate::route::{route, Job, Operation};

/// Rows and columns of an output window: (first row, rows), (first column, columns).
pub type Window2 = ((usize, usize), (usize, usize));

/// The window of the full convolution that SciPy keeps.
///
/// # Errors
/// [`Error::ShapeMismatch`] in `valid` mode when neither input is at least as large as the
/// other in every dimension (SciPy raises `ValueError`).
pub fn scipy_window_2d(mode: Mode, a: (usize, usize), v: (usize, usize)) -> Result<Window2> {
    if mode == Mode::Valid {
        let a_larger = a.0 >= v.0 && a.1 >= v.1;
        let v_larger = v.0 >= a.0 && v.1 >= a.1;
        if !a_larger && !v_larger {
            return Err(Error::ShapeMismatch {
                what: "valid-mode inputs",
                expected: format!(
                    "one input at least as large as the other in every dimension (first is {} x {})",
                    a.0, a.1
                ),
                got: vec![v.0, v.1],
            });
        }
    }
    let window = (scipy_window(mode, a.0, v.0), scipy_window(mode, a.1, v.1));
    // A (1, n) by (m, 1) full convolution is n x m outputs: checked before it is allocated,
    // with room for the FFT's padded spectra (about 4x the output).
    let outputs = (window.0 .1 as u64).saturating_mul(window.1 .1 as u64);
    crate::limits::check_allocation("the 2-D convolution's output", outputs, 8 * 5)?;
    Ok(window)
}

/// `scipy.signal.convolve(in1, in2, mode, method)` for 2-D arrays, on `device`.
///
/// # Errors
/// [`Error::EmptyInput`]; [`Error::ShapeMismatch`] as [`scipy_window_2d`]; on the GPU, limits
/// and errors as [`super::gpu::ConvGpu::full_window_2d`].
pub fn convolve_2d<'d>(
    device: impl Into<Device<'d>>,
    in1: ArrayView2<'_, f64>,
    in2: ArrayView2<'_, f64>,
    mode: Mode,
    method: Method,
) -> Result<Array2<f64>> {
    let device: Device<'d> = device.into();
    check(in1, in2)?;
    let window = scipy_window_2d(mode, in1.dim(), in2.dim())?;
    full_window(device, in1, in2, method, window)
}

/// `scipy.signal.correlate(in1, in2, mode, method)` for real 2-D arrays: the convolution
/// with `in2` turned by 180 degrees.
///
/// # Errors
/// As [`convolve_2d`].
pub fn correlate_2d<'d>(
    device: impl Into<Device<'d>>,
    in1: ArrayView2<'_, f64>,
    in2: ArrayView2<'_, f64>,
    mode: Mode,
    method: Method,
) -> Result<Array2<f64>> {
    let device: Device<'d> = device.into();
    check(in1, in2)?;
    let turned = in2.slice(s![..;-1, ..;-1]);
    let window = scipy_window_2d(mode, in1.dim(), in2.dim())?;
    full_window(device, in1, turned, method, window)
}

fn full_window(
    device: Device<'_>,
    a: ArrayView2<'_, f64>,
    v: ArrayView2<'_, f64>,
    method: Method,
    window: Window2,
) -> Result<Array2<f64>> {
    let finite = a.iter().chain(v.iter()).all(|x| x.is_finite());
    let job = Job::new(Operation::Convolve, a.len() + v.len()).float64(true);
    match route(device, &job) {
        Device::Cpu => {
            let fft = match method {
                Method::Direct => false,
                Method::Fft => true,
                Method::Auto => finite && fft_is_cheaper(a.dim(), v.dim(), window),
            };
            Ok(if fft {
                fft_window(a, v, window)
            } else {
                direct_window(a, v, window)
            })
        }
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => {
            let arith = device.float64_arith().expect("a GPU device");
            // Inputs past one binding are cut into blocks; only float64 data double-float
            // cannot hold is refused.
            let refusal = crate::gpu::Scaling::refusal(arith, a.iter().copied())
                .or_else(|| crate::gpu::Scaling::refusal(arith, v.iter().copied()));
            crate::gpu::or_cpu_when_refused(
                "convolve (2-D)",
                refusal,
                || {
                    super::gpu::ConvGpu::for_arith(ctx, arith)?
                        .full_window_2d(ctx, a, v, method, window)
                },
                || full_window(Device::Cpu, a, v, method, window),
            )
        }
    }
}

/// As the 1-D cost model: direct multiply-adds against two complex 2-D transforms (counted
/// 4 L log2 L each, twice the real transforms of the 1-D model).
fn fft_is_cheaper(a: (usize, usize), v: (usize, usize), ((_, rows), (_, cols)): Window2) -> bool {
    let direct = (rows * cols) as f64 * (v.0 * v.1).min(a.0 * a.1) as f64;
    let l = (fft_len(a.0 + v.0 - 1) * fft_len(a.1 + v.1 - 1)) as f64;
    4.0 * l * l.log2().max(1.0) < direct
}

/// The window's outputs summed directly in float64, rows in parallel; each output row adds
/// one image row times one tap at a time (contiguous, vectorisable).
fn direct_window(a: ArrayView2<'_, f64>, v: ArrayView2<'_, f64>, window: Window2) -> Array2<f64> {
    let ((r0, rows), (c0, cols)) = window;
    let (ar, ac) = a.dim();
    let (kr, kc) = v.dim();
    let mut out = Array2::<f64>::zeros((rows, cols));
    out.axis_iter_mut(ndarray::Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(i, mut row)| {
            let r = r0 + i;
            let row = row.as_slice_mut().expect("fresh array");
            for p in r.saturating_sub(ar - 1)..=r.min(kr - 1) {
                let image_row = a.row(r - p);
                for q in 0..kc {
                    let tap = v[[p, q]];
                    // Output column c = c0 + j takes image column c - q when it exists.
                    let j_lo = q.saturating_sub(c0);
                    let j_hi = (ac + q).saturating_sub(c0).min(cols);
                    for j in j_lo..j_hi {
                        row[j] += image_row[c0 + j - q] * tap;
                    }
                }
            }
        });
    out
}

/// The window of the inverse 2-D FFT of the product of the zero-padded inputs' transforms.
fn fft_window(a: ArrayView2<'_, f64>, v: ArrayView2<'_, f64>, window: Window2) -> Array2<f64> {
    let ((r0, rows), (c0, cols)) = window;
    let (fr, fc) = (
        fft_len(a.nrows() + v.nrows() - 1),
        fft_len(a.ncols() + v.ncols() - 1),
    );
    let padded = |x: ArrayView2<'_, f64>| {
        let mut data = vec![Complex::new(0.0, 0.0); fr * fc];
        for ((r, c), &value) in x.indexed_iter() {
            data[r * fc + c] = Complex::new(value, 0.0);
        }
        cpu::fft2(&mut data, fr, fc, false).expect("shape from the sizes");
        data
    };
    let (mut fa, fv) = rayon::join(|| padded(a), || padded(v));
    fa.iter_mut().zip(&fv).for_each(|(x, y)| *x *= y);
    cpu::fft2(&mut fa, fr, fc, true).expect("shape from the sizes");
    Array2::from_shape_fn((rows, cols), |(i, j)| fa[(r0 + i) * fc + c0 + j].re)
}
