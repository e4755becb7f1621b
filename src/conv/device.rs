//! `convolve` and `correlate` of device arrays, recorded on their GPU; the result is a new
//! array there (the output lives where the inputs live).
//!
//! The GPU path takes two 1-D (or two 2-D) real arrays on the same GPU, stored in the same
//! arithmetic, whose inputs, output and (FFT) spectra or padded transforms each fit one
//! storage binding: the correlation's reversal, the kernel's spectrum (2-D: the zero padding
//! and both transforms) and the convolution are recorded in one encoder and submitted once,
//! with no wait. Anything else (mixed storages, inputs past one binding) is computed on the
//! CPU with a note and put back on the device.
//!
//! Host data goes through the same recording (`host_window`, `host_argmax`, and
//! `ConvKernels::full_window_2d`): whole when it fits, else in chunks or blocks, each through
//! the one host-in, host-out wrapper.
//!
//! `Method::Auto` cannot look at device values without a read-back, so on device arrays it
//! sums directly up to [`GPU_DIRECT_MAX_TAPS`](super::gpu::GPU_DIRECT_MAX_TAPS) taps and uses
//! FFTs past that, as `scipy.signal.choose_conv_method` may: NaN or infinity then spreads
//! through the FFT blocks, as in SciPy's `method='fft'`. Ask for `Method::Direct` to keep them
//! where the direct sum puts them.

use ndarray::{s, Array1, ArrayD, ArrayView1, Ix1, Ix2};

use super::gpu::{
    chunk_outputs, dim2, one_pass, one_pass_plan, output_dtype, product_storage, record_2d,
    ConvKernels,
};
use super::two_d::Window2;
use super::{scipy_window, Kind, Method, Mode};
use crate::array::{DType, DeviceArray};
use crate::error::{Error, Result};
use crate::gpu::{Arith, DeviceReal, DoubleFloat, GpuContext, Recording};

/// `scipy.signal.convolve(in1, in2, mode, method)` of two real device arrays on the same GPU;
/// the result is a device array there: float32 when both inputs are float32, else float64,
/// of `mode`'s length (SciPy's windows: `same` has `in1`'s length).
///
/// # Errors
/// [`Error::EmptyInput`] for an empty input; [`Error::InvalidParam`] for complex arrays,
/// arrays on different GPUs or of different numbers of dimensions, or arrays that are not
/// 1-D or 2-D; GPU errors.
pub fn convolve_device(
    in1: &DeviceArray,
    in2: &DeviceArray,
    mode: Mode,
    method: Method,
) -> Result<DeviceArray> {
    operate(in1, in2, mode, method, Kind::Convolve)
}

/// `scipy.signal.correlate(in1, in2, mode, method)` of two real device arrays on the same
/// GPU: the convolution with `in2` reversed (reversed on the device). Result as
/// [`convolve_device`].
///
/// # Errors
/// As [`convolve_device`].
pub fn correlate_device(
    in1: &DeviceArray,
    in2: &DeviceArray,
    mode: Mode,
    method: Method,
) -> Result<DeviceArray> {
    operate(in1, in2, mode, method, Kind::Correlate)
}

/// `scipy.signal.fftconvolve(in1, in2, mode)` of device arrays: [`convolve_device`] with
/// `Method::Fft`.
///
/// # Errors
/// As [`convolve_device`].
pub fn fftconvolve_device(in1: &DeviceArray, in2: &DeviceArray, mode: Mode) -> Result<DeviceArray> {
    convolve_device(in1, in2, mode, Method::Fft)
}

/// `scipy.signal.oaconvolve(in1, in2, mode)` of device arrays: [`convolve_device`] with
/// `Method::Fft` (gpusci's FFT convolution is overlap-add).
///
/// # Errors
/// As [`convolve_device`].
pub fn oaconvolve_device(in1: &DeviceArray, in2: &DeviceArray, mode: Mode) -> Result<DeviceArray> {
    convolve_device(in1, in2, mode, Method::Fft)
}

fn operate(
    in1: &DeviceArray,
    in2: &DeviceArray,
    mode: Mode,
    method: Method,
    kind: Kind,
) -> Result<DeviceArray> {
    check(in1, in2)?;
    if in1.shape().len() == 2 {
        let window = super::two_d::scipy_window_2d(mode, dim2(in1), dim2(in2))?;
        return match refusal_2d(in1, in2, method, window) {
            None => {
                let ctx = in1.gpu();
                let mut recording = ctx.encoder();
                let direct = direct_2d(in1, in2, method);
                let out = record_2d(
                    &mut recording,
                    in1,
                    in2,
                    kind == Kind::Correlate,
                    direct,
                    window,
                )?;
                ctx.submit(kind.name(), recording)?;
                Ok(out)
            }
            Some(reason) => {
                crate::gpu::note_cpu_fallback(|| {
                    format!("{} (2-D): {reason}; computed on the CPU", kind.name())
                });
                on_the_cpu(in1, in2, mode, method, kind)
            }
        };
    }
    match refusal(in1, in2, method) {
        None => {
            let ctx = in1.gpu();
            let mut recording = ctx.encoder();
            let window = scipy_window(mode, in1.len(), in2.len());
            let out = record(&mut recording, in1, in2, kind, method, window)?;
            ctx.submit(kind.name(), recording)?;
            Ok(out)
        }
        Some(reason) => {
            crate::gpu::note_cpu_fallback(|| {
                format!("{}: {reason}; computed on the CPU", kind.name())
            });
            on_the_cpu(in1, in2, mode, method, kind)
        }
    }
}

/// The errors SciPy raises too, and inputs no path takes.
fn check(in1: &DeviceArray, in2: &DeviceArray) -> Result<()> {
    if !in1.gpu().same(in2.gpu()) {
        return Err(Error::param("in2", "the two arrays live on different GPUs"));
    }
    for (name, array) in [("in1", in1), ("in2", in2)] {
        if !matches!(array.dtype(), DType::Float32 | DType::Float64) {
            return Err(Error::param(
                name,
                format!(
                    "convolution takes real arrays, not {}",
                    array.dtype().name()
                ),
            ));
        }
    }
    let ndim = in1.shape().len();
    if ndim != in2.shape().len() || !(1..=2).contains(&ndim) {
        return Err(Error::param(
            "in2",
            format!(
                "in1 and in2 must both be 1-D or both 2-D (got {} and {} dimensions)",
                ndim,
                in2.shape().len()
            ),
        ));
    }
    if in1.is_empty() {
        return Err(Error::EmptyInput("in1"));
    }
    if in2.is_empty() {
        return Err(Error::EmptyInput("in2"));
    }
    Ok(())
}

/// Why the device path cannot convolve `in1` and `in2`, in words; `None` when it can. Asked
/// before anything is recorded.
pub(crate) fn refusal(in1: &DeviceArray, in2: &DeviceArray, method: Method) -> Option<String> {
    if in1.shape().len() != 1 {
        return Some("the device path convolves 1-D arrays".into());
    }
    let (arith1, arith2) = (in1.storage().arith(), in2.storage().arith());
    if arith1 != arith2 {
        return Some(format!(
            "the inputs are stored in different arithmetics ({arith1:?} and {arith2:?})"
        ));
    }
    let (n, k) = (in1.len().max(in2.len()), in1.len().min(in2.len()));
    one_pass_plan(in1.gpu(), arith1, n, k, method).err()
}

/// Records the convolution (the caller has checked [`refusal`]): outputs `window` = (first,
/// count) of the full convolution of `in1` and `in2` (reversed for a correlation).
pub(crate) fn record(
    recording: &mut Recording,
    in1: &DeviceArray,
    in2: &DeviceArray,
    kind: Kind,
    method: Method,
    window: (usize, usize),
) -> Result<DeviceArray> {
    match in1.storage().arith() {
        Arith::Single => record_in::<f32>(recording, in1, in2, kind, method, window),
        Arith::Native64 => record_in::<f64>(recording, in1, in2, kind, method, window),
        Arith::DoubleFloat => record_in::<DoubleFloat>(recording, in1, in2, kind, method, window),
    }
}

fn record_in<E: DeviceReal>(
    recording: &mut Recording,
    in1: &DeviceArray,
    in2: &DeviceArray,
    kind: Kind,
    method: Method,
    window: (usize, usize),
) -> Result<DeviceArray> {
    let ctx = in1.gpu();
    let kernels = ConvKernels::<E>::new(ctx)?;
    let (n1, n2) = (in1.len(), in2.len());
    let second = match kind {
        Kind::Convolve => in2.buffer().clone(),
        Kind::Correlate => kernels.record_reverse(ctx, recording, in2.buffer(), n2)?,
    };
    // Convolution commutes: the longer operand is the signal.
    let (signal, kernel) = if n1 >= n2 {
        ((in1.buffer(), n1), (&second, n2))
    } else {
        ((&second, n2), (in1.buffer(), n1))
    };
    let plan = one_pass::<E>(ctx, signal.1, kernel.1, method)
        .map_err(|reason| Error::param("input", reason))?;
    let out = kernels.record_window(ctx, recording, signal, kernel, plan, window)?;
    Ok(DeviceArray::from_parts(
        ctx,
        out,
        vec![window.1],
        output_dtype(in1, in2),
        product_storage(in1, in2),
    ))
}

/// Whether the 2-D path sums directly: always for `Method::Direct`, never for `Method::Fft`,
/// and under `Method::Auto` for kernels of at most
/// [`GPU_DIRECT_MAX_TAPS`](super::gpu::GPU_DIRECT_MAX_TAPS) taps (device values are not
/// looked at, as in 1-D).
fn direct_2d(in1: &DeviceArray, in2: &DeviceArray, method: Method) -> bool {
    match method {
        Method::Direct => true,
        Method::Fft => false,
        Method::Auto => in1.len().min(in2.len()) <= super::gpu::GPU_DIRECT_MAX_TAPS,
    }
}

/// The 2-D request's refusal, in words; `None` when it runs on the device in one pass.
fn refusal_2d(
    in1: &DeviceArray,
    in2: &DeviceArray,
    method: Method,
    window: Window2,
) -> Option<String> {
    let (arith1, arith2) = (in1.storage().arith(), in2.storage().arith());
    if arith1 != arith2 {
        return Some(format!(
            "the inputs are stored in different arithmetics ({arith1:?} and {arith2:?})"
        ));
    }
    let (a, v) = (dim2(in1), dim2(in2));
    let direct = direct_2d(in1, in2, method);
    let ctx = in1.gpu();
    let fits = match arith1 {
        Arith::Single => ConvKernels::<f32>::fits_2d(ctx, direct, a, v, window),
        Arith::Native64 => ConvKernels::<f64>::fits_2d(ctx, direct, a, v, window),
        Arith::DoubleFloat => ConvKernels::<DoubleFloat>::fits_2d(ctx, direct, a, v, window),
    };
    (!fits).then(|| {
        "an input, the output or the padded transform is past one GPU storage binding".into()
    })
}

/// The request on the CPU: downloaded, computed by the CPU path in float64, put back on the
/// device in the output dtype and the wider of the inputs' arithmetics.
fn on_the_cpu(
    in1: &DeviceArray,
    in2: &DeviceArray,
    mode: Mode,
    method: Method,
    kind: Kind,
) -> Result<DeviceArray> {
    let cpu = crate::gpu::Device::Cpu;
    let (a, v) = (in1.to_host_f64()?, in2.to_host_f64()?);
    let result: ArrayD<f64> = if in1.shape().len() == 1 {
        let (a, v) = (
            a.into_dimensionality::<Ix1>().expect("1-D"),
            v.into_dimensionality::<Ix1>().expect("1-D"),
        );
        let out: Array1<f64> = match kind {
            Kind::Convolve => super::convolve(cpu, a.view(), v.view(), mode, method)?,
            Kind::Correlate => super::correlate(cpu, a.view(), v.view(), mode, method)?,
        };
        out.into_dyn()
    } else {
        let (a, v) = (
            a.into_dimensionality::<Ix2>().expect("2-D"),
            v.into_dimensionality::<Ix2>().expect("2-D"),
        );
        match kind {
            Kind::Convolve => super::two_d::convolve_2d(cpu, a.view(), v.view(), mode, method)?,
            Kind::Correlate => super::two_d::correlate_2d(cpu, a.view(), v.view(), mode, method)?,
        }
        .into_dyn()
    };
    let ctx = in1.gpu();
    if output_dtype(in1, in2) == DType::Float32 {
        return DeviceArray::from_host(ctx, result.mapv(|x| x as f32).view(), Arith::Single);
    }
    let ariths = [in1.storage().arith(), in2.storage().arith()];
    let arith = [Arith::Native64, Arith::DoubleFloat]
        .into_iter()
        .find(|a| ariths.contains(a))
        .unwrap_or(Arith::Single);
    DeviceArray::from_host(ctx, result.view(), arith)
}

/// `method` for host data: `Method::Auto` knows whether the values are finite, and sums
/// non-finite input directly (as the CPU path), so NaN stays where it falls.
fn host_method(a: ArrayView1<'_, f64>, v: ArrayView1<'_, f64>, method: Method) -> Method {
    if method == Method::Auto && a.iter().chain(v.iter()).any(|x| !x.is_finite()) {
        Method::Direct
    } else {
        method
    }
}

/// Host in, host out for every 1-D convolution a GPU runs on host data: outputs `window` =
/// (first, count) of the full convolution of `a` and `v` (`v` reversed for a correlation,
/// as a reversed view: no copy). Through [`crate::array::host_call`] in one pass when the
/// inputs and the output fit one storage binding (one submit, one wait); else chunk by chunk
/// of the window, each chunk's slice of the longer operand and the shorter operand through
/// the same wrapper (a double-float chunk takes its own scaling).
///
/// # Errors
/// [`Error::ExceedsLimit`] for a kernel too wide for any chunk ([`chunk_outputs`]; the
/// routers ask [`super::gpu::ConvGpu::refusal`] first); as [`DeviceArray::from_host`]
/// (float64 values float32 or double-float cannot hold); GPU errors.
pub(crate) fn host_window(
    ctx: &GpuContext,
    arith: Arith,
    (a, v): (ArrayView1<'_, f64>, ArrayView1<'_, f64>),
    kind: Kind,
    method: Method,
    (start, len): (usize, usize),
) -> Result<Array1<f64>> {
    let method = host_method(a, v, method);
    let (n, k) = (a.len().max(v.len()), a.len().min(v.len()));
    if one_pass_plan(ctx, arith, n, k, method).is_ok() {
        let inputs = [a.into_dyn(), v.into_dyn()];
        let out: ArrayD<f64> =
            crate::array::host_call(ctx, arith, &inputs, |recording, arrays| {
                record(
                    recording,
                    &arrays[0],
                    &arrays[1],
                    kind,
                    method,
                    (start, len),
                )
            })?;
        return Ok(out.into_dimensionality::<Ix1>().expect("1-D"));
    }
    let (long, short) = operands(a, v, kind);
    let chunk = chunk_outputs(ctx, arith, n, k, method)?;
    let mut out = Array1::<f64>::zeros(len);
    for (t_lo, t_hi) in spans((start, len), chunk) {
        let (s0, s1) = (t_lo.saturating_sub(k - 1), t_hi.min(n));
        let inputs = [long.slice(s![s0..s1]).into_dyn(), short.into_dyn()];
        let part: ArrayD<f64> =
            crate::array::host_call(ctx, arith, &inputs, |recording, arrays| {
                let window = (t_lo - s0, t_hi - t_lo);
                record(
                    recording,
                    &arrays[0],
                    &arrays[1],
                    Kind::Convolve,
                    method,
                    window,
                )
            })?;
        out.slice_mut(s![t_lo - start..t_hi - start])
            .assign(&part.into_dimensionality::<Ix1>().expect("1-D"));
    }
    Ok(out)
}

/// The operands of the full convolution behind `kind`, the longer first (convolution
/// commutes): `v` as it is, or reversed (a view) for a correlation.
fn operands<'v>(
    a: ArrayView1<'v, f64>,
    v: ArrayView1<'v, f64>,
    kind: Kind,
) -> (ArrayView1<'v, f64>, ArrayView1<'v, f64>) {
    let second = match kind {
        Kind::Convolve => v,
        Kind::Correlate => v.slice_move(s![..;-1]),
    };
    if a.len() >= second.len() {
        (a, second)
    } else {
        (second, a)
    }
}

/// `[start, start + len)` cut into consecutive spans of at most `chunk`.
fn spans((start, len): (usize, usize), chunk: usize) -> impl Iterator<Item = (usize, usize)> {
    (start..start + len)
        .step_by(chunk.max(1))
        .map(move |lo| (lo, (lo + chunk).min(start + len)))
}

/// The index of the largest value of `correlate(a, b, 'full')` (the first on ties, NaN never
/// wins, 0 when nothing beats -inf), through device arrays: the correlation and a
/// per-workgroup argmax recorded together, and only each workgroup's peak and index read
/// back (one submit, one wait); past one binding, chunk by chunk as [`host_window`], the
/// chunks' peaks compared in float64.
///
/// # Errors
/// As [`host_window`].
pub(crate) fn host_argmax(
    ctx: &GpuContext,
    arith: Arith,
    (a, b): (ArrayView1<'_, f64>, ArrayView1<'_, f64>),
    method: Method,
) -> Result<usize> {
    let method = host_method(a, b, method);
    let (n, k) = (a.len().max(b.len()), a.len().min(b.len()));
    let count = a.len() + b.len() - 1;
    if one_pass_plan(ctx, arith, n, k, method).is_ok() {
        let (x, y) = (
            DeviceArray::from_host(ctx, a, arith)?,
            DeviceArray::from_host(ctx, b, arith)?,
        );
        return Ok(peak(&x, &y, Kind::Correlate, method, (0, count))?.1);
    }
    let (long, short) = operands(a, b, Kind::Correlate);
    let chunk = chunk_outputs(ctx, arith, n, k, method)?;
    let mut best: Option<(f64, usize)> = None;
    for (t_lo, t_hi) in spans((0, count), chunk) {
        let (s0, s1) = (t_lo.saturating_sub(k - 1), t_hi.min(n));
        let (x, y) = (
            DeviceArray::from_host(ctx, long.slice(s![s0..s1]), arith)?,
            DeviceArray::from_host(ctx, short, arith)?,
        );
        let (value, at) = peak(&x, &y, Kind::Convolve, method, (t_lo - s0, t_hi - t_lo))?;
        if best.is_none_or(|(b, _)| value > b) {
            best = Some((value, t_lo + at));
        }
    }
    Ok(best.map_or(0, |(_, index)| index))
}

/// The largest output of `window` of the full convolution behind `kind` of `x` and `y`
/// (device arrays in one arithmetic) and its index in the window: recorded with the
/// per-workgroup argmax, and only the workgroups' peaks and indices read back.
fn peak(
    x: &DeviceArray,
    y: &DeviceArray,
    kind: Kind,
    method: Method,
    window: (usize, usize),
) -> Result<(f64, usize)> {
    match x.storage().arith() {
        Arith::Single => peak_in::<f32>(x, y, kind, method, window),
        Arith::Native64 => peak_in::<f64>(x, y, kind, method, window),
        Arith::DoubleFloat => peak_in::<DoubleFloat>(x, y, kind, method, window),
    }
}

fn peak_in<E: DeviceReal>(
    x: &DeviceArray,
    y: &DeviceArray,
    kind: Kind,
    method: Method,
    window: (usize, usize),
) -> Result<(f64, usize)> {
    let ctx = x.gpu();
    let count = window.1;
    let mut recording = ctx.encoder();
    let values = record(&mut recording, x, y, kind, method, window)?;
    let kernels = ConvKernels::<E>::new(ctx)?;
    let (peaks, indices) = kernels.record_argmax(ctx, &mut recording, values.buffer(), count)?;
    let groups = count.div_ceil(super::gpu::TILE);
    let element = std::mem::size_of::<E>() as u64;
    let mut found = Ok((f64::NEG_INFINITY, 0));
    ctx.submit_and_read_parts(
        "the argmax",
        recording,
        &[
            (&peaks, groups as u64 * element),
            (&indices, groups as u64 * 4),
        ],
        |parts| found = peak_of::<E>(parts[0], parts[1], count),
    )?;
    // The stored peak in the array's units (double-float scales by the inputs' exponents).
    found.map(|(stored, index)| (values.storage().value(stored), index))
}

/// The largest of `count` values from the argmax's per-workgroup peaks and indices (mapped
/// bytes), as stored, and its index, as the CPU's `first_argmax`: the first on ties, NaN
/// never wins, index 0 when nothing beats -inf.
fn peak_of<E: DeviceReal>(peaks: &[u8], indices: &[u8], count: usize) -> Result<(f64, usize)> {
    let values = crate::gpu::mapped_as::<E>(peaks);
    let indices = crate::gpu::mapped_as::<u32>(indices);
    let mut best = (f64::NEG_INFINITY, 0);
    for (&index, value) in indices.iter().zip(values.iter()) {
        // Every workgroup writes an index inside the outputs; anything else is a result
        // never written (the poison), not a peak.
        if index as usize >= count {
            return Err(Error::Gpu {
                what: "the argmax".into(),
                message: format!("index {index} outside {count} outputs"),
            });
        }
        let value = value.to_f64();
        if value > best.0 {
            best = (value, index as usize);
        }
    }
    Ok(best)
}

impl super::gpu::ConvGpu {
    /// Outputs `[start, start + len)` of the full convolution of `a` and `v`, computed in
    /// this precision and returned as float64.
    ///
    /// # Errors
    /// [`Error::EmptyInput`]; [`Error::InvalidParam`] for finite values beyond float32's
    /// range in float32; [`Error::ExceedsLimit`] (also for double-float data whose magnitudes
    /// span too much); GPU errors.
    pub fn full_window(
        &self,
        ctx: &GpuContext,
        a: &[f64],
        v: &[f64],
        method: Method,
        window: (usize, usize),
    ) -> Result<Vec<f64>> {
        super::gpu::check_operands(a, v)?;
        let operands = (a.into(), v.into());
        let kind = Kind::Convolve;
        host_window(ctx, self.arith(), operands, kind, method, window)
            .map(|out| out.into_raw_vec_and_offset().0)
    }

    /// The index (in the full convolution) of the largest output, the first on ties as
    /// `numpy.argmax`, found by a reduction on the GPU; only one value per 256 outputs is
    /// read back.
    ///
    /// # Errors
    /// As [`super::gpu::ConvGpu::full_window`].
    pub fn argmax_full(
        &self,
        ctx: &GpuContext,
        a: &[f64],
        v: &[f64],
        method: Method,
    ) -> Result<usize> {
        super::gpu::check_operands(a, v)?;
        // The full convolution is the correlation with `v` reversed.
        let reversed = ndarray::ArrayView1::from(v).slice_move(ndarray::s![..;-1]);
        host_argmax(ctx, self.arith(), (a.into(), reversed), method)
    }
}

/// [`super::lag`] of two 1-D real device arrays on the same GPU: the full correlation and its
/// argmax recorded on the device, then the workgroups' peaks and both signals read back in one
/// submission (one wait) for the float64 peak, its refinement and the Pearson correlation,
/// which [`super::Lag`] holds on the host. Pairs the device path refuses (mixed storages,
/// past one binding) are computed on the CPU with a note.
///
/// # Errors
/// As [`convolve_device`] (2-D arrays too); [`Error::InvalidParam`] for non-finite samples, as
/// [`super::lag`].
pub fn lag_device(a: &DeviceArray, b: &DeviceArray, method: Method) -> Result<super::Lag> {
    check(a, b)?;
    if a.shape().len() != 1 {
        return Err(Error::param("a", "lag takes 1-D signals"));
    }
    // Both signals come back with the peaks, in one read-back buffer.
    let read_back = a.stored_bytes() + b.stored_bytes();
    let too_large = (read_back > a.gpu().limits().max_buffer_size / 2)
        .then(|| "the signals are too large to read back in one buffer".to_string());
    if let Some(reason) = too_large.or_else(|| refusal(a, b, method)) {
        crate::gpu::note_cpu_fallback(|| format!("lag: {reason}; computed on the CPU"));
        let (x, y) = (a.to_host_f64()?, b.to_host_f64()?);
        let (x, y) = (
            x.into_dimensionality::<Ix1>().expect("1-D"),
            y.into_dimensionality::<Ix1>().expect("1-D"),
        );
        return super::lag(crate::gpu::Device::Cpu, x.view(), y.view(), method);
    }
    match a.storage().arith() {
        Arith::Single => lag_in::<f32>(a, b, method),
        Arith::Native64 => lag_in::<f64>(a, b, method),
        Arith::DoubleFloat => lag_in::<DoubleFloat>(a, b, method),
    }
}

fn lag_in<E: DeviceReal>(a: &DeviceArray, b: &DeviceArray, method: Method) -> Result<super::Lag> {
    let ctx = a.gpu();
    let count = a.len() + b.len() - 1;
    let mut recording = ctx.encoder();
    let full = record(&mut recording, a, b, Kind::Correlate, method, (0, count))?;
    let kernels = ConvKernels::<E>::new(ctx)?;
    let (peaks, indices) = kernels.record_argmax(ctx, &mut recording, full.buffer(), count)?;
    let groups = count.div_ceil(super::gpu::TILE);
    let element = std::mem::size_of::<E>() as u64;
    let mut read = Ok((0, Vec::new(), Vec::new()));
    ctx.submit_and_read_parts(
        "the lag",
        recording,
        &[
            (&peaks, groups as u64 * element),
            (&indices, groups as u64 * 4),
            (a.buffer(), a.stored_bytes()),
            (b.buffer(), b.stored_bytes()),
        ],
        |parts| {
            read = peak_of::<E>(parts[0], parts[1], count).map(|(_, m)| {
                (
                    m,
                    a.reals_from_bytes(parts[2]),
                    b.reals_from_bytes(parts[3]),
                )
            });
        },
    )?;
    let (m, x, y) = read?;
    let (x, y) = (Array1::from(x), Array1::from(y));
    if x.iter().chain(y.iter()).any(|v| !v.is_finite()) {
        return Err(Error::param(
            "signal",
            "lag needs finite samples (NaN or infinity found)",
        ));
    }
    let lags = super::correlation_lags(x.len(), y.len(), Mode::Full);
    let (xv, yv) = (x.view(), y.view());
    Ok(super::lag_at(xv, yv, &lags, m, |i| {
        super::correlation_at(xv, yv, lags[i])
    }))
}
