//! The CPU paths: a float64 reference written as plainly as possible (the oracle every other
//! path is tested against), and a fast path for float32 and float64 (rayon, contiguous
//! row-wise accumulation that the compiler vectorises).

#![allow(
    clippy::needless_range_loop,
    reason = "the micro-kernels index the weights from both ends (mirrored tap pairs)"
)]

use std::ops::{Add, AddAssign, Div, Mul, Sub};

use ndarray::{
    Array, Array1, Array3, ArrayD, ArrayView, ArrayView1, ArrayView3, ArrayViewD, Axis, Dimension,
    IxDyn,
};
use rayon::prelude::*;

use super::{AxisKernel, AxisView, BlurParams, BlurPlan, Mode, NanPolicy, Taps};
use crate::error::Result;
use crate::simd::dispatch_avx2;

/// A float type the fast path runs in (f32 or f64).
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialEq
    + Add<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Sub<Output = Self>
    + AddAssign
    + 'static
{
    /// Zero.
    const ZERO: Self;
    /// Converts (rounding for f32).
    fn from_f64(value: f64) -> Self;
    /// Kernel weights in this type (for f32: rounded so that SciPy's footprint and a unit sum
    /// survive, see `Taps::weights_f32`).
    fn taps(weights: &[f64]) -> Vec<Self>;
    /// Whether the value is NaN.
    fn is_nan_value(self) -> bool;
    /// Whether smoothing sums run relative to the output's own sample (see `KernelForm`):
    /// both float types, so that a constant image stays exactly constant whatever the order
    /// of the sum (SciPy's float64 sums keep it only in most cases).
    const CENTRED: bool;
    /// The value, or 0 when it is NaN or infinite (a centre must be finite).
    fn finite_or_zero(self) -> Self;
}

/// `Real` for a float type; `$taps` rounds the float64 kernel into it.
macro_rules! impl_real {
    ($t:ty, $taps:expr) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const CENTRED: bool = true;
            fn finite_or_zero(self) -> Self {
                if self.is_finite() {
                    self
                } else {
                    0.0
                }
            }
            fn from_f64(value: f64) -> Self {
                value as $t
            }
            fn taps(weights: &[f64]) -> Vec<Self> {
                $taps(weights)
            }
            fn is_nan_value(self) -> bool {
                self.is_nan()
            }
        }
    };
}

impl_real!(f32, super::float32_taps);
impl_real!(f64, <[f64]>::to_vec);

// ---------------------------------------------------------------------------------------------
// Reference
// ---------------------------------------------------------------------------------------------

/// The reference `gaussian_filter` in float64, on any number of dimensions: for each pass in
/// turn, each output is the sum over the kernel taps of weight × extended input, exactly as
/// SciPy's `correlate1d` defines it. Slow (O(n · taps)) and obviously right; use
/// [`super::gaussian_filter`] for speed.
///
/// # Errors
/// As [`BlurParams::plan`]. An empty array gives an empty array of the same shape, as SciPy.
pub fn gaussian_filter_reference<D: Dimension>(
    input: ArrayView<'_, f64, D>,
    params: &BlurParams,
) -> Result<Array<f64, D>> {
    let plan = params.plan(input.ndim())?;
    Ok(reference_plan(input.into_dyn(), &plan)
        .into_dimensionality::<D>()
        .expect("the output has the input's shape"))
}

/// The reference `gaussian_filter1d` in float64.
///
/// # Errors
/// As [`gaussian_filter_reference`].
pub fn gaussian_filter1d_reference(
    input: ArrayView1<'_, f64>,
    params: &BlurParams,
) -> Result<Array1<f64>> {
    gaussian_filter_reference(input, params)
}

/// The reference [`super::gaussian_filter_stack`]: each image through
/// [`gaussian_filter_reference`] with its own sigma.
///
/// # Errors
/// As [`super::gaussian_filter_stack`].
pub fn gaussian_filter_stack_reference(
    stack: ArrayView3<'_, f64>,
    sigmas: &[f64],
    params: &BlurParams,
) -> Result<Array3<f64>> {
    let plans = params.plan_stack(stack.dim().0, sigmas)?;
    let mut out = stack.to_owned();
    for ((mut image, source), plan) in out
        .axis_iter_mut(Axis(0))
        .zip(stack.axis_iter(Axis(0)))
        .zip(&plans)
    {
        image.assign(&reference_plan(source.into_dyn(), plan));
    }
    Ok(out)
}

fn reference_plan(input: ArrayViewD<'_, f64>, plan: &BlurPlan) -> ArrayD<f64> {
    if input.is_empty() {
        // SciPy returns an empty array of the same shape.
        return ArrayD::zeros(input.raw_dim());
    }
    match plan.nan_policy {
        NanPolicy::Propagate => reference_apply(input.to_owned(), plan, plan.cval),
        NanPolicy::Omit => {
            let (value_cval, mask_cval) = plan.omit_cvals();
            let values = input.mapv(|v| if v.is_nan() { 0.0 } else { v });
            let mask = input.mapv(|v| if v.is_nan() { 0.0 } else { 1.0 });
            let numerator = reference_apply(values, plan, value_cval);
            let denominator = reference_apply(mask, plan, mask_cval);
            normalise(numerator, &denominator)
        }
    }
}

fn reference_apply(mut data: ArrayD<f64>, plan: &BlurPlan, cval: f64) -> ArrayD<f64> {
    for pass in &plan.passes {
        for mut lane in data.lanes_mut(Axis(pass.axis)) {
            let line: Vec<f64> = lane.to_vec();
            let out = reference_line(&line, &pass.kernel, pass.mode, cval);
            lane.iter_mut().zip(out).for_each(|(dst, v)| *dst = v);
        }
    }
    data
}

fn reference_line(line: &[f64], kernel: &AxisKernel, mode: Mode, cval: f64) -> Vec<f64> {
    let n = line.len();
    let r = kernel.radius as isize;
    (0..n as isize)
        .map(|i| {
            let mut sum = 0.0;
            for (k, w) in kernel.weights.iter().enumerate() {
                let x = match mode.extend(i + k as isize - r, n) {
                    Some(j) => line[j],
                    None => cval,
                };
                sum += w * x;
            }
            sum
        })
        .collect()
}

/// `numerator / denominator`, NaN where the denominator is 0 (no data in the footprint).
fn normalise<T: Real>(mut numerator: ArrayD<T>, denominator: &ArrayD<T>) -> ArrayD<T> {
    numerator.zip_mut_with(denominator, |n, &d| {
        *n = if d == T::ZERO {
            T::from_f64(f64::NAN)
        } else {
            *n / d
        };
    });
    numerator
}

// ---------------------------------------------------------------------------------------------
// Fast path
// ---------------------------------------------------------------------------------------------

/// Outputs computed together along a row: 2048 elements keep the accumulator in L1.
const SEGMENT: usize = 2048;

/// The fast path: a validated plan on float32 or float64 of any number of dimensions, using
/// every core; intermediate results between the passes are stored in `T`, as SciPy stores them
/// in the output dtype (an empty array gives an empty array of the same shape, as SciPy).
pub(crate) fn run_fast<T: Real>(input: ArrayViewD<'_, T>, plan: &BlurPlan) -> ArrayD<T> {
    if input.is_empty() {
        return ArrayD::from_elem(input.raw_dim(), T::ZERO);
    }
    let input = input.as_standard_layout();
    match plan.nan_policy {
        NanPolicy::Propagate => apply_fast(input.view(), plan, plan.cval),
        NanPolicy::Omit => {
            let (value_cval, mask_cval) = plan.omit_cvals();
            let values = input.mapv(|v| if v.is_nan_value() { T::ZERO } else { v });
            let mask = input.mapv(|v| T::from_f64(if v.is_nan_value() { 0.0 } else { 1.0 }));
            let numerator = apply_fast(values.view(), plan, value_cval);
            let denominator = apply_fast(mask.view(), plan, mask_cval);
            normalise(numerator, &denominator)
        }
    }
}

/// [`super::gaussian_filter_stack`] on the CPU: the images run in parallel, each with its own
/// plan through [`run_fast`].
pub(crate) fn run_stack_fast<T: Real>(stack: ArrayView3<'_, T>, plans: &[BlurPlan]) -> Array3<T> {
    let (images, rows, cols) = stack.dim();
    if stack.is_empty() {
        return Array3::from_elem((images, rows, cols), T::ZERO);
    }
    let stack = stack.as_standard_layout();
    let source = stack.as_slice().expect("standard layout");
    let mut out = Array3::from_elem((images, rows, cols), T::ZERO);
    let image_len = rows * cols;
    out.as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(image_len)
        .zip(source.par_chunks(image_len))
        .zip(plans.par_iter())
        .for_each(|((target, image), plan)| {
            let image = ArrayViewD::from_shape(IxDyn(&[rows, cols]), image).expect("image shape");
            let blurred = run_fast(image, plan);
            target.copy_from_slice(blurred.as_slice().expect("standard layout"));
        });
    out
}

/// Every pass of the plan. A pass along the last axis filters rows in place; any other axis
/// is a column pass over the stacked `len x inner` matrices. A column pass along the
/// second-to-last axis followed by the last one runs fused (the row pass on each band while it
/// is in cache), as a 2-D blur does.
fn apply_fast<T: Real>(input: ArrayViewD<'_, T>, plan: &BlurPlan, cval: f64) -> ArrayD<T> {
    let shape = input.shape().to_vec();
    let cval = T::from_f64(cval);
    let source = input.as_slice().expect("standard layout");
    // None while no pass has run: the input is read in place.
    let mut data: Option<Vec<T>> = None;
    let mut i = 0;
    while i < plan.passes.len() {
        let pass = &plan.passes[i];
        let view = AxisView::of(&shape, pass.axis);
        let taps = pass.kernel.taps_for_line(pass.mode, view.len);
        if view.inner == 1 {
            let mut owned = data.take().unwrap_or_else(|| source.to_vec());
            row_pass_in_place(&mut owned, view.len, &taps, pass.mode, cval);
            data = Some(owned);
            i += 1;
            continue;
        }
        let fused = plan
            .passes
            .get(i + 1)
            .filter(|next| pass.axis + 2 == shape.len() && next.axis == pass.axis + 1);
        let row = fused.map(|next| (next.kernel.taps_for_line(next.mode, view.inner), next.mode));
        let current: &[T] = data.as_deref().unwrap_or(source);
        let mut out = vec![T::ZERO; current.len()];
        let matrix = view.len * view.inner;
        let run = |(target, matrix_in): (&mut [T], &[T])| {
            column_pass(
                matrix_in,
                view.len,
                view.inner,
                target,
                &taps,
                pass.mode,
                cval,
                row.as_ref().map(|(taps, mode)| (taps, *mode)),
            );
        };
        if view.outer == 1 {
            run((&mut out[..], current));
        } else {
            out.par_chunks_mut(matrix)
                .zip(current.par_chunks(matrix))
                .for_each(run);
        }
        data = Some(out);
        i += if fused.is_some() { 2 } else { 1 };
    }
    let values = data.unwrap_or_else(|| source.to_vec());
    ArrayD::from_shape_vec(shape, values).expect("shape kept")
}

/// How the micro-kernels sum a kernel.
///
/// `symmetric`: mirrored pairs are added first (half the multiplications). `centre`: the tap
/// whose sample is the output's own position, when sums run relative to it:
/// `out = c + Σ w (x - c)` with `c` that sample (0 when it is not finite). For smoothing taps
/// that sum to exactly 1 this is the same sum, but a constant image gives `c + 0` exactly, as
/// SciPy's float64 arithmetic does, and the rounding errors shrink with the differences (see
/// [`Real::CENTRED`]).
#[derive(Clone, Copy, Debug)]
struct KernelForm {
    symmetric: bool,
    centre: Option<usize>,
}

impl KernelForm {
    fn of<T: Real>(taps: &Taps) -> Self {
        let centre = (T::CENTRED && super::is_smoothing(&taps.weights))
            .then(|| (-taps.first_offset) as usize)
            .filter(|&c| c < taps.weights.len());
        Self {
            symmetric: taps.is_symmetric(),
            centre,
        }
    }
}

/// Outputs accumulated together in registers by the micro-kernels: the accumulators stay in
/// registers across every tap, so each tap costs one or two loads and no stores.
const LANES: usize = 16;

// The micro-kernels run from AVX2 copies where the CPU has it (8 float32 lanes instead of
// SSE2's 4); see `crate::simd`.
dispatch_avx2!(
    /// [`correlate_segment_portable`], on AVX2 when the CPU has it.
    fn correlate_segment<T: Real>, correlate_segment_avx2 => correlate_segment_portable(
        padded: &[T], weights: &[T], form: KernelForm, out: &mut [T],
    )
);

/// `out[j] = Σ_t w[t] · padded[j + t]`, with mirrored pairs summed first when the weights are
/// symmetric, relative to the centre sample when `form` says so. Taps are added in order 0, 1,
/// 2, ... for every output, as the reference does.
#[inline(always)]
fn correlate_segment_portable<T: Real>(
    padded: &[T],
    weights: &[T],
    form: KernelForm,
    out: &mut [T],
) {
    let n = out.len();
    let taps = weights.len();
    let half = taps / 2;
    let symmetric = form.symmetric;
    // Written without closures: a closure here stays a separate function that the AVX2 copy
    // of this kernel calls per strip, which made the row pass 3x slower.
    let mut j = 0;
    while j + LANES <= n {
        let mut acc = [T::ZERO; LANES];
        let mut c = [T::ZERO; LANES];
        if let Some(ci) = form.centre {
            let s: &[T; LANES] = padded[j + ci..j + ci + LANES].try_into().expect("LANES");
            for k in 0..LANES {
                c[k] = s[k].finite_or_zero();
            }
        }
        if symmetric {
            let mut c2 = [T::ZERO; LANES];
            for k in 0..LANES {
                c2[k] = c[k] + c[k];
            }
            for t in 0..half {
                let w = weights[t];
                let a: &[T; LANES] = padded[j + t..j + t + LANES].try_into().expect("LANES");
                let b: &[T; LANES] = padded[j + taps - 1 - t..j + taps - 1 - t + LANES]
                    .try_into()
                    .expect("LANES");
                for k in 0..LANES {
                    acc[k] += w * ((a[k] + b[k]) - c2[k]);
                }
            }
            let w = weights[half];
            let a: &[T; LANES] = padded[j + half..j + half + LANES]
                .try_into()
                .expect("LANES");
            for k in 0..LANES {
                acc[k] += w * (a[k] - c[k]);
            }
        } else {
            for (t, &w) in weights.iter().enumerate() {
                let a: &[T; LANES] = padded[j + t..j + t + LANES].try_into().expect("LANES");
                for k in 0..LANES {
                    acc[k] += w * (a[k] - c[k]);
                }
            }
        }
        for k in 0..LANES {
            out[j + k] = acc[k] + c[k];
        }
        j += LANES;
    }
    for (jj, o) in out.iter_mut().enumerate().skip(j) {
        let c = form
            .centre
            .map_or(T::ZERO, |ci| padded[jj + ci].finite_or_zero());
        let mut acc = T::ZERO;
        if symmetric {
            for t in 0..half {
                acc += weights[t] * ((padded[jj + t] + padded[jj + taps - 1 - t]) - (c + c));
            }
            acc += weights[half] * (padded[jj + half] - c);
        } else {
            for (t, &w) in weights.iter().enumerate() {
                acc += w * (padded[jj + t] - c);
            }
        }
        *o = acc + c;
    }
}

/// Filters along axis 1 (each row), in place. Each row is first copied into scratch padded
/// with the edge rule, then overwritten segment by segment; rows run in parallel, or a single
/// long row's segments do.
fn row_pass_in_place<T: Real>(slice: &mut [T], cols: usize, taps: &Taps, mode: Mode, cval: T) {
    let weights: Vec<T> = T::taps(&taps.weights);
    let form = KernelForm::of::<T>(taps);
    let rows = slice.len() / cols;
    if rows >= 2 * rayon::current_num_threads() {
        slice
            .par_chunks_mut(cols)
            .for_each_init(Vec::new, |padded, row| {
                filter_row_in_place(row, padded, taps, &weights, form, mode, cval);
            });
    } else {
        let pad_len = cols + weights.len() - 1;
        let mut padded = Vec::new();
        for row in slice.chunks_mut(cols) {
            pad_row(row, &mut padded, taps, mode, cval, pad_len);
            row.par_chunks_mut(SEGMENT)
                .enumerate()
                .for_each(|(s, chunk)| {
                    let start = s * SEGMENT;
                    correlate_segment(
                        &padded[start..start + chunk.len() + weights.len() - 1],
                        &weights,
                        form,
                        chunk,
                    );
                });
        }
    }
}

/// Copies `row` into `padded`, extended by the edge rule to `pad_len` samples starting at the
/// taps' first offset.
fn pad_row<T: Real>(
    row: &[T],
    padded: &mut Vec<T>,
    taps: &Taps,
    mode: Mode,
    cval: T,
    pad_len: usize,
) {
    let cols = row.len() as isize;
    let pad = pad_len as isize;
    // Padded index k holds position first_offset + k; the interior is one slice copy and only
    // the ends go through the edge rule.
    let interior_start = (-taps.first_offset).clamp(0, pad);
    let interior_end = (cols - taps.first_offset).clamp(interior_start, pad);
    let edge = |k: isize| match mode.extend(taps.first_offset + k, row.len()) {
        Some(j) => row[j],
        None => cval,
    };
    padded.clear();
    padded.extend((0..interior_start).map(edge));
    let first = (taps.first_offset + interior_start) as usize;
    padded.extend_from_slice(&row[first..first + (interior_end - interior_start) as usize]);
    padded.extend((interior_end..pad).map(edge));
}

/// Filters one row in place through the padded scratch copy.
fn filter_row_in_place<T: Real>(
    row: &mut [T],
    padded: &mut Vec<T>,
    taps: &Taps,
    weights: &[T],
    form: KernelForm,
    mode: Mode,
    cval: T,
) {
    let pad_len = row.len() + weights.len() - 1;
    pad_row(row, padded, taps, mode, cval, pad_len);
    for (s, chunk) in row.chunks_mut(SEGMENT).enumerate() {
        let start = s * SEGMENT;
        correlate_segment(
            &padded[start..start + chunk.len() + weights.len() - 1],
            weights,
            form,
            chunk,
        );
    }
}

/// Output rows per parallel work item of the column pass: a band of 4096-wide rows (1 MiB)
/// stays in L2 for its fused row pass.
const BAND_ROWS: usize = 64;
/// Columns per block of the column pass: the gathered window (band + halo rows x 64 columns,
/// 32 KiB for radius 32) stays in L1. Measured on W1 (2-core EPYC VM): 256 columns 96 ms,
/// 128 columns 80 ms, 64 columns 76 ms.
const BAND_COLS: usize = 64;
/// Past this many taps the column pass reads source rows in place instead of gathering a
/// window (the window would grow with the kernel).
const GATHER_MAX_TAPS: usize = 2048;

/// `acc[k] = Σ_t w[t] · row(t)[k]` over `LANES` columns, mirrored pairs first when symmetric,
/// relative to the centre row when `form` says so.
#[inline(always)]
fn accumulate_strip<'a, T: Real>(
    weights: &[T],
    form: KernelForm,
    row: impl Fn(usize) -> &'a [T],
    acc: &mut [T; LANES],
) {
    let n_taps = weights.len();
    let mut c = [T::ZERO; LANES];
    if let Some(ci) = form.centre {
        let s: &[T; LANES] = row(ci)[..LANES].try_into().expect("LANES");
        for k in 0..LANES {
            c[k] = s[k].finite_or_zero();
        }
    }
    if form.symmetric {
        let half = n_taps / 2;
        for t in 0..half {
            let w = weights[t];
            let a: &[T; LANES] = row(t)[..LANES].try_into().expect("LANES");
            let b: &[T; LANES] = row(n_taps - 1 - t)[..LANES].try_into().expect("LANES");
            for k in 0..LANES {
                acc[k] += w * ((a[k] + b[k]) - (c[k] + c[k]));
            }
        }
        let a: &[T; LANES] = row(half)[..LANES].try_into().expect("LANES");
        for k in 0..LANES {
            acc[k] += weights[half] * (a[k] - c[k]);
        }
    } else {
        for (t, &w) in weights.iter().enumerate() {
            let a: &[T; LANES] = row(t)[..LANES].try_into().expect("LANES");
            for k in 0..LANES {
                acc[k] += w * (a[k] - c[k]);
            }
        }
    }
    for k in 0..LANES {
        acc[k] += c[k];
    }
}

/// One output value from `row(t)[0]` for every tap (the tail columns).
#[inline(always)]
fn accumulate_one<'a, T: Real>(
    weights: &[T],
    form: KernelForm,
    row: impl Fn(usize) -> &'a [T],
) -> T {
    let n_taps = weights.len();
    let c = form
        .centre
        .map_or(T::ZERO, |ci| row(ci)[0].finite_or_zero());
    let mut acc = T::ZERO;
    if form.symmetric {
        let half = n_taps / 2;
        for t in 0..half {
            acc += weights[t] * ((row(t)[0] + row(n_taps - 1 - t)[0]) - (c + c));
        }
        acc += weights[half] * (row(half)[0] - c);
    } else {
        for (t, &w) in weights.iter().enumerate() {
            acc += w * (row(t)[0] - c);
        }
    }
    acc + c
}

/// Filters along axis 0 (each column). Bands of output rows run in parallel. For each block of
/// columns, the band's window of source rows (edge rule applied) is first gathered into a
/// contiguous scratch buffer: reading 65 rows that lie 16 KiB apart in place touches 65 pages
/// per strip and thrashed the TLB (3x slower on W1). Output strips of `LANES` columns are then
/// accumulated in registers.
///
/// With `row`, each finished band is then filtered along its rows in place with those taps and
/// mode (the fused two-pass blur), so the intermediate never makes a round trip through main
/// memory.
#[allow(clippy::too_many_arguments, reason = "one pass's plain inputs")]
fn column_pass<T: Real>(
    source: &[T],
    rows: usize,
    cols: usize,
    out_slice: &mut [T],
    taps: &Taps,
    mode: Mode,
    cval: T,
    row: Option<(&Taps, Mode)>,
) {
    let weights: Vec<T> = T::taps(&taps.weights);
    let form = KernelForm::of::<T>(taps);
    let n_taps = weights.len();
    let source_row = |k: isize| mode.extend(k + taps.first_offset, rows);
    let gather = n_taps <= GATHER_MAX_TAPS;
    let constant_row = vec![cval; cols];
    let row_weights: Option<(Vec<T>, KernelForm)> =
        row.map(|(t, _)| (T::taps(&t.weights), KernelForm::of::<T>(t)));
    out_slice
        .par_chunks_mut(cols * BAND_ROWS)
        .enumerate()
        .for_each_init(
            || (Vec::new(), Vec::new()),
            |(scratch, padded): &mut (Vec<T>, Vec<T>), (band, out_band)| {
                let first_row = band * BAND_ROWS;
                let band_rows = out_band.len() / cols;
                let window = band_rows + n_taps - 1;
                for c0 in (0..cols).step_by(BAND_COLS) {
                    let c1 = (c0 + BAND_COLS).min(cols);
                    let width = c1 - c0;
                    // Rows of the window, either gathered (stride `width`) or in place (stride `cols`).
                    let (base, stride): (&[T], usize) = if gather {
                        scratch.clear();
                        for k in 0..window {
                            match source_row((first_row + k) as isize) {
                                Some(r) => {
                                    scratch.extend_from_slice(&source[r * cols + c0..r * cols + c1])
                                }
                                None => scratch.extend(std::iter::repeat_n(cval, width)),
                            }
                        }
                        (&scratch[..], width)
                    } else {
                        (&[][..], 0)
                    };
                    let at = |local: usize, t: usize, c: usize| -> &[T] {
                        if gather {
                            &base[(local + t) * stride + (c - c0)..]
                        } else {
                            match source_row((first_row + local + t) as isize) {
                                Some(r) => &source[r * cols + c..(r + 1) * cols],
                                None => &constant_row[c..],
                            }
                        }
                    };
                    if gather {
                        column_block(base, stride, &weights, form, out_band, cols, c0, c1);
                        continue;
                    }
                    for local in 0..band_rows {
                        let out_row = &mut out_band[local * cols..(local + 1) * cols];
                        let mut c = c0;
                        while c + LANES <= c1 {
                            let mut acc = [T::ZERO; LANES];
                            accumulate_strip(&weights, form, |t| at(local, t, c), &mut acc);
                            out_row[c..c + LANES].copy_from_slice(&acc);
                            c += LANES;
                        }
                        for (cc, o) in out_row.iter_mut().enumerate().take(c1).skip(c) {
                            *o = accumulate_one(&weights, form, |t| at(local, t, cc));
                        }
                    }
                }
                if let (Some((row_taps, row_mode)), Some((row_weights, row_form))) =
                    (row, &row_weights)
                {
                    for line in out_band.chunks_mut(cols) {
                        filter_row_in_place(
                            line,
                            padded,
                            row_taps,
                            row_weights,
                            *row_form,
                            row_mode,
                            cval,
                        );
                    }
                }
            },
        );
}

dispatch_avx2!(
    /// [`column_block_portable`], on AVX2 when the CPU has it.
    #[allow(clippy::too_many_arguments, reason = "the micro-kernel's plain inputs, kept closure-free for target_feature")]
    fn column_block<T: Real>, column_block_avx2 => column_block_portable(
        window: &[T], stride: usize, weights: &[T], form: KernelForm, out_band: &mut [T], cols: usize, c0: usize, c1: usize,
    )
);

/// Columns `c0..c1` of every row of `out_band` from a gathered window whose row `k` (stride
/// `stride`, first column `c0`) is the source row of output row `k - first tap`.
#[inline(always)]
#[allow(clippy::too_many_arguments, reason = "see column_block")]
fn column_block_portable<T: Real>(
    window: &[T],
    stride: usize,
    weights: &[T],
    form: KernelForm,
    out_band: &mut [T],
    cols: usize,
    c0: usize,
    c1: usize,
) {
    // Plain index arithmetic, no closures (see correlate_segment_portable).
    let band_rows = out_band.len() / cols;
    let n_taps = weights.len();
    let half = n_taps / 2;
    let symmetric = form.symmetric;
    for local in 0..band_rows {
        let out_row = &mut out_band[local * cols..(local + 1) * cols];
        let mut c = c0;
        while c + LANES <= c1 {
            let offset = c - c0;
            let mut acc = [T::ZERO; LANES];
            let mut centre = [T::ZERO; LANES];
            if let Some(ci) = form.centre {
                let i = (local + ci) * stride + offset;
                let s: &[T; LANES] = window[i..i + LANES].try_into().expect("LANES");
                for k in 0..LANES {
                    centre[k] = s[k].finite_or_zero();
                }
            }
            if symmetric {
                let mut centre2 = [T::ZERO; LANES];
                for k in 0..LANES {
                    centre2[k] = centre[k] + centre[k];
                }
                for t in 0..half {
                    let w = weights[t];
                    let ia = (local + t) * stride + offset;
                    let ib = (local + n_taps - 1 - t) * stride + offset;
                    let a: &[T; LANES] = window[ia..ia + LANES].try_into().expect("LANES");
                    let b: &[T; LANES] = window[ib..ib + LANES].try_into().expect("LANES");
                    for k in 0..LANES {
                        acc[k] += w * ((a[k] + b[k]) - centre2[k]);
                    }
                }
                let ia = (local + half) * stride + offset;
                let a: &[T; LANES] = window[ia..ia + LANES].try_into().expect("LANES");
                for k in 0..LANES {
                    acc[k] += weights[half] * (a[k] - centre[k]);
                }
            } else {
                for (t, &w) in weights.iter().enumerate() {
                    let ia = (local + t) * stride + offset;
                    let a: &[T; LANES] = window[ia..ia + LANES].try_into().expect("LANES");
                    for k in 0..LANES {
                        acc[k] += w * (a[k] - centre[k]);
                    }
                }
            }
            for k in 0..LANES {
                out_row[c + k] = acc[k] + centre[k];
            }
            c += LANES;
        }
        for (cc, o) in out_row.iter_mut().enumerate().take(c1).skip(c) {
            let at = |t: usize| window[(local + t) * stride + (cc - c0)];
            let centre = form.centre.map_or(T::ZERO, |ci| at(ci).finite_or_zero());
            let mut acc = T::ZERO;
            if symmetric {
                for t in 0..half {
                    acc += weights[t] * ((at(t) + at(n_taps - 1 - t)) - (centre + centre));
                }
                acc += weights[half] * (at(half) - centre);
            } else {
                for (t, &w) in weights.iter().enumerate() {
                    acc += w * (at(t) - centre);
                }
            }
            *o = acc + centre;
        }
    }
}
