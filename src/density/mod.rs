//! Point binning with `numpy.histogram2d(x, y, bins, range, weights, density)` semantics.
//!
//! Bin edges are computed exactly as NumPy computes them (`np.linspace` in the data's float
//! type), and a point's bin is found by comparing it with those edges, as NumPy's
//! `searchsorted` does, never by arithmetic alone: `(x - x0) * n / (x1 - x0)` puts points next
//! to an edge in the wrong bin. So counts for float64 (and float32) input are identical to
//! NumPy's, edge hits included. H[i, j] counts x in bin i and y in bin j; the last bin of each
//! axis includes its right edge; points outside the range, and NaN or infinite coordinates, are
//! left out and counted in the report.
//!
//! - [`cpu::histogram2d_reference`]: one point at a time, in order, summing weights in float64
//!   as `np.bincount` does: the oracle.
//! - [`cpu::histogram2d`]: the fast path (rayon, per-thread grids merged).

pub mod cpu;
pub mod device;
pub mod gpu;

use ndarray::{Array2, ArrayView1};

use crate::error::{Error, Result};
use crate::gpu::Device;

/// How one axis is binned.
#[derive(Clone, Debug, PartialEq)]
pub enum BinSpec {
    /// `n` equal-width bins over the range (given, or the data's min and max).
    Count(usize),
    /// Explicit, non-decreasing edges (`n + 1` values for `n` bins); the range is ignored.
    Edges(Vec<f64>),
}

pub use crate::numpy::{ElementType, PointType};

/// What a bin holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// Number of points, or the sum of their weights when weights are given (NumPy's result).
    #[default]
    Sum,
    /// Mean weight of the points in the bin (NaN for an empty bin).
    Mean,
    /// Smallest weight (NaN for an empty bin).
    Min,
    /// Largest weight (NaN for an empty bin).
    Max,
}

/// The user's binning request, with NumPy's names.
#[derive(Clone, Debug, PartialEq)]
pub struct DensityParams {
    /// Bins along x (axis 0 of the result) and y (axis 1).
    pub bins: [BinSpec; 2],
    /// `[[x0, x1], [y0, y1]]`; `None` uses the data's min and max.
    pub range: Option<[[f64; 2]; 2]>,
    /// Normalise so the grid integrates to 1 over the range (NumPy's `density=True`).
    pub density: bool,
    /// What each bin holds.
    pub reduction: Reduction,
}

impl DensityParams {
    /// `nx x ny` equal-width bins over the data's range.
    pub fn new(nx: usize, ny: usize) -> Self {
        Self {
            bins: [BinSpec::Count(nx), BinSpec::Count(ny)],
            range: None,
            density: false,
            reduction: Reduction::Sum,
        }
    }

    /// Sets the range.
    pub fn with_range(mut self, x: [f64; 2], y: [f64; 2]) -> Self {
        self.range = Some([x, y]);
        self
    }

    /// Sets `density`.
    pub fn with_density(mut self, density: bool) -> Self {
        self.density = density;
        self
    }

    /// Sets the reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Validates the request against the points and computes the edges.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for 0 bins, non-increasing or NaN edges, an inverted or
    /// non-finite range, a non-finite automatic range (NaN or infinity in the data), or a
    /// grid too large to allocate.
    pub fn plan(
        &self,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        points: PointType,
    ) -> Result<DensityPlan> {
        if x.len() != y.len() {
            return Err(Error::points_mismatch(x.len(), y.len()));
        }
        // The data's bounds only when they set the range (a pass over every point).
        let needs_bounds =
            self.range.is_none() && self.bins.iter().any(|b| matches!(b, BinSpec::Count(_)));
        let (bx, by) = if needs_bounds {
            (Bounds::of(x), Bounds::of(y))
        } else {
            (Bounds::EMPTY, Bounds::EMPTY)
        };
        self.plan_from_bounds(bx, by, points)
    }

    /// As [`DensityParams::plan`], from the data's bounds instead of the data (for points read
    /// in chunks: a first pass finds the bounds, [`Bounds::merge`] joins them).
    ///
    /// # Errors
    /// As [`DensityParams::plan`].
    pub fn plan_from_bounds(&self, x: Bounds, y: Bounds, points: PointType) -> Result<DensityPlan> {
        let axis = |i: usize, bounds: Bounds| -> Result<Edges> {
            let name = ["bins (x)", "bins (y)"][i];
            match &self.bins[i] {
                BinSpec::Count(0) => Err(Error::param(name, "must be a positive integer, not 0")),
                BinSpec::Count(n) => {
                    let range = self.range.map(|r| r[i]);
                    let (lo, hi) = outer_edges(bounds, range, points)?;
                    // NumPy computes the edges in float32 only when float32 data set the range
                    // (no points: its range is the integers 0 and 1, and the edges float64).
                    let single = points == PointType::F32 && range.is_none() && !bounds.is_empty();
                    Ok(Edges::linspace(lo, hi, *n, single))
                }
                BinSpec::Edges(edges) => Edges::explicit(edges.clone(), name),
            }
        };
        if self.density && self.reduction != Reduction::Sum {
            return Err(Error::param(
                "density",
                "normalising applies to counts and weight sums only",
            ));
        }
        // Sizes from the request are checked before the edges or the grid are allocated.
        let bins = |spec: &BinSpec| match spec {
            BinSpec::Count(n) => *n as u64,
            BinSpec::Edges(e) => e.len().saturating_sub(1) as u64,
        };
        let (nx, ny) = (bins(&self.bins[0]), bins(&self.bins[1]));
        let cells = nx.checked_mul(ny).filter(|&c| c <= MAX_CELLS as u64);
        let Some(cells) = cells else {
            return Err(Error::ExceedsLimit {
                what: "histogram bins",
                requested: nx.saturating_mul(ny),
                max: MAX_CELLS as u64,
            });
        };
        // The float64 edges, the float64 grid and one more of its size (per-thread grids,
        // the result).
        let bytes = cells
            .saturating_mul(16)
            .saturating_add((nx + 2).saturating_add(ny).saturating_mul(8));
        crate::limits::check_allocation("the histogram edges and grid", bytes, 1)?;
        let (xe, ye) = (axis(0, x)?, axis(1, y)?);
        Ok(DensityPlan {
            x: xe,
            y: ye,
            density: self.density,
            reduction: self.reduction,
        })
    }
}

/// The extent of one coordinate of a point set, for NumPy's automatic range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Smallest value (+inf when empty).
    pub min: f64,
    /// Largest value (-inf when empty).
    pub max: f64,
    /// Whether a NaN was seen.
    pub nan: bool,
}

impl Bounds {
    /// No values yet.
    pub const EMPTY: Bounds = Bounds {
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        nan: false,
    };

    /// The bounds of `values`.
    pub fn of(values: ArrayView1<'_, f64>) -> Self {
        values.iter().fold(Self::EMPTY, |b, &v| {
            if v.is_nan() {
                Bounds { nan: true, ..b }
            } else {
                Bounds {
                    min: b.min.min(v),
                    max: b.max.max(v),
                    nan: b.nan,
                }
            }
        })
    }

    /// The bounds of both sets together.
    pub fn merge(self, other: Bounds) -> Self {
        Bounds {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
            nan: self.nan || other.nan,
        }
    }

    fn is_empty(&self) -> bool {
        !self.nan && self.min > self.max
    }
}

/// Largest grid accepted (2^30 cells: 8 GiB of float64).
pub const MAX_CELLS: usize = 1 << 30;

/// NumPy's `_get_outer_edges`: the given range (checked) or the data's, widened by 0.5 on each
/// side when it is a single value. For float32 points the automatic range stays in float32.
fn outer_edges(data: Bounds, range: Option<[f64; 2]>, points: PointType) -> Result<(f64, f64)> {
    let (mut lo, mut hi) = match range {
        Some([lo, hi]) => {
            if !(lo.is_finite() && hi.is_finite()) {
                return Err(Error::param(
                    "range",
                    format!("supplied range of [{lo}, {hi}] is not finite"),
                ));
            }
            if lo > hi {
                return Err(Error::param(
                    "range",
                    format!("max must be larger than min ([{lo}, {hi}])"),
                ));
            }
            (lo, hi)
        }
        None if data.is_empty() => (0.0, 1.0),
        None => {
            let (lo, hi) = if data.nan {
                (f64::NAN, f64::NAN)
            } else {
                (data.min, data.max)
            };
            if !(lo.is_finite() && hi.is_finite()) {
                return Err(Error::param(
                    "range",
                    format!("autodetected range of [{lo}, {hi}] is not finite (NaN or infinity in the data: give a range)"),
                ));
            }
            (lo, hi)
        }
    };
    if lo == hi {
        // float32 points with an automatic range: NumPy subtracts in float32.
        if points == PointType::F32 && range.is_none() {
            lo = f64::from(lo as f32 - 0.5);
            hi = f64::from(hi as f32 + 0.5);
        } else {
            lo -= 0.5;
            hi += 0.5;
        }
    }
    Ok((lo, hi))
}

/// The edges of one axis, and the bin of a coordinate by NumPy's rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Edges {
    edges: Vec<f64>,
    /// The edges were computed in float32 (float32 points, automatic range): NumPy then takes
    /// their differences in float32 for `density=True`.
    single: bool,
    /// For equal-width bins: `(first edge, bins / width)` to guess a bin before the exact
    /// comparison with the edges.
    guess: Option<(f64, f64)>,
    /// How close (in bins) the guessed position may come to a bin boundary and still be
    /// trusted without comparing against the edges; see [`Edges::bin`].
    margin: f64,
}

impl Edges {
    /// `np.linspace(lo, hi, n + 1)`, in float32 arithmetic when `single` (float32 points and
    /// an automatic range, where NumPy's min and max are float32 scalars), else in float64.
    fn linspace(lo: f64, hi: f64, n: usize, single: bool) -> Self {
        let edges: Vec<f64> = if single {
            linspace_f32(lo as f32, hi as f32, n + 1)
                .into_iter()
                .map(f64::from)
                .collect()
        } else {
            linspace_f64(lo, hi, n + 1)
        };
        let span = edges[n] - edges[0];
        let guess = (span > 0.0 && span.is_finite()).then(|| (edges[0], n as f64 / span));
        // The guessed position t = (v - first) * scale and each computed edge's position are
        // off by a few ulps of |t| and of the edges' magnitude in bins: float64 ulps, or
        // float32 ulps when the edges were computed in float32 (they then sit up to ~2^-22
        // of the magnitude away from the ideal grid). 2^-40 (float64) or 2^-16 (float32) of
        // that sum is more than 50x the worst case. Where edges are too dense to tell apart
        // (repeated edges), the margin exceeds 1 and every point takes the comparisons.
        let relative = if single {
            2f64.powi(-16)
        } else {
            2f64.powi(-40)
        };
        let margin = guess.map_or(f64::INFINITY, |(_, scale)| {
            let magnitude = edges[0].abs().max(edges[n].abs()) * scale;
            (n as f64 + magnitude + 1.0) * relative
        });
        Self {
            edges,
            single,
            guess,
            margin,
        }
    }

    fn explicit(edges: Vec<f64>, name: &'static str) -> Result<Self> {
        if edges.len() < 2 {
            return Err(Error::param(
                name,
                "explicit edges need at least two values",
            ));
        }
        // Infinite outer edges are NumPy's open-ended outlier bins; NaN is no edge.
        if edges.iter().any(|e| e.is_nan()) {
            return Err(Error::param(name, "edges must not be NaN"));
        }
        if edges.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::param(name, "edges must be monotonically increasing"));
        }
        Ok(Self {
            edges,
            single: false,
            guess: None,
            margin: f64::INFINITY,
        })
    }

    /// Edges `lo..=hi` (bins `lo..hi`, `lo < hi <= bins`), with the same arithmetic guess
    /// started at edge `lo`: a band of a grid binned on its own (a heatmap tile). Edge `hi`
    /// closes the band as the last edge closes the grid, so a point exactly on it lands in the
    /// band's last bin; callers bin one bin past what they keep.
    pub(crate) fn sub_range(&self, lo: usize, hi: usize) -> Edges {
        Edges {
            edges: self.edges[lo..=hi].to_vec(),
            single: self.single,
            guess: self.guess.map(|(_, scale)| (self.edges[lo], scale)),
            margin: self.margin,
        }
    }

    /// The first and last edges only: one bin over the whole range, which holds exactly the
    /// points these edges count as in range.
    pub(crate) fn outer(&self) -> Edges {
        Edges {
            edges: vec![self.edges[0], self.edges[self.edges.len() - 1]],
            single: self.single,
            guess: None,
            margin: f64::INFINITY,
        }
    }

    /// The edges (`bins + 1` values).
    pub fn as_slice(&self) -> &[f64] {
        &self.edges
    }

    /// Whether NumPy computes (and returns) these edges in float32: float32 points that set
    /// the range themselves (at least one point; no points give NumPy's integer range 0..1).
    pub fn is_float32(&self) -> bool {
        self.single
    }

    /// Bin widths as NumPy's `np.diff(edges)` computes them (in float32 for float32 edges).
    pub fn widths(&self) -> Vec<f64> {
        self.edges
            .windows(2)
            .map(|w| {
                if self.single {
                    f64::from(w[1] as f32 - w[0] as f32)
                } else {
                    w[1] - w[0]
                }
            })
            .collect()
    }

    /// The arithmetic guess of equal-width bins, for binning many points in blocks (see
    /// [`Guess`]); `None` for explicit edges.
    pub(crate) fn guess(&self) -> Option<Guess> {
        self.guess.map(|(first, scale)| Guess {
            first,
            scale,
            last: (self.bins() - 1) as f64,
            low: self.margin,
            high: 1.0 - self.margin,
        })
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// NumPy's bin of `v`: `searchsorted(edges, v, 'right') - 1`, with `v` equal to the last
    /// edge counted in the last bin; `None` outside the range, for NaN and for infinities.
    #[inline(always)]
    pub fn bin(&self, v: f64) -> Option<usize> {
        let e = &self.edges;
        let n = e.len() - 1;
        // NaN fails both comparisons.
        if !(v >= e[0] && v < e[n]) {
            // NumPy moves a point on the last edge back into the last bin.
            return (v == e[n]).then_some(n - 1);
        }
        // The bin is the largest k with e[k] <= v (repeated edges: the last of them).
        Some(match self.guess {
            Some((first, scale)) => {
                // Equal-width bins: the arithmetic guess. Far enough from a bin boundary it is
                // exact; near one, comparisons with the edges settle it.
                // i32: a saturating cast to i32 is one instruction plus fix-ups, the cast to
                // usize a longer sequence (2x slower binning). n <= 2^30 (MAX_CELLS).
                let t = (v - first) * scale;
                let mut k = (t as i32).clamp(0, n as i32 - 1) as usize;
                let frac = t - k as f64;
                if frac > self.margin && frac < 1.0 - self.margin {
                    return Some(k);
                }
                if v < e[k] {
                    while v < e[k] {
                        k -= 1;
                    }
                } else {
                    while v >= e[k + 1] {
                        k += 1;
                    }
                }
                k
            }
            None => e.partition_point(|&edge| edge <= v) - 1,
        })
    }
}

/// The arithmetic half of [`Edges::bin`] for equal-width bins, without branches so that a
/// block of points is computed in SIMD lanes: the guessed bin, and whether the guess is certain
/// (inside the range and away from every bin boundary). Points it is not certain of, including
/// every point outside the range, NaN and infinity, go through [`Edges::bin`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Guess {
    first: f64,
    scale: f64,
    /// Last bin, as a float (the clamp).
    last: f64,
    /// The guessed position's fraction of a bin must lie in (low, high).
    low: f64,
    high: f64,
}

impl Guess {
    /// `(bin, certain)`, the bin as a whole float. Certain implies `bin == edges.bin(v)`: a
    /// position t = (v - first) * scale whose fraction is farther than the margin from 0 and 1
    /// is the one [`Edges::bin`] trusts, and a point outside the range has t < 0 (fraction
    /// negative) or t past the last bin (fraction at least 1 - margin); NaN fails every
    /// comparison.
    #[inline(always)]
    pub(crate) fn bin(&self, v: f64) -> (f64, bool) {
        let t = (v - self.first) * self.scale;
        // Selects and floor rather than a cast to an integer, whose saturating semantics
        // LLVM does not vectorise: this way a block of points runs in SIMD lanes.
        let clamped = if t > 0.0 { t } else { 0.0 };
        let clamped = if clamped < self.last {
            clamped
        } else {
            self.last
        };
        let k = clamped.floor();
        let frac = t - k;
        (k, (frac > self.low) & (frac < self.high))
    }
}

/// `i` as the low 32 bits of `i + 2^52`: exact for whole floats in [0, 2^32), and a bit
/// operation that vectorises (a float-to-integer cast does not, see [`Guess::bin`]).
#[inline(always)]
pub(crate) fn whole_to_u32(i: f64) -> u32 {
    const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
    (i + TWO_POW_52).to_bits() as u32
}

/// `np.linspace(start, stop, num)` in float64, operation for operation.
fn linspace_f64(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut y: Vec<f64> = if step == 0.0 {
        (0..num).map(|i| i as f64 / div * delta + start).collect()
    } else {
        (0..num).map(|i| i as f64 * step + start).collect()
    };
    y[num - 1] = stop;
    y
}

/// `np.linspace(start, stop, num)` with float32 start and stop (all arithmetic in float32).
fn linspace_f32(start: f32, stop: f32, num: usize) -> Vec<f32> {
    let div = (num - 1) as f32;
    let delta = stop - start;
    let step = delta / div;
    let mut y: Vec<f32> = if step == 0.0 {
        (0..num).map(|i| i as f32 / div * delta + start).collect()
    } else {
        (0..num).map(|i| i as f32 * step + start).collect()
    };
    y[num - 1] = stop;
    y
}

/// Validated binning: edges of both axes and what to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct DensityPlan {
    /// Edges along x (rows of the result).
    pub x: Edges,
    /// Edges along y (columns of the result).
    pub y: Edges,
    /// NumPy's `density=True`.
    pub density: bool,
    /// What each bin holds.
    pub reduction: Reduction,
}

/// A binned grid with NumPy's orientation (`values[[i, j]]`: x bin i, y bin j) and a report of
/// what was left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// The grid, float64 as NumPy returns it.
    pub values: Array2<f64>,
    /// Edges along x.
    pub x_edges: Vec<f64>,
    /// Edges along y.
    pub y_edges: Vec<f64>,
    /// Points binned.
    pub used: u64,
    /// Finite points outside the range.
    pub out_of_range: u64,
    /// Points with a NaN or infinite coordinate (infinities outside any finite range count here).
    pub non_finite: u64,
}

impl Histogram {
    /// The histogram of a point set from grids of its parts summed (`sums`, shape
    /// `(x bins, y bins)`, in NumPy's orientation) and their reports added
    /// (`[used, out_of_range, non_finite]`): `density=True` applied once, as NumPy applies it to
    /// all the points, and the plan's edges.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `sums` is not the plan's grid.
    pub fn from_sums(sums: Array2<f64>, plan: &DensityPlan, report: [u64; 3]) -> Result<Self> {
        let (nx, ny) = (plan.x.bins(), plan.y.bins());
        if sums.dim() != (nx, ny) {
            return Err(Error::ShapeMismatch {
                what: "summed histogram grid",
                expected: format!("({nx}, {ny})"),
                got: sums.shape().to_vec(),
            });
        }
        let values = sums.as_standard_layout().iter().copied().collect();
        Ok(cpu::finish(values, plan, report[0], report[1], report[2]))
    }
}

/// `numpy.histogram2d` of the points `x`, `y` on the device. The GPU runs counts,
/// and weight sums in exact fixed point when the weights are finite and allow 24 fractional
/// bits; NaN or infinite weights, mean/min/max, and grids past one storage binding run on the
/// CPU path, whatever the device.
///
/// ```
/// use gpusci::density::{histogram2d, DensityParams, PointType};
/// use gpusci::Device;
/// use ndarray::array;
///
/// // numpy.histogram2d(x, y, bins=(2, 2), range=[[0, 1], [0, 1]])
/// let (x, y) = (array![0.1, 0.2, 0.9, 1.0], array![0.1, 0.8, 0.2, 1.0]);
/// let params = DensityParams::new(2, 2).with_range([0.0, 1.0], [0.0, 1.0]);
/// let plan = params.plan(x.view(), y.view(), PointType::F64)?;
/// let h = histogram2d(Device::Cpu, x.view(), y.view(), None, &plan)?;
/// // H[i, j]: x in bin i, y in bin j; the last bin holds its right edge (1.0).
/// assert_eq!(h.values, array![[1.0, 1.0], [1.0, 1.0]]);
/// assert_eq!(h.x_edges, vec![0.0, 0.5, 1.0]);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`DensityParams::plan`] and [`cpu::histogram2d`]; GPU errors.
pub fn histogram2d<'d>(
    device: impl Into<Device<'d>>,
    x: ArrayView1<'_, f64>,
    y: ArrayView1<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    plan: &DensityPlan,
) -> Result<Histogram> {
    let device = crate::route::route(
        device.into(),
        &crate::route::Job::new(crate::route::Operation::Histogram2d, x.len()),
    );
    match (device.gpu(), weights) {
        (Some(ctx), None) if gpu::DensityGpu::supports(ctx, plan) => {
            gpu::DensityGpu::new(ctx)?.histogram2d(ctx, x, y, plan)
        }
        (Some(ctx), Some(w))
            if gpu::DensityGpu::supports_weights(ctx, plan)
                && gpu::fixed_point_shift(w).is_some() =>
        {
            gpu::DensityGpu::new(ctx)?.histogram2d_weighted(ctx, x, y, w, plan)
        }
        (Some(ctx), weights) => {
            if let Some(histogram) = histogram2d_in_bands(ctx, x, y, weights, plan)? {
                return Ok(histogram);
            }
            crate::gpu::note_cpu_fallback(|| cpu_binning_reason(ctx, plan, weights.is_some()));
            cpu::histogram2d(x, y, weights, plan)
        }
        (None, _) => cpu::histogram2d(x, y, weights, plan),
    }
}

/// `histogram2d` of a grid past one binding on the GPU, in bands ([`BandBinner`]); `None` when
/// the GPU binner cannot take the plan in bands.
fn histogram2d_in_bands(
    ctx: &crate::gpu::GpuContext,
    x: ArrayView1<'_, f64>,
    y: ArrayView1<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    plan: &DensityPlan,
) -> Result<Option<Histogram>> {
    let shift = match weights {
        Some(w) => match gpu::fixed_point_shift(w) {
            Some(shift) => Some(shift),
            None => return Ok(None),
        },
        None => None,
    };
    let Some(mut binner) = BandBinner::new(ctx, plan, shift)? else {
        return Ok(None);
    };
    binner.add(x, y, weights)?;
    binner.finish().map(Some)
}

/// A grid past one binding binned on the GPU in bands of x bins (all y bins): one
/// [`gpu::GpuBinner`] per band, each binning one more bin past its band (a point on the band's
/// closing edge lands there and is dropped, so the bands partition the points exactly as the
/// whole grid would), every chunk of points added to each band; a binner of a single bin over
/// the range gives the report. All bands stay on the device until [`BandBinner::finish`] reads
/// them back into one float64 grid and applies `density` as the CPU does.
pub struct BandBinner<'e> {
    plan: DensityPlan,
    /// (first kept x bin, end of the kept x bins, the band's binner).
    bands: Vec<(usize, usize, gpu::GpuBinner<'e>)>,
    report: gpu::GpuBinner<'e>,
}

impl std::fmt::Debug for BandBinner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BandBinner")
            .field("bands", &self.bands.len())
            .finish_non_exhaustive()
    }
}

impl<'e> BandBinner<'e> {
    /// The bands for `plan` on `ctx` (`shift`: weights summed in fixed point at that scale);
    /// `None` when the GPU binner cannot take the plan in bands (a reduction other than sums
    /// or one band past a binding).
    ///
    /// # Errors
    /// GPU errors.
    pub fn new(
        ctx: &'e crate::gpu::GpuContext,
        plan: &DensityPlan,
        shift: Option<i32>,
    ) -> Result<Option<Self>> {
        let (nx, ny) = (plan.x.bins(), plan.y.bins());
        let cell_bytes = if shift.is_some() { 8 } else { 4 };
        let rows = (ctx.max_binding_bytes() / cell_bytes) as usize / ny.max(1);
        if plan.reduction != Reduction::Sum || rows < 2 {
            return Ok(None);
        }
        let pipelines = gpu::DensityGpu::new(ctx)?;
        let kept = rows - 1;
        let mut bands = Vec::with_capacity(nx.div_ceil(kept));
        for k0 in (0..nx).step_by(kept) {
            let k1 = (k0 + kept).min(nx);
            let band = DensityPlan {
                x: plan.x.sub_range(k0, (k1 + 1).min(nx)),
                y: plan.y.clone(),
                density: false,
                reduction: Reduction::Sum,
            };
            let binner = match shift {
                Some(shift) => gpu::GpuBinner::new_weighted(ctx, &pipelines, &band, shift)?,
                None => gpu::GpuBinner::new(ctx, &pipelines, &band)?,
            };
            bands.push((k0, k1, binner));
        }
        let whole = DensityPlan {
            x: plan.x.outer(),
            y: plan.y.outer(),
            density: false,
            reduction: Reduction::Sum,
        };
        Ok(Some(Self {
            plan: plan.clone(),
            bands,
            report: gpu::GpuBinner::new(ctx, &pipelines, &whole)?,
        }))
    }

    /// Bins more points into every band (with weights when the bands were made weighted).
    ///
    /// # Errors
    /// As [`Binner::add`].
    pub fn add(
        &mut self,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        weights: Option<ArrayView1<'_, f64>>,
    ) -> Result<()> {
        for (_, _, binner) in &mut self.bands {
            binner.add_points(x, y, weights)?;
        }
        self.report.add(x, y)
    }

    /// The whole grid, read back band by band.
    ///
    /// # Errors
    /// GPU errors.
    pub fn finish(self) -> Result<Histogram> {
        let (nx, ny) = (self.plan.x.bins(), self.plan.y.bins());
        let mut values = vec![0.0f64; nx * ny];
        for (k0, k1, binner) in self.bands {
            let band = binner.finish()?;
            let band_values = band.values.as_slice().expect("a fresh grid");
            values[k0 * ny..k1 * ny].copy_from_slice(&band_values[..(k1 - k0) * ny]);
        }
        let report = self.report.finish_on_device()?;
        Ok(cpu::finish(
            values,
            &self.plan,
            report.used,
            report.out_of_range,
            report.non_finite,
        ))
    }
}

/// Why a GPU request bins on the CPU: what the GPU binner refuses in the plan, or weights
/// with no exact fixed-point scale (NaN or infinite, or too wide a range).
fn cpu_binning_reason(ctx: &crate::gpu::GpuContext, plan: &DensityPlan, weighted: bool) -> String {
    match gpu::DensityGpu::refusal(ctx, plan, weighted) {
        Some(reason) => format!("histogram2d: {reason}; binned on the CPU"),
        None => "histogram2d: the weights hold NaN or infinities (or span too many orders of \
                 magnitude for an exact fixed-point sum); summed on the CPU in float64"
            .to_string(),
    }
}

/// Bins points that arrive in chunks (a file larger than memory), on the device: the GPU
/// (in bands when the grid is past one binding) when it can, else the CPU. Counts and weight
/// sums only.
#[derive(Debug)]
pub enum Binner<'e> {
    /// The CPU path: chunk grids added into one float64 grid.
    Cpu {
        /// The plan, without `density` (applied once at the end).
        plan: DensityPlan,
        /// Whether `density=True` is applied at the end.
        density: bool,
        /// Sums so far.
        values: Vec<f64>,
        /// Report so far: used, out of range, non-finite.
        report: [u64; 3],
    },
    /// The GPU path.
    Gpu(Box<gpu::GpuBinner<'e>>),
    /// The GPU path for a grid past one binding, in bands.
    Bands(Box<BandBinner<'e>>),
}

impl<'e> Binner<'e> {
    /// A binner for `plan` on `device` (`weighted`: weights will be given).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a reduction other than sums; GPU errors.
    pub fn new(device: impl Into<Device<'e>>, plan: &DensityPlan, weighted: bool) -> Result<Self> {
        let device: Device<'e> = device.into();
        if plan.reduction != Reduction::Sum {
            return Err(Error::param(
                "reduction",
                "chunked binning sums counts or weights; mean, min and max need all points at once",
            ));
        }
        match device.gpu() {
            Some(ctx) if !weighted && gpu::DensityGpu::supports(ctx, plan) => Ok(Binner::Gpu(
                Box::new(gpu::GpuBinner::new(ctx, &gpu::DensityGpu::new(ctx)?, plan)?),
            )),
            gpu_ctx => {
                // A grid past one binding: in bands on the GPU. (A weighted binner that reaches
                // here was refused by new_weighted, which says why.)
                if let (Some(ctx), false) = (gpu_ctx, weighted) {
                    if let Some(bands) = BandBinner::new(ctx, plan, None)? {
                        return Ok(Binner::Bands(Box::new(bands)));
                    }
                    crate::gpu::note_cpu_fallback(|| cpu_binning_reason(ctx, plan, false));
                }
                Ok(Binner::Cpu {
                    plan: DensityPlan {
                        density: false,
                        ..plan.clone()
                    },
                    density: plan.density,
                    values: vec![0.0; plan.x.bins() * plan.y.bins()],
                    report: [0; 3],
                })
            }
        }
    }

    /// A binner for weighted points whose weights are described by `stats` (every weight it
    /// will be given: a first pass over a file gathers them): on a GPU in exact fixed point when
    /// the weights allow a scale (finite, at least 24 fractional bits), whole when
    /// [`gpu::DensityGpu::supports_weights`] the plan, else in bands ([`BandBinner`]); else on
    /// the CPU in float64.
    ///
    /// # Errors
    /// As [`Binner::new`].
    pub fn new_weighted(
        device: impl Into<Device<'e>>,
        plan: &DensityPlan,
        stats: gpu::WeightStats,
    ) -> Result<Self> {
        let device: Device<'e> = device.into();
        if let (Some(ctx), Some(shift)) = (device.gpu(), stats.fixed_point_shift()) {
            if plan.reduction == Reduction::Sum && gpu::DensityGpu::supports_weights(ctx, plan) {
                let pipelines = gpu::DensityGpu::new(ctx)?;
                return Ok(Binner::Gpu(Box::new(gpu::GpuBinner::new_weighted(
                    ctx, &pipelines, plan, shift,
                )?)));
            }
            if let Some(bands) = BandBinner::new(ctx, plan, Some(shift))? {
                return Ok(Binner::Bands(Box::new(bands)));
            }
        }
        if let Some(ctx) = device.gpu() {
            crate::gpu::note_cpu_fallback(|| cpu_binning_reason(ctx, plan, true));
        }
        Binner::new(Device::Cpu, plan, true)
    }

    /// Bins more points (with weights when the binner was made `weighted`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for lengths that differ, or weights given to (or missing from)
    /// a binner made otherwise; GPU errors.
    pub fn add(
        &mut self,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        weights: Option<ArrayView1<'_, f64>>,
    ) -> Result<()> {
        match self {
            Binner::Gpu(binner) => binner.add_points(x, y, weights),
            Binner::Bands(bands) => bands.add(x, y, weights),
            Binner::Cpu {
                plan,
                values,
                report,
                ..
            } => {
                let part = cpu::histogram2d(x, y, weights, plan)?;
                values
                    .iter_mut()
                    .zip(part.values.iter())
                    .for_each(|(v, p)| *v += p);
                report[0] += part.used;
                report[1] += part.out_of_range;
                report[2] += part.non_finite;
                Ok(())
            }
        }
    }

    /// The grid of every point added.
    ///
    /// # Errors
    /// GPU errors.
    pub fn finish(self) -> Result<Histogram> {
        match self {
            Binner::Gpu(binner) => binner.finish(),
            Binner::Bands(bands) => bands.finish(),
            Binner::Cpu {
                plan,
                density,
                values,
                report,
            } => {
                let plan = DensityPlan { density, ..plan };
                Ok(cpu::finish(values, &plan, report[0], report[1], report[2]))
            }
        }
    }
}

/// Points per chunk when binning a file.
pub const FILE_CHUNK: usize = 1 << 22;

/// `histogram2d` of a point file (see [`crate::io::read_points`] for the formats) read in
/// chunks, so a file larger than memory can be binned: with no range, a first pass finds the
/// data's bounds; the second bins. `weights` (one per point, e.g. from a separate `.npy`)
/// override a CSV's weight column. `progress` is told the pass (0: range, 1: binning) and how
/// far it is.
///
/// # Errors
/// As [`crate::io::read_points`] and [`DensityParams::plan`]; [`Error::ShapeMismatch`] when
/// `weights` has another length than the file has points.
pub fn histogram2d_file<'d>(
    device: impl Into<Device<'d>>,
    path: &std::path::Path,
    params: &DensityParams,
    weights: Option<ArrayView1<'_, f64>>,
    progress: impl FnMut(usize, crate::io::Progress),
) -> Result<Histogram> {
    let device: Device<'d> = device.into();
    histogram2d_file_in_chunks(device, path, params, weights, FILE_CHUNK, progress)
}

/// [`histogram2d_file`] with chunks of `chunk` points.
///
/// # Errors
/// As [`histogram2d_file`].
pub fn histogram2d_file_in_chunks<'d>(
    device: impl Into<Device<'d>>,
    path: &std::path::Path,
    params: &DensityParams,
    weights: Option<ArrayView1<'_, f64>>,
    chunk: usize,
    progress: impl FnMut(usize, crate::io::Progress),
) -> Result<Histogram> {
    let device: Device<'d> = device.into();
    bin_file_in_chunks(device, path, params, weights, chunk, progress)?.finish()
}

/// The binning of [`histogram2d_file_in_chunks`], stopped before the grid is finished: a
/// [`Binner::Gpu`] still holds its grid on the GPU (for a heatmap drawn there).
///
/// # Errors
/// As [`histogram2d_file`].
pub fn bin_file_in_chunks<'e>(
    device: impl Into<Device<'e>>,
    path: &std::path::Path,
    params: &DensityParams,
    weights: Option<ArrayView1<'_, f64>>,
    chunk: usize,
    mut progress: impl FnMut(usize, crate::io::Progress),
) -> Result<Binner<'e>> {
    let device: Device<'e> = device.into();
    use crate::io::PointReader;
    let chunk = chunk.max(1);
    let kind = PointReader::open(path)?.kind();
    let needs_bounds =
        params.range.is_none() && params.bins.iter().any(|b| matches!(b, BinSpec::Count(_)));
    // On a GPU, a file's own weight column needs a first pass too: the fixed-point scale of
    // exact weighted sums comes from every weight's magnitude (weights given as an array are
    // all in memory already).
    let file_weights = weights.is_none()
        && device.gpu().is_some()
        && PointReader::open(path)?
            .next_chunk(1)?
            .is_some_and(|first| first.weights.is_some());
    let (mut bx, mut by) = (Bounds::EMPTY, Bounds::EMPTY);
    let mut stats = weights.map_or(gpu::WeightStats::EMPTY, gpu::WeightStats::of);
    if needs_bounds || file_weights {
        let mut reader = PointReader::open(path)?;
        while let Some(part) = reader.next_chunk(chunk)? {
            if needs_bounds {
                bx = bx.merge(Bounds::of(part.x.view()));
                by = by.merge(Bounds::of(part.y.view()));
            }
            if let Some(w) = &part.weights {
                stats = stats.merge(gpu::WeightStats::of(w.view()));
            }
            progress(0, reader.progress());
        }
    }
    let plan = params.plan_from_bounds(bx, by, kind)?;
    let mut reader = PointReader::open(path)?;
    let mut binner: Option<Binner<'_>> = None;
    let mut seen = 0usize;
    while let Some(part) = reader.next_chunk(chunk)? {
        let n = part.x.len();
        let chunk_weights = match weights {
            Some(w) => {
                if seen + n > w.len() {
                    return Err(Error::ShapeMismatch {
                        what: "weights",
                        expected: format!(
                            "one weight per point (the file has more than {})",
                            w.len()
                        ),
                        got: vec![w.len()],
                    });
                }
                Some(w.slice(ndarray::s![seen..seen + n]).to_owned())
            }
            None => part.weights.clone(),
        };
        let binner = match &mut binner {
            Some(b) => b,
            None if chunk_weights.is_some() && (weights.is_some() || file_weights) => {
                binner.insert(Binner::new_weighted(device, &plan, stats)?)
            }
            None => binner.insert(Binner::new(device, &plan, chunk_weights.is_some())?),
        };
        binner.add(
            part.x.view(),
            part.y.view(),
            chunk_weights.as_ref().map(|w| w.view()),
        )?;
        seen += n;
        progress(1, reader.progress());
    }
    if let Some(w) = weights {
        if w.len() != seen {
            return Err(Error::ShapeMismatch {
                what: "weights",
                expected: format!("one weight per point ({seen})"),
                got: vec![w.len()],
            });
        }
    }
    match binner {
        Some(b) => Ok(b),
        None => Binner::new(device, &plan, false),
    }
}
