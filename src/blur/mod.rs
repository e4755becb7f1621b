//! Gaussian blur and 1-D smoothing with `scipy.ndimage.gaussian_filter` / `gaussian_filter1d`
//! semantics, on arrays of any number of dimensions, and stacks of images each with its own
//! sigma.
//!
//! [`BlurParams`] holds what the user says (SciPy's names and defaults); [`BlurParams::plan`]
//! validates it and builds each filtered axis's kernel once, in float64, so the CPU and GPU
//! paths cannot disagree about the kernel. The plan is a list of 1-D passes, one per filtered
//! axis, run in SciPy's order. A pass along axis `a` of an N-D array sees it as
//! `(outer, len, inner)`: a row pass when the axis is the last (contiguous) one, otherwise a
//! column pass over `outer` stacked `len x inner` matrices, which reads whole rows at a time.
//!
//! - [`cpu::gaussian_filter_reference`]: float64, plainly correct loops: the oracle.
//! - `cpu::run_fast` (behind [`gaussian_filter`] and [`gaussian_filter1d`] on the CPU):
//!   float32 or float64, rayon, cache-friendly passes.
//! - [`gpu::BlurGpu`]: the GPU path, one tiled dispatch per pass, split into pieces past the
//!   adapter's binding and dispatch limits; float32, or float64 input in native float64 or
//!   double-float (see [`Precision`](crate::Precision)).
//! - [`gaussian_filter`], [`gaussian_filter1d`], [`gaussian_filter_stack`]: pick the path from
//!   a [`Device`].

pub mod cpu;
pub mod gpu;

use std::fmt;
use std::str::FromStr;

use ndarray::{Array, Array1, Array3, ArrayView, ArrayView1, ArrayView3, ArrayViewD, Dimension};

use crate::array::{DType, DeviceArray, HostElement, Storage};
use crate::error::{Error, Result};
use crate::gpu::{Device, Recording};
use crate::route::{route, Job, Operation};

/// Largest kernel radius accepted (2^24 taps each side): a kernel past this would take
/// gigabytes to hold, and no axis we can store is long enough to need it.
pub const MAX_RADIUS: usize = 1 << 24;

/// Highest derivative order accepted. SciPy takes any order; past a few the polynomial
/// coefficients lose all precision, and nobody asks for them.
pub const MAX_ORDER: u32 = 4;

/// Sigmas at or below this are "no blur on that axis", exactly as SciPy's `gaussian_filter`.
pub const SIGMA_EPSILON: f64 = 1e-15;

/// How the input is extended beyond its edges (SciPy's `mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `d c b a | a b c d | d c b a` (half-sample symmetric; SciPy's default).
    #[default]
    Reflect,
    /// `k k k k | a b c d | k k k k` with `k = cval`.
    Constant,
    /// `a a a a | a b c d | d d d d`.
    Nearest,
    /// `d c b | a b c d | c b a` (whole-sample symmetric).
    Mirror,
    /// `a b c d | a b c d | a b c d` (periodic).
    Wrap,
}

impl Mode {
    /// The number the shaders use for this mode (kept in sync with `MODE_*` in blur.wgsl).
    pub(crate) fn code(self) -> u32 {
        match self {
            Mode::Reflect => 0,
            Mode::Constant => 1,
            Mode::Nearest => 2,
            Mode::Mirror => 3,
            Mode::Wrap => 4,
        }
    }

    /// Maps index `i` of the extended line onto the line of length `n`; `None` means the
    /// constant `cval`. Works for any distance past the edge (kernels wider than the line).
    /// An empty line (`n` = 0) has no samples to map to: `None` in every mode.
    pub fn extend(self, i: isize, n: usize) -> Option<usize> {
        if n == 0 {
            return None;
        }
        let n_i = n as isize;
        if (0..n_i).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Mode::Constant => None,
            Mode::Nearest => Some(i.clamp(0, n_i - 1) as usize),
            Mode::Wrap => Some(i.rem_euclid(n_i) as usize),
            Mode::Reflect => {
                let m = i.rem_euclid(2 * n_i);
                Some(if m < n_i { m } else { 2 * n_i - 1 - m } as usize)
            }
            Mode::Mirror => {
                if n == 1 {
                    return Some(0);
                }
                let period = 2 * n_i - 2;
                let m = i.rem_euclid(period);
                Some(if m < n_i { m } else { period - m } as usize)
            }
        }
    }

    /// The period of the extension for a line of length `n`, for the periodic modes.
    fn period(self, n: usize) -> Option<usize> {
        if n == 0 {
            // An empty line has nothing to fold onto.
            return None;
        }
        match self {
            Mode::Reflect => Some(2 * n),
            Mode::Mirror => Some(if n == 1 { 1 } else { 2 * n - 2 }),
            Mode::Wrap => Some(n),
            Mode::Constant | Mode::Nearest => None,
        }
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "reflect" | "grid-mirror" => Ok(Mode::Reflect),
            "constant" | "grid-constant" => Ok(Mode::Constant),
            "nearest" => Ok(Mode::Nearest),
            "mirror" => Ok(Mode::Mirror),
            "wrap" | "grid-wrap" => Ok(Mode::Wrap),
            other => Err(Error::param(
                "mode",
                format!("'{other}' is not one of reflect, constant, nearest, mirror, wrap"),
            )),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Reflect => "reflect",
            Mode::Constant => "constant",
            Mode::Nearest => "nearest",
            Mode::Mirror => "mirror",
            Mode::Wrap => "wrap",
        })
    }
}

/// What to do with NaN in the data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NanPolicy {
    /// As SciPy: a NaN (or infinity) spreads to every output whose kernel footprint covers it.
    #[default]
    Propagate,
    /// Normalised blur: NaN cells are left out and the remaining weights renormalised,
    /// `blur(x with NaN = 0) / blur(1 where x is not NaN)`. An output whose whole footprint
    /// is NaN stays NaN. Infinities are values, not missing, and still propagate. Order 0 only.
    Omit,
}

impl FromStr for NanPolicy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "propagate" => Ok(NanPolicy::Propagate),
            "omit" => Ok(NanPolicy::Omit),
            other => Err(Error::param(
                "nan_policy",
                format!("'{other}' is not one of propagate, omit"),
            )),
        }
    }
}

/// The user's blur request, with SciPy's names and defaults. Validated by [`BlurParams::plan`].
///
/// Per-axis lists (`sigma`, `order`, `mode`, `radius`) hold one value for every filtered axis,
/// or one per filtered axis: per axis of the array, or per entry of `axes` when it is given.
#[derive(Clone, Debug, PartialEq)]
pub struct BlurParams {
    /// Standard deviation in samples. 0 (or at most [`SIGMA_EPSILON`]) on an axis means no
    /// filtering along it.
    pub sigma: Vec<f64>,
    /// Kernel half-width in sigmas: radius = int(truncate * sigma + 0.5). Default 4.
    pub truncate: f64,
    /// Explicit radius, overriding `truncate`.
    pub radius: Option<Vec<usize>>,
    /// Derivative order: 0 smooths, 1 to [`MAX_ORDER`] are Gaussian derivatives.
    pub order: Vec<u32>,
    /// Edge handling.
    pub mode: Vec<Mode>,
    /// The value beyond the edges in [`Mode::Constant`].
    pub cval: f64,
    /// NaN handling.
    pub nan_policy: NanPolicy,
    /// SciPy's `axes`: the axes filtered, in the order they are filtered; negative values count
    /// from the end. `None`: every axis, axis 0 first.
    pub axes: Option<Vec<isize>>,
}

impl BlurParams {
    /// Blur with the same `sigma` on every axis and SciPy's other defaults.
    pub fn new(sigma: f64) -> Self {
        Self::per_axis(&[sigma])
    }

    /// Blur with one sigma per filtered axis (axis 0 first).
    pub fn per_axis(sigmas: &[f64]) -> Self {
        Self {
            sigma: sigmas.to_vec(),
            truncate: 4.0,
            radius: None,
            order: vec![0],
            mode: vec![Mode::Reflect],
            cval: 0.0,
            nan_policy: NanPolicy::Propagate,
            axes: None,
        }
    }

    /// Sets `truncate`.
    pub fn with_truncate(mut self, truncate: f64) -> Self {
        self.truncate = truncate;
        self
    }

    /// Sets an explicit radius on every axis.
    pub fn with_radius(mut self, radius: usize) -> Self {
        self.radius = Some(vec![radius]);
        self
    }

    /// Sets the derivative order on every axis.
    pub fn with_order(mut self, order: u32) -> Self {
        self.order = vec![order];
        self
    }

    /// Sets the derivative order per axis.
    pub fn with_orders(mut self, orders: &[u32]) -> Self {
        self.order = orders.to_vec();
        self
    }

    /// Sets the edge mode of every axis.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = vec![mode];
        self
    }

    /// Sets the edge mode per axis (SciPy's `mode=['wrap', 'reflect', ...]`).
    pub fn with_modes(mut self, modes: &[Mode]) -> Self {
        self.mode = modes.to_vec();
        self
    }

    /// Sets the constant used by [`Mode::Constant`].
    pub fn with_cval(mut self, cval: f64) -> Self {
        self.cval = cval;
        self
    }

    /// Sets the NaN policy.
    pub fn with_nan_policy(mut self, policy: NanPolicy) -> Self {
        self.nan_policy = policy;
        self
    }

    /// Filters only `axes`, in that order (SciPy's `axes=`; negative values count from the end).
    pub fn with_axes(mut self, axes: &[isize]) -> Self {
        self.axes = Some(axes.to_vec());
        self
    }

    /// The edge modes, comma-separated (for messages).
    pub fn mode_names(&self) -> String {
        let names: Vec<String> = self.mode.iter().map(Mode::to_string).collect();
        names.join(",")
    }

    /// The filtered axes in order, checked as SciPy's `_check_axes`.
    fn filtered_axes(&self, ndim: usize) -> Result<Vec<usize>> {
        let Some(axes) = &self.axes else {
            return Ok((0..ndim).collect());
        };
        let mut seen = vec![false; ndim];
        let mut out = Vec::with_capacity(axes.len());
        for &axis in axes {
            let resolved = if axis < 0 { axis + ndim as isize } else { axis };
            if resolved < 0 || resolved >= ndim as isize {
                return Err(Error::param(
                    "axes",
                    format!("axis {axis} is out of range for {ndim} dimensions"),
                ));
            }
            let resolved = resolved as usize;
            if std::mem::replace(&mut seen[resolved], true) {
                return Err(Error::param("axes", "axes must be unique"));
            }
            out.push(resolved);
        }
        Ok(out)
    }

    /// Validates the parameters for an array of `ndim` dimensions and builds each filtered
    /// axis's kernel.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a negative or non-finite sigma, non-finite truncate or cval
    /// (NaN cval is allowed: it is a value like any other), a per-axis list of the wrong
    /// length, an axis out of range or repeated, an order above [`MAX_ORDER`], or `omit`
    /// with a derivative order; [`Error::ExceedsLimit`] for a radius above [`MAX_RADIUS`].
    pub fn plan(&self, ndim: usize) -> Result<BlurPlan> {
        let axes = self.filtered_axes(ndim)?;
        let count = axes.len();
        let per_axis = |name: &'static str, len: usize| -> Result<()> {
            if len == 1 || len == count {
                Ok(())
            } else {
                Err(Error::param(
                    name,
                    format!("give one value or one per filtered axis ({count}), not {len}"),
                ))
            }
        };
        per_axis("sigma", self.sigma.len())?;
        per_axis("order", self.order.len())?;
        per_axis("mode", self.mode.len())?;
        if let Some(radius) = &self.radius {
            per_axis("radius", radius.len())?;
        }
        if !self.truncate.is_finite() {
            return Err(Error::param(
                "truncate",
                format!("{} is not finite", self.truncate),
            ));
        }
        if self.cval.is_infinite() {
            return Err(Error::param("cval", format!("{} is not finite", self.cval)));
        }
        fn pick<T: Copy>(values: &[T], i: usize) -> T {
            values[if values.len() == 1 { 0 } else { i }]
        }
        let mut passes = Vec::with_capacity(count);
        for (i, &axis) in axes.iter().enumerate() {
            let sigma = pick(&self.sigma, i);
            if !sigma.is_finite() || sigma < 0.0 {
                return Err(Error::param(
                    "sigma",
                    format!("{sigma} must be finite and non-negative"),
                ));
            }
            let order = pick(&self.order, i);
            if order > MAX_ORDER {
                return Err(Error::param(
                    "order",
                    format!("{order} is above {MAX_ORDER}"),
                ));
            }
            if sigma <= SIGMA_EPSILON {
                continue;
            }
            if order > 0 && self.nan_policy == NanPolicy::Omit {
                return Err(Error::param(
                    "nan_policy",
                    "omit renormalises the weights, which only makes sense for order 0",
                ));
            }
            let radius = match &self.radius {
                Some(radius) => pick(radius, i),
                None => self.radius_from_truncate(sigma)?,
            };
            if radius > MAX_RADIUS {
                return Err(Error::ExceedsLimit {
                    what: "Gaussian kernel radius",
                    requested: radius as u64,
                    max: MAX_RADIUS as u64,
                });
            }
            passes.push(AxisPass {
                axis,
                kernel: AxisKernel::gaussian(sigma, order, radius),
                mode: pick(&self.mode, i),
            });
        }
        Ok(BlurPlan {
            ndim,
            passes,
            cval: self.cval,
            nan_policy: self.nan_policy,
        })
    }

    /// Validates a stack blur ([`gaussian_filter_stack`]) of `images` images with one sigma
    /// each, and plans each image's 2-D blur.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `sigmas` does not hold one value per image or `axes` is set
    /// (a stack blurs each image's two axes), and each image's errors from [`BlurParams::plan`].
    pub fn plan_stack(&self, images: usize, sigmas: &[f64]) -> Result<Vec<BlurPlan>> {
        if sigmas.len() != images {
            return Err(Error::param(
                "sigmas",
                format!(
                    "give one sigma per image: {images} images, {} sigmas",
                    sigmas.len()
                ),
            ));
        }
        if self.axes.is_some() {
            return Err(Error::param(
                "axes",
                "a stack blurs the two axes of each image; axes cannot be chosen",
            ));
        }
        let mut image = self.clone();
        sigmas
            .iter()
            .map(|&sigma| {
                image.sigma = vec![sigma];
                image.plan(2)
            })
            .collect()
    }

    /// SciPy's `int(truncate * sigma + 0.5)` (Python's int() truncates toward zero; SciPy
    /// refuses a negative result).
    fn radius_from_truncate(&self, sigma: f64) -> Result<usize> {
        let r = (self.truncate * sigma + 0.5).trunc();
        if r < 0.0 {
            return Err(Error::param(
                "radius",
                format!(
                    "int(truncate * sigma + 0.5) = {r} (truncate {}, sigma {sigma}): \
                     radius must be a nonnegative integer",
                    self.truncate
                ),
            ));
        }
        if r >= (MAX_RADIUS + 1) as f64 {
            return Err(Error::ExceedsLimit {
                what: "Gaussian kernel radius",
                requested: r as u64,
                max: MAX_RADIUS as u64,
            });
        }
        Ok(r as usize)
    }
}

/// One axis's correlation kernel: `out[i] = Σ_k weights[k] · x[extend(i + k − radius)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisKernel {
    /// `2 · radius + 1` weights, already reversed as SciPy's `correlate1d` uses them.
    pub weights: Vec<f64>,
    /// Half-width.
    pub radius: usize,
}

impl AxisKernel {
    /// SciPy's `_gaussian_kernel1d(sigma, order, radius)[::-1]`, computed the same way.
    pub fn gaussian(sigma: f64, order: u32, radius: usize) -> Self {
        let r = radius as i64;
        let sigma2 = sigma * sigma;
        let scale = -0.5 / sigma2;
        let mut phi: Vec<f64> = (-r..=r).map(|x| (scale * (x * x) as f64).exp()).collect();
        let sum: f64 = phi.iter().sum();
        phi.iter_mut().for_each(|p| *p /= sum);
        if order > 0 {
            // f(x) = q(x)·phi(x); each derivative maps q to q' + q·p' with p'(x) = −x/σ².
            let n = order as usize + 1;
            let mut q = vec![0.0f64; n];
            q[0] = 1.0;
            for _ in 0..order {
                let mut next = vec![0.0f64; n];
                for i in 0..n {
                    if i + 1 < n {
                        next[i] += (i + 1) as f64 * q[i + 1];
                    }
                    if i > 0 {
                        next[i] += q[i - 1] / -sigma2;
                    }
                }
                q = next;
            }
            for (k, p) in phi.iter_mut().enumerate() {
                let x = (k as i64 - r) as f64;
                let poly: f64 = q
                    .iter()
                    .enumerate()
                    .map(|(e, c)| c * x.powi(e as i32))
                    .sum();
                *p *= poly;
            }
        }
        phi.reverse();
        Self {
            weights: phi,
            radius,
        }
    }

    /// The taps to apply on a line of length `len`: for the periodic modes a kernel longer
    /// than one period is folded onto it (same result, at most one period of taps), which
    /// keeps huge sigmas on short lines cheap.
    pub(crate) fn taps_for_line(&self, mode: Mode, len: usize) -> Taps {
        match mode.period(len) {
            Some(period) if self.weights.len() > period => {
                let mut folded = vec![0.0; period];
                for (k, w) in self.weights.iter().enumerate() {
                    let offset = k as isize - self.radius as isize;
                    folded[offset.rem_euclid(period as isize) as usize] += w;
                }
                Taps {
                    weights: folded,
                    first_offset: 0,
                }
            }
            _ => Taps {
                weights: self.weights.clone(),
                first_offset: -(self.radius as isize),
            },
        }
    }
}

/// Taps ready to run: `out[i] = Σ_t weights[t] · x[extend(i + first_offset + t)]`.
#[derive(Clone, Debug)]
pub(crate) struct Taps {
    pub(crate) weights: Vec<f64>,
    pub(crate) first_offset: isize,
}

impl Taps {
    /// The weights as the float32 paths (CPU and GPU) use them:
    ///
    /// - SciPy's footprint is every tap that is non-zero in float64, and an infinity or NaN
    ///   under any of them reaches the output. A tap too small for a normal float32 (the tails
    ///   at large `truncate`, which GPUs flush to zero) becomes the smallest normal float32 of
    ///   its sign, so `inf * tap` stays `inf`. The cost: a finite sample x adds |x| * 1.2e-38
    ///   instead of a smaller amount, invisible beside any output above |x| * 1e-31.
    /// - Smoothing kernels (all taps non-negative) are nudged, largest taps first and mirrored
    ///   pairs together (symmetry is kept), so that their float32 taps sum to exactly 1 where
    ///   float32 allows it (at worst within 2^-40): a blur then conserves mass, and a constant
    ///   image stays constant, as SciPy's float64 arithmetic gives. Rounding each tap alone
    ///   leaves a sum up to ~2^-24 away from 1, which a 10^4-pixel image turns into a mass
    ///   error of several units.
    pub(crate) fn weights_f32(&self) -> Vec<f32> {
        float32_taps(&self.weights)
    }

    /// Whether the weights read the same backwards (order-0 kernels, unfolded): the fast
    /// paths then add mirrored samples first and halve the multiplications.
    pub(crate) fn is_symmetric(&self) -> bool {
        is_symmetric(&self.weights)
    }
}

/// See [`Taps::weights_f32`].
pub(crate) fn float32_taps(weights: &[f64]) -> Vec<f32> {
    let mut w: Vec<f32> = weights
        .iter()
        .map(|&v| {
            let narrow = v as f32;
            if v != 0.0 && narrow.abs() < f32::MIN_POSITIVE {
                f32::MIN_POSITIVE.copysign(v as f32)
            } else {
                narrow
            }
        })
        .collect();
    if !is_smoothing(weights) {
        return w;
    }
    let symmetric = is_symmetric(weights);
    let n = w.len();
    // Positions by decreasing weight; a mirrored pair is visited once (its first index).
    let mut order: Vec<usize> = (0..n).filter(|&i| !symmetric || i <= n - 1 - i).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
    // 1 - sum, kept up to date as taps move (float64: exact to ~2^-50 for these sums).
    let mut residual = 1.0 - w.iter().map(|&v| f64::from(v)).sum::<f64>();
    for &i in &order {
        if residual.abs() < 2f64.powi(-45) {
            break;
        }
        let mirror = n - 1 - i;
        let paired = symmetric && mirror != i;
        let share = if paired { residual / 2.0 } else { residual };
        let nudged = (f64::from(w[i]) + share) as f32;
        // Never let a nudge flip a tap's sign or empty it (the footprint must stay).
        if nudged > 0.0 {
            let moved = f64::from(nudged) - f64::from(w[i]);
            residual -= if paired { 2.0 * moved } else { moved };
            w[i] = nudged;
            if paired {
                w[mirror] = nudged;
            }
        }
    }
    w
}

/// A smoothing kernel: non-empty, no negative tap, summing to 1 (order 0, folded or not).
pub(crate) fn is_smoothing(weights: &[f64]) -> bool {
    !weights.is_empty()
        && weights.iter().all(|&v| v >= 0.0)
        && (weights.iter().sum::<f64>() - 1.0).abs() <= 1e-9
}

fn is_symmetric(weights: &[f64]) -> bool {
    let n = weights.len();
    (0..n / 2).all(|t| weights[t] == weights[n - 1 - t])
}

/// One filtering pass: a 1-D correlation along `axis` with its kernel and edge rule.
#[derive(Clone, Debug)]
pub struct AxisPass {
    /// The axis filtered.
    pub axis: usize,
    /// Its kernel.
    pub kernel: AxisKernel,
    /// Its edge handling.
    pub mode: Mode,
}

/// Validated parameters: the passes to run, in order (axes with no blur have none).
#[derive(Clone, Debug)]
pub struct BlurPlan {
    /// Dimensions of the arrays the plan applies to.
    pub ndim: usize,
    /// The passes, in the order SciPy runs them.
    pub passes: Vec<AxisPass>,
    /// The constant for [`Mode::Constant`].
    pub cval: f64,
    /// NaN handling.
    pub nan_policy: NanPolicy,
}

impl BlurPlan {
    /// The value of the constant region and whether it counts as data, for the numerator
    /// and mask of a normalised (`omit`) blur.
    pub(crate) fn omit_cvals(&self) -> (f64, f64) {
        omit_cvals(self.cval)
    }
}

/// See [`BlurPlan::omit_cvals`]: a NaN `cval` is missing data, any other is a value.
pub(crate) fn omit_cvals(cval: f64) -> (f64, f64) {
    if cval.is_nan() {
        (0.0, 0.0)
    } else {
        (cval, 1.0)
    }
}

/// A pass along one axis of a row-major array of `shape`, seen as `(outer, len, inner)`:
/// `inner` = 1 means the axis is contiguous (a row pass), otherwise each of the `outer` slices
/// is a `len x inner` matrix filtered down its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AxisView {
    pub(crate) outer: usize,
    pub(crate) len: usize,
    pub(crate) inner: usize,
}

impl AxisView {
    pub(crate) fn of(shape: &[usize], axis: usize) -> Self {
        Self {
            outer: shape[..axis].iter().product(),
            len: shape[axis],
            inner: shape[axis + 1..].iter().product(),
        }
    }
}

/// The element types the blur computes, as SciPy's float outputs: float32 in float32, float64
/// in float64 on the CPU and, on a GPU, at the device's [`Precision`](crate::Precision)
/// (native float64 or double-float by default; float32 with `Precision::Single`, a relative
/// error then of about 1e-6). Sealed: f32 and f64 only.
pub trait BlurElement: cpu::Real + HostElement {}

impl BlurElement for f32 {}
impl BlurElement for f64 {}

/// Why the GPU cannot run `plans` on host `data` (of `shape` for the plans' axes) with float64
/// in `arith`, in words; `None` when it can. Asked before anything is uploaded:
/// - a kernel with more taps than one storage binding holds (the one limit tiles cannot cut
///   around);
/// - double-float data whose magnitudes span too much, or, in constant mode, a cval that
///   cannot sit beside them: the resident path scales cval by the data's exponent
///   ([`check_cval`], as for device arrays) and a tile holds both under one scaling.
fn host_refusal<T: HostElement>(
    ctx: &crate::gpu::GpuContext,
    arith: crate::gpu::Arith,
    data: ArrayViewD<'_, T>,
    shape: &[usize],
    plans: &[BlurPlan],
) -> Option<String> {
    use crate::gpu::{Arith, DoubleFloat, Scaling};
    let element = gpu::stored_bytes::<T>(arith);
    let budget = ctx.max_binding_bytes() as usize / element;
    let wide = plans.iter().flat_map(|plan| &plan.passes).find_map(|pass| {
        let taps = pass
            .kernel
            .taps_for_line(pass.mode, shape[pass.axis])
            .weights
            .len();
        (taps > budget).then(|| {
            format!("a kernel of {taps} taps is past one GPU storage binding ({budget} values)")
        })
    });
    if wide.is_some() || T::DTYPE != DType::Float64 || arith != Arith::DoubleFloat {
        return wide;
    }
    let values = || data.iter().map(|v| v.parts()[0]);
    let scaling = match Scaling::for_data::<DoubleFloat>("input", values()) {
        Ok(scaling) => scaling,
        Err(error) => return Some(error.to_string()),
    };
    let plan = plans.first()?;
    let storage = Storage::DoubleFloat {
        exponent: scaling.exponent(),
    };
    check_cval(storage, plan)
        .err()
        .map(|error| error.to_string())
        .or_else(|| {
            let constant = plan.passes.iter().any(|pass| pass.mode == Mode::Constant);
            (constant && plan.cval.is_finite())
                .then(|| Scaling::refusal(arith, values().chain([plan.cval])))
                .flatten()
        })
}

/// Why `gaussian_filter_device` cannot run `plan` on `input`'s GPU, in words; `None` when it
/// can. Asked before anything is recorded.
pub(crate) fn device_refusal(input: &DeviceArray, plan: &BlurPlan) -> Option<String> {
    let element = match input.storage() {
        Storage::F32 => 4,
        Storage::F64 | Storage::DoubleFloat { .. } => 8,
    };
    if !matches!(input.dtype(), DType::Float32 | DType::Float64) {
        Some(format!(
            "a {} array is not float32 or float64",
            input.dtype().name()
        ))
    } else if plan.nan_policy == NanPolicy::Omit {
        Some("nan_policy='omit' separates NaN cells on the host".to_string())
    } else if !gpu::fits_resident(input.gpu(), input.shape(), plan, element) {
        Some("the array or a kernel table is past one GPU storage binding".to_string())
    } else {
        None
    }
}

/// Refuses a constant-mode `cval` a double-float array cannot take: scaled by the array's
/// exponent it must lie within 2^±90 of the data's scaled magnitudes (below 2), or the
/// result would span more binades than double-float holds ([`Error::ExceedsLimit`], as for
/// data). Other storages and modes always take it.
fn check_cval(storage: Storage, plan: &BlurPlan) -> Result<()> {
    // Zero, NaN and the infinities are stored as they are under any scaling.
    if !matches!(storage, Storage::DoubleFloat { .. })
        || plan.cval == 0.0
        || !plan.cval.is_finite()
        || plan.passes.iter().all(|pass| pass.mode != Mode::Constant)
    {
        return Ok(());
    }
    let span = crate::gpu::DOUBLE_FLOAT_SPAN_BITS;
    let scaled = storage.stored(plan.cval.abs());
    if scaled.is_finite() && scaled <= crate::gpu::pow2(span) && scaled >= crate::gpu::pow2(-span) {
        return Ok(());
    }
    Err(Error::ExceedsLimit {
        what: "binades between cval and a double-float array's values (no native float64)",
        requested: scaled.abs().log2().abs().min(1e9) as u64,
        max: span as u64,
    })
}

/// Records `gaussian_filter(input)` in `recording` (the caller has checked
/// [`device_refusal`]); the result lives on the same GPU, in the same storage (the blur of
/// double-float data keeps its scaling: a smoothing never grows the largest magnitude, and
/// cval is scaled with the data).
pub(crate) fn record_device(
    recording: &mut Recording,
    input: &DeviceArray,
    plan: &BlurPlan,
) -> Result<DeviceArray> {
    let passes = gpu::plan_passes(input.shape(), plan);
    gpu::record_passes(recording, input, &passes, plan.cval)
}

/// `scipy.ndimage.gaussian_filter` of an array on a GPU; the result stays on that GPU (the
/// output lives where the input lives). The dispatches are submitted and not waited for: a
/// chain of operations waits once, when its result is read back.
///
/// Where the GPU path cannot run the request (`nan_policy='omit'`, an array past one storage
/// binding), the array is brought to the host, blurred on the CPU, and put back, with a note
/// through [`crate::gpu::set_cpu_fallback_hook`].
///
/// # Errors
/// Parameter errors from [`BlurParams::plan`]; [`Error::InvalidParam`] for a complex array;
/// [`Error::ExceedsLimit`] for a double-float array and a constant-mode `cval` more than 2^90
/// from its values (the result could not be held in double-float; host arrays take such a
/// request to the CPU); GPU errors.
pub fn gaussian_filter_device(input: &DeviceArray, params: &BlurParams) -> Result<DeviceArray> {
    let plan = params.plan(input.shape().len())?;
    check_cval(input.storage(), &plan)?;
    match device_refusal(input, &plan) {
        None => {
            let ctx = input.gpu();
            let mut recording = ctx.encoder();
            let out = record_device(&mut recording, input, &plan)?;
            ctx.submit("the blur", recording)?;
            Ok(out)
        }
        Some(reason) => {
            if !matches!(input.dtype(), DType::Float32 | DType::Float64) {
                return Err(Error::param("input", reason));
            }
            crate::gpu::note_cpu_fallback(|| {
                format!("gaussian_filter: {reason}; computed on the CPU")
            });
            let arith = input.storage().arith();
            match input.dtype() {
                DType::Float32 => {
                    let host = input.to_host::<f32>()?;
                    DeviceArray::from_host(
                        input.gpu(),
                        cpu::run_fast(host.view(), &plan).view(),
                        arith,
                    )
                }
                _ => {
                    let host = input.to_host::<f64>()?;
                    DeviceArray::from_host(
                        input.gpu(),
                        cpu::run_fast(host.view(), &plan).view(),
                        arith,
                    )
                }
            }
        }
    }
}

/// `scipy.ndimage.gaussian_filter1d` of a 1-D float32 or float64 device array (`params` has
/// one sigma): [`gaussian_filter_device`] on its one axis; the result stays on the GPU.
///
/// # Errors
/// [`Error::InvalidParam`] for an array that is not 1-D; as [`gaussian_filter_device`].
pub fn gaussian_filter1d_device(input: &DeviceArray, params: &BlurParams) -> Result<DeviceArray> {
    if input.shape().len() != 1 {
        return Err(Error::param(
            "input",
            format!(
                "gaussian_filter1d takes a 1-D array, not {}-D",
                input.shape().len()
            ),
        ));
    }
    gaussian_filter_device(input, params)
}

/// [`gaussian_filter_stack`] of an `(N, H, W)` float32 or float64 stack on a GPU, each image
/// with its own sigma; the result stays on that GPU (the output lives where the input lives),
/// recorded and submitted without a wait. `nan_policy='omit'` and stacks (or kernel tables)
/// past one storage binding are blurred on the CPU with a note and put back.
///
/// # Errors
/// As [`BlurParams::plan_stack`]; [`Error::InvalidParam`] for an array that is not a 3-D
/// float stack; [`Error::ExceedsLimit`] for a double-float stack and a constant-mode `cval`
/// more than 2^90 from its values; GPU errors.
pub fn gaussian_filter_stack_device(
    stack: &DeviceArray,
    sigmas: &[f64],
    params: &BlurParams,
) -> Result<DeviceArray> {
    let &[images, rows, cols] = stack.shape() else {
        return Err(Error::param(
            "stack",
            format!("a stack is (N, H, W), not {}-D", stack.shape().len()),
        ));
    };
    if !matches!(stack.dtype(), DType::Float32 | DType::Float64) {
        return Err(Error::param(
            "stack",
            format!("a {} stack is not float32 or float64", stack.dtype().name()),
        ));
    }
    let plans = params.plan_stack(images, sigmas)?;
    let cval = plans.first().map_or(0.0, |plan| plan.cval);
    if let Some(plan) = plans.first() {
        check_cval(stack.storage(), plan)?;
    }
    let element = match stack.storage() {
        Storage::F32 => 4,
        Storage::F64 | Storage::DoubleFloat { .. } => 8,
    };
    let ctx = stack.gpu();
    let dims = (images, rows, cols);
    let refusal = if plans.iter().any(|plan| plan.nan_policy == NanPolicy::Omit) {
        Some("nan_policy='omit' separates NaN cells on the host")
    } else if !gpu::fits_resident_stack(ctx, dims, &plans, element) {
        Some("the stack or a kernel table is past one GPU storage binding")
    } else {
        None
    };
    if let Some(reason) = refusal {
        crate::gpu::note_cpu_fallback(|| {
            format!("gaussian_filter_stack: {reason}; computed on the CPU")
        });
        let arith = stack.storage().arith();
        return if stack.dtype() == DType::Float32 {
            let host = stack
                .to_host::<f32>()?
                .into_dimensionality::<ndarray::Ix3>()
                .expect("3-D");
            DeviceArray::from_host(ctx, cpu::run_stack_fast(host.view(), &plans).view(), arith)
        } else {
            let host = stack
                .to_host::<f64>()?
                .into_dimensionality::<ndarray::Ix3>()
                .expect("3-D");
            DeviceArray::from_host(ctx, cpu::run_stack_fast(host.view(), &plans).view(), arith)
        };
    }
    let mut recording = ctx.encoder();
    let passes = gpu::stack_passes(images, rows, cols, &plans);
    let out = gpu::record_passes(&mut recording, stack, &passes, cval)?;
    ctx.submit("the stack's blur", recording)?;
    Ok(out)
}

/// `scipy.ndimage.gaussian_filter` on a float32 or float64 array of any number of dimensions
/// (an image, a (time, y, x) calcium-imaging stack, a z-stack), on the device (see
/// [`BlurElement`] for the arithmetic). The axes are filtered one after the other, in the order
/// of `params.axes` (default: axis 0 first), each with its own sigma, order, radius and mode.
///
/// ```
/// use gpusci::blur::{gaussian_filter, BlurParams, Mode};
/// use gpusci::Device;
///
/// // scipy.ndimage.gaussian_filter(a, sigma=2, mode='wrap')
/// let a = ndarray::Array2::<f32>::from_shape_fn((64, 48), |(i, j)| ((i * j) % 7) as f32);
/// let smooth = gaussian_filter(Device::Cpu, a.view(), &BlurParams::new(2.0).with_mode(Mode::Wrap))?;
/// assert_eq!(smooth.dim(), (64, 48));
/// // wrap keeps the mean exactly (up to rounding): the kernel sums to 1.
/// assert!((smooth.mean().unwrap() - a.mean().unwrap()).abs() < 1e-4);
///
/// // A (time, y, x) movie smoothed in space only, wrapping along y:
/// // scipy.ndimage.gaussian_filter(movie, sigma=1.5, axes=(1, 2), mode=['wrap', 'reflect'])
/// let movie = ndarray::Array3::<f32>::ones((10, 32, 32));
/// let params = BlurParams::new(1.5).with_axes(&[1, 2]).with_modes(&[Mode::Wrap, Mode::Reflect]);
/// let smooth = gaussian_filter(Device::Cpu, movie.view(), &params)?;
/// assert_eq!(smooth.dim(), (10, 32, 32));
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// Parameter errors from [`BlurParams::plan`] and GPU errors. An empty array gives an empty
/// array of the same shape, as SciPy.
pub fn gaussian_filter<'a, T: BlurElement, D: Dimension>(
    device: impl Into<Device<'a>>,
    input: ArrayView<'_, T, D>,
    params: &BlurParams,
) -> Result<Array<T, D>> {
    let plan = params.plan(input.ndim())?;
    let input = input.into_dyn();
    let job = Job::new(Operation::Blur, input.len()).float64(std::mem::size_of::<T>() == 8);
    let out = match route(device.into(), &job) {
        Device::Cpu => cpu::run_fast(input.view(), &plan),
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => {
            let arith = device.float64_arith().expect("a GPU device");
            let plans = std::slice::from_ref(&plan);
            crate::gpu::or_cpu_when_refused(
                "gaussian_filter",
                host_refusal(ctx, arith, input.view(), input.shape(), plans),
                || {
                    let passes = gpu::plan_passes(input.shape(), &plan);
                    gpu::blur_host(
                        ctx,
                        arith,
                        input.view(),
                        &passes,
                        plan.cval,
                        plan.nan_policy,
                    )
                },
                || Ok(cpu::run_fast(input.view(), &plan)),
            )?
        }
    };
    Ok(out
        .into_dimensionality::<D>()
        .expect("the output has the input's shape"))
}

/// `scipy.ndimage.gaussian_filter1d` on a 1-D float32 or float64 array (`params` has one
/// sigma), on the device.
///
/// # Errors
/// As [`gaussian_filter`].
pub fn gaussian_filter1d<'a, T: BlurElement>(
    device: impl Into<Device<'a>>,
    input: ArrayView1<'_, T>,
    params: &BlurParams,
) -> Result<Array1<T>> {
    gaussian_filter(device, input, params)
}

/// Blurs every image of an `(N, H, W)` stack with its own sigma: image `i` gets
/// `scipy.ndimage.gaussian_filter(stack[i], sigmas[i], ...)` with every other setting from
/// `params` (its `sigma` is replaced by `sigmas[i]`; `order`, `mode` and `radius` may be per
/// axis, for the image's two axes). On the GPU the whole stack runs in one sequence of two
/// dispatches, each workgroup reading its image's own kernel. No SciPy or NumPy function does
/// this in one call.
///
/// ```
/// use gpusci::blur::{gaussian_filter_stack, BlurParams};
/// use gpusci::Device;
///
/// let stack = ndarray::Array3::<f32>::zeros((3, 16, 16));
/// let out = gaussian_filter_stack(Device::Cpu, stack.view(), &[0.5, 1.0, 4.0], &BlurParams::new(0.0))?;
/// assert_eq!(out.dim(), (3, 16, 16));
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`BlurParams::plan_stack`]; GPU errors.
pub fn gaussian_filter_stack<'a, T: BlurElement>(
    device: impl Into<Device<'a>>,
    stack: ArrayView3<'_, T>,
    sigmas: &[f64],
    params: &BlurParams,
) -> Result<Array3<T>> {
    let plans = params.plan_stack(stack.dim().0, sigmas)?;
    let job = Job::new(Operation::Blur, stack.len()).float64(std::mem::size_of::<T>() == 8);
    match route(device.into(), &job) {
        Device::Cpu => Ok(cpu::run_stack_fast(stack, &plans)),
        device @ (Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => {
            let arith = device.float64_arith().expect("a GPU device");
            let (images, rows, cols) = stack.dim();
            crate::gpu::or_cpu_when_refused(
                "gaussian_filter_stack",
                host_refusal(ctx, arith, stack.into_dyn(), &[rows, cols], &plans),
                || {
                    let passes = gpu::stack_passes(images, rows, cols, &plans);
                    // Every image's plan shares cval and the NaN policy (one BlurParams).
                    let (cval, nan_policy) =
                        plans.first().map_or((0.0, NanPolicy::Propagate), |plan| {
                            (plan.cval, plan.nan_policy)
                        });
                    let out =
                        gpu::blur_host(ctx, arith, stack.into_dyn(), &passes, cval, nan_policy)?;
                    Ok(out.into_dimensionality::<ndarray::Ix3>().expect("a stack"))
                },
                || Ok(cpu::run_stack_fast(stack, &plans)),
            )
        }
    }
}
