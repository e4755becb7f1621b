//! Fast Fourier transforms with `numpy.fft`'s conventions, on the CPU or the GPU.
//!
//! - [`fft_rows`], [`rfft_rows`], [`irfft_rows`]: rows of `n` points, row after row, any `n`
//!   of at least 1, on a [`Device`]; float32 or float64 ([`FftFloat`]).
//! - [`fft`], [`rfft`], [`irfft`], [`fftn`]: `numpy.fft`'s `n` (or `s`), `axis` (or `axes`)
//!   and `norm` on N-D arrays, built on the row transforms.
//! - [`gpu::FftGpu`]: our Stockham FFT in WGSL, in float32, native float64 or double-float
//!   (see [`Precision`](crate::Precision)): powers of two in workgroup memory up to
//!   [`gpu::LOCAL_MAX`] float32 points (half as many float64), otherwise global passes of radix
//!   8, 4 and 2, then 3, 5, 7, 11 and 13; lengths with a larger prime factor through
//!   Bluestein's algorithm. Twiddles and chirps are computed in float64 and stored in the
//!   kernels' precision, once per size and context.
//! - [`cpu`]: its twin on `rustfft` / `realfft` in float64.
//!
//! Conventions are NumPy's: forward transforms unscaled, inverse transforms scaled by 1/n
//! (`norm="backward"`); [`Norm`] rescales.

pub mod cpu;
mod device;
pub mod gpu;

pub use device::{fft_device, fftn_device, irfft_device, rfft_device};

pub use realfft::num_complex::Complex;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

use crate::error::{Error, Result};
use crate::gpu::{Arith, Device, GpuContext, Scaling};
use crate::route::{route, Job, Operation};

/// Checks a GPU transform size: a power of two, at least `min`.
pub(crate) fn check_size(n: usize, min: usize) -> Result<()> {
    if n < min || !n.is_power_of_two() {
        return Err(Error::param(
            "FFT size",
            format!("{n} points: this transform path takes powers of two of at least {min}"),
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

/// The element types the transforms take: float32 (complex64) and float64 (complex128), as
/// NumPy 2 keeps them. On the CPU both are computed in float64 and rounded to the type; on a
/// GPU float32 in float32 and float64 at the device's [`Precision`](crate::Precision) (native
/// float64 or double-float by default; with `Single`, float32, a relative error of about 1e-7
/// times log n). Sealed: f32 and f64 only.
pub trait FftFloat:
    sealed::Sealed + crate::array::HostElement + Copy + Default + Send + Sync + 'static
{
    /// `Complex<Self>`, as the element of device arrays (complex64 or complex128).
    #[doc(hidden)]
    type ComplexHost: crate::array::HostElement;
    /// Whether this is float64 (computed at the device's precision on a GPU).
    const IS_F64: bool;
    /// The same values as device-array elements (the identity).
    #[doc(hidden)]
    fn complex_host(values: &[Complex<Self>]) -> &[Self::ComplexHost];
    /// Device-array elements back as `Complex<Self>` (the identity).
    #[doc(hidden)]
    fn from_complex_host(values: Vec<Self::ComplexHost>) -> Vec<Complex<Self>>;
    /// Widens to float64 (exact).
    fn to_f64(self) -> f64;
    /// From float64 (rounded for f32).
    fn from_f64(value: f64) -> Self;
    /// To float32 (rounded for f64).
    fn to_f32(self) -> f32;
    /// From float32 (exact).
    fn from_f32(value: f32) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

impl FftFloat for f32 {
    type ComplexHost = Complex<f32>;
    const IS_F64: bool = false;
    fn complex_host(values: &[Complex<f32>]) -> &[Complex<f32>] {
        values
    }
    fn from_complex_host(values: Vec<Complex<f32>>) -> Vec<Complex<f32>> {
        values
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(value: f32) -> Self {
        value
    }
}

impl FftFloat for f64 {
    type ComplexHost = Complex<f64>;
    const IS_F64: bool = true;
    fn complex_host(values: &[Complex<f64>]) -> &[Complex<f64>] {
        values
    }
    fn from_complex_host(values: Vec<Complex<f64>>) -> Vec<Complex<f64>> {
        values
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(value: f64) -> Self {
        value
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn from_f32(value: f32) -> Self {
        f64::from(value)
    }
}

/// What `T` computes in on `device` (a GPU): float32 for float32, the device's float64
/// arithmetic for float64.
fn arith_of<T: FftFloat>(device: Device<'_>) -> Arith {
    match device.float64_arith() {
        Some(arith) if T::IS_F64 => arith,
        _ => Arith::Single,
    }
}

/// Why the GPU cannot transform rows of `n` points of `data` in `arith`: a row past one
/// binding, or float64 data double-float cannot hold. Asked before anything is uploaded.
fn refusal(
    ctx: &GpuContext,
    arith: Arith,
    n: usize,
    real: bool,
    data: impl Iterator<Item = f64>,
) -> Option<String> {
    gpu::rows_refusal(ctx, arith, n, real).or_else(|| Scaling::refusal(arith, data))
}

/// The real and imaginary parts of complex values, in float64.
fn complex_parts<T: FftFloat>(values: &[Complex<T>]) -> impl Iterator<Item = f64> + '_ {
    values.iter().flat_map(|c| [c.re.to_f64(), c.im.to_f64()])
}

fn complex_to<T: FftFloat, U: FftFloat>(values: &[Complex<T>]) -> Vec<Complex<U>> {
    values
        .iter()
        .map(|c| Complex::new(U::from_f64(c.re.to_f64()), U::from_f64(c.im.to_f64())))
        .collect()
}

/// NumPy's check of a transform length.
fn check_n(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::param(
            "n",
            "Invalid number of FFT data points (0) specified",
        ));
    }
    Ok(())
}

/// Checks a row length and whole rows before any transform.
fn check_row_shape(what: &'static str, len: usize, n: usize) -> Result<()> {
    check_n(n)?;
    whole_rows(what, len, n).map(drop)
}

/// `np.fft.fft` (or `ifft`, scaled by 1/n) of each row of `n` points of `data`, any `n` of at
/// least 1, on `device`.
///
/// ```
/// use gpusci::fft::{fft_rows, Complex};
/// use gpusci::Device;
///
/// // np.fft.fft([1, 2, 3]): a length with no power-of-two structure, on any device.
/// let x = [1.0f64, 2.0, 3.0].map(|v| Complex::new(v, 0.0));
/// let spectrum = fft_rows(Device::Cpu, &x, 3, false)?;
/// assert!((spectrum[0].re - 6.0).abs() < 1e-12);
/// assert!((spectrum[1].re + 1.5).abs() < 1e-12);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParam`] for `n` = 0; [`Error::EmptyInput`] for no data;
/// [`Error::ShapeMismatch`] when `data` is not whole rows; GPU errors. A row past one GPU
/// binding (or its Bluestein padding) is transformed on the CPU, which says so (see
/// [`crate::gpu::set_cpu_fallback_hook`]).
pub fn fft_rows<'d, T: FftFloat>(
    device: impl Into<Device<'d>>,
    data: &[Complex<T>],
    n: usize,
    inverse: bool,
) -> Result<Vec<Complex<T>>> {
    check_row_shape("FFT input", data.len(), n)?;
    match route(
        device.into(),
        &Job::new(Operation::Fft, data.len()).float64(T::IS_F64),
    ) {
        Device::Cpu => {
            let mut values: Vec<Complex<f64>> = complex_to(data);
            cpu::fft_rows(&mut values, n, inverse)?;
            Ok(complex_to(&values))
        }
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => crate::gpu::or_cpu_when_refused(
            "fft",
            refusal(ctx, arith_of::<T>(device), n, false, complex_parts(data)),
            || {
                let arith = arith_of::<T>(device);
                let kind = device::Kind::Complex { inverse };
                if let Some(out) = device::host_rows(ctx, arith, T::complex_host(data), n, kind, n)?
                {
                    return Ok(T::from_complex_host(out));
                }
                rows_in_batches(ctx, arith, T::complex_host(data), n, kind, n)
                    .map(T::from_complex_host)
            },
            || fft_rows(Device::Cpu, data, n, inverse),
        ),
    }
}

/// `np.fft.rfft` of each row of `n` real points (`n / 2 + 1` bins a row), any `n` of at least
/// 1, on `device`.
///
/// # Errors
/// As [`fft_rows`].
pub fn rfft_rows<'d, T: FftFloat>(
    device: impl Into<Device<'d>>,
    x: &[T],
    n: usize,
) -> Result<Vec<Complex<T>>> {
    check_row_shape("rfft input", x.len(), n)?;
    match route(
        device.into(),
        &Job::new(Operation::Fft, x.len()).float64(T::IS_F64),
    ) {
        Device::Cpu => {
            let wide: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
            Ok(complex_to(&cpu::rfft_rows(&wide, n)?))
        }
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => crate::gpu::or_cpu_when_refused(
            "rfft",
            refusal(
                ctx,
                arith_of::<T>(device),
                n,
                true,
                x.iter().map(|v| v.to_f64()),
            ),
            || {
                let arith = arith_of::<T>(device);
                if let Some(out) = device::host_rows(ctx, arith, x, n, device::Kind::Real, n)? {
                    return Ok(T::from_complex_host(out));
                }
                rows_in_batches(ctx, arith, x, n, device::Kind::Real, n).map(T::from_complex_host)
            },
            || rfft_rows(Device::Cpu, x, n),
        ),
    }
}

/// `np.fft.irfft(X, n)` of each row of `n / 2 + 1` bins: `n` real points a row, any `n` of at
/// least 1, on `device`.
///
/// # Errors
/// As [`fft_rows`] (rows of `n / 2 + 1` bins).
pub fn irfft_rows<'d, T: FftFloat>(
    device: impl Into<Device<'d>>,
    spectrum: &[Complex<T>],
    n: usize,
) -> Result<Vec<T>> {
    check_n(n)?;
    check_row_shape("irfft input", spectrum.len(), n / 2 + 1)?;
    match route(
        device.into(),
        &Job::new(Operation::Fft, spectrum.len()).float64(T::IS_F64),
    ) {
        Device::Cpu => {
            let wide: Vec<Complex<f64>> = complex_to(spectrum);
            Ok(cpu::irfft_rows(&wide, n)?
                .into_iter()
                .map(T::from_f64)
                .collect())
        }
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => crate::gpu::or_cpu_when_refused(
            "irfft",
            refusal(ctx, arith_of::<T>(device), n, true, complex_parts(spectrum)),
            || {
                let arith = arith_of::<T>(device);
                let (bins, kind) = (n / 2 + 1, device::Kind::InverseReal);
                let host = T::complex_host(spectrum);
                if let Some(out) = device::host_rows(ctx, arith, host, bins, kind, n)? {
                    return Ok(out);
                }
                rows_in_batches(ctx, arith, host, bins, kind, n)
            },
            || irfft_rows(Device::Cpu, spectrum, n),
        ),
    }
}

/// Rows too many for one binding, in batches that each fit one, each through the one
/// host-in/host-out wrapper ([`device::host_rows`]; a batch's float64 scaled on its own):
/// `data` as rows of `len` values, the transform `kind` of `n` points.
fn rows_in_batches<T: crate::array::HostElement, U: crate::array::HostElement>(
    ctx: &GpuContext,
    arith: Arith,
    data: &[T],
    len: usize,
    kind: device::Kind,
    n: usize,
) -> Result<Vec<U>> {
    let rows = data.len() / len;
    let per_batch = gpu::rows_in_one_binding(ctx, arith, n.max(len));
    let mut out = Vec::new();
    for first in (0..rows).step_by(per_batch) {
        let count = per_batch.min(rows - first);
        let batch = &data[first * len..(first + count) * len];
        let part: Vec<U> =
            device::host_rows(ctx, arith, batch, len, kind, n)?.ok_or_else(|| Error::Gpu {
                what: "an FFT batch".into(),
                message: format!("{count} rows of {n} points sized to one binding were refused"),
            })?;
        out.extend(part);
    }
    Ok(out)
}

/// `numpy.fft`'s `norm`: which direction is scaled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Norm {
    /// Forward unscaled, inverse scaled by 1/n (NumPy's default).
    #[default]
    Backward,
    /// Both scaled by 1/sqrt(n) (unitary).
    Ortho,
    /// Forward scaled by 1/n, inverse unscaled.
    Forward,
}

impl Norm {
    /// The factor applied on top of the row transforms (forward unscaled, inverse 1/n).
    pub fn factor(self, n: usize, inverse: bool) -> f64 {
        let n = n as f64;
        match (self, inverse) {
            (Norm::Backward, _) => 1.0,
            (Norm::Ortho, false) => 1.0 / n.sqrt(),
            (Norm::Ortho, true) => n.sqrt(),
            (Norm::Forward, false) => 1.0 / n,
            (Norm::Forward, true) => n,
        }
    }
}

impl std::str::FromStr for Norm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "backward" => Ok(Norm::Backward),
            "ortho" => Ok(Norm::Ortho),
            "forward" => Ok(Norm::Forward),
            other => Err(Error::param(
                "norm",
                format!(
                    "Invalid norm value {other}; should be \"backward\", \"ortho\" or \"forward\""
                ),
            )),
        }
    }
}

/// One axis of a transform: `numpy.fft.fft(a, n, axis, norm)`'s arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FftParams {
    /// Points of the transform: the input is cut or zero-padded along `axis` to `n` (`None`:
    /// its length; for [`irfft`], `2 (m - 1)` for `m` input bins).
    pub n: Option<usize>,
    /// The axis transformed; negative counts from the end.
    pub axis: isize,
    /// Scaling.
    pub norm: Norm,
}

impl Default for FftParams {
    /// NumPy's defaults: `n=None, axis=-1, norm="backward"`.
    fn default() -> Self {
        Self {
            n: None,
            axis: -1,
            norm: Norm::Backward,
        }
    }
}

impl FftParams {
    /// Sets `n`.
    pub fn with_n(mut self, n: usize) -> Self {
        self.n = Some(n);
        self
    }

    /// Sets `axis`.
    pub fn with_axis(mut self, axis: isize) -> Self {
        self.axis = axis;
        self
    }

    /// Sets `norm`.
    pub fn with_norm(mut self, norm: Norm) -> Self {
        self.norm = norm;
        self
    }
}

/// The axis as an index of an array of `ndim` dimensions (NumPy's `AxisError` as
/// [`Error::InvalidParam`]).
fn resolve_axis(axis: isize, ndim: usize) -> Result<usize> {
    let resolved = if axis < 0 { axis + ndim as isize } else { axis };
    if ndim == 0 || resolved < 0 || resolved >= ndim as isize {
        return Err(Error::param(
            "axis",
            format!("axis {axis} is out of bounds for array of dimension {ndim}"),
        ));
    }
    Ok(resolved as usize)
}

/// `x` cut or zero-padded to `n` along `axis`, with `axis` moved last, as rows.
fn rows_along<A: Copy + Default>(
    x: ArrayViewD<'_, A>,
    axis: usize,
    n: usize,
) -> (Vec<A>, Vec<usize>) {
    let m = x.shape()[axis];
    let kept = x.slice_axis(Axis(axis), Slice::from(0..m.min(n)));
    let mut shape = x.shape().to_vec();
    shape[axis] = n;
    let mut fitted = ArrayD::from_elem(IxDyn(&shape), A::default());
    fitted
        .slice_axis_mut(Axis(axis), Slice::from(0..m.min(n)))
        .assign(&kept);
    let ndim = shape.len();
    let mut order: Vec<usize> = (0..ndim).filter(|&d| d != axis).collect();
    order.push(axis);
    let moved = fitted.permuted_axes(IxDyn(&order));
    let moved_shape = moved.shape().to_vec();
    let rows = moved.as_standard_layout().iter().copied().collect();
    (rows, moved_shape)
}

/// Rows (the transformed axis last) back into an array with that axis at `axis`, scaled.
fn from_rows<A: Copy + std::ops::Mul<f64, Output = A>>(
    rows: Vec<A>,
    moved_shape: Vec<usize>,
    axis: usize,
    factor: f64,
) -> ArrayD<A> {
    let ndim = moved_shape.len();
    let rows = if factor == 1.0 {
        rows
    } else {
        rows.into_iter().map(|v| v * factor).collect()
    };
    let moved = ArrayD::from_shape_vec(IxDyn(&moved_shape), rows).expect("rows of the shape");
    // Axis d of the moved array is original axis order[d]; invert that permutation.
    let mut order: Vec<usize> = (0..ndim).filter(|&d| d != axis).collect();
    order.push(axis);
    let mut inverse = vec![0; ndim];
    for (d, &original) in order.iter().enumerate() {
        inverse[original] = d;
    }
    moved
        .permuted_axes(IxDyn(&inverse))
        .as_standard_layout()
        .into_owned()
}

/// Scaling a complex value of either precision by a float64 factor.
#[derive(Clone, Copy, Debug, Default)]
struct Scaled<T>(Complex<T>);

impl<T: FftFloat> std::ops::Mul<f64> for Scaled<T> {
    type Output = Self;
    fn mul(self, factor: f64) -> Self {
        Scaled(Complex::new(
            T::from_f64(self.0.re.to_f64() * factor),
            T::from_f64(self.0.im.to_f64() * factor),
        ))
    }
}

/// `numpy.fft.fft` (or `ifft`) of an N-D complex array along one axis, with NumPy's `n`,
/// `axis` and `norm`, on `device`.
///
/// ```
/// use gpusci::fft::{fft, Complex, FftParams, Norm};
/// use gpusci::Device;
///
/// // np.fft.fft(a, n=5, axis=0, norm="ortho") of a 3 x 2 array: cut or padded to 5 rows.
/// let a = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[3, 2]), Complex::new(1.0f64, 0.0));
/// let params = FftParams::default().with_n(5).with_axis(0).with_norm(Norm::Ortho);
/// let spectrum = fft(Device::Cpu, a.view(), &params, false)?;
/// assert_eq!(spectrum.shape(), &[5, 2]);
/// assert!((spectrum[[0, 0]].re - 3.0 / 5f64.sqrt()).abs() < 1e-12);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParam`] for an axis out of range (or a 0-D array) and `n` = 0; as
/// [`fft_rows`].
pub fn fft<'d, T: FftFloat>(
    device: impl Into<Device<'d>>,
    x: ArrayViewD<'_, Complex<T>>,
    params: &FftParams,
    inverse: bool,
) -> Result<ArrayD<Complex<T>>> {
    let axis = resolve_axis(params.axis, x.ndim())?;
    let n = params.n.unwrap_or(x.shape()[axis]);
    check_n(n)?;
    let scaled = x.mapv(Scaled);
    let (rows, moved_shape) = rows_along(scaled.view(), axis, n);
    if rows.is_empty() {
        return Ok(from_rows(rows, moved_shape, axis, 1.0).mapv(|s: Scaled<T>| s.0));
    }
    let values: Vec<Complex<T>> = rows.into_iter().map(|s| s.0).collect();
    let out = fft_rows(device, &values, n, inverse)?;
    let out: Vec<Scaled<T>> = out.into_iter().map(Scaled).collect();
    Ok(from_rows(out, moved_shape, axis, params.norm.factor(n, inverse)).mapv(|s| s.0))
}

/// `numpy.fft.rfft` of an N-D real array along one axis (`n / 2 + 1` bins there), with
/// NumPy's `n`, `axis` and `norm`, on `device`.
///
/// # Errors
/// As [`fft`].
pub fn rfft<'d, T: FftFloat>(
    device: impl Into<Device<'d>>,
    x: ArrayViewD<'_, T>,
    params: &FftParams,
) -> Result<ArrayD<Complex<T>>> {
    let axis = resolve_axis(params.axis, x.ndim())?;
    let n = params.n.unwrap_or(x.shape()[axis]);
    check_n(n)?;
    let (rows, mut moved_shape) = rows_along(x, axis, n);
    let bins = n / 2 + 1;
    *moved_shape.last_mut().expect("at least 1-D") = bins;
    let out: Vec<Scaled<T>> = if rows.is_empty() {
        Vec::new()
    } else {
        rfft_rows(device, &rows, n)?
            .into_iter()
            .map(Scaled)
            .collect()
    };
    Ok(from_rows(out, moved_shape, axis, params.norm.factor(n, false)).mapv(|s| s.0))
}

/// `numpy.fft.irfft` of an N-D complex array along one axis: `n` real points there (default
/// `2 (m - 1)` for `m` input bins; the input is cut or zero-padded to `n / 2 + 1` bins), with
/// NumPy's `axis` and `norm`, on `device`.
///
/// # Errors
/// As [`fft`]; [`Error::InvalidParam`] for a default `n` of 0 (one input bin).
pub fn irfft<'d, T: FftFloat>(
    device: impl Into<Device<'d>>,
    x: ArrayViewD<'_, Complex<T>>,
    params: &FftParams,
) -> Result<ArrayD<T>> {
    let axis = resolve_axis(params.axis, x.ndim())?;
    let n = params.n.unwrap_or(2 * x.shape()[axis].saturating_sub(1));
    check_n(n)?;
    let bins = n / 2 + 1;
    let (rows, mut moved_shape) = rows_along(x, axis, bins);
    *moved_shape.last_mut().expect("at least 1-D") = n;
    let out: Vec<f64> = if rows.is_empty() {
        Vec::new()
    } else {
        irfft_rows(device, &rows, n)?
            .into_iter()
            .map(|v| v.to_f64())
            .collect()
    };
    Ok(from_rows(out, moved_shape, axis, params.norm.factor(n, true)).mapv(T::from_f64))
}

/// `numpy.fft.fftn` (or `ifftn`; `fft2` with two axes) of an N-D complex array: one
/// transform per axis of `axes` (default: every axis), each cut or padded to `s` (default: the
/// lengths), with `norm`, on `device`.
///
/// # Errors
/// [`Error::InvalidParam`] for `s` and `axes` of different lengths; as [`fft`]. A repeated
/// axis is transformed again, as NumPy does.
pub fn fftn<'d, T: FftFloat>(
    device: impl Into<Device<'d>>,
    x: ArrayViewD<'_, Complex<T>>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
    inverse: bool,
) -> Result<ArrayD<Complex<T>>> {
    let device: Device<'d> = device.into();
    let every: Vec<isize> = (0..x.ndim() as isize).collect();
    let axes = axes.unwrap_or(match s {
        // NumPy: with s and no axes, the last len(s) axes.
        Some(s) => &every[every.len().saturating_sub(s.len())..],
        None => &every,
    });
    if let Some(s) = s {
        if s.len() != axes.len() {
            return Err(Error::param(
                "s",
                format!(
                    "Shape and axes have different lengths ({} and {})",
                    s.len(),
                    axes.len()
                ),
            ));
        }
    }
    // NumPy transforms a repeated axis again; only the range is checked.
    for &axis in axes {
        resolve_axis(axis, x.ndim())?;
    }
    let mut out = x.to_owned();
    // NumPy transforms the last listed axis first.
    for (i, &axis) in axes.iter().enumerate().rev() {
        let params = FftParams {
            n: s.map(|s| s[i]),
            axis,
            norm,
        };
        out = fft(device, out.view(), &params, inverse)?;
    }
    Ok(out)
}
