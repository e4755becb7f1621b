//! The GPU path: one tiled dispatch per pass (SciPy's axis order), each pass seeing the
//! array as a stack of `rows x cols` matrices filtered along rows or down columns (see
//! `AxisView` in the blur module); every element is read from and written to global memory about once
//! per pass.
//!
//! Arrays that fit in one storage binding stay on the GPU between the passes and are read back
//! once. Larger ones are cut into tiles that each fit: the host extends each tile's lines with
//! the edge rule (so the shader needs no knowledge of the rest of the array), the GPU filters
//! it, and the host stitches the results. Kernels too wide for workgroup memory fall back to a
//! direct kernel that reads global memory. Dispatches past 65,535 workgroups are spread over
//! the y and z dimensions. An image stack gives each image (slice) its own kernel through a
//! table the shader indexes by slice.
//!
//! [`BlurGpu`] is generic over the buffers' element ([`DeviceReal`]): `f32`, or float64 input
//! computed in native `f64` or in double-float (`shaders/precision/`), one WGSL source for all.

use bytemuck::{Pod, Zeroable};
use ndarray::{Array, ArrayD, ArrayView, ArrayViewD, Dimension, IxDyn};

use super::{omit_cvals, AxisView, BlurParams, BlurPlan, Mode, NanPolicy, Taps};
use crate::array::{host_call, host_call_normwise, DType, DeviceArray, HostElement, Storage};
use crate::error::{Error, Result};
use crate::gpu::{
    precision_variants, Arith, DeviceReal, DoubleFloat, GpuBuffer, GpuContext, Recording,
    ShaderVariants,
};

/// The WGSL source in each precision, compiled once per context.
pub(crate) const BLUR_SHADERS: ShaderVariants = precision_variants!("blur", "blur/blur.wgsl");
/// The normalisation step of the `omit` NaN policy.
pub(crate) const NORMALIZE_SHADERS: ShaderVariants =
    precision_variants!("normalize", "blur/normalize.wgsl");

/// Threads per workgroup of `blur_rows_tiled`, `blur_direct` and `normalize` (`WG_SIZE` in WGSL).
pub const WG_SIZE: u32 = 256;
/// Outputs per workgroup of `blur_rows_tiled` (`ROW_TILE`).
pub const ROW_TILE: u32 = 256;
/// Columns per workgroup of `blur_cols_tiled` (`COL_TILE_COLS`).
pub const COL_TILE_COLS: u32 = 32;
/// Output rows per workgroup of `blur_cols_tiled` in float32 (`COL_TILE_ROWS`; halved for
/// the 8-byte elements of float64 and double-float).
pub const COL_TILE_ROWS: u32 = 64;
/// float32 slots of workgroup memory in the tiled kernels (`SHARED_LEN`: 16 KiB, so half as
/// many 8-byte elements).
pub const SHARED_LEN: u32 = 4096;

/// The code telling the shader that the host already extended the lines (`MODE_PADDED`).
const MODE_PADDED: u32 = 5;

/// One pass's parameters. Kept in sync with `struct BlurUniform` in shaders/blur/blur.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct BlurUniform {
    /// Output rows per slice.
    pub(crate) out_rows: u32,
    /// Output columns.
    pub(crate) out_cols: u32,
    /// Rows per slice held in `src`.
    pub(crate) src_rows: u32,
    /// Columns held in `src`.
    pub(crate) src_cols: u32,
    /// Matrices stacked in `src` and `dst`.
    pub(crate) slices: u32,
    /// The kernel table's entry for slice 0 of this dispatch (times `kernel_stride`).
    pub(crate) first_slice: u32,
    /// 1: one kernel per slice; 0: one kernel for all.
    pub(crate) kernel_stride: u32,
    /// Edge mode code, or `MODE_PADDED`.
    pub(crate) mode: u32,
    /// 0: filter down columns; 1: along rows.
    pub(crate) axis: u32,
    /// Index of the constant of `constant` mode in the weights buffer (after the taps, so it
    /// is stored in the kernel's precision).
    pub(crate) cval_at: u32,
    /// Workgroups that do work (the rest of the dispatch returns at once).
    pub(crate) groups: u32,
    /// Always 1.0: multiplying by a value the compiler cannot see keeps it from folding the
    /// compensated sum's error terms away ((s + p) - s -> p).
    pub(crate) one: f32,
}

/// One kernel of the table. Kept in sync with `struct Kernel` in shaders/blur/blur.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct KernelEntry {
    /// Index of its first tap in the weights array.
    pub(crate) start: u32,
    /// Number of taps.
    pub(crate) taps: u32,
    /// Position of tap 0 relative to the output index.
    pub(crate) first_offset: i32,
    /// The tap whose sample is the output's own, for sums relative to it ([`NO_CENTRE`]:
    /// plain sums; see `struct Kernel` in the shader).
    pub(crate) centre: u32,
}

/// No centred sum (`NO_CENTRE` in blur.wgsl).
pub(crate) const NO_CENTRE: u32 = u32::MAX;

/// Kept in sync with `struct NormalizeUniform` in shaders/blur/normalize.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct NormalizeUniform {
    /// Elements.
    pub(crate) len: u32,
    /// Workgroups that do work.
    pub(crate) groups: u32,
    /// Always 1.0 (double-float division: see shaders/precision/double_float.wgsl).
    pub(crate) one: f32,
    /// Padding to 16 bytes.
    pub(crate) _pad: u32,
}

/// The blur's compiled pipelines on one context, for buffers of `E` (`f32`, `f64`, or
/// [`DoubleFloat`]).
#[derive(Debug)]
pub struct BlurGpu<E: DeviceReal = f32> {
    rows_tiled: wgpu::ComputePipeline,
    cols_tiled: wgpu::ComputePipeline,
    direct: wgpu::ComputePipeline,
    normalize: wgpu::ComputePipeline,
    element: std::marker::PhantomData<E>,
}

/// One pass as the shader runs it: `slices` matrices of `rows x cols`, filtered along `axis`
/// (1: rows, 0: columns), with one kernel for all slices or one per slice.
#[derive(Clone, Debug)]
pub(crate) struct GpuPass {
    slices: usize,
    rows: usize,
    cols: usize,
    axis: usize,
    /// One entry, or one per slice.
    taps: Vec<Taps>,
    mode: Mode,
}

impl GpuPass {
    /// A pass of an N-D plan along `axis` of `shape`: a row pass when the axis is the last
    /// one, else a column pass over the `outer` matrices of `len x inner`.
    fn along(shape: &[usize], axis: usize, taps: Taps, mode: Mode) -> Self {
        let view = AxisView::of(shape, axis);
        let (slices, rows, cols, axis) = if view.inner == 1 {
            (1, view.outer, view.len, 1)
        } else {
            (view.outer, view.len, view.inner, 0)
        };
        Self {
            slices,
            rows,
            cols,
            axis,
            taps: vec![taps],
            mode,
        }
    }

    fn len(&self) -> usize {
        self.slices * self.rows * self.cols
    }

    fn max_taps(&self) -> usize {
        self.taps.iter().map(|t| t.weights.len()).max().unwrap_or(1)
    }

    /// Slice `slice`'s taps.
    fn taps_of(&self, slice: usize) -> &Taps {
        &self.taps[if self.taps.len() == 1 { 0 } else { slice }]
    }

    /// The weights (in `E`; float32 ones as `float32_taps` rounds them) and table of slices
    /// `s0..s1` (one entry when the pass has one kernel), then `cval` after the weights;
    /// `padded` sets every first offset to 0 (`MODE_PADDED` tiles).
    fn kernel_table<E: DeviceReal>(
        &self,
        s0: usize,
        s1: usize,
        padded: bool,
        cval: f64,
    ) -> KernelTable<E> {
        let chosen = if self.taps.len() == 1 {
            &self.taps[..]
        } else {
            &self.taps[s0..s1]
        };
        let mut weights = Vec::new();
        let mut entries = Vec::with_capacity(chosen.len());
        for taps in chosen {
            entries.push(KernelEntry {
                start: weights.len() as u32,
                taps: taps.weights.len() as u32,
                first_offset: if padded { 0 } else { taps.first_offset as i32 },
                centre: centre_tap::<E>(taps),
            });
            if E::ARITH == crate::gpu::Arith::Single {
                weights.extend(
                    taps.weights_f32()
                        .into_iter()
                        .map(|w| E::from_f64(w.into())),
                );
            } else if E::ARITH == crate::gpu::Arith::DoubleFloat {
                // A tap below float32's normal range keeps its footprint, as float32_taps
                // does: an infinity it reaches gives inf, not inf * 0 = NaN. (Data is scaled
                // to magnitudes near 1, so the change is far below float64's rounding.)
                weights.extend(taps.weights.iter().map(|&w| {
                    let floor = f64::from(f32::MIN_POSITIVE);
                    E::from_f64(if w != 0.0 && w.abs() < floor {
                        floor.copysign(w)
                    } else {
                        w
                    })
                }));
            } else {
                weights.extend(taps.weights.iter().map(|&w| E::from_f64(w)));
            }
        }
        let cval_at = weights.len() as u32;
        weights.push(E::from_f64(cval));
        KernelTable {
            weights,
            entries,
            cval_at,
        }
    }

    /// Bytes of the weights and table of the whole pass in elements of `element` bytes.
    fn table_bytes(&self, element: usize) -> u64 {
        let weights: usize = self.taps.iter().map(|t| t.weights.len()).sum::<usize>() + 1;
        (weights * element).max(self.taps.len() * std::mem::size_of::<KernelEntry>()) as u64
    }
}

/// The centre tap of a smoothing kernel for float64 work: sums relative to the output's own
/// sample keep a constant line exactly constant, as the CPU's float64 path does
/// (`KernelForm` in cpu.rs). float32 keeps it with its compensated sum and float32 taps
/// summing to exactly 1, and sums plainly.
fn centre_tap<E: DeviceReal>(taps: &Taps) -> u32 {
    let centre = -taps.first_offset;
    if E::ARITH != crate::gpu::Arith::Single
        && super::is_smoothing(&taps.weights)
        && centre >= 0
        && (centre as usize) < taps.weights.len()
    {
        centre as u32
    } else {
        NO_CENTRE
    }
}

/// A pass's kernels as one dispatch reads them.
struct KernelTable<E> {
    weights: Vec<E>,
    entries: Vec<KernelEntry>,
    cval_at: u32,
}

/// The shape of one dispatch: what the shader reads and writes.
#[derive(Clone, Copy, Debug)]
struct PassShape {
    slices: usize,
    out_rows: usize,
    out_cols: usize,
    src_rows: usize,
    src_cols: usize,
    axis: usize,
}

/// The passes of an N-D plan on an array of `shape`.
pub(crate) fn plan_passes(shape: &[usize], plan: &BlurPlan) -> Vec<GpuPass> {
    plan.passes
        .iter()
        .map(|pass| {
            let taps = pass.kernel.taps_for_line(pass.mode, shape[pass.axis]);
            GpuPass::along(shape, pass.axis, taps, pass.mode)
        })
        .collect()
}

/// The two passes of an image stack, each image with its own taps (an image with no blur on
/// an axis gets the identity tap there). Axes no image blurs are skipped.
pub(crate) fn stack_passes(
    images: usize,
    rows: usize,
    cols: usize,
    plans: &[BlurPlan],
) -> Vec<GpuPass> {
    let mut passes = Vec::new();
    for axis in 0..2 {
        let Some(mode) = plans
            .iter()
            .flat_map(|plan| &plan.passes)
            .find(|pass| pass.axis == axis)
            .map(|pass| pass.mode)
        else {
            continue;
        };
        let len = if axis == 0 { rows } else { cols };
        let taps = plans
            .iter()
            .map(
                |plan| match plan.passes.iter().find(|pass| pass.axis == axis) {
                    Some(pass) => pass.kernel.taps_for_line(mode, len),
                    None => Taps {
                        weights: vec![1.0],
                        first_offset: 0,
                    },
                },
            )
            .collect();
        passes.push(GpuPass {
            slices: images,
            rows,
            cols,
            axis,
            taps,
            mode,
        });
    }
    passes
}

/// Whether `plan` on an array of `shape` runs resident on `ctx` with elements of
/// `element_bytes`: the array and each pass's kernel table within one storage binding (the
/// path device arrays take; larger arrays go tile by tile through the host).
pub(crate) fn fits_resident(
    ctx: &GpuContext,
    shape: &[usize],
    plan: &BlurPlan,
    element_bytes: usize,
) -> bool {
    let budget = ctx.max_binding_bytes();
    let len: usize = shape.iter().product();
    (len * element_bytes) as u64 <= budget
        && plan_passes(shape, plan)
            .iter()
            .all(|pass| pass.table_bytes(element_bytes) <= budget)
}

/// Whether an `(images, rows, cols)` stack and every image's kernel table fit one storage
/// binding (elements of `element_bytes`): what [`BlurGpu::encode_stack_resident`] needs.
pub(crate) fn fits_resident_stack(
    ctx: &GpuContext,
    (images, rows, cols): (usize, usize, usize),
    plans: &[BlurPlan],
    element_bytes: usize,
) -> bool {
    let budget = ctx.max_binding_bytes();
    (images * rows * cols * element_bytes) as u64 <= budget
        && stack_passes(images, rows, cols, plans)
            .iter()
            .all(|pass| pass.table_bytes(element_bytes) <= budget)
}

impl<E: DeviceReal> BlurGpu<E> {
    /// Fetches (compiling on first use) the blur pipelines of `ctx` for elements `E`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects a shader (`f64` needs the adapter's
    /// `SHADER_F64`).
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        let arith = E::ARITH;
        Ok(Self {
            rows_tiled: BLUR_SHADERS.pipeline(ctx, arith, "blur_rows_tiled")?,
            cols_tiled: BLUR_SHADERS.pipeline(ctx, arith, "blur_cols_tiled")?,
            direct: BLUR_SHADERS.pipeline(ctx, arith, "blur_direct")?,
            normalize: NORMALIZE_SHADERS.pipeline(ctx, arith, "normalize")?,
            element: std::marker::PhantomData,
        })
    }

    /// Records every pass of `plan` on an array of `shape` resident in `source`; returns the
    /// buffer holding the result (the heatmap chain blurs its grid this way, then colours it
    /// on the device).
    pub(crate) fn encode_resident(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: GpuBuffer,
        shape: &[usize],
        plan: &BlurPlan,
        cval: f64,
    ) -> Result<GpuBuffer> {
        self.encode_passes(ctx, encoder, source, &plan_passes(shape, plan), cval)
    }

    /// Records the passes on data resident in `source` (a fresh, poisoned buffer per pass, so
    /// an element left unwritten shows as NaN); returns the buffer holding the result.
    fn encode_passes(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: GpuBuffer,
        passes: &[GpuPass],
        cval: f64,
    ) -> Result<GpuBuffer> {
        let mut current = source;
        for pass in passes {
            let len = pass.len();
            let output =
                ctx.storage_buffer("blur pass output", (len * std::mem::size_of::<E>()) as u64)?;
            ctx.poison_f32(&output, len * E::words());
            let shape = PassShape {
                slices: pass.slices,
                out_rows: pass.rows,
                out_cols: pass.cols,
                src_rows: pass.rows,
                src_cols: pass.cols,
                axis: pass.axis,
            };
            let table = pass.kernel_table(0, pass.slices, false, cval);
            self.encode_dispatch(
                ctx,
                encoder,
                &current,
                &output,
                shape,
                &table,
                pass.max_taps(),
                pass.mode.code(),
            )?;
            current = output;
        }
        Ok(current)
    }

    /// Records one dispatch from `source` to `output` with the kernel table: one entry for
    /// every slice, or one per slice.
    #[allow(clippy::too_many_arguments, reason = "internal plumbing of one pass")]
    fn encode_dispatch(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &GpuBuffer,
        output: &GpuBuffer,
        shape: PassShape,
        table: &KernelTable<E>,
        max_taps: usize,
        mode: u32,
    ) -> Result<()> {
        let n_taps = max_taps as u32;
        // Workgroup memory is 16 KiB whatever the element (see blur.wgsl).
        let words = E::words() as u32;
        let (shared_len, col_tile_rows) = (SHARED_LEN / words, COL_TILE_ROWS / words);
        let (pipeline, groups) = if shape.axis == 1 && n_taps + ROW_TILE - 1 <= shared_len {
            let segments = shape.out_cols.div_ceil(ROW_TILE as usize);
            (
                &self.rows_tiled,
                (shape.slices * shape.out_rows * segments) as u64,
            )
        } else if shape.axis == 0 && (col_tile_rows + n_taps - 1) * COL_TILE_COLS <= shared_len {
            let tiles = shape.out_rows.div_ceil(col_tile_rows as usize)
                * shape.out_cols.div_ceil(COL_TILE_COLS as usize);
            (&self.cols_tiled, (shape.slices * tiles) as u64)
        } else {
            (
                &self.direct,
                (shape.slices * shape.out_rows * shape.out_cols).div_ceil(WG_SIZE as usize) as u64,
            )
        };
        let uniform = BlurUniform {
            out_rows: shape.out_rows as u32,
            out_cols: shape.out_cols as u32,
            src_rows: shape.src_rows as u32,
            src_cols: shape.src_cols as u32,
            slices: shape.slices as u32,
            first_slice: 0,
            kernel_stride: u32::from(table.entries.len() > 1),
            mode,
            axis: shape.axis as u32,
            cval_at: table.cval_at,
            groups: groups as u32,
            one: 1.0,
        };
        let uniform = ctx.uniform("blur uniform", &uniform)?;
        let weights = ctx.upload_table("blur weights", &table.weights)?;
        let entries = ctx.upload_table("blur kernels", &table.entries)?;
        ctx.record_dispatch(
            "recording a blur pass",
            encoder,
            pipeline,
            &[&uniform, &weights, &entries, source, output],
            groups,
        )
    }

    fn encode_normalize(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        numerator: &GpuBuffer,
        denominator: &GpuBuffer,
        len: usize,
    ) -> Result<GpuBuffer> {
        let output =
            ctx.storage_buffer("normalised blur", (len * std::mem::size_of::<E>()) as u64)?;
        ctx.poison_f32(&output, len * E::words());
        let groups = len.div_ceil(WG_SIZE as usize) as u64;
        let uniform = ctx.uniform(
            "normalize uniform",
            &NormalizeUniform {
                len: len as u32,
                groups: groups as u32,
                one: 1.0,
                _pad: 0,
            },
        )?;
        ctx.record_dispatch(
            "recording the normalisation",
            encoder,
            &self.normalize,
            &[&uniform, numerator, denominator, &output],
            groups,
        )?;
        Ok(output)
    }
}

impl BlurGpu<f32> {
    /// `gaussian_filter` of a float32 array of any number of dimensions on `ctx`, as
    /// [`super::gaussian_filter`] with `Device::Gpu` (the pipelines are compiled once per
    /// context, so holding this only saves looking them up).
    ///
    /// # Errors
    /// Parameter errors, [`Error::ExceedsLimit`] for a kernel wider than one storage binding,
    /// and GPU errors. An empty array gives an empty array of the same shape.
    pub fn run<D: Dimension>(
        &self,
        ctx: &GpuContext,
        input: ArrayView<'_, f32, D>,
        params: &BlurParams,
    ) -> Result<Array<f32, D>> {
        let plan = params.plan(input.ndim())?;
        let input = input.into_dyn();
        let passes = plan_passes(input.shape(), &plan);
        Ok(blur_host(
            ctx,
            Arith::Single,
            input,
            &passes,
            plan.cval,
            plan.nan_policy,
        )?
        .into_dimensionality::<D>()
        .expect("the output has the input's shape"))
    }
}

/// The blur pipelines for the element type of `$storage`, as `$blur` (and that type as `$E`)
/// in `$body`: the one `match` from a device array's storage to the kernels' element type.
macro_rules! with_blur {
    ($ctx:expr, $storage:expr, |$blur:ident, $E:ident| $body:expr) => {
        match $storage {
            Storage::F32 => {
                #[allow(dead_code, reason = "not every body names the element")]
                type $E = f32;
                let $blur = BlurGpu::<f32>::new($ctx)?;
                $body
            }
            Storage::F64 => {
                #[allow(dead_code, reason = "not every body names the element")]
                type $E = f64;
                let $blur = BlurGpu::<f64>::new($ctx)?;
                $body
            }
            Storage::DoubleFloat { .. } => {
                #[allow(dead_code, reason = "not every body names the element")]
                type $E = DoubleFloat;
                let $blur = BlurGpu::<DoubleFloat>::new($ctx)?;
                $body
            }
        }
    };
}

/// Bytes one element of a host array of `T` takes on the GPU when float64 computes in
/// `arith` (float64 in `Arith::Single` is stored as float32).
pub(crate) fn stored_bytes<T: HostElement>(arith: Arith) -> usize {
    match (T::DTYPE, arith) {
        (DType::Float32 | DType::Complex64, _) | (_, Arith::Single) => 4,
        _ => 8,
    }
}

/// Records `passes` on the array `input` (its shape seen as the passes see it) in
/// `recording`; the result lives on the same GPU in the same storage. `cval` is stored as the
/// data are (scaled with a double-float array: a smoothing never grows the largest
/// magnitude, so the data's exponent still holds the result).
pub(crate) fn record_passes(
    recording: &mut Recording,
    input: &DeviceArray,
    passes: &[GpuPass],
    cval: f64,
) -> Result<DeviceArray> {
    let ctx = input.gpu();
    let storage = input.storage();
    let output = if input.is_empty() {
        input.buffer().clone()
    } else {
        let source = input.buffer().clone();
        let cval = storage.stored(cval);
        with_blur!(ctx, storage, |blur, _E| blur
            .encode_passes(ctx, recording, source, passes, cval)?)
    };
    Ok(DeviceArray::from_parts(
        ctx,
        output,
        input.shape().to_vec(),
        input.dtype(),
        storage,
    ))
}

/// Records the `omit` blur: `values` (NaN cells set to 0) and `mask` (1 where a value is)
/// blurred alike, then divided (NaN where no value is within reach).
fn record_normalized(
    recording: &mut Recording,
    values: &DeviceArray,
    mask: &DeviceArray,
    passes: &[GpuPass],
    cval: f64,
) -> Result<DeviceArray> {
    let (value_cval, mask_cval) = omit_cvals(cval);
    let numerator = record_passes(recording, values, passes, value_cval)?;
    let denominator = record_passes(recording, mask, passes, mask_cval)?;
    let ctx = values.gpu();
    let len = values.len();
    let output = with_blur!(ctx, values.storage(), |blur, _E| blur.encode_normalize(
        ctx,
        recording,
        numerator.buffer(),
        denominator.buffer(),
        len
    )?);
    // (n / 2^ev) / (d / 2^em) is n / d scaled by 2^-(ev - em).
    let storage = match (values.storage(), mask.storage()) {
        (Storage::DoubleFloat { exponent: ev }, Storage::DoubleFloat { exponent: em }) => {
            Storage::DoubleFloat { exponent: ev - em }
        }
        (storage, _) => storage,
    };
    Ok(DeviceArray::from_parts(
        ctx,
        output,
        values.shape().to_vec(),
        values.dtype(),
        storage,
    ))
}

/// Records one pass over a tile the host has already extended by the edge rule
/// (`MODE_PADDED`): `tile` is `(slices, src_rows, src_cols)` of the pass's slices `slices`,
/// the result `(slices, out_rows, out_cols)`.
fn record_tile(
    recording: &mut Recording,
    tile: &DeviceArray,
    pass: &GpuPass,
    slices: std::ops::Range<usize>,
    (out_rows, out_cols): (usize, usize),
) -> Result<DeviceArray> {
    let ctx = tile.gpu();
    let storage = tile.storage();
    let &[count, src_rows, src_cols] = tile.shape() else {
        unreachable!("tiles are 3-D")
    };
    let out_len = count * out_rows * out_cols;
    let shape = PassShape {
        slices: count,
        out_rows,
        out_cols,
        src_rows,
        src_cols,
        axis: pass.axis,
    };
    let output = with_blur!(ctx, storage, |blur, E| {
        let output = ctx.storage_buffer(
            "blur tile output",
            (out_len * std::mem::size_of::<E>()) as u64,
        )?;
        ctx.poison_f32(&output, out_len * E::words());
        // A padded tile holds every sample it needs, so the table's constant is never read.
        let table = pass.kernel_table::<E>(slices.start, slices.end, true, 0.0);
        blur.encode_dispatch(
            ctx,
            recording,
            tile.buffer(),
            &output,
            shape,
            &table,
            pass.max_taps(),
            MODE_PADDED,
        )?;
        output
    });
    Ok(DeviceArray::from_parts(
        ctx,
        output,
        vec![count, out_rows, out_cols],
        tile.dtype(),
        storage,
    ))
}

/// Host in, host out for every blur a GPU runs on host data (`gaussian_filter`,
/// `gaussian_filter_stack`, [`BlurGpu::run`]), all through the one wrapper,
/// [`crate::array::host_call`]: data and kernel tables within one storage binding are
/// uploaded once, every pass recorded, and read back once; larger data go tile by tile, each
/// tile through the same wrapper. `omit` blurs the values and the mask and divides. The caller
/// has asked the refusal (kernel width, double-float range) first.
pub(crate) fn blur_host<T: HostElement>(
    ctx: &GpuContext,
    arith: Arith,
    data: ArrayViewD<'_, T>,
    passes: &[GpuPass],
    cval: f64,
    nan_policy: NanPolicy,
) -> Result<ArrayD<T>> {
    if data.is_empty() {
        // SciPy returns an empty array of the same shape.
        return Ok(ArrayD::from_elem(data.raw_dim(), T::from_parts(0.0, 0.0)));
    }
    let element = stored_bytes::<T>(arith);
    let budget = ctx.max_binding_bytes();
    let resident = (data.len() * element) as u64 <= budget
        && passes
            .iter()
            .all(|pass| pass.table_bytes(element) <= budget);
    let shape = data.shape().to_vec();
    match (nan_policy, resident) {
        (NanPolicy::Propagate, true) => host_call(ctx, arith, &[data], |recording, arrays| {
            record_passes(recording, &arrays[0], passes, cval)
        }),
        (NanPolicy::Omit, true) => {
            let (values, mask) = split_nan(data);
            host_call(
                ctx,
                arith,
                &[values.view(), mask.view()],
                |recording, arrays| {
                    record_normalized(recording, &arrays[0], &arrays[1], passes, cval)
                },
            )
        }
        (NanPolicy::Propagate, false) => {
            let out = chunked(ctx, arith, data.iter().copied().collect(), passes, cval)?;
            Ok(ArrayD::from_shape_vec(shape, out).expect("shape kept"))
        }
        (NanPolicy::Omit, false) => {
            let (value_cval, mask_cval) = omit_cvals(cval);
            let (values, mask) = split_nan(data);
            let numerator = chunked(
                ctx,
                arith,
                values.into_raw_vec_and_offset().0,
                passes,
                value_cval,
            )?;
            let denominator = chunked(
                ctx,
                arith,
                mask.into_raw_vec_and_offset().0,
                passes,
                mask_cval,
            )?;
            let out = numerator
                .iter()
                .zip(&denominator)
                .map(|(n, d)| {
                    let d = d.parts()[0];
                    T::from_parts(if d == 0.0 { f64::NAN } else { n.parts()[0] / d }, 0.0)
                })
                .collect();
            Ok(ArrayD::from_shape_vec(shape, out).expect("shape kept"))
        }
    }
}

/// The data with NaN replaced by 0, and the mask of non-NaN cells (1 or 0), both in standard
/// layout.
fn split_nan<T: HostElement>(data: ArrayViewD<'_, T>) -> (ArrayD<T>, ArrayD<T>) {
    let (zero, one) = (T::from_parts(0.0, 0.0), T::from_parts(1.0, 0.0));
    let is_nan = |v: &T| v.parts()[0].is_nan();
    // In logical order whatever the input's layout (`map` would keep a Fortran layout, and
    // the tiles read the raw vectors as row-major).
    let values = data
        .iter()
        .map(|v| if is_nan(v) { zero } else { *v })
        .collect();
    let mask = data
        .iter()
        .map(|v| if is_nan(v) { zero } else { one })
        .collect();
    let shape = data.raw_dim();
    (
        ArrayD::from_shape_vec(shape.clone(), values).expect("the data's shape"),
        ArrayD::from_shape_vec(shape, mask).expect("the data's shape"),
    )
}

/// Every pass on data too large for one binding, tile by tile.
fn chunked<T: HostElement>(
    ctx: &GpuContext,
    arith: Arith,
    mut data: Vec<T>,
    passes: &[GpuPass],
    cval: f64,
) -> Result<Vec<T>> {
    for pass in passes {
        data = chunked_pass(ctx, arith, &data, pass, cval)?;
    }
    Ok(data)
}

/// One pass over tiles that each fit in a binding: a tile is whole slices when they fit,
/// else bands of one slice's rows, else blocks of them. The host gathers each tile with
/// its lines already extended by the edge rule (`MODE_PADDED`), so wrap and reflect halos
/// come from wherever the rule says, even the far end of the array; each tile then goes
/// through [`host_call`] (a double-float tile takes its own scaling, cval included).
fn chunked_pass<T: HostElement>(
    ctx: &GpuContext,
    arith: Arith,
    data: &[T],
    pass: &GpuPass,
    cval: f64,
) -> Result<Vec<T>> {
    let budget = ctx.max_binding_bytes() as usize / stored_bytes::<T>(arith);
    let max_taps = pass.max_taps();
    let halo = max_taps - 1;
    let (rows, cols) = (pass.rows, pass.cols);
    let too_wide = || Error::ExceedsLimit {
        what: "blur kernel taps in one storage binding",
        requested: max_taps as u64,
        max: budget as u64,
    };
    // Slices whose kernel tables still fit (per-slice kernels only).
    let table_slices = if pass.taps.len() == 1 {
        usize::MAX
    } else {
        (budget / max_taps.max(4)).max(1)
    };
    // Tile size: slices x output rows x output columns whose padded input fits the budget.
    let (tile_slices, tile_rows, tile_cols) = if pass.axis == 1 {
        let line = cols + halo;
        if rows * line <= budget {
            ((budget / (rows * line)).min(table_slices), rows, cols)
        } else if line <= budget {
            (1, budget / line, cols)
        } else if halo < budget {
            (1, 1, budget - halo)
        } else {
            return Err(too_wide());
        }
    } else if (rows + halo) * cols <= budget {
        (
            (budget / ((rows + halo) * cols)).min(table_slices),
            rows,
            cols,
        )
    } else if (halo + 1) * cols <= budget {
        (1, budget / cols - halo, cols)
    } else if halo < budget {
        let tile_cols = budget / (halo + 1);
        (1, budget / tile_cols - halo, tile_cols)
    } else {
        return Err(too_wide());
    };
    let fill = T::from_parts(cval, 0.0);
    let matrix = rows * cols;
    let mut out = vec![T::from_parts(0.0, 0.0); pass.len()];
    for s0 in (0..pass.slices).step_by(tile_slices) {
        let s1 = (s0 + tile_slices).min(pass.slices);
        for r0 in (0..rows).step_by(tile_rows) {
            let r1 = (r0 + tile_rows).min(rows);
            for c0 in (0..cols).step_by(tile_cols) {
                let c1 = (c0 + tile_cols).min(cols);
                let (out_rows, out_cols) = (r1 - r0, c1 - c0);
                let (src_rows, src_cols) = if pass.axis == 1 {
                    (out_rows, out_cols + halo)
                } else {
                    (out_rows + halo, out_cols)
                };
                let mut tile = Vec::with_capacity((s1 - s0) * src_rows * src_cols);
                for slice in s0..s1 {
                    let first_offset = pass.taps_of(slice).first_offset;
                    let base = &data[slice * matrix..(slice + 1) * matrix];
                    for k in 0..src_rows {
                        if pass.axis == 1 {
                            let row = &base[(r0 + k) * cols..(r0 + k + 1) * cols];
                            tile.extend((0..src_cols).map(|j| {
                                match pass.mode.extend((c0 + j) as isize + first_offset, cols) {
                                    Some(c) => row[c],
                                    None => fill,
                                }
                            }));
                        } else {
                            match pass.mode.extend((r0 + k) as isize + first_offset, rows) {
                                Some(r) => {
                                    tile.extend_from_slice(&base[r * cols + c0..r * cols + c1])
                                }
                                None => tile.extend(std::iter::repeat_n(fill, out_cols)),
                            }
                        }
                    }
                }
                let tile = ArrayViewD::from_shape(IxDyn(&[s1 - s0, src_rows, src_cols]), &tile)
                    .expect("the tile's shape");
                // Normwise: a pass's output may span more binades than its input did.
                let result: ArrayD<T> =
                    host_call_normwise(ctx, arith, &[tile], |recording, arrays| {
                        record_tile(recording, &arrays[0], pass, s0..s1, (out_rows, out_cols))
                    })?;
                let result = result.as_slice().expect("a fresh array");
                for (k, line) in result.chunks(out_cols).enumerate() {
                    let slice = s0 + k / out_rows;
                    let row = r0 + k % out_rows;
                    let at = slice * matrix + row * cols;
                    out[at + c0..at + c1].copy_from_slice(line);
                }
            }
        }
    }
    Ok(out)
}

/// The shader's number for `mode` (`MODE_*` in blur.wgsl), for the GPU-free shader checks.
pub fn mode_code(mode: Mode) -> u32 {
    mode.code()
}
