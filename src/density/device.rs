//! `histogram2d` of device arrays: points that already live on a GPU are binned there, and
//! the grid stays there (the output lives where the input lives).
//!
//! Exact binning compares the points' float64 bits (bin.wgsl), so the device path takes arrays
//! that hold them: native float64 storage (copied into the binner's chunks on the device), and
//! float32 storage (widened to float64 bits on the device, exactly; NumPy bins float32 points
//! with float32 automatic edges, and so does this). double-float arrays hold about 48 of
//! float64's 53 bits: their points, and weights, `density=True` and grids past one binding, are
//! binned on the CPU with a note and the grid put back on the device.
//!
//! Without a `range`, NumPy's automatic range needs the data's extent: a reduction on the
//! device and a read-back of a few words per 4096 values (one wait). With a `range`, nothing
//! waits: the grid is converted to float64 cells on the device and the call returns while the
//! GPU works; [`DeviceHistogram::report`] reads the points' report when asked.

use bytemuck::{Pod, Zeroable};

use super::gpu::{DensityGpu, GpuBinner, WeightStats, CHUNK_POINTS, POINT_BYTES};
use super::{Bounds, DensityParams, DensityPlan, PointType};
use crate::array::{DType, DeviceArray, Storage};
use crate::error::{Error, Result};
use crate::gpu::{Arith, GpuBuffer, GpuContext, Recording};

/// The WGSL source.
pub(crate) const DEVICE_WGSL: &str = crate::gpu::include_wgsl!("density/device.wgsl");
/// Threads per workgroup (`WG` in device.wgsl).
pub const DEVICE_WG: usize = 256;
/// Values one thread of `bounds` reads (`BOUNDS_PER_THREAD`).
pub const BOUNDS_PER_THREAD: usize = 16;

/// Kept in sync with `struct DeviceUniform` in shaders/density/device.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct DeviceUniform {
    /// First value read.
    pub(crate) first: u32,
    /// Values (points for `widen`, cells for `to_float64`).
    pub(crate) count: u32,
    /// Workgroups that do work.
    pub(crate) groups: u32,
    /// `to_float64`: 1 for float64 bits, 0 for double-float pairs.
    pub(crate) native: u32,
}

/// The pipelines of device.wgsl.
struct Kernels {
    widen: wgpu::ComputePipeline,
    bounds: wgpu::ComputePipeline,
    to_float64: wgpu::ComputePipeline,
    to_float32: wgpu::ComputePipeline,
    to_fixed: wgpu::ComputePipeline,
}

impl Kernels {
    fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            widen: ctx.pipeline("density device", DEVICE_WGSL, "widen")?,
            bounds: ctx.pipeline("density device", DEVICE_WGSL, "bounds")?,
            to_float64: ctx.pipeline("density device", DEVICE_WGSL, "to_float64")?,
            to_float32: ctx.pipeline("density device", DEVICE_WGSL, "to_float32")?,
            to_fixed: ctx.pipeline("density device", DEVICE_WGSL, "to_fixed")?,
        })
    }
}

/// A histogram whose grid lives on the GPU.
#[derive(Debug)]
pub struct DeviceHistogram {
    /// The grid, float64 of shape `(x bins, y bins)` as NumPy returns it: counts (exact in
    /// native float64 or in double-float), or `density=True` values from the CPU path.
    pub grid: DeviceArray,
    /// Edges along x.
    pub x_edges: Vec<f64>,
    /// Edges along y.
    pub y_edges: Vec<f64>,
    report: Report,
}

/// Where the points' report is.
#[derive(Debug)]
enum Report {
    /// Read already: `[used, out_of_range, non_finite]`.
    Host([u64; 3]),
    /// Two u32 on the device (finite points out of range, non-finite ones), of `added` points.
    Device { buffer: GpuBuffer, added: u64 },
}

impl DeviceHistogram {
    /// The report when it is known on the host, else the device buffer of its two u32 and the
    /// points added (for a read-back that takes it along).
    pub(crate) fn pending_report(&self) -> std::result::Result<[u64; 3], (&GpuBuffer, u64)> {
        match &self.report {
            Report::Host(report) => Ok(*report),
            Report::Device { buffer, added } => Err((buffer, *added)),
        }
    }

    /// `[used, out_of_range, non_finite]`: points binned, finite points outside the range,
    /// points with a NaN or infinite coordinate (as [`super::Histogram`]). Reads 8 bytes back
    /// (one wait) when the binning ran on the device.
    ///
    /// # Errors
    /// GPU errors.
    pub fn report(&self) -> Result<[u64; 3]> {
        match &self.report {
            Report::Host(report) => Ok(*report),
            Report::Device { buffer, added } => {
                let ctx = self.grid.gpu();
                let words: Vec<u32> =
                    ctx.submit_and_read("the histogram's report", ctx.encoder(), buffer, 0, 2)?;
                let (out, non_finite) = (u64::from(words[0]), u64::from(words[1]));
                Ok([added - out - non_finite, out, non_finite])
            }
        }
    }
}

/// `numpy.histogram2d(x, y, bins, range, density, weights)` of 1-D real device arrays on the
/// same GPU (`params`: the bins, range and density). The grid stays on that GPU as a float64
/// device array of shape `(x bins, y bins)`, in native float64 where the adapter has it, else
/// double-float (exact for counts).
///
/// Weights on the device are summed there exactly, in 64-bit fixed point (converted from their
/// float64 bits on the device; the scale comes from their extent, reduced there: one small
/// read-back); the sums are finished to float64 on the host and the grid put back (one
/// read-back of the grid). NaN or infinite weights, as on the host path, are summed on the CPU.
///
/// # Errors
/// [`Error::InvalidParam`] for arrays on different GPUs, not 1-D, or complex; for the
/// parameter errors of [`DensityParams::plan`] (a non-finite automatic range among them);
/// [`Error::ShapeMismatch`] for x, y (and weights) of different lengths; GPU errors.
pub fn histogram2d_device(
    x: &DeviceArray,
    y: &DeviceArray,
    weights: Option<&DeviceArray>,
    params: &DensityParams,
) -> Result<DeviceHistogram> {
    let (plan, weight_stats) = device_plan(x, y, weights, params)?;
    let ctx = x.gpu();
    let weighted = weights.zip(weight_stats);
    let refused = refusal(x, y, &plan)
        .or_else(|| weighted.and_then(|(w, stats)| weights_refusal(w, stats, &plan)));
    if let Some(reason) = refused {
        crate::gpu::note_cpu_fallback(|| format!("histogram2d: {reason}; computed on the CPU"));
        let (hx, hy) = (host_f64(x)?, host_f64(y)?);
        let hw = weights.map(host_f64).transpose()?;
        let histogram = super::histogram2d(
            crate::gpu::Device::Cpu,
            hx.view(),
            hy.view(),
            hw.as_ref().map(|w| w.view()),
            &plan,
        )?;
        return on_device(ctx, histogram);
    }
    if let Some((w, stats)) = weighted {
        let shift = stats
            .fixed_point_shift()
            .expect("checked by weights_refusal");
        let binner = bin(x, y, Some((w, shift)), &plan)?;
        return on_device(ctx, binner.finish()?);
    }
    let binner = bin(x, y, None, &plan)?;
    let (mut recording, recorded) = binner.finish_recorded()?;
    let cells = plan.x.bins() * plan.y.bins();
    let shape = vec![plan.x.bins(), plan.y.bins()];
    let grid = match recorded.host_counts() {
        // Counts flushed to the host so no u32 cell wraps (over 2^31 points): merged there, a
        // rare case.
        Some(host) => {
            let device: Vec<u32> = {
                ctx.submit("the histogram", recording)?;
                ctx.read_back(recorded.buffer(), 0, cells)?
            };
            let merged: Vec<f64> = host
                .iter()
                .zip(&device)
                .map(|(&h, &d)| (h + u64::from(d)) as f64)
                .collect();
            let merged =
                ndarray::Array2::from_shape_vec((shape[0], shape[1]), merged).expect("grid");
            DeviceArray::from_host(ctx, merged.view(), float64_arith(ctx))?
        }
        None => {
            let (buffer, storage) = record_float64(ctx, &mut recording, recorded.buffer(), cells)?;
            ctx.submit("the histogram", recording)?;
            DeviceArray::from_parts(ctx, buffer, shape, DType::Float64, storage)
        }
    };
    Ok(DeviceHistogram {
        grid,
        x_edges: plan.x.as_slice().to_vec(),
        y_edges: plan.y.as_slice().to_vec(),
        report: Report::Device {
            buffer: recorded.report,
            added: x.len() as u64,
        },
    })
}

/// A histogram finished on the host, its grid put on the device.
fn on_device(ctx: &GpuContext, histogram: super::Histogram) -> Result<DeviceHistogram> {
    Ok(DeviceHistogram {
        grid: DeviceArray::from_host(ctx, histogram.values.view(), float64_arith(ctx))?,
        x_edges: histogram.x_edges,
        y_edges: histogram.y_edges,
        report: Report::Host([histogram.used, histogram.out_of_range, histogram.non_finite]),
    })
}

/// Why the device path cannot sum `weights` (of statistics `stats`) under `plan`; `None`
/// when it can.
fn weights_refusal(
    weights: &DeviceArray,
    stats: WeightStats,
    plan: &DensityPlan,
) -> Option<String> {
    if !widens_in_one_binding(weights) {
        Some(
            "double-float weights, or float32 weights past one binding, are summed on the host"
                .into(),
        )
    } else if stats.fixed_point_shift().is_none() {
        Some("NaN, infinite or too large weights need float sums (NumPy's NaN bins)".into())
    } else {
        DensityGpu::refusal(weights.gpu(), plan, true)
    }
}

/// The arithmetic float64 results are stored in on `ctx`: native where the adapter has it.
fn float64_arith(ctx: &GpuContext) -> Arith {
    if ctx.device().features().contains(wgpu::Features::SHADER_F64) {
        Arith::Native64
    } else {
        Arith::DoubleFloat
    }
}

/// Checks the points and makes the plan: NumPy's automatic range from the data's extent,
/// found on the device for arrays that hold float64's bits, on the host otherwise.
///
/// # Errors
/// As [`histogram2d_device`].
pub(crate) fn device_plan(
    x: &DeviceArray,
    y: &DeviceArray,
    weights: Option<&DeviceArray>,
    params: &DensityParams,
) -> Result<(DensityPlan, Option<WeightStats>)> {
    let named = [("x", Some(x)), ("y", Some(y)), ("weights", weights)];
    for (name, array) in named.iter().filter_map(|(n, a)| a.map(|a| (*n, a))) {
        if !x.gpu().same(array.gpu()) {
            return Err(Error::param(name, "the arrays live on different GPUs"));
        }
        if array.shape().len() != 1 {
            return Err(Error::param(
                name,
                format!("points are 1-D arrays, not {}-D", array.shape().len()),
            ));
        }
        if !matches!(array.dtype(), DType::Float32 | DType::Float64) {
            return Err(Error::param(
                name,
                format!("points are real, not {}", array.dtype().name()),
            ));
        }
    }
    if x.len() != y.len() {
        return Err(Error::points_mismatch(x.len(), y.len()));
    }
    if let Some(w) = weights {
        if w.len() != x.len() {
            return Err(Error::ShapeMismatch {
                what: "weights",
                expected: format!("one weight per point ({})", x.len()),
                got: w.shape().to_vec(),
            });
        }
    }
    // NumPy computes float32 points' automatic edges in float32 only when both are float32.
    let points = if x.dtype() == DType::Float32 && y.dtype() == DType::Float32 {
        PointType::F32
    } else {
        PointType::F64
    };
    let needs_bounds = params.range.is_none()
        && params
            .bins
            .iter()
            .any(|b| matches!(b, super::BinSpec::Count(_)));
    // The extents needed, in one reduction: the points' for the automatic range, the
    // weights' for their fixed-point scale.
    let mut arrays = Vec::new();
    if needs_bounds {
        arrays.extend([x, y]);
    }
    arrays.extend(weights);
    let bounds = if arrays.iter().all(|a| widens_in_one_binding(a)) {
        device_bounds(&arrays)?
    } else {
        arrays
            .iter()
            .map(|a| Ok(Bounds::of(host_f64(a)?.view())))
            .collect::<Result<Vec<_>>>()?
    };
    let (bx, by) = if needs_bounds {
        (bounds[0], bounds[1])
    } else {
        (Bounds::EMPTY, Bounds::EMPTY)
    };
    let stats = weights.map(|w| {
        let b = bounds[bounds.len() - 1];
        if w.is_empty() {
            WeightStats::EMPTY
        } else {
            let all_finite = !b.nan && b.min.is_finite() && b.max.is_finite();
            WeightStats {
                count: w.len() as u64,
                max_abs: if all_finite {
                    b.min.abs().max(b.max.abs())
                } else {
                    0.0
                },
                all_finite,
            }
        }
    });
    Ok((params.plan_from_bounds(bx, by, points)?, stats))
}

/// Whether the array holds its values exactly as float64 bits or float32 words.
fn holds_float64_bits(array: &DeviceArray) -> bool {
    matches!(array.storage(), Storage::F32 | Storage::F64)
}

/// Whether the device path reads the array: float64 bits (copied in chunks), or float32
/// words within one binding (the widening binds the whole array).
fn widens_in_one_binding(array: &DeviceArray) -> bool {
    match array.storage() {
        Storage::F64 => true,
        Storage::F32 => array.len() as u64 * 4 <= array.gpu().max_binding_bytes(),
        Storage::DoubleFloat { .. } => false,
    }
}

/// Why the device path cannot bin `x`, `y` under `plan`, in words; `None` when it can.
pub(crate) fn refusal(x: &DeviceArray, y: &DeviceArray, plan: &DensityPlan) -> Option<String> {
    let ctx = x.gpu();
    let binding = ctx.max_binding_bytes();
    if !(holds_float64_bits(x) && holds_float64_bits(y)) {
        Some("double-float arrays do not hold float64's bits, which exact binning compares".into())
    } else if plan.density {
        Some("density=True divides the counts on the host".into())
    } else if let Some(reason) = DensityGpu::refusal(ctx, plan, false) {
        Some(reason)
    } else if (plan.x.bins() * plan.y.bins()) as u64 * 8 > binding {
        Some("the grid's float64 cells are past one storage binding".into())
    } else if !(widens_in_one_binding(x) && widens_in_one_binding(y)) {
        Some("a float32 array past one storage binding is not widened in pieces".into())
    } else {
        None
    }
}

/// The points as float64 on the host.
fn host_f64(array: &DeviceArray) -> Result<ndarray::Array1<f64>> {
    Ok(array
        .to_host_f64()?
        .into_dimensionality::<ndarray::Ix1>()
        .expect("checked: 1-D"))
}

/// Points per chunk on `ctx`.
fn chunk_points(ctx: &GpuContext) -> usize {
    (ctx.max_binding_bytes() as usize / POINT_BYTES).clamp(1, CHUNK_POINTS)
}

/// Records, in `recording`, what puts points `first .. first + count` of `x` and `y` into
/// `slot` in bin.wgsl's layout: copies of float64 bits, or float32 widened.
fn fill(
    ctx: &GpuContext,
    kernels: &Kernels,
    recording: &mut Recording,
    (x, y): (&DeviceArray, &DeviceArray),
    (first, count): (usize, usize),
    slot: &GpuBuffer,
) -> Result<()> {
    if x.storage() == Storage::F32 && y.storage() == Storage::F32 {
        return record_widen(ctx, kernels, recording, (x, y), (first, count), slot);
    }
    // Otherwise each coordinate its own way: float64 bits copied as they are, float32 widened
    // (with itself as both coordinates) into scratch and its half copied.
    let bytes = (count * 8) as u64;
    for (array, offset) in [(x, 0), (y, bytes)] {
        let (source, from) = if array.storage() == Storage::F64 {
            (array.buffer().clone(), (first * 8) as u64)
        } else {
            let scratch = ctx.storage_buffer("widened points", 2 * bytes)?;
            record_widen(
                ctx,
                kernels,
                recording,
                (array, array),
                (first, count),
                &scratch,
            )?;
            (scratch, 0)
        };
        ctx.scoped("copying device points", || {
            recording.copy_buffer_to_buffer(&source, from, slot, offset, bytes);
        })?;
    }
    Ok(())
}

/// Records what puts values `first .. first + count` of one array into `slot` as float64 bits
/// (the first `count` words; `slot` holds at least `count` points): one copy of float64
/// bits, or float32 widened (the kernel writes the values twice, as both coordinates).
fn fill_values(
    ctx: &GpuContext,
    kernels: &Kernels,
    recording: &mut Recording,
    array: &DeviceArray,
    (first, count): (usize, usize),
    slot: &GpuBuffer,
) -> Result<()> {
    if array.storage() == Storage::F64 {
        let bytes = (count * 8) as u64;
        return ctx.scoped("copying device values", || {
            recording.copy_buffer_to_buffer(array.buffer(), (first * 8) as u64, slot, 0, bytes);
        });
    }
    record_widen(
        ctx,
        kernels,
        recording,
        (array, array),
        (first, count),
        slot,
    )
}

fn record_widen(
    ctx: &GpuContext,
    kernels: &Kernels,
    recording: &mut Recording,
    (x, y): (&DeviceArray, &DeviceArray),
    (first, count): (usize, usize),
    slot: &GpuBuffer,
) -> Result<()> {
    let groups = count.div_ceil(DEVICE_WG);
    let uniform = ctx.uniform(
        "density device uniform",
        &DeviceUniform {
            first: first as u32,
            count: count as u32,
            groups: groups as u32,
            native: 0,
        },
    )?;
    ctx.record_dispatch(
        "widening float32 points",
        recording,
        &kernels.widen,
        &[&uniform, x.buffer(), y.buffer(), slot],
        groups as u64,
    )
}

/// Records `x`'s values as float64 bits in a new buffer (float32 storage widened exactly on
/// the device); the first `x.len()` 8-byte words hold them. For kernels that compare float64
/// bits (crossings). `x` must hold float32 words or float64 bits, and twice its widened bytes
/// must fit one binding for float32 (the caller checks).
pub(crate) fn record_float64_bits(recording: &mut Recording, x: &DeviceArray) -> Result<GpuBuffer> {
    if x.storage() == Storage::F64 {
        return Ok(x.buffer().clone());
    }
    let ctx = x.gpu();
    let kernels = Kernels::new(ctx)?;
    // widen writes x's values then (here) x's values again: the first half is the answer.
    let wide = ctx.storage_buffer("widened values", (x.len() * 16) as u64)?;
    record_widen(ctx, &kernels, recording, (x, x), (0, x.len()), &wide)?;
    Ok(wide)
}

/// A binner holding the counts of every point of `x`, `y` (the caller checked [`refusal`]),
/// its chunks submitted and not waited for.
pub(crate) fn bin<'c>(
    x: &'c DeviceArray,
    y: &DeviceArray,
    weights: Option<(&DeviceArray, i32)>,
    plan: &DensityPlan,
) -> Result<GpuBinner<'c>> {
    let ctx = x.gpu();
    let kernels = Kernels::new(ctx)?;
    let pipelines = DensityGpu::new(ctx)?;
    let mut binner = match weights {
        None => GpuBinner::new(ctx, &pipelines, plan)?,
        Some((_, shift)) => GpuBinner::new_weighted(ctx, &pipelines, plan, shift)?,
    };
    let chunk = chunk_points(ctx);
    for first in (0..x.len()).step_by(chunk) {
        let count = chunk.min(x.len() - first);
        match weights {
            None => binner.add_device_points(count, |ctx, recording, slot| {
                fill(ctx, &kernels, recording, (x, y), (first, count), slot)
            })?,
            Some((w, shift)) => {
                binner.add_device_points_weighted(count, |ctx, recording, slot, fixed| {
                    fill(ctx, &kernels, recording, (x, y), (first, count), slot)?;
                    record_fixed(ctx, &kernels, recording, w, (first, count), shift, fixed)
                })?
            }
        }
    }
    Ok(binner)
}

/// Records weights `first .. first + count` of `w` as bin.wgsl's 64-bit fixed point, scaled
/// by 2^`shift`, into `fixed`: their float64 bits gathered (copied, or float32 widened) into
/// scratch, then converted exactly.
fn record_fixed(
    ctx: &GpuContext,
    kernels: &Kernels,
    recording: &mut Recording,
    w: &DeviceArray,
    (first, count): (usize, usize),
    shift: i32,
    fixed: &GpuBuffer,
) -> Result<()> {
    let scratch = ctx.storage_buffer("weights as float64", (count * POINT_BYTES) as u64)?;
    fill_values(ctx, kernels, recording, w, (first, count), &scratch)?;
    let groups = count.div_ceil(DEVICE_WG);
    let uniform = ctx.uniform(
        "density device uniform",
        &DeviceUniform {
            first: 0,
            count: count as u32,
            groups: groups as u32,
            native: shift as u32,
        },
    )?;
    ctx.record_dispatch(
        "weights to fixed point",
        recording,
        &kernels.to_fixed,
        &[&uniform, &scratch, fixed],
        groups as u64,
    )
}

/// The extent of each of `arrays` (of one length, holding float64 bits or float32 words),
/// reduced on the device chunk by chunk and finished on the host: one submit, one wait.
fn device_bounds(arrays: &[&DeviceArray]) -> Result<Vec<Bounds>> {
    let mut bounds = vec![Bounds::EMPTY; arrays.len()];
    let Some(first_array) = arrays.first() else {
        return Ok(bounds);
    };
    let ctx = first_array.gpu();
    let kernels = Kernels::new(ctx)?;
    let n = first_array.len();
    let chunk = chunk_points(ctx);
    let per_group = DEVICE_WG * BOUNDS_PER_THREAD;
    let chunks = n.div_ceil(chunk);
    // Per array and chunk, three word pairs a workgroup.
    let groups_of = |count: usize| count.div_ceil(per_group);
    let total_groups: usize = arrays.len()
        * (0..chunks)
            .map(|c| groups_of(chunk.min(n - c * chunk)))
            .sum::<usize>();
    if total_groups == 0 {
        return Ok(bounds);
    }
    let partial = ctx.storage_buffer("histogram bounds", (total_groups * 3 * 8) as u64)?;
    let slot = ctx.storage_buffer(
        "histogram bounds points",
        (chunk.min(n) * POINT_BYTES) as u64,
    )?;
    let mut recording = ctx.encoder();
    let mut at = 0usize;
    let mut layout = Vec::with_capacity(chunks * arrays.len());
    for (index, &array) in arrays.iter().enumerate() {
        for c in 0..chunks {
            let (first, count) = (c * chunk, chunk.min(n - c * chunk));
            fill_values(ctx, &kernels, &mut recording, array, (first, count), &slot)?;
            let groups = groups_of(count);
            let uniform = ctx.uniform(
                "density device uniform",
                &DeviceUniform {
                    first: 0,
                    count: count as u32,
                    groups: groups as u32,
                    native: 0,
                },
            )?;
            // Each part's partials at its own place in the one buffer read back.
            let out = ctx.storage_buffer("histogram bounds part", (groups * 3 * 8) as u64)?;
            ctx.record_dispatch(
                "the points' extent",
                &mut recording,
                &kernels.bounds,
                &[&uniform, &slot, &out],
                groups as u64,
            )?;
            ctx.scoped("gathering the extent", || {
                recording.copy_buffer_to_buffer(
                    &out,
                    0,
                    &partial,
                    (at * 3 * 8) as u64,
                    (groups * 3 * 8) as u64,
                );
            })?;
            layout.push((index, at, groups));
            at += groups;
        }
    }
    ctx.submit_and_read_with::<[u32; 2]>(
        "the points' extent",
        recording,
        &partial,
        total_groups * 3,
        |words| {
            for &(index, at, groups) in &layout {
                for g in at..at + groups {
                    let (lo, hi, nan) = (words[3 * g], words[3 * g + 1], words[3 * g + 2][0]);
                    let b = &mut bounds[index];
                    b.nan |= nan != 0;
                    // The identities (no non-NaN value in the group) are not values.
                    if lo != [u32::MAX, u32::MAX] {
                        b.min = b.min.min(value_of_key(lo));
                        b.max = b.max.max(value_of_key(hi));
                    }
                }
            }
        },
    )?;
    Ok(bounds)
}

/// The float64 of an order key (high, low): the inverse of bin.wgsl's `order_key`.
fn value_of_key([high, low]: [u32; 2]) -> f64 {
    let key = (u64::from(high) << 32) | u64::from(low);
    let bits = if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    };
    f64::from_bits(bits)
}

/// Records the conversion of `cells` u32 counts to float64 cells in a new buffer: float64
/// bits where the adapter has float64, else double-float pairs (exponent 0).
fn record_float64(
    ctx: &GpuContext,
    recording: &mut Recording,
    counts: &GpuBuffer,
    cells: usize,
) -> Result<(GpuBuffer, Storage)> {
    let kernels = Kernels::new(ctx)?;
    let native = float64_arith(ctx) == Arith::Native64;
    let groups = cells.div_ceil(DEVICE_WG);
    let uniform = ctx.uniform(
        "density device uniform",
        &DeviceUniform {
            first: 0,
            count: cells as u32,
            groups: groups as u32,
            native: u32::from(native),
        },
    )?;
    let out = ctx.storage_buffer("histogram grid", (cells * 8) as u64)?;
    ctx.record_dispatch(
        "counts to float64",
        recording,
        &kernels.to_float64,
        &[&uniform, counts, &out],
        groups as u64,
    )?;
    let storage = if native {
        Storage::F64
    } else {
        Storage::DoubleFloat { exponent: 0 }
    };
    Ok((out, storage))
}

/// Records `grid`'s values as float32 in a new buffer, for drawing: float64 bits rounded to
/// nearest, double-float pairs summed and scaled; a float32 array as it is. `None` for a
/// double-float scaling past float32's exponents, or a complex array.
pub(crate) fn record_float32(
    recording: &mut Recording,
    grid: &DeviceArray,
) -> Result<Option<GpuBuffer>> {
    let ctx = grid.gpu();
    let (native, exponent) = match (grid.dtype(), grid.storage()) {
        (DType::Float32 | DType::Float64, Storage::F32) => return Ok(Some(grid.buffer().clone())),
        (DType::Float64, Storage::F64) => (true, 0),
        (DType::Float64, Storage::DoubleFloat { exponent }) if (-126..=127).contains(&exponent) => {
            (false, exponent)
        }
        _ => return Ok(None),
    };
    let cells = grid.len();
    let kernels = Kernels::new(ctx)?;
    let groups = cells.div_ceil(DEVICE_WG);
    let uniform = ctx.uniform(
        "density device uniform",
        &DeviceUniform {
            first: exponent as u32,
            count: cells as u32,
            groups: groups as u32,
            native: u32::from(native),
        },
    )?;
    let out = ctx.storage_buffer("grid as float32", (cells * 4) as u64)?;
    ctx.record_dispatch(
        "grid to float32",
        recording,
        &kernels.to_float32,
        &[&uniform, grid.buffer(), &out],
        groups as u64,
    )?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_invert_to_their_values() {
        for v in [
            0.0,
            1.5,
            -2.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-310,
            -1e300,
        ] {
            let [high, low] = super::super::gpu::order_key(v);
            assert_eq!(value_of_key([high, low]).to_bits(), v.to_bits(), "{v}");
        }
    }
}
