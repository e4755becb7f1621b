//! The FFT functions on device arrays: `fft`/`ifft` of a complex array, `rfft` of a real one and
//! `irfft` of a complex one, along the last axis, recorded on the array's GPU; the result is a
//! new array there (the output lives where the input lives).
//!
//! The GPU path takes the whole array in one binding, NumPy's default `n` (the axis's length;
//! for `irfft`, `2 (m - 1)`), `axis=-1` and `norm="backward"`; real transforms of any length
//! (powers of two by the packed half-length transform, others as n-point complex transforms). Anything else is computed
//! on the CPU with a note and put back on the device. double-float arrays keep their scaling:
//! a transform is linear, and its sums grow by at most n, far inside float32's range.

use num_complex::Complex;

use super::gpu::FftGpu;
use super::{FftParams, Norm};
use crate::array::{DType, DeviceArray, HostElement, Storage};
use crate::error::{Error, Result};
use crate::gpu::{DeviceReal, DoubleFloat, GpuBuffer, GpuContext, Recording};

/// Which transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Complex to complex, forward or inverse.
    Complex { inverse: bool },
    /// Real to `n / 2 + 1` bins.
    Real,
    /// `n / 2 + 1` bins to `n` real points.
    InverseReal,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Complex { inverse: false } => "fft",
            Kind::Complex { inverse: true } => "ifft",
            Kind::Real => "rfft",
            Kind::InverseReal => "irfft",
        }
    }
}

/// `numpy.fft.fft` (`inverse`: `ifft`) of a complex device array along its last axis; the
/// result is a device array on the same GPU, of the same dtype.
///
/// # Errors
/// [`Error::InvalidParam`] for a real array, a 0-D array, or `n` = 0; GPU errors.
pub fn fft_device(input: &DeviceArray, params: &FftParams, inverse: bool) -> Result<DeviceArray> {
    transform(input, params, Kind::Complex { inverse })
}

/// `numpy.fft.rfft` of a float32 or float64 device array along its last axis (`n / 2 + 1`
/// bins there); complex64 or complex128 on the same GPU.
///
/// # Errors
/// As [`fft_device`], for a complex array.
pub fn rfft_device(input: &DeviceArray, params: &FftParams) -> Result<DeviceArray> {
    transform(input, params, Kind::Real)
}

/// `numpy.fft.irfft` of a complex device array along its last axis (`n` real points there,
/// default `2 (m - 1)`); float32 or float64 on the same GPU.
///
/// # Errors
/// As [`fft_device`]; [`Error::InvalidParam`] for a default `n` of 0 (one input bin).
pub fn irfft_device(input: &DeviceArray, params: &FftParams) -> Result<DeviceArray> {
    transform(input, params, Kind::InverseReal)
}

/// `numpy.fft.fftn` (`inverse`: `ifftn`; `fft2` with two axes) of a complex device array;
/// the result is a device array on the same GPU, of the same dtype. The GPU path takes a 1-D
/// array ([`fft_device`]) or a 2-D array over both axes, with NumPy's default `s` and
/// `norm="backward"`, within one storage binding: rows transformed, transposed, the columns
/// transformed as rows and transposed back, recorded in one encoder. Anything else (more
/// axes, `s`, another norm) runs on the CPU with a note and comes back.
///
/// # Errors
/// [`Error::InvalidParam`] for a real array, `s` and `axes` of different lengths or an axis
/// out of range; GPU errors.
pub fn fftn_device(
    input: &DeviceArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
    inverse: bool,
) -> Result<DeviceArray> {
    if !matches!(input.dtype(), DType::Complex64 | DType::Complex128) {
        return Err(Error::param(
            "input",
            format!(
                "{} takes a complex array, not {}",
                if inverse { "ifftn" } else { "fftn" },
                input.dtype().name()
            ),
        ));
    }
    let ndim = input.shape().len();
    let every: Vec<isize> = (0..ndim as isize).collect();
    let named = axes.unwrap_or(&every);
    let resolved: Vec<usize> = named
        .iter()
        .map(|&axis| super::resolve_axis(axis, ndim))
        .collect::<Result<_>>()?;
    if let Some(s) = s {
        if s.len() != named.len() {
            return Err(Error::param(
                "s",
                format!(
                    "Shape and axes have different lengths ({} and {})",
                    s.len(),
                    named.len()
                ),
            ));
        }
    }
    let whole = s.is_none() && norm == Norm::Backward;
    if whole && ndim == 1 && resolved == [0] {
        return transform(input, &FftParams::default(), Kind::Complex { inverse });
    }
    let refusal = if !whole || ndim != 2 || resolved.len() != 2 || resolved[0] == resolved[1] {
        Some(
            "the device path transforms a 2-D array over both axes with NumPy's default s and norm"
                .to_string(),
        )
    } else if input.is_empty() {
        Some("the array is empty".to_string())
    } else {
        let (rows, cols) = (input.shape()[0], input.shape()[1]);
        let arith = input.storage().arith();
        (!super::gpu::fits_one_binding(input.gpu(), arith, cols, rows)
            || !super::gpu::fits_one_binding(input.gpu(), arith, rows, cols))
        .then(|| "the transform is past one GPU storage binding".to_string())
    };
    let name = if inverse { "ifftn" } else { "fftn" };
    match refusal {
        None => {
            let ctx = input.gpu();
            let mut recording = ctx.encoder();
            let out = match input.storage() {
                Storage::F32 => record_fft2::<f32>(&mut recording, input, inverse)?,
                Storage::F64 => record_fft2::<f64>(&mut recording, input, inverse)?,
                Storage::DoubleFloat { .. } => {
                    record_fft2::<DoubleFloat>(&mut recording, input, inverse)?
                }
            };
            ctx.submit(name, recording)?;
            Ok(out)
        }
        Some(reason) => {
            crate::gpu::note_cpu_fallback(|| format!("{name}: {reason}; computed on the CPU"));
            let ctx = input.gpu();
            let arith = input.storage().arith();
            let cpu = crate::gpu::Device::Cpu;
            if input.dtype() == DType::Complex64 {
                let host = input.to_host::<Complex<f32>>()?;
                let out = super::fftn(cpu, host.view(), s, axes, norm, inverse)?;
                DeviceArray::from_host(ctx, out.view(), arith)
            } else {
                let host = input.to_host::<Complex<f64>>()?;
                let out = super::fftn(cpu, host.view(), s, axes, norm, inverse)?;
                DeviceArray::from_host(ctx, out.view(), arith)
            }
        }
    }
}

/// Records the 2-D transform of a 2-D complex array (the caller checked the sizes): the input
/// copied first, since the transform overwrites its input buffer and arrays are never
/// written in place.
fn record_fft2<E: DeviceReal>(
    recording: &mut Recording,
    input: &DeviceArray,
    inverse: bool,
) -> Result<DeviceArray> {
    let ctx = input.gpu();
    let (rows, cols) = (input.shape()[0], input.shape()[1]);
    let bytes = (rows * cols) as u64 * 2 * std::mem::size_of::<E>() as u64;
    let copy = ctx.storage_buffer("fft2 input copy", bytes)?;
    ctx.scoped("copying the fft2 input", || {
        recording.copy_buffer_to_buffer(input.buffer(), 0, &copy, 0, bytes);
    })?;
    let work = ctx.storage_buffer("fft2 work", bytes)?;
    let scratch = ctx.storage_buffer("fft2 scratch", bytes)?;
    let output = ctx.storage_buffer("fft2 output", bytes)?;
    FftGpu::<E>::new(ctx)?.record_fft2(
        ctx,
        recording,
        (&copy, &work, &scratch, &output),
        rows,
        cols,
        inverse,
    )?;
    Ok(DeviceArray::from_parts(
        ctx,
        output,
        vec![rows, cols],
        input.dtype(),
        input.storage(),
    ))
}

fn transform(input: &DeviceArray, params: &FftParams, kind: Kind) -> Result<DeviceArray> {
    let complex_in = matches!(input.dtype(), DType::Complex64 | DType::Complex128);
    if complex_in == (kind == Kind::Real) {
        return Err(Error::param(
            "input",
            format!(
                "{} takes a {} array, not {}",
                kind.name(),
                if kind == Kind::Real {
                    "real"
                } else {
                    "complex"
                },
                input.dtype().name()
            ),
        ));
    }
    let Some(&len) = input.shape().last() else {
        return Err(Error::param("axis", "a 0-D array has no axis to transform"));
    };
    let n = match (params.n, kind) {
        (Some(n), _) => n,
        (None, Kind::InverseReal) => 2 * len.saturating_sub(1),
        (None, _) => len,
    };
    if n == 0 {
        return Err(Error::param(
            "n",
            format!("invalid number of points 0 for {}", kind.name()),
        ));
    }
    match refusal(input, params, kind, n, len) {
        None => {
            let ctx = input.gpu();
            let mut recording = ctx.encoder();
            let out = record(&mut recording, input, kind, n)?;
            ctx.submit("the FFT", recording)?;
            Ok(out)
        }
        Some(reason) => {
            crate::gpu::note_cpu_fallback(|| {
                format!("{}: {reason}; computed on the CPU", kind.name())
            });
            on_the_cpu(input, params, kind)
        }
    }
}

/// Why the device path cannot run the request, in words; `None` when it can.
fn refusal(
    input: &DeviceArray,
    params: &FftParams,
    kind: Kind,
    n: usize,
    len: usize,
) -> Option<String> {
    let last = input.shape().len() as isize - 1;
    let expected_len = if kind == Kind::InverseReal {
        n / 2 + 1
    } else {
        n
    };
    if params.axis != -1 && params.axis != last {
        Some("the device path transforms the last axis".into())
    } else if len != expected_len {
        Some(format!(
            "n={n} cuts or pads the axis (the device path takes NumPy's default n)"
        ))
    } else if params.norm != Norm::Backward {
        Some("the device path scales as norm='backward'".into())
    } else if input.is_empty() {
        Some("the array is empty".into())
    } else {
        let rows = input.len() / len;
        (!super::gpu::fits_one_binding(input.gpu(), input.storage().arith(), n.max(len), rows))
            .then(|| "the transform is past one GPU storage binding".to_string())
    }
}

/// Records the transform (the caller has checked [`refusal`]); the result on the same GPU.
fn record(
    recording: &mut Recording,
    input: &DeviceArray,
    kind: Kind,
    n: usize,
) -> Result<DeviceArray> {
    match input.storage() {
        Storage::F32 => record_in::<f32>(recording, input, kind, n),
        Storage::F64 => record_in::<f64>(recording, input, kind, n),
        Storage::DoubleFloat { .. } => record_in::<DoubleFloat>(recording, input, kind, n),
    }
}

fn record_in<E: DeviceReal>(
    recording: &mut Recording,
    input: &DeviceArray,
    kind: Kind,
    n: usize,
) -> Result<DeviceArray> {
    let ctx = input.gpu();
    let fft = FftGpu::<E>::new(ctx)?;
    let len = *input.shape().last().expect("checked: at least 1-D");
    let rows = input.len() / len;
    let element = std::mem::size_of::<E>() as u64;
    let mut shape = input.shape().to_vec();
    let (output, dtype): (GpuBuffer, DType) = match kind {
        Kind::Complex { inverse } => {
            let output = ctx.storage_buffer("fft output", (rows * n) as u64 * 2 * element)?;
            fft.record_any(ctx, recording, (input.buffer(), &output), n, rows, inverse)?;
            (output, input.dtype())
        }
        Kind::Real => {
            let bins = n / 2 + 1;
            let output = ctx.storage_buffer("rfft output", (rows * bins) as u64 * 2 * element)?;
            fft.record_rfft(ctx, recording, (input.buffer(), &output), n, rows)?;
            *shape.last_mut().expect("at least 1-D") = bins;
            let dtype = if input.dtype() == DType::Float32 {
                DType::Complex64
            } else {
                DType::Complex128
            };
            (output, dtype)
        }
        Kind::InverseReal => {
            let output = ctx.storage_buffer("irfft output", (rows * n) as u64 * element)?;
            fft.record_irfft(ctx, recording, (input.buffer(), &output), n, rows)?;
            *shape.last_mut().expect("at least 1-D") = n;
            let dtype = if input.dtype() == DType::Complex64 {
                DType::Float32
            } else {
                DType::Float64
            };
            (output, dtype)
        }
    };
    Ok(DeviceArray::from_parts(
        ctx,
        output,
        shape,
        dtype,
        input.storage(),
    ))
}

/// The request on the CPU: downloaded, transformed by the CPU path, put back on the device in
/// the input's arithmetic.
fn on_the_cpu(input: &DeviceArray, params: &FftParams, kind: Kind) -> Result<DeviceArray> {
    let ctx: &GpuContext = input.gpu();
    let arith = input.storage().arith();
    let cpu = crate::gpu::Device::Cpu;
    match (kind, input.dtype()) {
        (Kind::Complex { inverse }, DType::Complex64) => {
            let host = input.to_host::<Complex<f32>>()?;
            DeviceArray::from_host(
                ctx,
                super::fft(cpu, host.view(), params, inverse)?.view(),
                arith,
            )
        }
        (Kind::Complex { inverse }, _) => {
            let host = input.to_host::<Complex<f64>>()?;
            DeviceArray::from_host(
                ctx,
                super::fft(cpu, host.view(), params, inverse)?.view(),
                arith,
            )
        }
        (Kind::Real, DType::Float32) => {
            let host = input.to_host::<f32>()?;
            DeviceArray::from_host(ctx, super::rfft(cpu, host.view(), params)?.view(), arith)
        }
        (Kind::Real, _) => {
            let host = input.to_host::<f64>()?;
            DeviceArray::from_host(ctx, super::rfft(cpu, host.view(), params)?.view(), arith)
        }
        (Kind::InverseReal, DType::Complex64) => {
            let host = input.to_host::<Complex<f32>>()?;
            DeviceArray::from_host(ctx, super::irfft(cpu, host.view(), params)?.view(), arith)
        }
        (Kind::InverseReal, _) => {
            let host = input.to_host::<Complex<f64>>()?;
            DeviceArray::from_host(ctx, super::irfft(cpu, host.view(), params)?.view(), arith)
        }
    }
}

/// Rows of a host transform through a device array ([`crate::array::host_call`]: one upload,
/// the transform recorded, one read-back straight into the result) when the device path takes
/// them whole: `data` as rows of `len` values, the transform `kind` of `n` points, NumPy's
/// backward scaling. `None` when they need the chunked path (past one binding).
///
/// # Errors
/// As [`crate::array::host_call`].
pub(crate) fn host_rows<T: HostElement, U: HostElement>(
    ctx: &GpuContext,
    arith: crate::gpu::Arith,
    data: &[T],
    len: usize,
    kind: Kind,
    n: usize,
) -> Result<Option<Vec<U>>> {
    if data.is_empty()
        || len == 0
        || !super::gpu::fits_one_binding(ctx, arith, n.max(len), data.len() / len)
    {
        return Ok(None);
    }
    let rows = ndarray::ArrayView2::from_shape((data.len() / len, len), data)
        .expect("whole rows: checked by the caller")
        .into_dyn();
    let out: ndarray::ArrayD<U> =
        crate::array::host_call(ctx, arith, &[rows], |recording, arrays| {
            record(recording, &arrays[0], kind, n)
        })?;
    Ok(Some(out.into_raw_vec_and_offset().0))
}
