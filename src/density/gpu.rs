//! The GPU path for counts: exact NumPy bins with integer comparisons only (see bin.wgsl),
//! points streamed through the GPU in chunks of a few million, the grid kept on the GPU and
//! read back once.
//!
//! Points go up as they are: each chunk's float64 x values, then its y values, written straight
//! from the caller's arrays into the device's staging memory (16 bytes a point, no host pass
//! over them). The shader compares the float64 bits as order keys, so every finite coordinate
//! is binned exactly on every adapter, and counts NaN or infinite ones apart. While one chunk
//! is binned, the next is uploaded (two point buffers alternate, each sized to the chunks it
//! holds). Weights are summed in 64-bit fixed point (two 32-bit atomics with carry): deterministic on
//! every adapter, float atomics needing none. NaN or infinite weights, mean/min/max, and grids
//! larger than one storage binding run on the CPU path (`density::histogram2d` routes them).

use bytemuck::{Pod, Zeroable};
use ndarray::ArrayView1;

use super::{cpu, DensityPlan, Edges, Histogram, Reduction};
use crate::error::{Error, Result};
use crate::gpu::GpuBuffer;
use crate::gpu::GpuContext;

/// The WGSL source.
pub(crate) const BIN_WGSL: &str = crate::gpu::include_wgsl!("density/bin.wgsl");
/// Threads per workgroup (`WG_SIZE` in bin.wgsl).
pub const WG_SIZE: u32 = 256;
/// Points each thread bins (`POINTS_PER_THREAD`).
pub const POINTS_PER_THREAD: u32 = 16;
/// Largest grid binned in workgroup memory (`SHARED_CELLS`).
pub const SHARED_CELLS: u32 = 4096;
/// Bytes a point takes on the device: the float64 bits of x and of y.
pub const POINT_BYTES: usize = 16;
/// Points a chunk holds at most (32 MiB of coordinates): large enough that a chunk's fixed
/// cost vanishes, small enough that its upload overlaps the previous chunk's binning.
pub const CHUNK_POINTS: usize = 1 << 21;
/// Points binned between read-backs of the grid, so no u32 cell can wrap.
const FLUSH_POINTS: u64 = 1 << 31;

/// Kept in sync with `struct BinUniform` in shaders/density/bin.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct BinUniform {
    /// Bins along x.
    pub(crate) nx: u32,
    /// Bins along y.
    pub(crate) ny: u32,
    /// Points in this chunk.
    pub(crate) points: u32,
    /// Workgroups that do work.
    pub(crate) groups: u32,
    /// First x edge (high part), for the guess.
    pub(crate) x_first: f32,
    /// Bins per unit of x, for the guess.
    pub(crate) x_scale: f32,
    /// First y edge (high part).
    pub(crate) y_first: f32,
    /// Bins per unit of y.
    pub(crate) y_scale: f32,
}

/// The order key (high word, low word) of `v`: comparing keys as unsigned pairs orders them
/// as the float64 values (-0 is +0). Kept in sync with `order_key` in bin.wgsl.
pub(crate) fn order_key(v: f64) -> [u32; 2] {
    let bits = if v == 0.0 { 0 } else { v.to_bits() };
    let key = if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    };
    [(key >> 32) as u32, key as u32]
}

/// The binning pipelines on one context.
#[derive(Debug)]
pub struct DensityGpu {
    global: wgpu::ComputePipeline,
    shared: wgpu::ComputePipeline,
    weighted: wgpu::ComputePipeline,
}

/// Fewest fractional bits of the fixed-point weights for the GPU path; with fewer (weights
/// summing past 2^38), the CPU's float64 sums are more precise, and they are used instead.
const MIN_FRACTION_BITS: i32 = 24;

/// The fixed-point scale (2^shift) for summing `weights` exactly in 64-bit integers: the
/// largest shift with n * max|w| * 2^shift below 2^62, so no sum can overflow. `None` when a
/// weight is NaN or infinite (NumPy's NaN bins need float arithmetic) or the shift would be
/// below `MIN_FRACTION_BITS` (24).
pub fn fixed_point_shift(weights: ArrayView1<'_, f64>) -> Option<i32> {
    WeightStats::of(weights).fixed_point_shift()
}

/// What the fixed-point scale needs to know of a set of weights, gathered chunk by chunk when
/// they are streamed from a file (a first pass): how many, the largest magnitude, and whether
/// every one is finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightStats {
    /// Weights seen.
    pub count: u64,
    /// The largest |w| among the finite ones.
    pub max_abs: f64,
    /// Whether every weight was finite.
    pub all_finite: bool,
}

impl WeightStats {
    /// No weights yet.
    pub const EMPTY: WeightStats = WeightStats {
        count: 0,
        max_abs: 0.0,
        all_finite: true,
    };

    /// The statistics of `weights`.
    pub fn of(weights: ArrayView1<'_, f64>) -> Self {
        let mut stats = WeightStats::EMPTY;
        for &w in weights {
            stats.count += 1;
            if w.is_finite() {
                stats.max_abs = stats.max_abs.max(w.abs());
            } else {
                stats.all_finite = false;
            }
        }
        stats
    }

    /// The statistics of both sets.
    pub fn merge(self, other: WeightStats) -> Self {
        WeightStats {
            count: self.count + other.count,
            max_abs: self.max_abs.max(other.max_abs),
            all_finite: self.all_finite && other.all_finite,
        }
    }

    /// As [`fixed_point_shift`], for the weights these statistics describe.
    pub fn fixed_point_shift(self) -> Option<i32> {
        if !self.all_finite {
            return None;
        }
        if self.max_abs == 0.0 {
            return Some(MIN_FRACTION_BITS);
        }
        let shift = (62.0 - (self.count as f64 * self.max_abs).log2()).floor() as i32;
        (shift >= MIN_FRACTION_BITS).then_some(shift.min(1000))
    }
}

fn to_fixed(w: f64, scale: f64) -> [u32; 2] {
    let v = (w * scale).round() as i64 as u64;
    [v as u32, (v >> 32) as u32]
}

impl DensityGpu {
    /// Fetches (compiling on first use) the pipelines of `ctx`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            global: ctx.pipeline("density", BIN_WGSL, "bin_global")?,
            shared: ctx.pipeline("density", BIN_WGSL, "bin_shared")?,
            weighted: ctx.pipeline("density", BIN_WGSL, "bin_weighted")?,
        })
    }

    /// Whether this path runs `plan` (counts, the grid within one storage binding; every
    /// finite edge and coordinate compares exactly); [`super::histogram2d`] sends the rest
    /// to the CPU.
    pub fn supports(ctx: &GpuContext, plan: &DensityPlan) -> bool {
        let cells = (plan.x.bins() * plan.y.bins()) as u64;
        plan.reduction == Reduction::Sum && cells * 4 <= ctx.max_binding_bytes()
    }

    /// Why [`DensityGpu::supports`] (or, `weighted`, [`DensityGpu::supports_weights`]) refuses
    /// `plan` on `ctx`, in words; `None` when it does not.
    pub fn refusal(ctx: &GpuContext, plan: &DensityPlan, weighted: bool) -> Option<String> {
        let (nx, ny) = (plan.x.bins(), plan.y.bins());
        let cells = (nx * ny) as u64;
        let cell_bytes = if weighted { 8 } else { 4 };
        let binding = ctx.max_binding_bytes();
        if plan.reduction != Reduction::Sum {
            Some(format!("{:?} is not a sum", plan.reduction))
        } else if cells * cell_bytes > binding {
            Some(format!(
                "the {nx} x {ny} grid is larger than one GPU storage binding ({} MiB)",
                binding >> 20
            ))
        } else if weighted && ctx.limits().max_storage_buffers_per_shader_stage < 6 {
            Some("the adapter binds fewer than 6 storage buffers per stage".to_string())
        } else {
            None
        }
    }

    /// Whether the weighted path runs `plan` on `ctx`: [`DensityGpu::supports`], six storage
    /// buffers per stage, and the 64-bit sums (8 bytes per cell) within one binding. The
    /// weights themselves must also pass [`fixed_point_shift`].
    pub fn supports_weights(ctx: &GpuContext, plan: &DensityPlan) -> bool {
        let cells = (plan.x.bins() * plan.y.bins()) as u64;
        Self::supports(ctx, plan)
            && ctx.limits().max_storage_buffers_per_shader_stage >= 6
            && cells * 8 <= ctx.max_binding_bytes()
    }

    /// Unweighted `histogram2d` counts of the points `x`, `y` on the GPU.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when [`DensityGpu::supports`] is false for `plan`;
    /// [`Error::ShapeMismatch`] for x and y of different lengths; GPU errors.
    pub fn histogram2d(
        &self,
        ctx: &GpuContext,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        plan: &DensityPlan,
    ) -> Result<Histogram> {
        let mut binner = GpuBinner::new(ctx, self, plan)?;
        binner.add(x, y)?;
        binner.finish()
    }

    /// Weighted `histogram2d` on the GPU: weights summed exactly in 64-bit fixed point at the
    /// scale [`fixed_point_shift`] picks (absolute error at most half a unit of 2^-shift per
    /// point), the same on every run and adapter.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when [`fixed_point_shift`] is `None` or
    /// [`DensityGpu::supports_weights`] is false; otherwise as [`DensityGpu::histogram2d`].
    pub fn histogram2d_weighted(
        &self,
        ctx: &GpuContext,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        weights: ArrayView1<'_, f64>,
        plan: &DensityPlan,
    ) -> Result<Histogram> {
        cpu::check_weights(x.len(), Some(weights))?;
        if !Self::supports_weights(ctx, plan) {
            return Err(Error::param(
                "weights",
                "needs 6 storage buffers per stage and the 64-bit sums within one binding",
            ));
        }
        let shift = fixed_point_shift(weights).ok_or_else(|| {
            Error::param(
                "weights",
                "NaN, infinite or too large for exact fixed-point sums: use the CPU path",
            )
        })?;
        let mut binner = GpuBinner::new(ctx, self, plan)?;
        binner.enable_weights(self, shift)?;
        binner.add_weighted(x, y, Some(weights))?;
        binner.finish()
    }
}

/// The weighted state of a [`GpuBinner`].
struct Weighted {
    pipeline: wgpu::ComputePipeline,
    sums: GpuBuffer,
    slots: [Option<GpuBuffer>; 2],
    fixed: Vec<[u32; 2]>,
    scale: f64,
}

/// Counts points on the GPU chunk by chunk, for inputs that arrive in pieces (files larger
/// than memory): the grid stays on the GPU until [`GpuBinner::finish`].
pub struct GpuBinner<'c> {
    ctx: &'c GpuContext,
    pipeline: wgpu::ComputePipeline,
    plan: DensityPlan,
    edges: GpuBuffer,
    counts: GpuBuffer,
    report: GpuBuffer,
    /// Each chunk's points, two alternating (made on first use, grown to the largest chunk).
    slots: [Option<GpuBuffer>; 2],
    in_flight: [Option<crate::gpu::Submission>; 2],
    guess: [f32; 4],
    host_grid: Vec<u64>,
    since_flush: u64,
    chunks: usize,
    /// Points given to [`GpuBinner::add`], for the report.
    added: u64,
    weighted: Option<Weighted>,
    /// Accumulators to clear at the start of the next submission.
    to_clear: Vec<GpuBuffer>,
}

/// A grid of counts left on the GPU by [`GpuBinner::finish_on_device`], with the report.
#[derive(Debug)]
pub struct DeviceCounts {
    counts: GpuBuffer,
    host_grid: Vec<u64>,
    /// Points counted in the grid.
    pub used: u64,
    /// Finite points outside the range.
    pub out_of_range: u64,
    /// Points with a NaN or infinite coordinate.
    pub non_finite: u64,
}

impl DeviceCounts {
    /// The u32 counts, H[i, j] at i * ny + j.
    pub(crate) fn buffer(&self) -> &GpuBuffer {
        &self.counts
    }

    /// Counts held on the host that still have to be added to the device's (points binned on
    /// the host, and counts flushed before a cell could wrap); `None` when there are none.
    pub(crate) fn host_counts(&self) -> Option<&[u64]> {
        nonzero(&self.host_grid)
    }
}

/// The grid, unless every count in it is 0.
fn nonzero(grid: &[u64]) -> Option<&[u64]> {
    grid.iter().any(|&c| c != 0).then_some(grid)
}

/// A grid of counts on the GPU whose report (points out of range, non-finite) is still on the
/// device: [`GpuBinner::finish_recorded`]'s result, read with the next read-back.
#[derive(Debug)]
pub(crate) struct RecordedCounts {
    counts: GpuBuffer,
    /// Two u32: finite points out of range, points with a NaN or infinite coordinate.
    pub(crate) report: GpuBuffer,
    host_grid: Vec<u64>,
    added: u64,
}

impl RecordedCounts {
    /// The u32 counts, H[i, j] at i * ny + j.
    pub(crate) fn buffer(&self) -> &GpuBuffer {
        &self.counts
    }

    /// As [`DeviceCounts::host_counts`].
    pub(crate) fn host_counts(&self) -> Option<&[u64]> {
        nonzero(&self.host_grid)
    }

    /// The counts with their report, read back as two u32.
    pub(crate) fn with_report(self, [out_of_range, non_finite]: [u32; 2]) -> DeviceCounts {
        let (out_of_range, non_finite) = (u64::from(out_of_range), u64::from(non_finite));
        DeviceCounts {
            counts: self.counts,
            host_grid: self.host_grid,
            used: self.added - out_of_range - non_finite,
            out_of_range,
            non_finite,
        }
    }
}

impl std::fmt::Debug for GpuBinner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuBinner")
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

impl<'c> GpuBinner<'c> {
    /// Allocates the grid and the point buffers for `plan` on `ctx`.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when [`DensityGpu::supports`] is false for `plan`; GPU errors.
    pub fn new(ctx: &'c GpuContext, pipelines: &DensityGpu, plan: &DensityPlan) -> Result<Self> {
        if !DensityGpu::supports(ctx, plan) {
            return Err(Error::param(
                "plan",
                "needs the CPU path (weights, a reduction, or a grid past one binding)",
            ));
        }
        let cells = plan.x.bins() * plan.y.bins();
        let edge_table: Vec<[u32; 2]> = plan
            .x
            .as_slice()
            .iter()
            .chain(plan.y.as_slice())
            .map(|&e| order_key(e))
            .collect();
        let guess = |edges: &Edges| {
            let e = edges.as_slice();
            let span = e[e.len() - 1] - e[0];
            let scale = if span > 0.0 {
                (edges.bins() as f64 / span) as f32
            } else {
                0.0
            };
            (e[0] as f32, if scale.is_finite() { scale } else { 0.0 })
        };
        let ((x_first, x_scale), (y_first, y_scale)) = (guess(&plan.x), guess(&plan.y));
        let mut binner = Self {
            ctx,
            pipeline: if cells as u32 <= SHARED_CELLS {
                pipelines.shared.clone()
            } else {
                pipelines.global.clone()
            },
            plan: plan.clone(),
            edges: ctx.upload_table("density edges", &edge_table)?,
            counts: ctx.storage_buffer("density counts", (cells * 4) as u64)?,
            report: ctx.storage_buffer("density report", 16)?,
            slots: [None, None],
            in_flight: [None, None],
            guess: [x_first, x_scale, y_first, y_scale],
            host_grid: Vec::new(),
            since_flush: 0,
            chunks: 0,
            added: 0,
            weighted: None,
            to_clear: Vec::new(),
        };
        // Cleared in the first submission that uses them (no submission of their own).
        binner.to_clear = vec![binner.counts.clone(), binner.report.clone()];
        Ok(binner)
    }

    /// A binner that sums weights as well as counting, exactly in 64-bit fixed point scaled by
    /// 2^`shift` (from [`WeightStats::fixed_point_shift`] of every weight it will be given:
    /// that bound is what keeps the sums from overflowing).
    ///
    /// # Errors
    /// As [`GpuBinner::new`]; [`Error::InvalidParam`] when [`DensityGpu::supports_weights`]
    /// is false for `plan`.
    pub fn new_weighted(
        ctx: &'c GpuContext,
        pipelines: &DensityGpu,
        plan: &DensityPlan,
        shift: i32,
    ) -> Result<Self> {
        if !DensityGpu::supports_weights(ctx, plan) {
            return Err(Error::param(
                "weights",
                "this grid is past the GPU's weighted path (too large for one binding)",
            ));
        }
        let mut binner = GpuBinner::new(ctx, pipelines, plan)?;
        binner.enable_weights(pipelines, shift)?;
        Ok(binner)
    }

    /// Whether this binner sums weights (and so must be finished with [`GpuBinner::finish`]:
    /// [`GpuBinner::finish_on_device`] leaves counts only).
    pub fn is_weighted(&self) -> bool {
        self.weighted.is_some()
    }

    /// Bins more points with their weights (a binner made by [`GpuBinner::new_weighted`]).
    /// Every weight must be within the statistics the shift was made from.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for lengths that differ; [`Error::InvalidParam`] for a counting
    /// binner, or a weight that is not finite or larger than the shift allows; GPU errors.
    pub fn add_with_weights(
        &mut self,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        weights: ArrayView1<'_, f64>,
    ) -> Result<()> {
        if weights.len() != x.len() {
            return Err(Error::ShapeMismatch {
                what: "weights",
                expected: format!("one weight per point ({})", x.len()),
                got: vec![weights.len()],
            });
        }
        if let Some(w) = &self.weighted {
            // 2^62 / scale is n * max|w| at most: a weight past it was not in the first pass.
            let limit = 2f64.powi(62) / w.scale;
            if weights.iter().any(|v| !v.is_finite() || v.abs() > limit) {
                return Err(Error::param(
                    "weights",
                    "a weight is not finite, or larger than the first pass found",
                ));
            }
        }
        self.add_weighted(x, y, Some(weights))
    }

    /// Sums weights as well as counting, in fixed point scaled by 2^`shift`.
    fn enable_weights(&mut self, pipelines: &DensityGpu, shift: i32) -> Result<()> {
        let ctx = self.ctx;
        let cells = self.plan.x.bins() * self.plan.y.bins();
        let sums = ctx.storage_buffer("density weight sums", (cells * 8) as u64)?;
        self.to_clear.push(sums.clone());
        self.weighted = Some(Weighted {
            pipeline: pipelines.weighted.clone(),
            sums,
            slots: [None, None],
            fixed: Vec::new(),
            scale: 2f64.powi(shift),
        });
        Ok(())
    }

    /// Bins more points, with their weights when given: [`GpuBinner::add_with_weights`] or
    /// [`GpuBinner::add`].
    ///
    /// # Errors
    /// As those; [`Error::InvalidParam`] for weights given to a counting binner or missing
    /// from a weighted one.
    pub fn add_points(
        &mut self,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        weights: Option<ArrayView1<'_, f64>>,
    ) -> Result<()> {
        match weights {
            Some(w) => self.add_with_weights(x, y, w),
            None => self.add(x, y),
        }
    }

    /// Bins more points.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for x and y of different lengths; GPU errors.
    pub fn add(&mut self, x: ArrayView1<'_, f64>, y: ArrayView1<'_, f64>) -> Result<()> {
        self.add_weighted(x, y, None)
    }

    fn add_weighted(
        &mut self,
        x: ArrayView1<'_, f64>,
        y: ArrayView1<'_, f64>,
        weights: Option<ArrayView1<'_, f64>>,
    ) -> Result<()> {
        if x.len() != y.len() {
            return Err(Error::points_mismatch(x.len(), y.len()));
        }
        if self.weighted.is_some() != weights.is_some() {
            return Err(Error::param(
                "weights",
                "a weighted binner takes weights with every chunk, a counting one none",
            ));
        }
        let n = x.len();
        self.added += n as u64;
        // Contiguous views go up as they are; others are copied once into standard layout.
        let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
        let (x, y) = (
            x.as_slice().expect("standard layout"),
            y.as_slice().expect("standard layout"),
        );
        // A chunk's coordinates are bound at once: within one storage binding.
        let chunk = (self.ctx.max_binding_bytes() as usize / POINT_BYTES).clamp(1, CHUNK_POINTS);
        for first in (0..n).step_by(chunk) {
            let last = (first + chunk).min(n);
            if let (Some(w), Some(weights)) = (&mut self.weighted, weights) {
                w.fixed.clear();
                w.fixed.extend(
                    weights
                        .slice(ndarray::s![first..last])
                        .iter()
                        .map(|&v| to_fixed(v, w.scale)),
                );
            }
            self.submit_chunk(&x[first..last], &y[first..last])?;
        }
        Ok(())
    }

    /// Uploads one chunk's x and y values (and fixed-point weights) into the next slot and
    /// submits its binning (no wait: the host uploads the next chunk meanwhile; the slot of two
    /// chunks ago is waited for before it is overwritten).
    fn submit_chunk(&mut self, x: &[f64], y: &[f64]) -> Result<()> {
        let points = x.len();
        self.submit_points(points, false, |ctx, _, slot, _| {
            ctx.write_at(slot, 0, x)?;
            ctx.write_at(slot, (points * 8) as u64, y)
        })
    }

    /// Bins `points` points that live on the device: `fill` records, in the chunk's encoder,
    /// what puts their x values then their y values (float64 bits, bin.wgsl's layout) into
    /// the slot it is given, a buffer of at least `points` * [`POINT_BYTES`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a weighted binner; GPU errors.
    pub(crate) fn add_device_points(
        &mut self,
        points: usize,
        fill: impl FnOnce(&GpuContext, &mut crate::gpu::Recording, &GpuBuffer) -> Result<()>,
    ) -> Result<()> {
        if self.weighted.is_some() {
            return Err(Error::param(
                "weights",
                "a weighted binner takes weights with every chunk",
            ));
        }
        self.added += points as u64;
        self.submit_points(points, false, |ctx, recording, slot, _| {
            fill(ctx, recording, slot)
        })
    }

    /// As [`GpuBinner::add_device_points`] for a weighted binner: `fill` also records the
    /// chunk's weights, as bin.wgsl's 64-bit fixed point at this binner's scale, into the
    /// second buffer it is given (at least `points` * 8 bytes).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a counting binner; GPU errors.
    pub(crate) fn add_device_points_weighted(
        &mut self,
        points: usize,
        fill: impl FnOnce(&GpuContext, &mut crate::gpu::Recording, &GpuBuffer, &GpuBuffer) -> Result<()>,
    ) -> Result<()> {
        if self.weighted.is_none() {
            return Err(Error::param(
                "weights",
                "a counting binner takes no weights",
            ));
        }
        self.added += points as u64;
        self.submit_points(points, true, |ctx, recording, slot, weights| {
            fill(ctx, recording, slot, weights.expect("a weighted binner"))
        })
    }

    /// Binds the next slot to a chunk of `points` points, has `fill` put them there (host
    /// writes, or device copies recorded in the encoder), records the binning and submits.
    fn submit_points(
        &mut self,
        points: usize,
        device_weights: bool,
        fill: impl FnOnce(
            &GpuContext,
            &mut crate::gpu::Recording,
            &GpuBuffer,
            Option<&GpuBuffer>,
        ) -> Result<()>,
    ) -> Result<()> {
        let ctx = self.ctx;
        if points == 0 {
            return Ok(());
        }
        let cells = self.plan.x.bins() * self.plan.y.bins();
        if self.since_flush + points as u64 > FLUSH_POINTS {
            flush(ctx, &self.counts, cells, &mut self.host_grid)?;
            self.since_flush = 0;
        }
        self.since_flush += points as u64;
        let slot = self.chunks % 2;
        self.chunks += 1;
        if let Some(index) = self.in_flight[slot].take() {
            ctx.wait_for(index)?;
        }
        let bytes = (points * POINT_BYTES) as u64;
        if self.slots[slot].as_ref().is_none_or(|b| b.bytes() < bytes) {
            self.slots[slot] = Some(ctx.storage_buffer("density points", bytes)?);
        }
        let points_buffer = self.slots[slot].clone().expect("just made");
        let groups = (points as u64).div_ceil(u64::from(WG_SIZE * POINTS_PER_THREAD));
        let [x_first, x_scale, y_first, y_scale] = self.guess;
        let uniform = ctx.uniform(
            "density uniform",
            &BinUniform {
                nx: self.plan.x.bins() as u32,
                ny: self.plan.y.bins() as u32,
                points: points as u32,
                groups: groups as u32,
                x_first,
                x_scale,
                y_first,
                y_scale,
            },
        )?;
        let mut encoder = self.recording();
        let weights_buffer = match &mut self.weighted {
            Some(w) => {
                let bytes = (points * 8) as u64;
                if w.slots[slot].as_ref().is_none_or(|b| b.bytes() < bytes) {
                    w.slots[slot] = Some(ctx.storage_buffer("density weights", bytes)?);
                }
                let weights_buffer = w.slots[slot].clone().expect("just made");
                if !device_weights {
                    ctx.write_at(&weights_buffer, 0, &w.fixed)?;
                }
                Some(weights_buffer)
            }
            None => None,
        };
        fill(
            ctx,
            &mut encoder,
            &points_buffer,
            weights_buffer.as_ref().filter(|_| device_weights),
        )?;
        if let (Some(w), Some(weights_buffer)) = (&self.weighted, &weights_buffer) {
            ctx.record_dispatch(
                "recording a weighted density chunk",
                &mut encoder,
                &w.pipeline,
                &[
                    &uniform,
                    &points_buffer,
                    &self.edges,
                    &self.counts,
                    &self.report,
                    weights_buffer,
                    &w.sums,
                ],
                groups,
            )?;
        } else {
            ctx.record_dispatch(
                "recording a density chunk",
                &mut encoder,
                &self.pipeline,
                &[
                    &uniform,
                    &points_buffer,
                    &self.edges,
                    &self.counts,
                    &self.report,
                ],
                groups,
            )?;
        }
        self.in_flight[slot] = Some(ctx.submit("submitting a density chunk", encoder)?);
        Ok(())
    }

    /// An encoder that first clears the accumulators not cleared yet.
    fn recording(&mut self) -> crate::gpu::Recording {
        let mut encoder = self.ctx.encoder();
        for buffer in self.to_clear.drain(..) {
            encoder.clear_buffer(&buffer, 0, None);
        }
        encoder
    }

    /// Leaves the grid of counts on the GPU for more work there; only the report is read back
    /// (8 bytes, one wait).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a weighted binner or `density=True` (their values are
    /// not counts); GPU errors.
    pub fn finish_on_device(self) -> Result<DeviceCounts> {
        let ctx = self.ctx;
        let (recording, recorded) = self.finish_recorded()?;
        let words: Vec<u32> =
            ctx.submit_and_read("the density report", recording, &recorded.report, 0, 2)?;
        Ok(recorded.with_report([words[0], words[1]]))
    }

    /// Leaves the grid of counts on the GPU, and the encoder open for the work that uses it
    /// (a heatmap's blur and colours), so that the report is read back with that work's
    /// result: one submit and one wait for the whole chain.
    ///
    /// # Errors
    /// As [`GpuBinner::finish_on_device`].
    pub(crate) fn finish_recorded(mut self) -> Result<(crate::gpu::Recording, RecordedCounts)> {
        if self.weighted.is_some() || self.plan.density {
            return Err(Error::param(
                "plan",
                "only plain counts stay on the GPU; use finish()",
            ));
        }
        let recording = self.recording();
        self.host_grid
            .resize(self.plan.x.bins() * self.plan.y.bins(), 0);
        Ok((
            recording,
            RecordedCounts {
                counts: self.counts,
                report: self.report,
                host_grid: self.host_grid,
                added: self.added,
            },
        ))
    }

    /// Reads the grid back once and applies `density=True` if asked.
    ///
    /// # Errors
    /// GPU errors.
    pub fn finish(mut self) -> Result<Histogram> {
        let cells = self.plan.x.bins() * self.plan.y.bins();
        // Counts, report and sums in one read-back.
        let encoder = self.recording();
        let mut parts = vec![(&self.counts, (cells * 4) as u64), (&self.report, 8)];
        if let Some(w) = &self.weighted {
            parts.push((&w.sums, (cells * 8) as u64));
        }
        let (mut device_counts, mut device_report, mut words) =
            (Vec::new(), Vec::new(), Vec::new());
        self.ctx
            .submit_and_read_parts("the density grid", encoder, &parts, |read| {
                device_counts.extend_from_slice(&crate::gpu::mapped_as::<u32>(read[0]));
                device_report.extend_from_slice(&crate::gpu::mapped_as::<u32>(read[1]));
                if let Some(sums) = read.get(2) {
                    words.extend_from_slice(&crate::gpu::mapped_as::<u32>(sums));
                }
            })?;
        self.host_grid.resize(cells, 0);
        let counts: Vec<u64> = self
            .host_grid
            .iter()
            .zip(&device_counts)
            .map(|(&h, &d)| h + u64::from(d))
            .collect();
        let used = counts.iter().sum::<u64>();
        let values: Vec<f64> = match &mut self.weighted {
            None => counts.iter().map(|&c| c as f64).collect(),
            Some(w) => words
                .chunks_exact(2)
                .map(|pair| {
                    // The 64-bit two's-complement sum, low word first.
                    let fixed = (u64::from(pair[0]) | (u64::from(pair[1]) << 32)) as i64;
                    fixed as f64 / w.scale
                })
                .collect(),
        };
        Ok(cpu::finish(
            values,
            &self.plan,
            used,
            u64::from(device_report[0]),
            u64::from(device_report[1]),
        ))
    }
}

/// Adds the device grid into `host_grid` and clears it.
fn flush(
    ctx: &GpuContext,
    counts: &GpuBuffer,
    cells: usize,
    host_grid: &mut Vec<u64>,
) -> Result<()> {
    let partial: Vec<u32> = ctx.read_back(counts, 0, cells)?;
    host_grid.resize(cells, 0);
    host_grid
        .iter_mut()
        .zip(&partial)
        .for_each(|(h, &p)| *h += u64::from(p));
    let mut encoder = ctx.encoder();
    encoder.clear_buffer(counts, 0, None);
    ctx.submit_and_wait("clearing the density grid", encoder)
}
