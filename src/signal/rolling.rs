//! Rolling means: `np.convolve(x, np.ones(k) / k, mode)` in O(n).
//!
//! A running sum adds the sample entering the window and subtracts the one leaving it; alone,
//! it drifts (each step rounds, and over 10^7 samples the errors add up). Here the sum is kept
//! in float64 and recomputed from the window itself every [`RESYNC`] outputs, so the error of
//! any output is that of at most RESYNC + k additions. Non-finite samples are counted apart
//! (the running sum holds finite values only), so a NaN or infinity affects exactly the windows
//! that contain it, as in NumPy: NaN if the window holds a NaN or both infinities, else the
//! infinity it holds. With [`NanPolicy::Omit`], the mean of the window's finite samples
//! (pandas' `rolling(k).mean()` with `min_periods`).

use ndarray::{Array1, ArrayView1};

use crate::error::{Error, Result};
use crate::gpu::Device;
use crate::route::{route, Job, Operation};

pub use crate::numpy::ConvMode;

/// What to do with NaN and infinities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NanPolicy {
    /// As NumPy: a window holding NaN (or both infinities) gives NaN, one holding an infinity
    /// gives it.
    #[default]
    Propagate,
    /// The mean of the window's finite samples; NaN when fewer than `min_count` are finite.
    Omit,
}

/// A rolling mean's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct RollingParams {
    /// Window length.
    pub k: usize,
    /// Output extent.
    pub mode: ConvMode,
    /// Non-finite samples.
    pub nan_policy: NanPolicy,
    /// With [`NanPolicy::Omit`]: fewest finite samples for a value (at least 1).
    pub min_count: usize,
}

impl RollingParams {
    /// A window of `k` samples, mode `valid`, NaN propagated.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            mode: ConvMode::Valid,
            nan_policy: NanPolicy::Propagate,
            min_count: 1,
        }
    }

    /// Sets the mode.
    pub fn with_mode(mut self, mode: ConvMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the NaN policy and the fewest finite samples a value needs.
    pub fn with_omit(mut self, min_count: usize) -> Self {
        self.nan_policy = NanPolicy::Omit;
        self.min_count = min_count;
        self
    }
}

/// Outputs between exact recomputations of the running sum.
pub const RESYNC: usize = 4096;

/// The window's non-finite samples, counted apart from the running sum.
#[derive(Clone, Copy, Default)]
struct Tally {
    sum: f64,
    finite: usize,
    nan: usize,
    pos_inf: usize,
    neg_inf: usize,
}

impl Tally {
    fn add(&mut self, v: f64, sign: i64) {
        let step = |c: &mut usize| *c = (*c as i64 + sign) as usize;
        if v.is_nan() {
            step(&mut self.nan);
        } else if v == f64::INFINITY {
            step(&mut self.pos_inf);
        } else if v == f64::NEG_INFINITY {
            step(&mut self.neg_inf);
        } else {
            self.sum += sign as f64 * v;
            step(&mut self.finite);
        }
    }

    fn exact(x: &[f64]) -> Self {
        let mut t = Tally::default();
        for &v in x {
            t.add(v, 1);
        }
        t
    }
}

/// The rolling mean of `x` (`np.convolve(x, np.ones(k) / k, mode)`), on `device`.
///
/// On the CPU: the running float64 sum described above. On a GPU: exact 64-bit fixed-point
/// prefix sums ([`super::gpu::RollingGpu`]): each finite sample rounded once to a grid of
/// about k max|x| 2^-63, the window sums exact, then rounded to float64 and scaled by 1/k as
/// they are read back; NaN, infinities, `omit` and `min_count` as on the CPU. A window longer
/// than one GPU chunk (a binding of 24-byte items), and a signal whose magnitudes span too
/// much for one grid (more than 1 % of its samples below 2^40 grid steps, as when one outlier
/// is 10^12 times the data), run on the CPU, and say so (see
/// [`crate::gpu::set_cpu_fallback_hook`]).
///
/// ```
/// use gpusci::signal::{rolling_mean, RollingParams};
/// use gpusci::Device;
/// use ndarray::array;
///
/// // np.convolve(x, np.ones(2) / 2, mode='valid')
/// let m = rolling_mean(Device::Cpu, array![1.0, 3.0, 5.0, 7.0].view(), &RollingParams::new(2))?;
/// assert_eq!(m, array![2.0, 4.0, 6.0]);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyInput`] for an empty signal; [`Error::InvalidParam`] for k = 0 or a
/// `min_count` of 0 or above k; GPU errors.
pub fn rolling_mean<'d>(
    device: impl Into<Device<'d>>,
    x: ArrayView1<'_, f64>,
    params: &RollingParams,
) -> Result<Array1<f64>> {
    validate(x.len(), params)?;
    let Some(ctx) = route(
        device.into(),
        &Job::new(Operation::RollingMean, x.len()).float64(true),
    )
    .gpu() else {
        return Ok(rolling_mean_cpu(x, params));
    };
    let contiguous = x.as_standard_layout();
    let samples = contiguous.as_slice().expect("standard layout");
    let (start, len) = params.mode.window(samples.len(), params.k);
    let omit = params.nan_policy == NanPolicy::Omit;
    let windows = match super::gpu::RollingGpu::new(ctx)?.window_sums(
        ctx,
        samples,
        params.k,
        (start, len),
        omit,
    )? {
        Ok(windows) => windows,
        Err(reason) => {
            crate::gpu::note_cpu_fallback(|| {
                format!("rolling_mean: {reason}; computed on the CPU")
            });
            return Ok(rolling_mean_cpu(x, params));
        }
    };
    // Finished in place: no second array.
    let super::gpu::WindowSums { mut sums, finite } = windows;
    if omit {
        for (sum, &finite) in sums.iter_mut().zip(&finite) {
            *sum = if finite as usize >= params.min_count {
                *sum / f64::from(finite)
            } else {
                f64::NAN
            };
        }
    } else {
        let scale = 1.0 / params.k as f64;
        sums.iter_mut().for_each(|sum| *sum *= scale);
    }
    Ok(Array1::from(sums))
}

/// Longest window [`rolling_mean_device`] sums on the device: the direct sum costs n k
/// multiply-adds (4 x 10^10 for 10^7 samples at this k), and past it the CPU's running sum,
/// O(n) whatever k, wins even counting the transfers.
pub const MAX_DEVICE_WINDOW: usize = 4096;

/// The rolling mean of a 1-D real device array, `np.convolve(x, np.ones(k) / k, mode)`, on its
/// GPU; the result is a float64 device array there, as NumPy returns it (float32 input is
/// widened to float64 on the device, exactly).
///
/// On the device it is that convolution, summed directly (so that NaN and infinities reach
/// exactly the windows that hold them, as in NumPy): the `k` weights 1/k are uploaded, and
/// each output rounds k times in the array's arithmetic (float64 to about 2^-47 k relative;
/// float32 for a float64 array stored in float32 by `Precision::Single`). The host path's exact
/// fixed-point sums need the signal's magnitudes first, which a device array cannot give
/// without a read-back. `nan_policy='omit'`, windows longer than [`MAX_DEVICE_WINDOW`],
/// signals past one storage binding, and float32 input on an adapter without native float64
/// run on the CPU with a note and come back.
///
/// # Errors
/// [`Error::EmptyInput`] for an empty signal; [`Error::InvalidParam`] for k = 0, a
/// `min_count` of 0 or above k, or an array that is not 1-D float32 or float64; GPU errors.
pub fn rolling_mean_device(
    x: &crate::array::DeviceArray,
    params: &RollingParams,
) -> Result<crate::array::DeviceArray> {
    use crate::array::{DType, DeviceArray, Storage};
    use crate::gpu::Arith;
    if x.shape().len() != 1 || !matches!(x.dtype(), DType::Float32 | DType::Float64) {
        return Err(Error::param(
            "x",
            format!(
                "rolling_mean takes a 1-D float32 or float64 array, not {}-D {}",
                x.shape().len(),
                x.dtype().name()
            ),
        ));
    }
    validate(x.len(), params)?;
    let ctx = x.gpu();
    let native = ctx.device().features().contains(wgpu::Features::SHADER_F64);
    // float32 input: NumPy's float64 result, from the samples widened to float64 bits.
    let widen = x.dtype() == DType::Float32;
    let arith = if widen {
        Arith::Native64
    } else {
        x.storage().arith()
    };
    let refusal = if params.nan_policy == NanPolicy::Omit {
        Some("nan_policy='omit' counts the finite samples on the host".to_string())
    } else if params.k > MAX_DEVICE_WINDOW {
        Some(format!(
            "a window of {} samples is past the device's direct sum ({MAX_DEVICE_WINDOW})",
            params.k
        ))
    } else if widen && !native {
        Some(
            "float32 input gives NumPy's float64 result, and this adapter has no native float64"
                .to_string(),
        )
    } else if widen && x.len() as u64 * 16 > ctx.max_binding_bytes() {
        Some("the widened samples are past one GPU storage binding".to_string())
    } else {
        let (n, k) = (x.len().max(params.k), x.len().min(params.k));
        crate::conv::gpu::one_pass_plan(ctx, arith, n, k, crate::conv::Method::Direct).err()
    };
    if let Some(reason) = refusal {
        crate::gpu::note_cpu_fallback(|| format!("rolling_mean: {reason}; computed on the CPU"));
        let host = x
            .to_host_f64()?
            .into_dimensionality::<ndarray::Ix1>()
            .expect("1-D");
        let out = rolling_mean_cpu(host.view(), params);
        let arith = match (widen, native) {
            (false, _) => x.storage().arith(),
            (true, true) => Arith::Native64,
            (true, false) => Arith::DoubleFloat,
        };
        return DeviceArray::from_host(ctx, out.view(), arith);
    }
    let mut recording = ctx.encoder();
    let samples = if widen {
        let bits = crate::density::device::record_float64_bits(&mut recording, x)?;
        DeviceArray::from_parts(ctx, bits, vec![x.len()], DType::Float64, Storage::F64)
    } else {
        x.clone()
    };
    let weights = Array1::from_elem(params.k, 1.0 / params.k as f64);
    let weights = DeviceArray::from_host(ctx, weights.view(), arith)?;
    let window = params.mode.window(x.len(), params.k);
    let out = crate::conv::device::record(
        &mut recording,
        &samples,
        &weights,
        crate::conv::Kind::Convolve,
        crate::conv::Method::Direct,
        window,
    )?;
    ctx.submit("the rolling mean", recording)?;
    Ok(out)
}

/// Checks a rolling mean's input and parameters.
fn validate(n: usize, params: &RollingParams) -> Result<()> {
    let k = params.k;
    if n == 0 {
        return Err(Error::EmptyInput("signal"));
    }
    if k == 0 {
        return Err(Error::param("k", "the window needs at least one sample"));
    }
    if params.nan_policy == NanPolicy::Omit && !(1..=k).contains(&params.min_count) {
        return Err(Error::param(
            "min_count",
            format!(
                "{} must be between 1 and the window ({k})",
                params.min_count
            ),
        ));
    }
    Ok(())
}

/// The CPU path (parameters validated).
fn rolling_mean_cpu(x: ArrayView1<'_, f64>, params: &RollingParams) -> Array1<f64> {
    let n = x.len();
    let k = params.k;
    let x = x.as_standard_layout();
    let x = x.as_slice().expect("standard layout");
    let (start, len) = params.mode.window(n, k);
    let scale = 1.0 / k as f64;
    // Full output j covers samples max(0, j + 1 - k) ..= min(j, n - 1).
    let bounds = |j: usize| (j.saturating_sub(k - 1), j.min(n - 1) + 1);
    let mut out = vec![0.0f64; len];
    let value = |t: &Tally| match params.nan_policy {
        NanPolicy::Propagate => {
            if t.nan > 0 || (t.pos_inf > 0 && t.neg_inf > 0) {
                f64::NAN
            } else if t.pos_inf > 0 {
                f64::INFINITY
            } else if t.neg_inf > 0 {
                f64::NEG_INFINITY
            } else {
                t.sum * scale
            }
        }
        NanPolicy::Omit => {
            if t.finite >= params.min_count {
                t.sum / t.finite as f64
            } else {
                f64::NAN
            }
        }
    };
    for chunk in (0..len).step_by(RESYNC) {
        let end = (chunk + RESYNC).min(len);
        let (lo, hi) = bounds(start + chunk);
        let mut tally = Tally::exact(&x[lo..hi]);
        let mut window = (lo, hi);
        out[chunk] = value(&tally);
        let mut o = chunk + 1;
        while o < end {
            let j = start + o;
            let (lo, hi) = bounds(j);
            if lo == window.0 + 1 && hi == window.1 + 1 && tally.finite == k && x[j].is_finite() {
                // Full windows of finite samples sliding by one: the tight loop, left at the
                // first non-finite sample or the end of the full windows (it makes at least
                // one step: x[j] is finite).
                let last = end.min(n - start);
                let mut sum = tally.sum;
                while o < last {
                    let j = start + o;
                    let entering = x[j];
                    if !entering.is_finite() {
                        break;
                    }
                    sum += entering;
                    sum -= x[j - k];
                    out[o] = sum * scale;
                    o += 1;
                }
                tally.sum = sum;
                window = bounds(start + o - 1);
                continue;
            }
            for &v in &x[window.1..hi] {
                tally.add(v, 1);
            }
            for &v in &x[window.0..lo] {
                tally.add(v, -1);
            }
            window = (lo, hi);
            out[o] = value(&tally);
            o += 1;
        }
    }
    Array1::from(out)
}
