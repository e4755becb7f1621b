//! Heatmaps: points -> `histogram2d` -> Gaussian blur -> scaling -> colormap -> RGBA8.
//!
//! The blur sigma is in bins. Blurring a histogram with a Gaussian of sigma `s` bins is a
//! kernel density estimate with a Gaussian kernel of bandwidth `s * bin width` (evaluated at
//! the bin centres, points first snapped to their bin): `scipy.stats.gaussian_kde` users with a
//! bandwidth `h` in data units get the same picture with `sigma = h / bin width`, up to the
//! factor n * bin area that turns counts into a density (which scaling removes anyway).
//!
//! [`HeatmapParams`] says what to draw; [`heatmap`] (points in memory) and [`heatmap_file`]
//! (points read in chunks) make every routing decision: on a GPU the grid is binned, blurred,
//! scaled and coloured without leaving it ([`gpu::HeatmapGpu`]), and only the image is read back;
//! else [`render_histogram`] is the CPU twin, from a binned grid.

pub mod gpu;

use std::str::FromStr;

use ndarray::{Array2, ArrayView2};

use self::gpu::HeatmapGpu;
use crate::blur::{self, BlurParams, Mode};
use crate::density::gpu::{DensityGpu, GpuBinner};
use crate::density::{self, Binner, DensityParams, Histogram};
use crate::error::{Error, Result};
use crate::gpu::Device;
use crate::io::Points;
use crate::render::{lut_index, Colormap};

/// How bin values map to colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scale {
    /// Proportional to the value.
    Linear,
    /// `log1p(value)`: the usual choice for counts spanning decades.
    #[default]
    Log,
    /// Cube root: between linear and log.
    Cbrt,
    /// Histogram equalisation, as datashader's `eq_hist`: each colour covers as many non-empty
    /// bins as any other.
    EqHist,
}

impl FromStr for Scale {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "linear" => Ok(Scale::Linear),
            "log" | "log1p" => Ok(Scale::Log),
            "cbrt" => Ok(Scale::Cbrt),
            "eq_hist" => Ok(Scale::EqHist),
            other => Err(Error::param(
                "scale",
                format!("'{other}' is not one of linear, log, cbrt, eq_hist"),
            )),
        }
    }
}

/// Maps a grid to [0, 1] with `scale`, over its non-empty (non-zero, non-NaN) cells; empty cells
/// become NaN. A grid with one distinct value maps every non-empty cell to 1. With `span`
/// `[lo, hi]` (in the grid's units, as datashader's `span`), values are clipped to it first and
/// lo and hi map to 0 and 1 (for `eq_hist`, the ranks are taken of the clipped values).
pub fn scale_grid(
    values: ArrayView2<'_, f64>,
    scale: Scale,
    span: Option<[f64; 2]>,
) -> Array2<f64> {
    let clip = |v: f64| span.map_or(v, |[lo, hi]| v.clamp(lo, hi));
    let values = values.mapv(|v| if v == 0.0 || v.is_nan() { v } else { clip(v) });
    let values = values.view();
    let empty = |v: f64| v == 0.0 || v.is_nan();
    let transform = |v: f64| match scale {
        Scale::Linear | Scale::EqHist => v,
        Scale::Log => v.ln_1p(),
        Scale::Cbrt => v.cbrt(),
    };
    let mut filled: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&v| !empty(v))
        .map(transform)
        .collect();
    if filled.is_empty() {
        return values.mapv(|_| f64::NAN);
    }
    match scale {
        Scale::EqHist => {
            filled.sort_by(f64::total_cmp);
            let n = filled.len() as f64;
            let below_min = filled.partition_point(|&x| x <= filled[0]) as f64;
            values.mapv(|v| {
                if empty(v) {
                    return f64::NAN;
                }
                // Share of non-empty cells at or below v, stretched so the smallest maps to 0.
                let at_or_below = filled.partition_point(|&x| x <= v) as f64;
                if n > below_min {
                    (at_or_below - below_min) / (n - below_min)
                } else {
                    1.0
                }
            })
        }
        _ => {
            let (lo, hi) = match span {
                Some([lo, hi]) => (transform(lo), transform(hi)),
                None => filled
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                        (lo.min(v), hi.max(v))
                    }),
            };
            values.mapv(|v| {
                if empty(v) {
                    f64::NAN
                } else if hi > lo {
                    (transform(v) - lo) / (hi - lo)
                } else {
                    1.0
                }
            })
        }
    }
}

/// What `gpusci heatmap` draws.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapParams {
    /// Image width in pixels = bins along x.
    pub width: usize,
    /// Image height in pixels = bins along y.
    pub height: usize,
    /// `[[x0, x1], [y0, y1]]`; a range smaller than the data zooms in. `None`: the data's.
    pub range: Option<[[f64; 2]; 2]>,
    /// Gaussian blur of the grid, in bins (0: none). After blurring, bins below what one point
    /// contributes 3 sigma away count as empty.
    pub sigma: f64,
    /// Value-to-colour scaling.
    pub scale: Scale,
    /// Clip values to `[lo, hi]` (after blurring, in counts) before scaling; `None`: the data's.
    pub span: Option<[f64; 2]>,
    /// The colormap.
    pub colormap: Colormap,
    /// Draw empty bins transparent (datashader's default) instead of the colormap's low end.
    pub transparent_empty: bool,
}

impl Default for HeatmapParams {
    fn default() -> Self {
        Self {
            width: 800,
            height: 600,
            range: None,
            sigma: 0.0,
            scale: Scale::Log,
            span: None,
            colormap: Colormap::Viridis,
            transparent_empty: true,
        }
    }
}

/// A rendered heatmap, with the binning's report.
#[derive(Clone, Debug)]
pub struct Heatmap {
    /// RGBA8, row-major, top row = highest y.
    pub rgba: Vec<u8>,
    /// Pixels across.
    pub width: usize,
    /// Pixels down.
    pub height: usize,
    /// Points drawn.
    pub used: u64,
    /// Finite points outside the range.
    pub out_of_range: u64,
    /// Points with a NaN or infinite coordinate.
    pub non_finite: u64,
}

/// Bins, blurs, scales and colours `points`.
///
/// ```
/// use gpusci::density::PointType;
/// use gpusci::heatmap::{heatmap, HeatmapParams, Scale};
/// use gpusci::io::Points;
/// use gpusci::Device;
///
/// let (x, y) = gpusci::data::clustered_points(10_000, 1);
/// let points = Points { x, y, weights: None, kind: PointType::F64 };
/// let params = HeatmapParams { width: 320, height: 200, sigma: 1.5, scale: Scale::Log, ..HeatmapParams::default() };
/// let image = heatmap(Device::Cpu, &points, &params)?;
/// assert_eq!(image.rgba.len(), 320 * 200 * 4); // RGBA8, top row = highest y
/// assert_eq!(image.used, 10_000);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`DensityParams::plan`] and [`crate::blur::gaussian_filter`]; a 0 size is an
/// [`Error::InvalidParam`].
///
/// On a GPU executor, unweighted points with a scaling other than `eq_hist` are binned,
/// blurred, scaled and coloured without the grid leaving the GPU (see [`gpu`]); grids past one
/// storage binding in bands with halos ([`gpu::Tiling`], up to the 2^30-pixel limit, 32768 x
/// 32768); the rest is binned where [`density::histogram2d`] bins it and drawn by
/// [`render_histogram`].
pub fn heatmap<'d>(
    device: impl Into<Device<'d>>,
    points: &Points,
    params: &HeatmapParams,
) -> Result<Heatmap> {
    let device = crate::route::route(
        device.into(),
        &crate::route::Job::new(crate::route::Operation::Heatmap, points.x.len()),
    );
    check_size(params)?;
    let plan = density_params(params).plan(points.x.view(), points.y.view(), points.kind)?;
    if let Some(ctx) = device.gpu() {
        if points.weights.is_none()
            && HeatmapGpu::supports(ctx, params)
            && DensityGpu::supports(ctx, &plan)
        {
            let mut binner = GpuBinner::new(ctx, &DensityGpu::new(ctx)?, &plan)?;
            binner.add(points.x.view(), points.y.view())?;
            return render_recorded(ctx, binner, params);
        }
        // A grid past one binding: bands with halos, binned, blurred and coloured on the GPU.
        if points.weights.is_none()
            && !HeatmapGpu::supports(ctx, params)
            && plan.reduction == density::Reduction::Sum
        {
            if let Some(tiling) = gpu::Tiling::of(ctx, params) {
                return HeatmapGpu::new(ctx)?
                    .render_points_tiled(ctx, points, &plan, params, tiling);
            }
        }
    }
    let histogram = density::histogram2d(
        device,
        points.x.view(),
        points.y.view(),
        points.weights.as_ref().map(|w| w.view()),
        &plan,
    )?;
    render_histogram(device, histogram, params)
}

/// [`heatmap`] of points that live on a GPU (`x`, `y`: 1-D real device arrays on the same
/// GPU): binned there, blurred, scaled and coloured without the points or the grid leaving it;
/// only the RGBA8 image and the points' report come back, in one read-back (one wait; a
/// second, small one finds the automatic range when `params.range` is `None`).
///
/// Points the device path cannot bin exactly (double-float arrays, which do not hold
/// float64's bits), `eq_hist`, and grids past one storage binding are brought to the host and
/// drawn by [`heatmap`] on the same GPU, with a note.
///
/// # Errors
/// As [`heatmap`] and [`crate::density::device::histogram2d_device`].
pub fn heatmap_device(
    x: &crate::array::DeviceArray,
    y: &crate::array::DeviceArray,
    params: &HeatmapParams,
) -> Result<Heatmap> {
    use crate::density::device as on_device;
    check_size(params)?;
    let ctx = x.gpu();
    let (plan, _) = on_device::device_plan(x, y, None, &density_params(params))?;
    let refusal = if HeatmapGpu::supports(ctx, params) {
        on_device::refusal(x, y, &plan)
    } else {
        Some("eq_hist, or a grid past one storage binding, is drawn from the host".to_string())
    };
    if let Some(reason) = refusal {
        crate::gpu::note_cpu_fallback(|| {
            format!("heatmap: {reason}; the points are binned on the host")
        });
        let host = |a: &crate::array::DeviceArray| -> Result<ndarray::Array1<f64>> {
            Ok(a.to_host_f64()?
                .into_dimensionality()
                .expect("checked: 1-D"))
        };
        let both_f32 =
            x.dtype() == crate::array::DType::Float32 && y.dtype() == crate::array::DType::Float32;
        let points = Points {
            x: host(x)?,
            y: host(y)?,
            weights: None,
            kind: if both_f32 {
                density::PointType::F32
            } else {
                density::PointType::F64
            },
        };
        return heatmap(Device::Gpu(ctx, crate::Precision::Auto), &points, params);
    }
    render_recorded(ctx, on_device::bin(x, y, None, &plan)?, params)
}

/// [`render_histogram`] of a histogram whose grid lives on a GPU
/// ([`crate::density::device::histogram2d_device`], shape `(width, height)`): the grid turned
/// to float32 there, blurred, scaled and coloured, and the RGBA8 image read back with the
/// points' report (one wait).
///
/// `eq_hist`, grids past one storage binding, and grids in a double-float scaling float32
/// cannot hold are drawn by [`render_histogram`] from the host, with a note.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the grid is not `(width, height)`; as [`render_histogram`].
pub fn render_histogram_device(
    histogram: &crate::density::device::DeviceHistogram,
    params: &HeatmapParams,
) -> Result<Heatmap> {
    check_size(params)?;
    let grid = &histogram.grid;
    if grid.shape() != [params.width, params.height] {
        return Err(Error::ShapeMismatch {
            what: "heatmap grid",
            expected: format!("({}, {})", params.width, params.height),
            got: grid.shape().to_vec(),
        });
    }
    let ctx = grid.gpu();
    let mut recording = ctx.encoder();
    let values = if HeatmapGpu::supports(ctx, params) {
        crate::density::device::record_float32(&mut recording, grid)?
    } else {
        None
    };
    let Some(values) = values else {
        drop(recording);
        crate::gpu::note_cpu_fallback(|| {
            "heatmap: eq_hist, a grid past one storage binding or a scaling float32 cannot \
             hold is drawn from the host"
                .to_string()
        });
        let [used, out_of_range, non_finite] = histogram.report()?;
        let host = Histogram {
            values: grid
                .to_host_f64()?
                .into_dimensionality()
                .expect("checked: (width, height)"),
            x_edges: histogram.x_edges.clone(),
            y_edges: histogram.y_edges.clone(),
            used,
            out_of_range,
            non_finite,
        };
        return render_histogram(Device::Gpu(ctx, crate::Precision::Auto), host, params);
    };
    let pending = histogram.pending_report();
    let report = pending.as_ref().err().map(|(buffer, _)| *buffer);
    let (rgba, words) =
        HeatmapGpu::new(ctx)?.render_values_recorded(ctx, recording, values, params, report)?;
    let [used, out_of_range, non_finite] = match (pending, words) {
        (Ok(report), _) => report,
        (Err((_, added)), Some([out, non_finite])) => {
            let (out, non_finite) = (u64::from(out), u64::from(non_finite));
            [added - out - non_finite, out, non_finite]
        }
        (Err(_), None) => unreachable!("the report was asked for"),
    };
    Ok(Heatmap {
        rgba,
        width: params.width,
        height: params.height,
        used,
        out_of_range,
        non_finite,
    })
}

/// [`heatmap`] of a point file read in chunks (see [`density::histogram2d_file`]): on a GPU
/// executor the grid stays on the GPU from the first chunk to the colours.
///
/// # Errors
/// As [`density::histogram2d_file`] and [`heatmap`].
pub fn heatmap_file<'d>(
    device: impl Into<Device<'d>>,
    path: &std::path::Path,
    params: &HeatmapParams,
    progress: impl FnMut(usize, crate::io::Progress),
) -> Result<Heatmap> {
    let device: Device<'d> = device.into();
    check_size(params)?;
    let binner = density::bin_file_in_chunks(
        device,
        path,
        &density_params(params),
        None,
        density::FILE_CHUNK,
        progress,
    )?;
    match (binner, device.gpu()) {
        // Counts stay on the device for the rest of the chain; weighted sums are finished
        // (fixed point to float64) and drawn as the in-memory weighted heatmap is.
        (Binner::Gpu(binner), Some(ctx))
            if !binner.is_weighted() && HeatmapGpu::supports(ctx, params) =>
        {
            render_recorded(ctx, *binner, params)
        }
        (binner, _) => render_histogram(device, binner.finish()?, params),
    }
}

/// The binner's grid drawn in the same submission as its last chunk's end, the image and the
/// binning report read back together (one wait).
fn render_recorded(
    ctx: &crate::gpu::GpuContext,
    binner: GpuBinner<'_>,
    params: &HeatmapParams,
) -> Result<Heatmap> {
    let (recording, recorded) = binner.finish_recorded()?;
    let (rgba, counts) = HeatmapGpu::new(ctx)?.render_recorded(ctx, recording, recorded, params)?;
    Ok(Heatmap {
        rgba,
        width: params.width,
        height: params.height,
        used: counts.used,
        out_of_range: counts.out_of_range,
        non_finite: counts.non_finite,
    })
}

/// Values below this are empty after a blur of `sigma` bins (0 without a blur): the kernel is
/// cut at 4 sigma, so a lone point leaves a square of tiny values that log scaling would paint;
/// below what one point contributes 3 sigma away counts as empty, so footprints end round.
pub fn empty_floor(sigma: f64) -> f64 {
    if sigma > 0.0 {
        (-4.5f64).exp() / (2.0 * std::f64::consts::PI * sigma * sigma)
    } else {
        0.0
    }
}

/// The binning request a heatmap makes: one bin per pixel over its range.
pub fn density_params(params: &HeatmapParams) -> DensityParams {
    let mut request = DensityParams::new(params.width, params.height);
    request.range = params.range;
    request
}

fn check_size(params: &HeatmapParams) -> Result<()> {
    if params.width == 0 || params.height == 0 {
        return Err(Error::param("size", "width and height must be at least 1"));
    }
    // PNG sizes are 32-bit; the grid, its blur and the image are checked before allocation.
    let max_side = i32::MAX as usize;
    if params.width > max_side || params.height > max_side {
        return Err(Error::ExceedsLimit {
            what: "heatmap width and height (PNG)",
            requested: params.width.max(params.height) as u64,
            max: max_side as u64,
        });
    }
    let pixels = (params.width as u64).saturating_mul(params.height as u64);
    if pixels > crate::density::MAX_CELLS as u64 {
        return Err(Error::ExceedsLimit {
            what: "heatmap pixels",
            requested: pixels,
            max: crate::density::MAX_CELLS as u64,
        });
    }
    // float64 grid, its float64 blur, float32 values and RGBA8: about 24 bytes a pixel.
    crate::limits::check_allocation("the heatmap grid and image", pixels, 24)?;
    if let Some([lo, hi]) = params.span {
        if !(lo.is_finite() && hi.is_finite() && lo < hi && lo >= 0.0) {
            return Err(Error::param(
                "span",
                format!("[{lo}, {hi}] must be finite with 0 <= lo < hi"),
            ));
        }
    }
    Ok(())
}

/// Blurs, scales and colours a binned grid (of `params.width x params.height` bins).
///
/// # Errors
/// As [`crate::blur::gaussian_filter`]; [`Error::ShapeMismatch`] for a grid of another size.
pub fn render_histogram<'d>(
    device: impl Into<Device<'d>>,
    histogram: Histogram,
    params: &HeatmapParams,
) -> Result<Heatmap> {
    let device: Device<'d> = device.into();
    check_size(params)?;
    if histogram.values.dim() != (params.width, params.height) {
        return Err(Error::ShapeMismatch {
            what: "heatmap grid",
            expected: format!("({}, {})", params.width, params.height),
            got: histogram.values.shape().to_vec(),
        });
    }
    if let Some(ctx) = device.gpu() {
        let drawn = |rgba: Vec<u8>| Heatmap {
            rgba,
            width: params.width,
            height: params.height,
            used: histogram.used,
            out_of_range: histogram.out_of_range,
            non_finite: histogram.non_finite,
        };
        if HeatmapGpu::supports(ctx, params) {
            let grid: Vec<f32> = histogram.values.iter().map(|&v| v as f32).collect();
            return Ok(drawn(
                HeatmapGpu::new(ctx)?.render_values(ctx, &grid, params)?,
            ));
        }
        // A grid past one binding: uploaded band by band, drawn on the GPU.
        if let Some(tiling) = gpu::Tiling::of(ctx, params) {
            return Ok(drawn(HeatmapGpu::new(ctx)?.render_grid_tiled(
                ctx,
                histogram.values.view(),
                params,
                tiling,
            )?));
        }
    }
    if let Some(ctx) = device.gpu() {
        crate::gpu::note_cpu_fallback(|| {
            if params.scale == Scale::EqHist {
                "heatmap: eq_hist ranks every cell (a sort); the grid is scaled and coloured on \
                 the CPU (the blur runs on the GPU)"
                    .to_string()
            } else {
                format!(
                    "heatmap: one column of the {} x {} image with the blur's halo is larger \
                     than one GPU storage binding ({} MiB); scaled and coloured on the CPU",
                    params.width,
                    params.height,
                    ctx.max_binding_bytes() >> 20
                )
            }
        });
    }
    let grid = if params.sigma > 0.0 {
        // Constant 0 beyond the range: points outside it do not exist for the picture.
        let blur = BlurParams::new(params.sigma)
            .with_mode(Mode::Constant)
            .with_cval(0.0);
        let mut grid = blur::gaussian_filter(device, histogram.values.view(), &blur)?;
        let floor = empty_floor(params.sigma);
        grid.mapv_inplace(|v| if v < floor { 0.0 } else { v });
        grid
    } else {
        histogram.values.clone()
    };
    let t = scale_grid(grid.view(), params.scale, params.span);
    let (nx, ny) = (params.width, params.height);
    let lut = params.colormap.lut();
    // matplotlib's rule (as the GPU's shader): entry min(floor(t * 256), 255).
    let colour = |t: f64| lut[lut_index(t)];
    let mut rgba = vec![0u8; nx * ny * 4];
    for r in 0..ny {
        // Image row r shows y bin ny - 1 - r: the highest y at the top.
        let j = ny - 1 - r;
        for i in 0..nx {
            let v = t[[i, j]];
            let pixel = &mut rgba[(r * nx + i) * 4..(r * nx + i) * 4 + 4];
            if v.is_nan() && params.transparent_empty {
                pixel.copy_from_slice(&[0, 0, 0, 0]);
            } else {
                let [red, green, blue] = colour(if v.is_nan() { 0.0 } else { v });
                pixel.copy_from_slice(&[red, green, blue, 255]);
            }
        }
    }
    Ok(Heatmap {
        rgba,
        width: nx,
        height: ny,
        used: histogram.used,
        out_of_range: histogram.out_of_range,
        non_finite: histogram.non_finite,
    })
}
