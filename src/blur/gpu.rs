//! The GPU path: float32, two separable passes (columns, then rows, as SciPy orders the axes),
//! each tiled through workgroup memory so that every element is read from and written to
//! global memory about once.
//!
//! Arrays that fit in one storage binding stay on the GPU between the passes and are read back
//! once. Larger ones are cut into tiles that each fit: the host extends each tile's lines with
//! the edge rule (so the shader needs no knowledge of the rest of the array), the GPU filters
//! it, and the host stitches the results. Kernels too wide for workgroup memory fall back to a
//! direct kernel that reads global memory. Dispatches past 65,535 workgroups are spread over
//! the y and z dimensions.

use bytemuck::{Pod, Zeroable};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::{BlurParams, BlurPlan, Mode, NanPolicy, Taps};
use crate::error::{Error, Result};
use crate::gpu::GpuContext;

/// The WGSL source, compiled once per context.
pub(crate) const BLUR_WGSL: &str = crate::gpu::include_wgsl!("blur/blur.wgsl");
/// The normalisation step of the `omit` NaN policy.
pub(crate) const NORMALIZE_WGSL: &str = crate::gpu::include_wgsl!("blur/normalize.wgsl");

/// Threads per workgroup of `blur_rows_tiled`, `blur_direct` and `normalize` (`WG_SIZE` in WGSL).
pub const WG_SIZE: u32 = 256;
/// Outputs per workgroup of `blur_rows_tiled` (`ROW_TILE`).
pub const ROW_TILE: u32 = 256;
/// Columns per workgroup of `blur_cols_tiled` (`COL_TILE_COLS`).
pub const COL_TILE_COLS: u32 = 32;
/// Output rows per workgroup of `blur_cols_tiled` (`COL_TILE_ROWS`).
pub const COL_TILE_ROWS: u32 = 64;
/// f32 slots of workgroup memory in the tiled kernels (`SHARED_LEN`).
pub const SHARED_LEN: u32 = 4096;

/// The code telling the shader that the host already extended the lines (`MODE_PADDED`).
const MODE_PADDED: u32 = 5;

/// One pass's parameters. Kept in sync with `struct BlurUniform` in shaders/blur/blur.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct BlurUniform {
    /// Output rows.
    pub(crate) out_rows: u32,
    /// Output columns.
    pub(crate) out_cols: u32,
    /// Rows held in `src`.
    pub(crate) src_rows: u32,
    /// Columns held in `src`.
    pub(crate) src_cols: u32,
    /// Number of weights.
    pub(crate) taps: u32,
    /// Position of tap 0 relative to the output index.
    pub(crate) first_offset: i32,
    /// Edge mode code, or `MODE_PADDED`.
    pub(crate) mode: u32,
    /// 0: filter down columns; 1: along rows.
    pub(crate) axis: u32,
    /// The constant of `constant` mode.
    pub(crate) cval: f32,
    /// Workgroups that do work (the rest of the dispatch returns at once).
    pub(crate) groups: u32,
    /// Always 1.0: multiplying by a value the compiler cannot see keeps it from folding the
    /// compensated sum's error terms away ((s + p) - s -> p).
    pub(crate) one: f32,
    /// Padding to 16 bytes.
    pub(crate) _pad: u32,
}

/// Kept in sync with `struct NormalizeUniform` in shaders/blur/normalize.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct NormalizeUniform {
    /// Elements.
    pub(crate) len: u32,
    /// Workgroups that do work.
    pub(crate) groups: u32,
    /// Padding to 16 bytes.
    pub(crate) _pad: [u32; 2],
}

/// The blur's compiled pipelines on one context.
#[derive(Debug)]
pub struct BlurGpu {
    rows_tiled: wgpu::ComputePipeline,
    cols_tiled: wgpu::ComputePipeline,
    direct: wgpu::ComputePipeline,
    normalize: wgpu::ComputePipeline,
}

/// Shape of one pass: what the shader reads and writes.
#[derive(Clone, Copy, Debug)]
struct PassShape {
    out_rows: usize,
    out_cols: usize,
    src_rows: usize,
    src_cols: usize,
    axis: usize,
}

impl BlurGpu {
    /// Fetches (compiling on first use) the blur pipelines of `ctx`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects a shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            rows_tiled: ctx.pipeline("blur", BLUR_WGSL, "blur_rows_tiled")?,
            cols_tiled: ctx.pipeline("blur", BLUR_WGSL, "blur_cols_tiled")?,
            direct: ctx.pipeline("blur", BLUR_WGSL, "blur_direct")?,
            normalize: ctx.pipeline("normalize", NORMALIZE_WGSL, "normalize")?,
        })
    }

    /// `gaussian_filter` of a 2-D float32 array.
    ///
    /// # Errors
    /// Parameter errors and GPU errors. An empty array gives an empty array of the same shape.
    pub fn run(
        &self,
        ctx: &GpuContext,
        input: ArrayView2<'_, f32>,
        params: &BlurParams,
    ) -> Result<Array2<f32>> {
        let plan = params.plan(2)?;
        self.run_plan(ctx, input, &plan)
    }

    /// `gaussian_filter1d` of a 1-D float32 array.
    ///
    /// # Errors
    /// As [`BlurGpu::run`].
    pub fn run_1d(
        &self,
        ctx: &GpuContext,
        input: ArrayView1<'_, f32>,
        params: &BlurParams,
    ) -> Result<Array1<f32>> {
        let plan = params.plan(1)?.as_row_plan();
        let out = self.run_plan(ctx, input.insert_axis(Axis(0)), &plan)?;
        Ok(out.index_axis_move(Axis(0), 0))
    }

    /// Runs a validated 2-D plan.
    pub(crate) fn run_plan(
        &self,
        ctx: &GpuContext,
        input: ArrayView2<'_, f32>,
        plan: &BlurPlan,
    ) -> Result<Array2<f32>> {
        if input.is_empty() {
            // SciPy returns an empty array of the same shape.
            return Ok(Array2::zeros(input.raw_dim()));
        }
        let (rows, cols) = input.dim();
        let input = input.as_standard_layout();
        let data = input.as_slice().expect("standard layout");
        let resident = (data.len() as u64) * 4 <= ctx.max_binding_bytes();
        let out = match (plan.nan_policy, resident) {
            (NanPolicy::Propagate, true) => {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                let source = ctx.upload("blur input", data)?;
                let result =
                    self.encode_resident(ctx, &mut encoder, source, rows, cols, plan, plan.cval)?;
                ctx.submit_and_wait("the blur", encoder)?;
                ctx.read_back::<f32>(&result, 0, data.len())?
            }
            (NanPolicy::Omit, true) => {
                let (value_cval, mask_cval) = plan.omit_cvals();
                let (values, mask) = split_nan(data);
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                let values = ctx.upload("blur values", &values)?;
                let mask = ctx.upload("blur mask", &mask)?;
                let numerator =
                    self.encode_resident(ctx, &mut encoder, values, rows, cols, plan, value_cval)?;
                let denominator =
                    self.encode_resident(ctx, &mut encoder, mask, rows, cols, plan, mask_cval)?;
                let result =
                    self.encode_normalize(ctx, &mut encoder, &numerator, &denominator, data.len())?;
                ctx.submit_and_wait("the normalised blur", encoder)?;
                ctx.read_back::<f32>(&result, 0, data.len())?
            }
            (NanPolicy::Propagate, false) => {
                self.chunked(ctx, data.to_vec(), rows, cols, plan, plan.cval)?
            }
            (NanPolicy::Omit, false) => {
                let (value_cval, mask_cval) = plan.omit_cvals();
                let (values, mask) = split_nan(data);
                let numerator = self.chunked(ctx, values, rows, cols, plan, value_cval)?;
                let denominator = self.chunked(ctx, mask, rows, cols, plan, mask_cval)?;
                numerator
                    .iter()
                    .zip(&denominator)
                    .map(|(&n, &d)| if d == 0.0 { f32::NAN } else { n / d })
                    .collect()
            }
        };
        Ok(Array2::from_shape_vec((rows, cols), out).expect("shape kept"))
    }

    /// Records both passes on an array resident in `source`; returns the buffer holding the
    /// result (a fresh, poisoned buffer per pass, so an element left unwritten shows as NaN).
    #[allow(clippy::too_many_arguments, reason = "internal plumbing of one pass")]
    pub(crate) fn encode_resident(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: wgpu::Buffer,
        rows: usize,
        cols: usize,
        plan: &BlurPlan,
        cval: f64,
    ) -> Result<wgpu::Buffer> {
        let mut current = source;
        for (axis, kernel) in plan.axes.iter().enumerate() {
            let Some(kernel) = kernel else { continue };
            let len = if axis == 0 { rows } else { cols };
            let taps = kernel.taps_for_line(plan.mode, len);
            let output = ctx.storage_buffer("blur pass output", (rows * cols * 4) as u64)?;
            ctx.poison_f32(&output, rows * cols);
            let shape = PassShape {
                out_rows: rows,
                out_cols: cols,
                src_rows: rows,
                src_cols: cols,
                axis,
            };
            self.encode_pass(
                ctx,
                encoder,
                &current,
                &output,
                shape,
                &taps,
                plan.mode.code(),
                cval,
            )?;
            current = output;
        }
        Ok(current)
    }

    /// Records one pass from `source` to `output`.
    #[allow(clippy::too_many_arguments, reason = "internal plumbing of one pass")]
    fn encode_pass(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::Buffer,
        output: &wgpu::Buffer,
        shape: PassShape,
        taps: &Taps,
        mode: u32,
        cval: f64,
    ) -> Result<()> {
        let n_taps = taps.weights.len() as u32;
        let (pipeline, groups) = if shape.axis == 1 && n_taps + ROW_TILE - 1 <= SHARED_LEN {
            let segments = shape.out_cols.div_ceil(ROW_TILE as usize);
            (&self.rows_tiled, (shape.out_rows * segments) as u64)
        } else if shape.axis == 0 && (COL_TILE_ROWS + n_taps - 1) * COL_TILE_COLS <= SHARED_LEN {
            let tiles = shape.out_rows.div_ceil(COL_TILE_ROWS as usize)
                * shape.out_cols.div_ceil(COL_TILE_COLS as usize);
            (&self.cols_tiled, tiles as u64)
        } else {
            (
                &self.direct,
                (shape.out_rows * shape.out_cols).div_ceil(WG_SIZE as usize) as u64,
            )
        };
        let uniform = BlurUniform {
            out_rows: shape.out_rows as u32,
            out_cols: shape.out_cols as u32,
            src_rows: shape.src_rows as u32,
            src_cols: shape.src_cols as u32,
            taps: n_taps,
            first_offset: taps.first_offset as i32,
            mode,
            axis: shape.axis as u32,
            cval: cval as f32,
            groups: groups as u32,
            one: 1.0,
            _pad: 0,
        };
        let weights = taps.weights_f32();
        let uniform = ctx.uniform("blur uniform", &uniform)?;
        let weights = ctx.upload("blur weights", &weights)?;
        ctx.record_dispatch(
            "recording a blur pass",
            encoder,
            pipeline,
            &[&uniform, &weights, source, output],
            groups,
        )
    }

    fn encode_normalize(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        numerator: &wgpu::Buffer,
        denominator: &wgpu::Buffer,
        len: usize,
    ) -> Result<wgpu::Buffer> {
        let output = ctx.storage_buffer("normalised blur", (len * 4) as u64)?;
        ctx.poison_f32(&output, len);
        let groups = len.div_ceil(WG_SIZE as usize) as u64;
        let uniform = ctx.uniform(
            "normalize uniform",
            &NormalizeUniform {
                len: len as u32,
                groups: groups as u32,
                _pad: [0; 2],
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

    /// Both passes on an array too large for one binding, tile by tile through the host.
    fn chunked(
        &self,
        ctx: &GpuContext,
        mut data: Vec<f32>,
        rows: usize,
        cols: usize,
        plan: &BlurPlan,
        cval: f64,
    ) -> Result<Vec<f32>> {
        for (axis, kernel) in plan.axes.iter().enumerate() {
            let Some(kernel) = kernel else { continue };
            let len = if axis == 0 { rows } else { cols };
            let taps = kernel.taps_for_line(plan.mode, len);
            data = self.chunked_pass(ctx, &data, rows, cols, axis, &taps, plan.mode, cval)?;
        }
        Ok(data)
    }

    /// One pass over tiles that each fit in a binding: the host gathers each tile with its
    /// lines already extended by the edge rule (`MODE_PADDED`), so wrap and reflect halos
    /// come from wherever the rule says, even the far end of the array.
    #[allow(clippy::too_many_arguments, reason = "internal plumbing of one pass")]
    fn chunked_pass(
        &self,
        ctx: &GpuContext,
        data: &[f32],
        rows: usize,
        cols: usize,
        axis: usize,
        taps: &Taps,
        mode: Mode,
        cval: f64,
    ) -> Result<Vec<f32>> {
        let budget = (ctx.max_binding_bytes() / 4) as usize;
        let halo = taps.weights.len() - 1;
        let too_wide = || Error::ExceedsLimit {
            what: "blur kernel taps in one storage binding",
            requested: taps.weights.len() as u64,
            max: budget as u64,
        };
        // Tile size (output rows x output columns) whose padded input fits the budget.
        let (tile_rows, tile_cols) = if axis == 1 {
            if cols + halo <= budget {
                (budget / (cols + halo), cols)
            } else if halo < budget {
                (1, budget - halo)
            } else {
                return Err(too_wide());
            }
        } else if (halo + 1) * cols <= budget {
            (budget / cols - halo, cols)
        } else if halo < budget {
            let tile_cols = budget / (halo + 1);
            (budget / tile_cols - halo, tile_cols)
        } else {
            return Err(too_wide());
        };
        let cval32 = cval as f32;
        let mut out = vec![0.0f32; rows * cols];
        for r0 in (0..rows).step_by(tile_rows) {
            let r1 = (r0 + tile_rows).min(rows);
            for c0 in (0..cols).step_by(tile_cols) {
                let c1 = (c0 + tile_cols).min(cols);
                let (out_rows, out_cols) = (r1 - r0, c1 - c0);
                let (src_rows, src_cols) = if axis == 1 {
                    (out_rows, out_cols + halo)
                } else {
                    (out_rows + halo, out_cols)
                };
                let mut tile = Vec::with_capacity(src_rows * src_cols);
                for k in 0..src_rows {
                    if axis == 1 {
                        let row = &data[(r0 + k) * cols..(r0 + k + 1) * cols];
                        tile.extend((0..src_cols).map(|j| {
                            match mode.extend((c0 + j) as isize + taps.first_offset, cols) {
                                Some(c) => row[c],
                                None => cval32,
                            }
                        }));
                    } else {
                        match mode.extend((r0 + k) as isize + taps.first_offset, rows) {
                            Some(r) => tile.extend_from_slice(&data[r * cols + c0..r * cols + c1]),
                            None => tile.extend(std::iter::repeat_n(cval32, out_cols)),
                        }
                    }
                }
                let source = ctx.upload("blur tile", &tile)?;
                let output =
                    ctx.storage_buffer("blur tile output", (out_rows * out_cols * 4) as u64)?;
                ctx.poison_f32(&output, out_rows * out_cols);
                let shape = PassShape {
                    out_rows,
                    out_cols,
                    src_rows,
                    src_cols,
                    axis,
                };
                let padded = Taps {
                    weights: taps.weights.clone(),
                    first_offset: 0,
                };
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                self.encode_pass(
                    ctx,
                    &mut encoder,
                    &source,
                    &output,
                    shape,
                    &padded,
                    MODE_PADDED,
                    cval,
                )?;
                ctx.submit_and_wait("a blur tile", encoder)?;
                let result = ctx.read_back::<f32>(&output, 0, out_rows * out_cols)?;
                for (k, line) in result.chunks(out_cols).enumerate() {
                    out[(r0 + k) * cols + c0..(r0 + k) * cols + c1].copy_from_slice(line);
                }
            }
        }
        Ok(out)
    }
}

/// The data with NaN replaced by 0, and the mask of non-NaN cells (1 or 0).
fn split_nan(data: &[f32]) -> (Vec<f32>, Vec<f32>) {
    data.iter()
        .map(|&v| if v.is_nan() { (0.0, 0.0) } else { (v, 1.0) })
        .unzip()
}

/// The shader's number for `mode` (`MODE_*` in blur.wgsl), for the GPU-free shader checks.
pub fn mode_code(mode: Mode) -> u32 {
    mode.code()
}
