//! The CPU paths: a float64 reference written as plainly as possible (the oracle every other
//! path is tested against), and a fast path for float32 and float64 (rayon, contiguous
//! row-wise accumulation that the compiler vectorises).

use std::ops::{Add, AddAssign, Div, Mul};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use super::{check_not_empty, AxisKernel, BlurParams, BlurPlan, Mode, NanPolicy, Taps};
use crate::error::Result;

/// A float type the fast path runs in (f32 or f64).
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialEq
    + Add<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + AddAssign
    + 'static
{
    /// Zero.
    const ZERO: Self;
    /// Converts (rounding for f32).
    fn from_f64(value: f64) -> Self;
    /// Whether the value is NaN.
    fn is_nan_value(self) -> bool;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    fn is_nan_value(self) -> bool {
        self.is_nan()
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    fn from_f64(value: f64) -> Self {
        value
    }
    fn is_nan_value(self) -> bool {
        self.is_nan()
    }
}

// ---------------------------------------------------------------------------------------------
// Reference
// ---------------------------------------------------------------------------------------------

/// The reference `gaussian_filter` in float64: for each axis in turn, each output is the sum
/// over the kernel taps of weight × extended input, exactly as SciPy's `correlate1d` defines
/// it. Slow (O(n · taps)) and obviously right; use [`gaussian_filter_fast`] for speed.
///
/// # Errors
/// As [`BlurParams::plan`]; [`crate::Error::EmptyInput`] for a 0-element array.
pub fn gaussian_filter_reference(
    input: ArrayView2<'_, f64>,
    params: &BlurParams,
) -> Result<Array2<f64>> {
    let plan = params.plan(2)?;
    check_not_empty(input.len())?;
    Ok(reference_plan(input, &plan))
}

/// The reference `gaussian_filter1d` in float64.
///
/// # Errors
/// As [`gaussian_filter_reference`].
pub fn gaussian_filter1d_reference(
    input: ArrayView1<'_, f64>,
    params: &BlurParams,
) -> Result<Array1<f64>> {
    let plan = params.plan(1)?.as_row_plan();
    check_not_empty(input.len())?;
    let out = reference_plan(input.insert_axis(Axis(0)), &plan);
    Ok(out.index_axis_move(Axis(0), 0))
}

fn reference_plan(input: ArrayView2<'_, f64>, plan: &BlurPlan) -> Array2<f64> {
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

fn reference_apply(mut data: Array2<f64>, plan: &BlurPlan, cval: f64) -> Array2<f64> {
    for (axis, kernel) in plan.axes.iter().enumerate() {
        let Some(kernel) = kernel else { continue };
        for mut lane in data.lanes_mut(Axis(axis)) {
            let line: Vec<f64> = lane.to_vec();
            let out = reference_line(&line, kernel, plan.mode, cval);
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
fn normalise<T: Real>(mut numerator: Array2<T>, denominator: &Array2<T>) -> Array2<T> {
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

/// Columns accumulated together in the column pass: `taps` source rows of this width stay in
/// L2 while a block of output rows is produced.
const COLUMN_BLOCK: usize = 1024;

/// `gaussian_filter` for float32 or float64, using every core. Intermediate results between
/// the two axes are stored in `T`, as SciPy stores them in the output dtype.
///
/// # Errors
/// As [`gaussian_filter_reference`].
pub fn gaussian_filter_fast<T: Real>(
    input: ArrayView2<'_, T>,
    params: &BlurParams,
) -> Result<Array2<T>> {
    let plan = params.plan(2)?;
    check_not_empty(input.len())?;
    Ok(run_fast(input, &plan))
}

/// `gaussian_filter1d` for float32 or float64, using every core.
///
/// # Errors
/// As [`gaussian_filter_reference`].
pub fn gaussian_filter1d_fast<T: Real>(
    input: ArrayView1<'_, T>,
    params: &BlurParams,
) -> Result<Array1<T>> {
    let plan = params.plan(1)?.as_row_plan();
    check_not_empty(input.len())?;
    let out = run_fast(input.insert_axis(Axis(0)), &plan);
    Ok(out.index_axis_move(Axis(0), 0))
}

/// Runs a validated 2-D plan on a non-empty array.
pub(crate) fn run_fast<T: Real>(input: ArrayView2<'_, T>, plan: &BlurPlan) -> Array2<T> {
    let input = input.as_standard_layout();
    match plan.nan_policy {
        NanPolicy::Propagate => apply_fast(input.into_owned(), plan, plan.cval),
        NanPolicy::Omit => {
            let (value_cval, mask_cval) = plan.omit_cvals();
            let values = input.mapv(|v| if v.is_nan_value() { T::ZERO } else { v });
            let mask = input.mapv(|v| T::from_f64(if v.is_nan_value() { 0.0 } else { 1.0 }));
            let numerator = apply_fast(values, plan, value_cval);
            let denominator = apply_fast(mask, plan, mask_cval);
            normalise(numerator, &denominator)
        }
    }
}

fn apply_fast<T: Real>(mut data: Array2<T>, plan: &BlurPlan, cval: f64) -> Array2<T> {
    let (rows, cols) = data.dim();
    if let Some(kernel) = &plan.axes[0] {
        let taps = kernel.taps_for_line(plan.mode, rows);
        data = column_pass(&data, &taps, plan.mode, T::from_f64(cval));
    }
    if let Some(kernel) = &plan.axes[1] {
        let taps = kernel.taps_for_line(plan.mode, cols);
        data = row_pass(&data, &taps, plan.mode, T::from_f64(cval));
    }
    data
}

/// `out[j] += Σ_t w[t] · padded[j + t]` for one segment, with mirrored pairs summed first
/// when the weights are symmetric.
fn correlate_segment<T: Real>(padded: &[T], weights: &[T], symmetric: bool, out: &mut [T]) {
    let n = out.len();
    let taps = weights.len();
    out.fill(T::ZERO);
    if symmetric {
        let half = taps / 2;
        for t in 0..half {
            let w = weights[t];
            let left = &padded[t..t + n];
            let right = &padded[taps - 1 - t..taps - 1 - t + n];
            for ((o, &a), &b) in out.iter_mut().zip(left).zip(right) {
                *o += w * (a + b);
            }
        }
        let w = weights[half];
        for (o, &a) in out.iter_mut().zip(&padded[half..half + n]) {
            *o += w * a;
        }
    } else {
        for (t, &w) in weights.iter().enumerate() {
            for (o, &a) in out.iter_mut().zip(&padded[t..t + n]) {
                *o += w * a;
            }
        }
    }
}

/// Filters along axis 1 (each row). Rows are padded once with the edge rule, then filtered
/// in segments; rows run in parallel, or a single long row's segments do.
fn row_pass<T: Real>(data: &Array2<T>, taps: &Taps, mode: Mode, cval: T) -> Array2<T> {
    let (rows, cols) = data.dim();
    let weights: Vec<T> = taps.weights.iter().map(|&w| T::from_f64(w)).collect();
    let symmetric = taps.is_symmetric();
    let pad_len = cols + weights.len() - 1;
    let pad_row = |row: ArrayView1<'_, T>, padded: &mut Vec<T>| {
        let row = row.as_slice().expect("standard layout rows are contiguous");
        padded.clear();
        padded.extend((0..pad_len as isize).map(
            |k| match mode.extend(taps.first_offset + k, cols) {
                Some(j) => row[j],
                None => cval,
            },
        ));
    };
    let mut out = Array2::from_elem((rows, cols), T::ZERO);
    if rows >= 2 * rayon::current_num_threads() {
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(data.axis_iter(Axis(0)))
            .for_each_init(Vec::new, |padded, (mut out_row, row)| {
                pad_row(row, padded);
                let out_row = out_row.as_slice_mut().expect("contiguous");
                for (s, chunk) in out_row.chunks_mut(SEGMENT).enumerate() {
                    let start = s * SEGMENT;
                    correlate_segment(
                        &padded[start..start + chunk.len() + weights.len() - 1],
                        &weights,
                        symmetric,
                        chunk,
                    );
                }
            });
    } else {
        let mut padded = Vec::new();
        for (mut out_row, row) in out.axis_iter_mut(Axis(0)).zip(data.axis_iter(Axis(0))) {
            pad_row(row, &mut padded);
            let out_row = out_row.as_slice_mut().expect("contiguous");
            out_row
                .par_chunks_mut(SEGMENT)
                .enumerate()
                .for_each(|(s, chunk)| {
                    let start = s * SEGMENT;
                    correlate_segment(
                        &padded[start..start + chunk.len() + weights.len() - 1],
                        &weights,
                        symmetric,
                        chunk,
                    );
                });
        }
    }
    out
}

/// Filters along axis 0 (each column) by accumulating whole source rows into each output row,
/// so every memory access is contiguous; columns are taken in blocks that stay in cache.
fn column_pass<T: Real>(data: &Array2<T>, taps: &Taps, mode: Mode, cval: T) -> Array2<T> {
    let (rows, cols) = data.dim();
    let weights: Vec<T> = taps.weights.iter().map(|&w| T::from_f64(w)).collect();
    let symmetric = taps.is_symmetric();
    let source = data.as_slice().expect("standard layout");
    let row_of =
        |i: usize, t: usize| mode.extend(i as isize + taps.first_offset + t as isize, rows);
    let mut out = Array2::from_elem((rows, cols), T::ZERO);
    let out_slice = out.as_slice_mut().expect("standard layout");
    out_slice
        .par_chunks_mut(cols)
        .enumerate()
        .for_each(|(i, out_row)| {
            for c0 in (0..cols).step_by(COLUMN_BLOCK) {
                let c1 = (c0 + COLUMN_BLOCK).min(cols);
                let block = &mut out_row[c0..c1];
                let src = |r: Option<usize>| r.map(|r| &source[r * cols + c0..r * cols + c1]);
                let taps_n = weights.len();
                let add = |block: &mut [T], w: T, a: Option<&[T]>| match a {
                    Some(a) => block.iter_mut().zip(a).for_each(|(o, &x)| *o += w * x),
                    None => block.iter_mut().for_each(|o| *o += w * cval),
                };
                if symmetric {
                    let half = taps_n / 2;
                    for t in 0..half {
                        let w = weights[t];
                        match (src(row_of(i, t)), src(row_of(i, taps_n - 1 - t))) {
                            (Some(a), Some(b)) => block
                                .iter_mut()
                                .zip(a)
                                .zip(b)
                                .for_each(|((o, &x), &y)| *o += w * (x + y)),
                            (a, b) => {
                                add(block, w, a);
                                add(block, w, b);
                            }
                        }
                    }
                    add(block, weights[half], src(row_of(i, half)));
                } else {
                    for (t, &w) in weights.iter().enumerate() {
                        add(block, w, src(row_of(i, t)));
                    }
                }
            }
        });
    out
}
