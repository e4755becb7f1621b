//! CPU binning: the reference (one point at a time, weights summed in float64 in point order,
//! as `np.bincount` sums them) and the fast path (rayon, one grid per worker, merged).

use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;

use super::{DensityPlan, Histogram, Reduction};
use crate::error::{Error, Result};

/// Points per work item of the fast path; also bounds the per-worker u32 counts.
const CHUNK: usize = 1 << 16;

fn check_weights(n: usize, weights: Option<ArrayView1<'_, f64>>) -> Result<()> {
    match weights {
        Some(w) if w.len() != n => Err(Error::ShapeMismatch {
            what: "weights",
            expected: format!("one weight per point ({n})"),
            got: vec![w.len()],
        }),
        _ => Ok(()),
    }
}

/// Where one point goes.
enum Place {
    Bin(usize),
    OutOfRange,
    NonFinite,
}

#[inline]
fn place(plan: &DensityPlan, x: f64, y: f64) -> Place {
    if !(x.is_finite() && y.is_finite()) {
        return Place::NonFinite;
    }
    match (plan.x.bin(x), plan.y.bin(y)) {
        (Some(i), Some(j)) => Place::Bin(i * plan.y.bins() + j),
        _ => Place::OutOfRange,
    }
}

/// The reference `histogram2d`: every point in order.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `x`, `y` and `weights` differ in length.
pub fn histogram2d_reference(
    x: ArrayView1<'_, f64>,
    y: ArrayView1<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    plan: &DensityPlan,
) -> Result<Histogram> {
    check_weights(x.len(), weights)?;
    let cells = plan.x.bins() * plan.y.bins();
    let mut sum = vec![0.0f64; cells];
    let mut count = vec![0u64; cells];
    let mut extreme = vec![f64::NAN; cells];
    let (mut out_of_range, mut non_finite) = (0u64, 0u64);
    for k in 0..x.len() {
        match place(plan, x[k], y[k]) {
            Place::Bin(cell) => {
                let w = weights.map_or(1.0, |w| w[k]);
                sum[cell] += w;
                count[cell] += 1;
                let e = &mut extreme[cell];
                *e = match plan.reduction {
                    _ if w.is_nan() || (count[cell] > 1 && e.is_nan()) => f64::NAN,
                    Reduction::Min if count[cell] == 1 || w < *e => w,
                    Reduction::Max if count[cell] == 1 || w > *e => w,
                    _ => *e,
                };
            }
            Place::OutOfRange => out_of_range += 1,
            Place::NonFinite => non_finite += 1,
        }
    }
    let used = count.iter().sum();
    let values = match plan.reduction {
        Reduction::Sum => sum,
        Reduction::Mean => sum
            .iter()
            .zip(&count)
            .map(|(&s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
            .collect(),
        Reduction::Min | Reduction::Max => extreme,
    };
    Ok(finish(values, plan, used, out_of_range, non_finite))
}

/// The fast `histogram2d`: points in chunks on every core, each worker binning into its own
/// grid (u32 counts, or float64 weight sums), grids merged at the end. Counts are identical to
/// the reference; weight sums differ from NumPy's only by summation order (a few ulps).
/// Mean, min and max go through the reference.
///
/// # Errors
/// As [`histogram2d_reference`].
pub fn histogram2d(
    x: ArrayView1<'_, f64>,
    y: ArrayView1<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    plan: &DensityPlan,
) -> Result<Histogram> {
    if plan.reduction != Reduction::Sum {
        return histogram2d_reference(x, y, weights, plan);
    }
    check_weights(x.len(), weights)?;
    let n = x.len();
    let cells = plan.x.bins() * plan.y.bins();
    let chunks = n.div_ceil(CHUNK);
    // Per-worker grids: u32 counts (a chunk holds < 2^32 points, and each worker's grid is
    // flushed into the u64 total before it could overflow), or f64 sums.
    struct Partial {
        counts: Vec<u32>,
        sums: Vec<f64>,
        binned: u64,
        out_of_range: u64,
        non_finite: u64,
    }
    let weighted = weights.is_some();
    let new_partial = || Partial {
        counts: if weighted { Vec::new() } else { vec![0; cells] },
        sums: if weighted {
            vec![0.0; cells]
        } else {
            Vec::new()
        },
        binned: 0,
        out_of_range: 0,
        non_finite: 0,
    };
    let merged = (0..chunks)
        .into_par_iter()
        .fold(
            || (new_partial(), vec![0u64; 0]),
            |(mut p, mut wide), c| {
                let (start, end) = (c * CHUNK, ((c + 1) * CHUNK).min(n));
                for k in start..end {
                    match place(plan, x[k], y[k]) {
                        Place::Bin(cell) => {
                            match weights {
                                Some(w) => p.sums[cell] += w[k],
                                None => p.counts[cell] += 1,
                            }
                            p.binned += 1;
                        }
                        Place::OutOfRange => p.out_of_range += 1,
                        Place::NonFinite => p.non_finite += 1,
                    }
                }
                // Flush u32 counts to u64 well before they could wrap.
                if !weighted && p.binned >= u64::from(u32::MAX) - CHUNK as u64 {
                    wide.resize(cells, 0);
                    for (w, c) in wide.iter_mut().zip(p.counts.iter_mut()) {
                        *w += u64::from(*c);
                        *c = 0;
                    }
                    p.binned = 0;
                }
                (p, wide)
            },
        )
        .map(|(p, mut wide)| {
            let binned_total = wide.iter().sum::<u64>() + p.binned;
            if !weighted {
                wide.resize(cells, 0);
                for (w, &c) in wide.iter_mut().zip(&p.counts) {
                    *w += u64::from(c);
                }
            }
            (wide, p.sums, binned_total, p.out_of_range, p.non_finite)
        })
        .reduce(
            || (Vec::new(), Vec::new(), 0, 0, 0),
            |a, b| {
                let add_u = |mut x: Vec<u64>, y: Vec<u64>| {
                    if x.is_empty() {
                        return y;
                    }
                    x.iter_mut().zip(&y).for_each(|(a, b)| *a += b);
                    x
                };
                let add_f = |mut x: Vec<f64>, y: Vec<f64>| {
                    if x.is_empty() {
                        return y;
                    }
                    x.iter_mut().zip(&y).for_each(|(a, b)| *a += b);
                    x
                };
                (
                    add_u(a.0, b.0),
                    add_f(a.1, b.1),
                    a.2 + b.2,
                    a.3 + b.3,
                    a.4 + b.4,
                )
            },
        );
    let (counts, sums, used, out_of_range, non_finite) = merged;
    let values = if weighted {
        if sums.is_empty() {
            vec![0.0; cells]
        } else {
            sums
        }
    } else if counts.is_empty() {
        vec![0.0; cells]
    } else {
        counts.iter().map(|&c| c as f64).collect()
    };
    Ok(finish(values, plan, used, out_of_range, non_finite))
}

/// Shapes the grid, applies `density=True` as NumPy does, and fills the report.
fn finish(
    mut values: Vec<f64>,
    plan: &DensityPlan,
    used: u64,
    out_of_range: u64,
    non_finite: u64,
) -> Histogram {
    let (nx, ny) = (plan.x.bins(), plan.y.bins());
    if plan.density {
        // NumPy: hist / dx (per row), then / dy (per column), then / hist.sum() (pairwise).
        let total = pairwise_sum(&values);
        let (dx, dy) = (plan.x.widths(), plan.y.widths());
        for (i, row) in values.chunks_mut(ny).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = *v / dx[i] / dy[j];
            }
        }
        values.iter_mut().for_each(|v| *v /= total);
    }
    Histogram {
        values: Array2::from_shape_vec((nx, ny), values).expect("nx * ny cells"),
        x_edges: plan.x.as_slice().to_vec(),
        y_edges: plan.y.as_slice().to_vec(),
        used,
        out_of_range,
        non_finite,
    }
}

/// NumPy's pairwise summation (`pairwise_sum` in its umath loops), so `density=True` divides
/// by exactly the total NumPy divides by.
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for k in 0..8 {
                r[k] += a[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}
