//! 1-D convolution and correlation with NumPy's and SciPy's conventions, direct or through
//! real FFTs (`realfft`), and lag finding (`scipy.signal.correlation_lags`).
//!
//! - [`np_convolve`]: `numpy.convolve(a, v, mode)`, which swaps its operands when `v` is
//!   longer (so `same` has max(len a, len v) outputs).
//! - [`convolve`] / [`correlate`]: `scipy.signal.convolve` / `correlate` for 1-D input: `same`
//!   has the first input's length, centred; `valid` needs one input at least as long as the
//!   other (SciPy swaps them when the second is longer).
//! - [`lag`]: `lags[argmax(correlate(a, b, 'full'))]` with `correlation_lags`' convention, the
//!   Pearson correlation of the overlap at that lag and a parabolic sub-sample refinement.
//!
//! `Method::Auto` takes the FFT when its cost model (as `scipy.signal.choose_conv_method`
//! weighs them) favours it, and never for input holding NaN or infinities: an FFT spreads one
//! NaN over the whole output, where the direct sum confines it to the kernel's footprint, as
//! NumPy does.
//!
//! [`spectrum::Spectrum`]: `np.fft.rfft` / `rfftfreq`, amplitudes, phases and low-pass
//! reconstruction.

pub mod device;
pub mod gpu;
pub mod spectrum;
pub mod two_d;

use std::str::FromStr;

use ndarray::{Array1, ArrayView1};
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealToComplex};

use crate::fft::cpu::real_plans as plans;

use crate::error::{Error, Result};
use crate::gpu::Device;
pub use crate::numpy::ConvMode as Mode;
use crate::route::{route, Job, Operation};

/// How the sums are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    /// The cheaper of the two for these lengths; direct whenever the input is not finite.
    #[default]
    Auto,
    /// Every product summed in float64: O(n k).
    Direct,
    /// Real FFTs of the zero-padded inputs: O((n + k) log(n + k)).
    Fft,
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Method::Auto),
            "direct" => Ok(Method::Direct),
            "fft" => Ok(Method::Fft),
            other => Err(Error::param(
                "method",
                format!("'{other}' is not one of auto, direct, fft"),
            )),
        }
    }
}

/// Both operands hold at least one element (NumPy and SciPy raise otherwise).
pub(crate) fn check<D: ndarray::Dimension>(
    a: ndarray::ArrayView<'_, f64, D>,
    v: ndarray::ArrayView<'_, f64, D>,
) -> Result<()> {
    if a.is_empty() {
        return Err(Error::EmptyInput("first input"));
    }
    if v.is_empty() {
        return Err(Error::EmptyInput("second input"));
    }
    Ok(())
}

/// The full convolution (n + k - 1 values) by `method`.
///
/// # Errors
/// [`Error::EmptyInput`] when either input is empty (NumPy raises too).
pub fn full_convolution(a: &[f64], v: &[f64], method: Method) -> Result<Vec<f64>> {
    check(ArrayView1::from(a), ArrayView1::from(v))?;
    Ok(full_convolution_of_nonempty(a, v, method))
}

/// [`full_convolution`] of inputs already checked to be non-empty.
pub(crate) fn full_convolution_of_nonempty(a: &[f64], v: &[f64], method: Method) -> Vec<f64> {
    let finite = a.iter().chain(v).all(|x| x.is_finite());
    let use_fft = match method {
        Method::Direct => false,
        Method::Fft => true,
        Method::Auto => finite && fft_is_cheaper(a.len(), v.len()),
    };
    if use_fft {
        fft_full(a, v)
    } else {
        direct_full(a, v)
    }
}

/// Direct products against FFT work, weighed as measured on the developers' machine (2-core
/// EPYC, `examples`-style timing of both methods, n = 4,000 to 100,000, k = 32 to 1,000): the
/// direct sum costs 0.25-0.6 ns per multiply-add (more for short kernels), the whole FFT
/// convolution (three real transforms of length L) 0.75-1.5 ns per L log2 L. With the FFT
/// counted as 2 L log2 L multiply-adds, the choice flips near k = 30 for 10^5 samples, where
/// the two measured equal.
fn fft_is_cheaper(n: usize, k: usize) -> bool {
    let direct = n as f64 * k as f64;
    let l = fft_len(n + k - 1) as f64;
    let fft = 2.0 * l * l.log2();
    fft < direct
}

/// The smallest 2^a 3^b 5^c at least `n` (fast sizes for rustfft).
pub fn fft_len(n: usize) -> usize {
    let mut best = n.next_power_of_two();
    let mut p5 = 1usize;
    while p5 < best {
        let mut p35 = p5;
        while p35 < best {
            let mut m = p35;
            while m < n {
                m *= 2;
            }
            best = best.min(m);
            p35 *= 3;
        }
        p5 *= 5;
    }
    best
}

fn direct_full(a: &[f64], v: &[f64]) -> Vec<f64> {
    let (n, k) = (a.len(), v.len());
    let mut out = vec![0.0f64; n + k - 1];
    // Output j sums a[i] v[j - i]; looping over v's taps keeps the inner loop contiguous.
    for (t, &w) in v.iter().enumerate() {
        for (o, &x) in out[t..t + n].iter_mut().zip(a) {
            *o += x * w;
        }
    }
    out
}

/// The spectrum of `x` zero-padded to the plan's size.
fn spectrum(forward: &Arc<dyn RealToComplex<f64>>, x: &[f64]) -> Vec<Complex<f64>> {
    let mut padded = forward.make_input_vec();
    padded[..x.len()].copy_from_slice(x);
    let mut out = forward.make_output_vec();
    forward
        .process(&mut padded, &mut out)
        .expect("lengths from the plan");
    out
}

/// `len` samples of the inverse transform of `product`, scaled.
fn inverse_of(
    inverse: &Arc<dyn ComplexToReal<f64>>,
    mut product: Vec<Complex<f64>>,
    len: usize,
) -> Vec<f64> {
    let size = inverse.len();
    let mut out = inverse.make_output_vec();
    // The DC (and even-size Nyquist) bins of a real signal's spectrum are real; realfft
    // refuses any other, and NaN or infinity in the input make them NaN + NaN i.
    zero_real_bins_imaginary(&mut product, size);
    inverse
        .process(&mut product, &mut out)
        .expect("lengths from the plan");
    let scale = 1.0 / size as f64;
    out.truncate(len);
    out.iter_mut().for_each(|x| *x *= scale);
    out
}

/// Zeroes the imaginary parts that a real signal's spectrum of `size` points cannot have (bin
/// 0, and bin size/2 for an even size), as NumPy's `irfft` ignores them.
pub(crate) fn zero_real_bins_imaginary(bins: &mut [Complex<f64>], size: usize) {
    if let Some(first) = bins.first_mut() {
        first.im = 0.0;
    }
    if size.is_multiple_of(2) {
        if let Some(last) = bins.get_mut(size / 2) {
            last.im = 0.0;
        }
    }
}

/// Kernels at most this fraction of the signal go through overlap-add.
const OVERLAP_ADD_RATIO: usize = 8;

fn fft_full(a: &[f64], v: &[f64]) -> Vec<f64> {
    let (a, v) = if a.len() >= v.len() { (a, v) } else { (v, a) };
    if v.len() * OVERLAP_ADD_RATIO <= a.len() && a.len() > 1 << 16 {
        return overlap_add(a, v);
    }
    let len = a.len() + v.len() - 1;
    let (forward, inverse) = plans(fft_len(len));
    let (fa, fv) = rayon::join(|| spectrum(&forward, a), || spectrum(&forward, v));
    let product: Vec<_> = fa.iter().zip(&fv).map(|(x, y)| x * y).collect();
    inverse_of(&inverse, product, len)
}

/// Overlap-add: the long signal in blocks that, with the kernel, fit a transform of about 8
/// kernel lengths; blocks run in parallel, the kernel's spectrum is computed once, and the
/// blocks' tails are added where they overlap.
fn overlap_add(a: &[f64], v: &[f64]) -> Vec<f64> {
    use rayon::prelude::*;
    let k = v.len();
    let size = fft_len(8 * k);
    let step = size - k + 1;
    let (forward, inverse) = plans(size);
    let kernel = spectrum(&forward, v);
    let blocks: Vec<(usize, Vec<f64>)> = (0..a.len())
        .step_by(step)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| {
            let block = &a[start..(start + step).min(a.len())];
            let product: Vec<_> = spectrum(&forward, block)
                .iter()
                .zip(&kernel)
                .map(|(x, y)| x * y)
                .collect();
            (start, inverse_of(&inverse, product, block.len() + k - 1))
        })
        .collect();
    let mut out = vec![0.0f64; a.len() + k - 1];
    for (start, block) in blocks {
        for (o, x) in out[start..start + block.len()].iter_mut().zip(block) {
            *o += x;
        }
    }
    out
}

/// `numpy.convolve(a, v, mode)` on the device (on a GPU at the device's
/// [`Precision`](crate::Precision): float64 accuracy unless `Single` is asked for).
///
/// # Errors
/// [`Error::EmptyInput`] for an empty operand (NumPy raises too); GPU errors and limits as
/// [`gpu::ConvGpu::full_window`].
pub fn np_convolve<'d>(
    device: impl Into<Device<'d>>,
    a: ArrayView1<'_, f64>,
    v: ArrayView1<'_, f64>,
    mode: Mode,
    method: Method,
) -> Result<Array1<f64>> {
    let device: Device<'d> = device.into();
    check(a, v)?;
    let window = mode.window(a.len(), v.len());
    kept(device, (a, v), Kind::Convolve, method, window)
}

/// The first index of the largest value (NaN never wins; 0 when there is none).
fn first_argmax(c: &Array1<f64>) -> usize {
    c.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 {
                (i, x)
            } else {
                best
            }
        })
        .0
}

/// A convolution or a correlation (the second input reversed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Convolve,
    Correlate,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Convolve => "convolve",
            Kind::Correlate => "correlate",
        }
    }
}

/// `window` = (first, count) of the full convolution of `a` and `v` (`v` reversed for a
/// correlation), on the CPU (float64) or the GPU (at the device's precision, only the window
/// computed: through device arrays in one submit and one wait when it fits one pass, else in
/// chunks).
fn kept(
    device: Device<'_>,
    (a, v): (ArrayView1<'_, f64>, ArrayView1<'_, f64>),
    kind: Kind,
    method: Method,
    (start, len): (usize, usize),
) -> Result<Array1<f64>> {
    let job = Job::new(Operation::Convolve, a.len() + v.len()).float64(true);
    let second = || -> Vec<f64> {
        match kind {
            Kind::Convolve => v.to_vec(),
            Kind::Correlate => v.iter().rev().copied().collect(),
        }
    };
    match route(device, &job) {
        Device::Cpu => {
            let full = full_convolution_of_nonempty(&a.to_vec(), &second(), method);
            Ok(Array1::from(full[start..start + len].to_vec()))
        }
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => {
            let arith = device.float64_arith().expect("a GPU device");
            crate::gpu::or_cpu_when_refused(
                "convolve",
                gpu::ConvGpu::refusal(ctx, arith, (a, v), method),
                || device::host_window(ctx, arith, (a, v), kind, method, (start, len)),
                || kept(Device::Cpu, (a, v), kind, method, (start, len)),
            )
        }
    }
}

/// The slice of a full result that SciPy keeps (per axis): `same` centred on the first
/// input's length, `valid` the complete overlaps.
pub(crate) fn scipy_window(mode: Mode, n1: usize, n2: usize) -> (usize, usize) {
    match mode {
        Mode::Full => (0, n1 + n2 - 1),
        Mode::Same => ((n2 - 1) / 2, n1),
        Mode::Valid => (n1.min(n2) - 1, n1.max(n2) - n1.min(n2) + 1),
    }
}

/// `scipy.signal.convolve(in1, in2, mode, method)` for 1-D input, on the device
/// (on a GPU at the device's precision, as [`np_convolve`]).
///
/// ```
/// use gpusci::conv::{convolve, Method, Mode};
/// use gpusci::Device;
/// use ndarray::array;
///
/// // scipy.signal.convolve([1, 2, 3], [0, 1, 0.5], mode='full')
/// let out = convolve(Device::Cpu, array![1.0, 2.0, 3.0].view(), array![0.0, 1.0, 0.5].view(), Mode::Full, Method::Direct)?;
/// assert_eq!(out, array![0.0, 1.0, 2.5, 4.0, 1.5]);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyInput`] for an empty input; GPU errors and limits as
/// [`gpu::ConvGpu::full_window`].
pub fn convolve<'d>(
    device: impl Into<Device<'d>>,
    in1: ArrayView1<'_, f64>,
    in2: ArrayView1<'_, f64>,
    mode: Mode,
    method: Method,
) -> Result<Array1<f64>> {
    let device: Device<'d> = device.into();
    check(in1, in2)?;
    let window = scipy_window(mode, in1.len(), in2.len());
    kept(device, (in1, in2), Kind::Convolve, method, window)
}

/// `scipy.signal.correlate(in1, in2, mode, method)` for real 1-D input, on the
/// device (on a GPU at the device's precision, as [`np_convolve`]): the convolution with `in2`
/// reversed. In `valid` mode
/// with `in2` longer, SciPy swaps the inputs and reverses the result; so does this.
///
/// # Errors
/// [`Error::EmptyInput`] for an empty input; GPU errors and limits as
/// [`gpu::ConvGpu::full_window`].
pub fn correlate<'d>(
    device: impl Into<Device<'d>>,
    in1: ArrayView1<'_, f64>,
    in2: ArrayView1<'_, f64>,
    mode: Mode,
    method: Method,
) -> Result<Array1<f64>> {
    let device: Device<'d> = device.into();
    check(in1, in2)?;
    let window = scipy_window(mode, in1.len(), in2.len());
    kept(device, (in1, in2), Kind::Correlate, method, window)
}

/// `scipy.signal.correlation_lags(in1_len, in2_len, mode)`: the lag of each output of
/// [`correlate`].
pub fn correlation_lags(in1_len: usize, in2_len: usize, mode: Mode) -> Vec<i64> {
    let (n1, n2) = (in1_len as i64, in2_len as i64);
    match mode {
        Mode::Full => (-n2 + 1..n1).collect(),
        Mode::Same => {
            let lags: Vec<i64> = (-n2 + 1..n1).collect();
            let mid = lags.len() as i64 / 2;
            let bound = n1 / 2;
            let end = if n1 % 2 == 0 {
                mid + bound
            } else {
                mid + bound + 1
            };
            lags[(mid - bound) as usize..end as usize].to_vec()
        }
        Mode::Valid => {
            let bound = n1 - n2;
            if bound >= 0 {
                (0..=bound).collect()
            } else {
                (bound..=0).collect()
            }
        }
    }
}

/// Where two signals line up best.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lag {
    /// `lags[argmax(correlate(a, b, 'full'))]`: b delayed by this many samples matches a.
    pub samples: i64,
    /// The lag refined between samples by a parabola through the peak and its neighbours.
    pub refined: f64,
    /// The correlation at the peak.
    pub peak: f64,
    /// The Pearson correlation of the two signals' overlapping parts at that lag.
    pub pearson: f64,
}

/// The lag of `b` against `a` as SciPy users compute it (`lags[argmax(correlate(a, b,
/// 'full'))]`; the first maximum on ties, as `argmax`), on the device. On the GPU
/// the correlation and its argmax run at the device's precision and only the peak's index
/// comes back;
/// the peak value, its neighbours for the refinement and the Pearson correlation are then
/// computed in float64 on the CPU (O(n) each).
///
/// ```
/// use gpusci::conv::{lag, Method};
/// use gpusci::Device;
///
/// // b is a delayed by 25 samples: the lag that best aligns them is 25.
/// let a = gpusci::data::noisy_signal(2_000, 1);
/// let b = ndarray::Array1::from_shape_fn(2_000, |i| if i >= 25 { a[i - 25] } else { 0.0 });
/// let found = lag(Device::Cpu, b.view(), a.view(), Method::Auto)?;
/// assert_eq!(found.samples, 25);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyInput`] for an empty signal; [`Error::InvalidParam`] for non-finite samples
/// (the maximum of a correlation holding NaN is meaningless); GPU errors and limits as
/// [`gpu::ConvGpu::full_window`].
pub fn lag<'d>(
    device: impl Into<Device<'d>>,
    a: ArrayView1<'_, f64>,
    b: ArrayView1<'_, f64>,
    method: Method,
) -> Result<Lag> {
    let device: Device<'d> = device.into();
    check(a, b)?;
    if a.iter().chain(b.iter()).any(|x| !x.is_finite()) {
        return Err(Error::param(
            "signal",
            "lag needs finite samples (NaN or infinity found)",
        ));
    }
    let lags = correlation_lags(a.len(), b.len(), Mode::Full);
    let job = Job::new(Operation::Convolve, a.len() + b.len()).float64(true);
    let (m, c_at): (usize, Box<dyn Fn(usize) -> f64>) = match route(device, &job) {
        Device::Cpu => {
            let c = correlate(Device::Cpu, a, b, Mode::Full, method)?;
            (first_argmax(&c), Box::new(move |i| c[i]))
        }
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => {
            let arith = device.float64_arith().expect("a GPU device");
            let m = crate::gpu::or_cpu_when_refused(
                "lag",
                gpu::ConvGpu::refusal(ctx, arith, (a, b), method),
                || device::host_argmax(ctx, arith, (a, b), method),
                || {
                    Ok(first_argmax(&correlate(
                        Device::Cpu,
                        a,
                        b,
                        Mode::Full,
                        method,
                    )?))
                },
            )?;
            let lags = &lags;
            (
                m,
                Box::new(move |i| correlation_at(a, b, lags[i])) as Box<dyn Fn(usize) -> f64>,
            )
        }
    };
    Ok(lag_at(a, b, &lags, m, c_at))
}

/// The lag at index `m` of `correlate(a, b, 'full')` (its lags in `lags`, its values from
/// `c_at`): the peak, its parabolic refinement and the Pearson correlation of the overlap, in
/// float64.
pub(crate) fn lag_at(
    a: ArrayView1<'_, f64>,
    b: ArrayView1<'_, f64>,
    lags: &[i64],
    m: usize,
    c_at: impl Fn(usize) -> f64,
) -> Lag {
    let samples = lags[m];
    let peak = c_at(m);
    let refined = if m > 0 && m + 1 < lags.len() {
        let (l, r) = (c_at(m - 1), c_at(m + 1));
        let curvature = l - 2.0 * peak + r;
        if curvature < 0.0 {
            samples as f64 + 0.5 * (l - r) / curvature
        } else {
            samples as f64
        }
    } else {
        samples as f64
    };
    // Overlap at lag L: a[i] pairs with b[i - L].
    let (a0, b0) = if samples >= 0 {
        (samples as usize, 0)
    } else {
        (0, (-samples) as usize)
    };
    let len = (a.len() - a0).min(b.len() - b0);
    let (sa, sb) = (
        a.slice(ndarray::s![a0..a0 + len]),
        b.slice(ndarray::s![b0..b0 + len]),
    );
    let (ma, mb) = (sa.sum() / len as f64, sb.sum() / len as f64);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in sa.iter().zip(sb.iter()) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    let pearson = if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        f64::NAN
    };
    Lag {
        samples,
        refined,
        peak,
        pearson,
    }
}

/// `sum_i a[i] b[i - lag]` in float64: one output of `correlate(a, b, 'full')`.
pub(crate) fn correlation_at(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>, lag: i64) -> f64 {
    let (a0, b0) = if lag >= 0 {
        (lag as usize, 0)
    } else {
        (0, (-lag) as usize)
    };
    if a0 >= a.len() || b0 >= b.len() {
        return 0.0;
    }
    let len = (a.len() - a0).min(b.len() - b0);
    a.slice(ndarray::s![a0..a0 + len])
        .iter()
        .zip(b.slice(ndarray::s![b0..b0 + len]))
        .map(|(x, y)| x * y)
        .sum()
}
