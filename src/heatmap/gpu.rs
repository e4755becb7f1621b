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
use crate::density::gpu::{DeviceCounts, GpuBinner, RecordedCounts};
use crate::error::Result;
use crate::gpu::GpuBuffer;
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
        let mut encoder = ctx.encoder();
        let values = self.values_from_counts(
            ctx,
            &mut encoder,
            (grid.buffer(), grid.host_counts()),
            params,
        )?;
        Ok(self.render_encoded(ctx, encoder, values, params, None)?.0)
    }

    /// Draws a grid of counts the binner left recorded in `recording`
    /// ([`GpuBinner::finish_recorded`]): binning's end, blur, range and colours in one
    /// submission, and the RGBA8 image and the binning's report in one read-back (one wait).
    ///
    /// # Errors
    /// GPU errors.
    pub(crate) fn render_recorded(
        &self,
        ctx: &GpuContext,
        mut recording: crate::gpu::Recording,
        grid: RecordedCounts,
        params: &HeatmapParams,
    ) -> Result<(Vec<u8>, DeviceCounts)> {
        let values = self.values_from_counts(
            ctx,
            &mut recording,
            (grid.buffer(), grid.host_counts()),
            params,
        )?;
        let (rgba, report) =
            self.render_encoded(ctx, recording, values, params, Some(&grid.report))?;
        let report = report.expect("asked for");
        Ok((rgba, grid.with_report(report)))
    }

    /// The float32 grid of a grid of device counts (merged with counts held on the host).
    fn values_from_counts(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (counts, host_counts): (&GpuBuffer, Option<&[u64]>),
        params: &HeatmapParams,
    ) -> Result<GpuBuffer> {
        let cells = params.width * params.height;
        let values = ctx.storage_buffer("heatmap grid", (cells * 4) as u64)?;
        ctx.poison_f32(&values, cells);
        match host_counts {
            // Points the host binned (magnitudes outside float32 triples) or counts flushed to
            // keep u32 cells from wrapping: merged on the host, a rare case.
            Some(host) => {
                let device: Vec<u32> = ctx.read_back(counts, 0, cells)?;
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
                    encoder,
                    &self.counts_to_values,
                    &[&uniform, counts, &values],
                    groups,
                )?;
            }
        }
        Ok(values)
    }

    /// Draws a float32 grid already on the device, after what `recording` holds; the image and,
    /// when given, a binning `report`'s two u32 in one read-back.
    ///
    /// # Errors
    /// GPU errors.
    pub(crate) fn render_values_recorded(
        &self,
        ctx: &GpuContext,
        recording: crate::gpu::Recording,
        values: GpuBuffer,
        params: &HeatmapParams,
        report: Option<&GpuBuffer>,
    ) -> Result<(Vec<u8>, Option<[u32; 2]>)> {
        self.render_encoded(ctx, recording, values, params, report)
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
        let encoder = ctx.encoder();
        let values = ctx.upload("heatmap grid", grid)?;
        Ok(self.render_encoded(ctx, encoder, values, params, None)?.0)
    }

    /// Blur, range, colours, on `encoder` after what it already holds; one submission, one
    /// read-back of the RGBA8 pixels and, when given, a binning `report`'s two u32.
    fn render_encoded(
        &self,
        ctx: &GpuContext,
        mut encoder: crate::gpu::Recording,
        values: GpuBuffer,
        params: &HeatmapParams,
        report: Option<&GpuBuffer>,
    ) -> Result<(Vec<u8>, Option<[u32; 2]>)> {
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
        let range = ctx.upload_table("heatmap range", &[0x7f80_0000u32, 0])?;
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
        let lut = lut_buffer(ctx, params)?;
        let image = self.colour(ctx, &mut encoder, (&uniform, &values, &range, &lut), cells)?;
        // The packed pixels are little-endian RGBA8 words: their bytes are the image.
        let mut parts = vec![(&image, (cells * 4) as u64)];
        if let Some(report) = report {
            parts.push((report, 8));
        }
        let (mut rgba, mut words) = (Vec::new(), None);
        ctx.submit_and_read_parts("the heatmap", encoder, &parts, |read| {
            rgba.extend_from_slice(read[0]);
            words = read.get(1).map(|r| {
                let r = crate::gpu::mapped_as::<u32>(r);
                [r[0], r[1]]
            });
        })?;
        Ok((rgba, words))
    }

    /// Records the colours of `cells` values after what `encoder` holds into a new buffer of
    /// packed RGBA8 pixels.
    fn colour(
        &self,
        ctx: &GpuContext,
        encoder: &mut crate::gpu::Recording,
        (uniform, values, range, lut): (&GpuBuffer, &GpuBuffer, &GpuBuffer, &GpuBuffer),
        cells: usize,
    ) -> Result<GpuBuffer> {
        let groups = cells.div_ceil(WG_SIZE as usize) as u64;
        let image = ctx.storage_buffer("heatmap image", (cells * 4) as u64)?;
        ctx.poison_f32(&image, cells);
        ctx.record_dispatch(
            "recording the colours",
            encoder,
            &self.colorize,
            &[uniform, values, range, lut, &image],
            groups,
        )?;
        Ok(image)
    }
}

/// The colormap's lookup table as packed RGBA8, uploaded.
fn lut_buffer(ctx: &GpuContext, params: &HeatmapParams) -> Result<GpuBuffer> {
    let lut: Vec<u32> = params
        .colormap
        .lut()
        .iter()
        .map(|&[r, g, b]| u32::from_le_bytes([r, g, b, 255]))
        .collect();
    ctx.upload_table("heatmap colormap", &lut)
}

/// How a heatmap past one binding is cut: bands of x bins (image columns) with all y bins,
/// each binned with `halo` extra bins on both sides (and one more on the right, so a point on
/// the band's closing edge lands outside what is kept), so the blur of the kept bins is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// x bins kept per band.
    pub kept: usize,
    /// Extra bins on each side: the blur's radius.
    pub halo: usize,
}

impl Tiling {
    /// The bands for `params` on `ctx`, or `None` when even one kept column with its halos is
    /// past one binding, or the scaling needs every cell at once (`eq_hist`).
    pub fn of(ctx: &GpuContext, params: &HeatmapParams) -> Option<Self> {
        if params.scale == Scale::EqHist || params.height == 0 {
            return None;
        }
        let halo = if params.sigma > 0.0 {
            // SciPy's radius at truncate 4, as the blur plans it.
            (4.0 * params.sigma + 0.5) as usize
        } else {
            0
        };
        let columns = (ctx.max_binding_bytes() / 4) as usize / params.height;
        let kept = columns.checked_sub(2 * halo + 1)?.min(params.width);
        // u32 cell indices in the shaders.
        (kept > 0 && (kept + 2 * halo + 1) * params.height <= u32::MAX as usize)
            .then_some(Self { kept, halo })
    }
}

impl HeatmapGpu {
    /// A heatmap whose grid is past one binding, in bands ([`Tiling`]): each band is binned on
    /// the GPU with its halos, blurred there, its non-empty range merged into one range on the
    /// device; then each band is binned and blurred again and coloured with that range, and
    /// its pixels read back once into the image. The report comes from one more binning pass
    /// into a single bin over the range. Equal to the resident chain's picture of the same
    /// grid.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParam`] when [`crate::density::gpu::DensityGpu::supports`]
    /// refuses a band's plan (edges outside the float32 triples' magnitudes); GPU errors.
    pub fn render_points_tiled(
        &self,
        ctx: &GpuContext,
        points: &crate::io::Points,
        plan: &crate::density::DensityPlan,
        params: &HeatmapParams,
        tiling: Tiling,
    ) -> Result<super::Heatmap> {
        use crate::density::{DensityPlan, Reduction};
        let (nx, ny) = (params.width, params.height);
        let binning = crate::density::gpu::DensityGpu::new(ctx)?;
        let bin = |x_lo: usize, x_hi: usize, y: &crate::density::Edges| -> Result<DeviceCounts> {
            let band = DensityPlan {
                x: plan.x.sub_range(x_lo, x_hi),
                y: y.clone(),
                density: false,
                reduction: Reduction::Sum,
            };
            let mut binner = GpuBinner::new(ctx, &binning, &band)?;
            binner.add(points.x.view(), points.y.view())?;
            binner.finish_on_device()
        };
        let report = {
            let whole = DensityPlan {
                x: plan.x.outer(),
                y: plan.y.outer(),
                density: false,
                reduction: Reduction::Sum,
            };
            let mut binner = GpuBinner::new(ctx, &binning, &whole)?;
            binner.add(points.x.view(), points.y.view())?;
            binner.finish_on_device()?
        };
        let rgba = self.render_bands(ctx, params, tiling, |encoder, (e0, e1)| {
            let counts = bin(e0, e1, &plan.y)?;
            let band = HeatmapParams {
                width: e1 - e0,
                ..params.clone()
            };
            self.values_from_counts(ctx, encoder, (counts.buffer(), counts.host_counts()), &band)
        })?;
        Ok(super::Heatmap {
            rgba,
            width: nx,
            height: ny,
            used: report.used,
            out_of_range: report.out_of_range,
            non_finite: report.non_finite,
        })
    }

    /// [`HeatmapGpu`]'s chain on a float64 grid already binned on the host (`grid[[i, j]]`:
    /// x bin i, y bin j) whose cells are past one binding: each band (with its halos) uploaded
    /// as float32, then blurred, range-reduced and coloured as [`HeatmapGpu::render_points_tiled`]
    /// does; RGBA8 pixels.
    ///
    /// # Errors
    /// GPU errors.
    pub fn render_grid_tiled(
        &self,
        ctx: &GpuContext,
        grid: ndarray::ArrayView2<'_, f64>,
        params: &HeatmapParams,
        tiling: Tiling,
    ) -> Result<Vec<u8>> {
        let ny = params.height;
        let grid = grid.as_standard_layout();
        let cells = grid.as_slice().expect("standard layout");
        self.render_bands(ctx, params, tiling, |_, (e0, e1)| {
            let band: Vec<f32> = cells[e0 * ny..e1 * ny].iter().map(|&v| v as f32).collect();
            ctx.upload("heatmap band", &band)
        })
    }

    /// The banded chain: `band_values(encoder, (e0, e1))` gives the float32 values of x bins
    /// `e0..e1` (all y bins); each band is blurred with its halos, its kept bins' range merged
    /// on the device (unless a span is given), then coloured with the merged range; the kept
    /// columns of each band's pixels are assembled into the RGBA8 image.
    ///
    /// Each band's values are made and blurred twice (for the range, then for the colours)
    /// rather than kept between the passes: the device then holds one band at a time, not the
    /// whole grid, which is what a grid past one binding needs on a small GPU.
    fn render_bands(
        &self,
        ctx: &GpuContext,
        params: &HeatmapParams,
        tiling: Tiling,
        band_values: impl Fn(&mut wgpu::CommandEncoder, (usize, usize)) -> Result<GpuBuffer>,
    ) -> Result<Vec<u8>> {
        let (nx, ny) = (params.width, params.height);
        // Bands: kept x bins [k0, k1), binned over [e0, e1) with e1 one past the right halo.
        let bands: Vec<(usize, usize, usize, usize)> = (0..nx)
            .step_by(tiling.kept)
            .map(|k0| {
                let k1 = (k0 + tiling.kept).min(nx);
                (
                    k0,
                    k1,
                    k0.saturating_sub(tiling.halo),
                    (k1 + tiling.halo + 1).min(nx),
                )
            })
            .collect();
        let band_params = |e0: usize, e1: usize| HeatmapParams {
            width: e1 - e0,
            ..params.clone()
        };
        let blur_plan = BlurParams::new(params.sigma)
            .with_mode(Mode::Constant)
            .with_cval(0.0)
            .plan(2)?;
        // A band's blurred values, resident.
        let blurred =
            |encoder: &mut wgpu::CommandEncoder, (e0, e1): (usize, usize)| -> Result<GpuBuffer> {
                let values = band_values(encoder, (e0, e1))?;
                self.blur
                    .encode_resident(ctx, encoder, values, &[e1 - e0, ny], &blur_plan, 0.0)
            };
        // min starts at +inf's bits, max at 0: the identities of the reduction.
        let range = ctx.upload_table("heatmap range", &[0x7f80_0000u32, 0])?;
        if params.span.is_none() {
            for &(k0, k1, e0, e1) in &bands {
                let mut encoder = ctx.encoder();
                let values = blurred(&mut encoder, (e0, e1))?;
                // The kept bins only: rows k0 - e0 .. k1 - e0 of the band, contiguous.
                let kept_cells = (k1 - k0) * ny;
                let kept = ctx.storage_buffer("heatmap kept band", (kept_cells * 4) as u64)?;
                ctx.scoped("copying a band", || {
                    encoder.copy_buffer_to_buffer(
                        &values,
                        ((k0 - e0) * ny * 4) as u64,
                        &kept,
                        0,
                        (kept_cells * 4) as u64,
                    );
                })?;
                let kept_params = band_params(k0, k1);
                let groups = kept_cells.div_ceil((WG_SIZE * CELLS_PER_THREAD) as usize) as u64;
                let u = ctx.uniform(
                    "heatmap range uniform",
                    &render_uniform(&kept_params, groups),
                )?;
                ctx.record_dispatch(
                    "recording a band's value range",
                    &mut encoder,
                    &self.value_range,
                    &[&u, &kept, &range],
                    groups,
                )?;
                ctx.submit_and_wait("a heatmap band's range", encoder)?;
            }
        }
        let lut = lut_buffer(ctx, params)?;
        let mut rgba = vec![0u8; nx * ny * 4];
        for &(k0, k1, e0, e1) in &bands {
            let mut encoder = ctx.encoder();
            let values = blurred(&mut encoder, (e0, e1))?;
            let width = e1 - e0;
            let cells = width * ny;
            let groups = cells.div_ceil(WG_SIZE as usize) as u64;
            let u = ctx.uniform(
                "heatmap uniform",
                &render_uniform(&band_params(e0, e1), groups),
            )?;
            let image = self.colour(ctx, &mut encoder, (&u, &values, &range, &lut), cells)?;
            ctx.submit_and_read_with::<u8>(
                "a heatmap band",
                encoder,
                &image,
                cells * 4,
                |bytes| {
                    // Image row r of the band holds its columns e0..e1; keep k0..k1.
                    for (r, row) in bytes.chunks(width * 4).enumerate() {
                        let at = (r * nx + k0) * 4;
                        rgba[at..at + (k1 - k0) * 4]
                            .copy_from_slice(&row[(k0 - e0) * 4..(k1 - e0) * 4]);
                    }
                },
            )?;
        }
        Ok(rgba)
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
