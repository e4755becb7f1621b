//! The heatmap's last steps on the GPU, on a grid that stays there: counts to float32, the
//! Gaussian blur (the blur capability's resident passes), the range of the non-empty cells, and
//! scaling with the colormap as a lookup table, into RGBA8 pixels read back once.
//!
//! Everything is float32, where the CPU path ([`super::render_histogram`] on
//! [`crate::Executor::Cpu`]) is float64: a pixel's colour can differ from the CPU's by one
//! lookup-table step, and a cell within float32 rounding of the emptiness floor can be empty on
//! one and filled on the other. Counts above 2^24 in one cell are rounded to float32 (a relative
//! 6e-8, invisible in 8-bit colour). `eq_hist` ranks every cell (a sort), which this path does
//! not do: it reads the blurred grid back and scales on the CPU ([`HeatmapGpu::supports`]).

use bytemuck::{Pod, Zeroable};

use super::{empty_floor, HeatmapParams, Scale};
use crate::blur::gpu::BlurGpu;
use crate::blur::{BlurParams, Mode};
use crate::density::gpu::DeviceCounts;
use crate::error::Result;
use crate::gpu::GpuContext;
use crate::render::LUT_SIZE;

/// The WGSL source.
pub(crate) const HEATMAP_WGSL: &str = crate::gpu::include_wgsl!("heatmap/heatmap.wgsl");
/// Threads per workgroup of every entry point (`WG_SIZE`).
pub const WG_SIZE: u32 = 256;
/// Cells each thread of `value_range` reduces (`CELLS_PER_THREAD`).
pub const CELLS_PER_THREAD: u32 = 16;
/// Entries of the lookup table the shader indexes (`LUT_SIZE`).
pub const SHADER_LUT_SIZE: u32 = LUT_SIZE as u32;

/// Kept in sync with `struct RenderUniform` in shaders/heatmap/heatmap.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct RenderUniform {
    /// Bins along x = image width.
    pub(crate) nx: u32,
    /// Bins along y = image height.
    pub(crate) ny: u32,
    /// nx * ny.
    pub(crate) cells: u32,
    /// Workgroups that do work.
    pub(crate) groups: u32,
    /// Values below are empty.
    pub(crate) floor: f32,
    /// 0 linear, 1 log1p, 2 cbrt.
    pub(crate) scale: u32,
    /// Span low end (when `has_span`).
    pub(crate) span_lo: f32,
    /// Span high end.
    pub(crate) span_hi: f32,
    /// Whether the span is given.
    pub(crate) has_span: u32,
    /// Whether empty cells are transparent.
    pub(crate) transparent: u32,
    /// Padding to 16 bytes.
    pub(crate) _pad: [u32; 2],
}

/// The heatmap pipelines on one context.
#[derive(Debug)]
pub struct HeatmapGpu {
    counts_to_values: wgpu::ComputePipeline,
    value_range: wgpu::ComputePipeline,
    colorize: wgpu::ComputePipeline,
    blur: BlurGpu,
}

impl HeatmapGpu {
    /// Fetches (compiling on first use) the pipelines of `ctx`.
    ///
    /// # Errors
    /// [`crate::Error::Gpu`] if the driver rejects a shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            counts_to_values: ctx.pipeline("heatmap", HEATMAP_WGSL, "counts_to_values")?,
            value_range: ctx.pipeline("heatmap", HEATMAP_WGSL, "value_range")?,
            colorize: ctx.pipeline("heatmap", HEATMAP_WGSL, "colorize")?,
            blur: BlurGpu::new(ctx)?,
        })
    }

    /// Whether this path draws `params` on `ctx`: a scaling other than `eq_hist`, and a grid
    /// (and image) within one storage binding, so the blur runs resident.
    pub fn supports(ctx: &GpuContext, params: &HeatmapParams) -> bool {
        let cells = (params.width as u64) * (params.height as u64);
        params.scale != Scale::EqHist
            && cells * 4 <= ctx.max_binding_bytes()
            && cells <= u64::from(u32::MAX)
    }

    /// Draws a grid of counts left on the GPU by [`crate::density::gpu::GpuBinner`]; only the
    /// RGBA8 image is read back.
    ///
    /// # Errors
    /// GPU errors.
    pub fn render_counts(
        &self,
        ctx: &GpuContext,
        grid: &DeviceCounts,
        params: &HeatmapParams,
    ) -> Result<Vec<u8>> {
        let cells = params.width * params.height;
        let mut encoder = ctx.device().create_command_encoder(&Default::default());
        let values = ctx.storage_buffer("heatmap grid", (cells * 4) as u64)?;
        ctx.poison_f32(&values, cells);
        match grid.host_counts() {
            // Points the host binned (magnitudes outside float32 triples) or counts flushed to
            // keep u32 cells from wrapping: merged on the host, a rare case.
            Some(host) => {
                let device: Vec<u32> = ctx.read_back(grid.buffer(), 0, cells)?;
                let merged: Vec<f32> = device
                    .iter()
                    .zip(host)
                    .map(|(&d, &h)| (u64::from(d) + h) as f32)
                    .collect();
                ctx.write(&values, &merged)?;
            }
            None => {
                let groups = cells.div_ceil(WG_SIZE as usize) as u64;
                let uniform = ctx.uniform("heatmap uniform", &render_uniform(params, groups))?;
                ctx.record_dispatch(
                    "recording counts to values",
                    &mut encoder,
                    &self.counts_to_values,
                    &[&uniform, grid.buffer(), &values],
                    groups,
                )?;
            }
        }
        self.render_encoded(ctx, encoder, values, params)
    }

    /// Draws a float grid from the host (H[i, j] at i * height + j), uploaded once.
    ///
    /// # Errors
    /// GPU errors.
    pub fn render_values(
        &self,
        ctx: &GpuContext,
        grid: &[f32],
        params: &HeatmapParams,
    ) -> Result<Vec<u8>> {
        let encoder = ctx.device().create_command_encoder(&Default::default());
        let values = ctx.upload("heatmap grid", grid)?;
        self.render_encoded(ctx, encoder, values, params)
    }

    /// Blur, range, colours, on `encoder` after what it already holds; one submission, one
    /// read-back.
    fn render_encoded(
        &self,
        ctx: &GpuContext,
        mut encoder: wgpu::CommandEncoder,
        values: wgpu::Buffer,
        params: &HeatmapParams,
    ) -> Result<Vec<u8>> {
        let cells = params.width * params.height;
        let plan = BlurParams::new(params.sigma)
            .with_mode(Mode::Constant)
            .with_cval(0.0)
            .plan(2)?;
        let values = self.blur.encode_resident(
            ctx,
            &mut encoder,
            values,
            &[params.width, params.height],
            &plan,
            0.0,
        )?;
        let groups = cells.div_ceil(WG_SIZE as usize) as u64;
        let uniform = ctx.uniform("heatmap uniform", &render_uniform(params, groups))?;
        // min starts at +inf's bits, max at 0: the identities of the reduction.
        let range = ctx.upload("heatmap range", &[0x7f80_0000u32, 0])?;
        if params.span.is_none() {
            let range_groups = cells.div_ceil((WG_SIZE * CELLS_PER_THREAD) as usize) as u64;
            let range_uniform = ctx.uniform(
                "heatmap range uniform",
                &render_uniform(params, range_groups),
            )?;
            ctx.record_dispatch(
                "recording the value range",
                &mut encoder,
                &self.value_range,
                &[&range_uniform, &values, &range],
                range_groups,
            )?;
        }
        let lut: Vec<u32> = params
            .colormap
            .lut()
            .iter()
            .map(|&[r, g, b]| u32::from_le_bytes([r, g, b, 255]))
            .collect();
        let lut = ctx.upload("heatmap colormap", &lut)?;
        let image = ctx.storage_buffer("heatmap image", (cells * 4) as u64)?;
        ctx.poison_f32(&image, cells);
        ctx.record_dispatch(
            "recording the colours",
            &mut encoder,
            &self.colorize,
            &[&uniform, &values, &range, &lut, &image],
            groups,
        )?;
        ctx.submit_and_wait("the heatmap", encoder)?;
        let pixels: Vec<u32> = ctx.read_back(&image, 0, cells)?;
        Ok(pixels.iter().flat_map(|p| p.to_le_bytes()).collect())
    }
}

fn render_uniform(params: &HeatmapParams, groups: u64) -> RenderUniform {
    let [span_lo, span_hi] = params.span.unwrap_or([0.0, 1.0]);
    RenderUniform {
        nx: params.width as u32,
        ny: params.height as u32,
        cells: (params.width * params.height) as u32,
        groups: groups as u32,
        floor: empty_floor(params.sigma) as f32,
        scale: match params.scale {
            Scale::Log => 1,
            Scale::Cbrt => 2,
            Scale::Linear | Scale::EqHist => 0,
        },
        span_lo: span_lo as f32,
        span_hi: span_hi as f32,
        has_span: u32::from(params.span.is_some()),
        transparent: u32::from(params.transparent_empty),
        _pad: [0; 2],
    }
}
