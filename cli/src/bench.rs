//! The standard workloads (listed in BENCHMARKS.md), timed in-process on every backend present.
//!
//! Data is generated in memory from fixed seeds; file I/O is excluded. GPU times include the
//! upload of the input and the read-back of the result (`includes_transfer`), but not the
//! one-off shader compilation, which a warm-up run absorbs.

use std::time::Instant;

use ndarray::{Array1, ArrayD};

use gpusci::blur::{self, BlurParams};
use gpusci::data::{clustered_points, noisy_signal, normal_image};
use gpusci::density::{self, DensityParams, PointType};
use gpusci::error::{Error, Result};
use gpusci::gpu::{open_all_adapters, Backend, Device, Executor, GpuContext, Precision};
use gpusci::heatmap::{heatmap, HeatmapParams, Scale};
use gpusci::io::Points;
use gpusci::render::{write_png, Colormap};

/// One measured line of the table.
#[derive(Clone, Debug)]
pub struct BenchRow {
    /// Workload id (`W1`, `W1b`, `W1c`, `W7`, ...).
    pub workload: &'static str,
    /// What was run, in words (size and parameters).
    pub what: String,
    /// `cpu` or `gpu`.
    pub backend: &'static str,
    /// The adapter (or the CPU thread count).
    pub adapter: String,
    /// Median wall time of the runs, seconds.
    pub seconds: f64,
    /// Timed runs.
    pub runs: usize,
    /// Whether the time includes host-to-GPU upload and read-back.
    pub includes_transfer: bool,
    /// A software adapter: its time says nothing about GPU speed.
    pub software: bool,
    /// What the workload computed in: `float32`, `float64` (native or on the CPU) or
    /// `double-float`.
    pub arithmetic: &'static str,
    /// GPU rows: the runtime's counters for one warm call (bytes moved, submits, waits,
    /// buffers created, pool figures after it).
    pub device_stats: Option<gpusci::gpu::DeviceStats>,
}

impl BenchRow {
    /// A row of the CPU path (`adapter`: its thread count), timed as `(median seconds, runs)`.
    fn cpu(
        workload: &'static str,
        what: String,
        adapter: &str,
        (seconds, runs): (f64, usize),
        arithmetic: &'static str,
    ) -> Self {
        Self {
            workload,
            what,
            backend: "cpu",
            adapter: adapter.to_string(),
            seconds,
            runs,
            includes_transfer: false,
            software: false,
            arithmetic,
            device_stats: None,
        }
    }

    /// The JSON line of `gpusci bench --json`.
    pub fn json(&self) -> String {
        serde_json::json!({
            "workload": self.workload,
            "backend": self.backend,
            "adapter": self.adapter,
            "seconds": self.seconds,
            "runs": self.runs,
            "includes_transfer": self.includes_transfer,
            "software_adapter": self.software,
            "arithmetic": self.arithmetic,
            "what": self.what,
            "device_stats": self.device_stats.map(|s| serde_json::json!({
                "uploaded_bytes": s.uploaded_bytes,
                "downloaded_bytes": s.downloaded_bytes,
                "parameter_bytes": s.parameter_bytes,
                "submits": s.submits,
                "waits": s.waits,
                "buffers_created": s.buffers_created,
                "pool_bytes_held": s.pool_bytes_held,
                "pool_bytes_in_use": s.pool_bytes_in_use,
                "pool_peak_bytes": s.pool_peak_bytes,
            })),
        })
        .to_string()
    }
}

/// A standard workload with its data.
#[derive(Debug)]
pub enum Workload {
    /// A float32 image (W1, W1b) or volume (W1c), blurred on every axis.
    Image {
        /// Workload id.
        id: &'static str,
        /// The image or volume.
        data: ArrayD<f32>,
        /// Sigma.
        sigma: f64,
    },
    /// A 1-D float64 signal (W7).
    Signal {
        /// Workload id.
        id: &'static str,
        /// The samples.
        data: Array1<f64>,
        /// Sigma.
        sigma: f64,
    },
    /// W2: `histogram2d` of points into 1024 x 1024 bins on [0, 1]^2.
    Density {
        /// Workload id.
        id: &'static str,
        /// The points.
        points: Points,
    },
    /// W6: the seed's LIF network.
    Network {
        /// Workload id.
        id: &'static str,
        /// One network and its parameters, as a batch of one (no copy of the weights per run).
        batch: Vec<(gpusci::lif::LifNetwork, gpusci::lif::LifParams)>,
    },
    /// W4: `np.convolve(a, v, 'same')` of 4,194,304 samples with a 65,536-sample kernel.
    Convolve {
        /// Workload id.
        id: &'static str,
        /// The signal.
        a: Array1<f64>,
        /// The kernel.
        v: Array1<f64>,
    },
    /// W5: the lag of two signals (b is a delayed by 12,345 samples plus noise).
    Lag {
        /// Workload id.
        id: &'static str,
        /// The first signal.
        a: Array1<f64>,
        /// The second.
        b: Array1<f64>,
    },
    /// W4b: a rolling mean of 20 samples (`np.convolve(x, ones(20) / 20, 'valid')`).
    Rolling {
        /// Workload id.
        id: &'static str,
        /// The samples.
        data: Array1<f64>,
    },
    /// W3: W2 + blur sigma 3 + log1p + normalise + colormap + PNG file (W3b: an 8192 x 8192
    /// picture, past one binding on most adapters).
    Heatmap {
        /// Workload id.
        id: &'static str,
        /// The points.
        points: Points,
        /// Pixels per side.
        side: usize,
        /// Where the PNG goes: a temporary file, removed when the workload is dropped.
        png: std::path::PathBuf,
    },
}

impl Drop for Workload {
    /// The heatmap's PNG is part of the timed work (W3 ends in a file), not something to leave
    /// behind: removed once, after the last run.
    fn drop(&mut self) {
        if let Workload::Heatmap { png, .. } = self {
            // Absent when the workload never ran.
            let _ = std::fs::remove_file(png);
        }
    }
}

/// W2's and W3's grid.
const W2_BINS: usize = 1024;

fn w3_params(side: usize) -> HeatmapParams {
    HeatmapParams {
        width: side,
        height: side,
        range: Some([[0.0, 1.0], [0.0, 1.0]]),
        sigma: 3.0,
        scale: Scale::Log,
        span: None,
        colormap: Colormap::Viridis,
        transparent_empty: false,
    }
}

impl Workload {
    /// Workload id.
    pub fn id(&self) -> &'static str {
        match self {
            Workload::Image { id, .. }
            | Workload::Signal { id, .. }
            | Workload::Density { id, .. }
            | Workload::Heatmap { id, .. }
            | Workload::Network { id, .. }
            | Workload::Rolling { id, .. }
            | Workload::Convolve { id, .. }
            | Workload::Lag { id, .. } => id,
        }
    }

    /// Elements processed (pixels, samples or points), for throughput figures.
    pub fn elements(&self) -> usize {
        match self {
            Workload::Image { data, .. } => data.len(),
            Workload::Signal { data, .. } => data.len(),
            Workload::Density { points, .. } | Workload::Heatmap { points, .. } => points.x.len(),
            Workload::Network { batch, .. } => batch[0].0.n(),
            Workload::Rolling { data, .. } => data.len(),
            Workload::Convolve { a, .. } | Workload::Lag { a, .. } => a.len(),
        }
    }

    /// Size and parameters in words.
    pub fn describe(&self) -> String {
        match self {
            Workload::Image { data, sigma, .. } => {
                let shape: Vec<String> = data.shape().iter().map(usize::to_string).collect();
                format!("blur {} f32, sigma {sigma}, reflect", shape.join("x"))
            }
            Workload::Signal { data, sigma, .. } => {
                format!("gaussian_filter1d {} f64, sigma {sigma}", data.len())
            }
            Workload::Density { points, .. } => {
                format!(
                    "density {} f64 points, {W2_BINS}x{W2_BINS} bins",
                    points.x.len()
                )
            }
            Workload::Heatmap { points, side, .. } => {
                format!(
                    "heatmap {} points -> {side}x{side} PNG, sigma 3, log1p",
                    points.x.len()
                )
            }
            Workload::Rolling { data, .. } => {
                format!("rolling mean of 20 over {} f64 samples, valid", data.len())
            }
            Workload::Convolve { a, v, .. } => format!(
                "convolve {} f64 samples with a {} kernel, same",
                a.len(),
                v.len()
            ),
            Workload::Lag { a, b, .. } => {
                format!("lag of {} and {} f64 samples", a.len(), b.len())
            }
            Workload::Network { batch, .. } => {
                let (network, params) = &batch[0];
                format!(
                    "LIF network n={}, T={} s ({} steps of {} s)",
                    network.n(),
                    params.t,
                    params.steps(),
                    params.dt
                )
            }
        }
    }

    fn w2_plan(points: &Points) -> Result<density::DensityPlan> {
        DensityParams::new(W2_BINS, W2_BINS)
            .with_range([0.0, 1.0], [0.0, 1.0])
            .plan(points.x.view(), points.y.view(), PointType::F64)
    }

    /// Whether the workload's input is float64 (computed at the device's precision on a GPU;
    /// the others are float32 work, or exact whatever the arithmetic).
    pub fn float64_arithmetic(&self) -> bool {
        matches!(
            self,
            Workload::Signal { .. } | Workload::Convolve { .. } | Workload::Lag { .. }
        )
    }

    /// What the workload computes in on `device`.
    pub fn arithmetic(&self, device: Device<'_>) -> &'static str {
        match device.float64_arith() {
            Some(arith) if self.float64_arithmetic() => arith.name(),
            Some(_) => "float32",
            // The CPU path blurs float32 images and runs LIF networks in float32.
            None if matches!(self, Workload::Image { .. } | Workload::Network { .. }) => "float32",
            None => "float64",
        }
    }

    /// Runs the workload once on `device` (upload and read-back included on a GPU).
    ///
    /// # Errors
    /// Errors of the operation (none for the built-in data), and GPU errors.
    pub fn run<'d>(&self, device: impl Into<Device<'d>>) -> Result<()> {
        let exec: Device<'d> = device.into();
        match (self, exec) {
            (Workload::Image { .. } | Workload::Signal { .. }, Device::Cpu) => self.run_cpu(),
            (Workload::Signal { data, sigma, .. }, Device::Gpu(..) | Device::Auto(..)) => {
                blur::gaussian_filter1d(exec, data.view(), &BlurParams::new(*sigma)).map(drop)
            }
            (Workload::Image { .. }, Device::Gpu(ctx, _) | Device::Auto(ctx, _)) => {
                self.run_gpu(ctx, &blur::gpu::BlurGpu::new(ctx)?)
            }
            (Workload::Density { points, .. }, _) => {
                let plan = Self::w2_plan(points)?;
                density::histogram2d(exec, points.x.view(), points.y.view(), None, &plan).map(drop)
            }
            (Workload::Convolve { a, v, .. }, _) => gpusci::conv::np_convolve(
                exec,
                a.view(),
                v.view(),
                gpusci::conv::Mode::Same,
                gpusci::conv::Method::Auto,
            )
            .map(drop),
            (Workload::Lag { a, b, .. }, _) => {
                gpusci::conv::lag(exec, a.view(), b.view(), gpusci::conv::Method::Auto).map(drop)
            }
            (Workload::Rolling { data, .. }, _) => gpusci::signal::rolling_mean(
                exec,
                data.view(),
                &gpusci::signal::RollingParams::new(20),
            )
            .map(drop),
            (Workload::Network { batch, .. }, _) => {
                gpusci::lif::simulate(exec, batch, |_| {}).map(drop)
            }
            (
                Workload::Heatmap {
                    points, png, side, ..
                },
                _,
            ) => {
                let image = heatmap(exec, points, &w3_params(*side))?;
                write_png(png, image.width as u32, image.height as u32, &image.rgba)
            }
        }
    }

    /// Runs the workload once on the CPU path.
    ///
    /// # Errors
    /// Errors of the operation (none for the built-in data).
    pub fn run_cpu(&self) -> Result<()> {
        match self {
            Workload::Image { data, sigma, .. } => {
                blur::gaussian_filter(&Executor::Cpu, data.view(), &BlurParams::new(*sigma))
                    .map(drop)
            }
            Workload::Signal { data, sigma, .. } => {
                blur::gaussian_filter1d(&Executor::Cpu, data.view(), &BlurParams::new(*sigma))
                    .map(drop)
            }
            Workload::Density { .. }
            | Workload::Heatmap { .. }
            | Workload::Network { .. }
            | Workload::Rolling { .. }
            | Workload::Convolve { .. }
            | Workload::Lag { .. } => self.run(&Executor::Cpu),
        }
    }

    /// Runs the blur workloads and W2 once on `ctx` with prepared blur pipelines, upload and
    /// read-back included (W3 needs an [`Executor`]: use [`Workload::run`]).
    ///
    /// # Errors
    /// GPU errors.
    pub fn run_gpu(&self, ctx: &GpuContext, blur: &blur::gpu::BlurGpu) -> Result<()> {
        match self {
            Workload::Image { data, sigma, .. } => blur
                .run(ctx, data.view(), &BlurParams::new(*sigma))
                .map(drop),
            Workload::Signal { data, sigma, .. } => {
                let narrowed = data.mapv(|v| v as f32);
                blur.run(ctx, narrowed.view(), &BlurParams::new(*sigma))
                    .map(drop)
            }
            Workload::Density { points, .. } => {
                let plan = Self::w2_plan(points)?;
                density::gpu::DensityGpu::new(ctx)?
                    .histogram2d(ctx, points.x.view(), points.y.view(), &plan)
                    .map(drop)
            }
            Workload::Heatmap { .. } => Err(gpusci::Error::param(
                "workload",
                "W3 runs through an Executor (Workload::run)",
            )),
            Workload::Rolling { data, .. } => gpusci::signal::rolling_mean(
                ctx,
                data.view(),
                &gpusci::signal::RollingParams::new(20),
            )
            .map(drop),
            Workload::Convolve { a, v, .. } => {
                let (a, v) = (a.to_vec(), v.to_vec());
                let window = gpusci::conv::Mode::Same.window(a.len(), v.len());
                gpusci::conv::gpu::ConvGpu::new(ctx)?
                    .full_window(ctx, &a, &v, gpusci::conv::Method::Auto, window)
                    .map(drop)
            }
            Workload::Lag { a, b, .. } => {
                let reversed: Vec<f64> = b.iter().rev().copied().collect();
                gpusci::conv::gpu::ConvGpu::new(ctx)?
                    .argmax_full(ctx, &a.to_vec(), &reversed, gpusci::conv::Method::Auto)
                    .map(drop)
            }
            Workload::Network { batch, .. } => {
                let dense: Vec<(&gpusci::lif::Network, gpusci::lif::LifParams)> = batch
                    .iter()
                    .filter_map(|(network, params)| match network {
                        gpusci::lif::LifNetwork::Dense(dense) => Some((dense, params.clone())),
                        gpusci::lif::LifNetwork::Sparse(_) => None,
                    })
                    .collect();
                gpusci::lif::gpu::LifGpu::new(ctx)?
                    .simulate_batch(ctx, &dense)
                    .map(drop)
            }
        }
    }
}

/// W1, W1b and W7 at full size, or small ones with `quick`.
pub fn blur_workloads(quick: bool) -> Vec<Workload> {
    let (w1, w1b) = if quick { (512, 256) } else { (4096, 1024) };
    vec![
        Workload::Image {
            id: "W1",
            data: normal_image(w1, w1, 1).into_dyn(),
            sigma: 8.0,
        },
        Workload::Image {
            id: "W1b",
            data: normal_image(w1b, w1b, 2).into_dyn(),
            sigma: 2.0,
        },
        Workload::Signal {
            id: "W7",
            data: noisy_signal(10_000, 3),
            sigma: 100.0,
        },
    ]
}

/// W2 and W3: 10^7 points at full size, 10^6 with `quick`.
pub fn density_workloads(quick: bool) -> Vec<Workload> {
    let n = if quick { 1_000_000 } else { 10_000_000 };
    let (x, y) = clustered_points(n, 4);
    let points = Points {
        x,
        y,
        weights: None,
        kind: PointType::F64,
    };
    let png = std::env::temp_dir().join(format!("gpusci-w3-{}.png", std::process::id()));
    vec![
        Workload::Density {
            id: "W2",
            points: points.clone(),
        },
        Workload::Heatmap {
            id: "W3",
            points,
            png,
            side: W2_BINS,
        },
    ]
}

/// The rows `--extended` adds: W1c, a 3-D blur of a (time, y, x) movie of 128 frames of
/// 256 x 256 (8.4 million voxels), sigma 2 on every axis; W3b, W2's points in an 8192 x 8192
/// heatmap (256 MiB of float32 grid: past a 128 MiB binding, so drawn in bands on the GPU).
/// With `quick`: 16 x 64 x 64, and 10^6 points in 2048 x 2048.
pub fn extended_workloads(quick: bool) -> Vec<Workload> {
    let (frames, side) = if quick { (16, 64) } else { (128, 256) };
    let (n, pixels) = if quick {
        (1_000_000, 2048)
    } else {
        (10_000_000, 8192)
    };
    let (x, y) = clustered_points(n, 4);
    let png = std::env::temp_dir().join(format!("gpusci-w3b-{}.png", std::process::id()));
    vec![
        Workload::Image {
            id: "W1c",
            data: normal_image(frames * side, side, 11)
                .into_shape_with_order((frames, side, side))
                .expect("frames x side x side elements")
                .into_dyn(),
            sigma: 2.0,
        },
        Workload::Heatmap {
            id: "W3b",
            points: Points {
                x,
                y,
                weights: None,
                kind: PointType::F64,
            },
            png,
            side: pixels,
        },
    ]
}

/// W6: the seed network (n = 2000, weights from seed 100), T = 2 s, or 0.2 s with `quick`.
///
/// # Errors
/// None for these parameters (drawing the network cannot fail).
pub fn network_workload(quick: bool) -> Result<Workload> {
    let network = gpusci::lif::Network::draw(&gpusci::lif::NetworkParams::default())?;
    Ok(Workload::Network {
        id: "W6",
        batch: vec![(
            network.into(),
            gpusci::lif::LifParams {
                t: if quick { 0.2 } else { 2.0 },
                ..gpusci::lif::LifParams::default()
            },
        )],
    })
}

/// W4b: a rolling mean of 20 over 10^7 samples (10^6 with `quick`).
pub fn rolling_workload(quick: bool) -> Workload {
    Workload::Rolling {
        id: "W4b",
        data: noisy_signal(if quick { 1_000_000 } else { 10_000_000 }, 6),
    }
}

/// W4 and W5 at full size, or 16x smaller with `quick`.
pub fn conv_workloads(quick: bool) -> Vec<Workload> {
    let scale = if quick { 16 } else { 1 };
    let a = noisy_signal(4_194_304 / scale, 7);
    let v = noisy_signal(65_536 / scale, 8);
    let n = 1_048_576 / scale;
    let delay = 12_345 / scale;
    let base = noisy_signal(n + delay, 9);
    let noise = noisy_signal(n, 10);
    let lag_a = base.slice(ndarray::s![delay..]).to_owned();
    let lag_b = &base.slice(ndarray::s![..n]) + &(&noise * 0.5);
    vec![
        Workload::Convolve { id: "W4", a, v },
        Workload::Lag {
            id: "W5",
            a: lag_a,
            b: lag_b,
        },
    ]
}

impl Workload {}

/// Every standard workload implemented so far, in id order.
pub fn all_workloads(quick: bool) -> Vec<Workload> {
    let mut all = blur_workloads(quick);
    let signal = all.pop().expect("W7 is last");
    all.extend(density_workloads(quick));
    let mut conv = conv_workloads(quick);
    let w5 = conv.pop().expect("W5");
    all.extend(conv);
    all.push(rolling_workload(quick));
    all.push(w5);
    all.extend(network_workload(quick));
    all.push(signal);
    all
}

/// Median wall time of `runs` calls of `f`, after one untimed warm-up call.
///
/// # Errors
/// The first error `f` returns.
pub fn median_seconds(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Options of `gpusci bench`.
#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    /// Small sizes, few runs.
    pub quick: bool,
    /// `cpu`: the CPU path only; `gpu`: every adapter (and the CPU, for the ratio); `auto`:
    /// the CPU and every adapter.
    pub backend: Backend,
    /// Also time a complex FFT of [`FFT_POINTS`] points (2^20 with `quick`): issue 5's
    /// bandwidth-floor figure, not one of the standard workloads, so off by default.
    pub fft: bool,
    /// Also time [`extended_workloads`] (W1c, W3b): not standard workloads, so off by default
    /// and after the standard rows.
    pub extended: bool,
    /// How the float64 workloads (W4, W5, W7) compute on a GPU.
    pub precision: Precision,
    /// Also time the resident chain (R1): W1b's image blurred three times, as three host
    /// calls and as one chain of device arrays.
    pub resident: bool,
}

/// Blurs in the resident chain R1.
pub const CHAIN_BLURS: usize = 3;

/// R1's image: W1b's (1024 x 1024 float32; 256 x 256 with `quick`).
fn chain_image(quick: bool) -> ndarray::Array2<f32> {
    let side = if quick { 256 } else { 1024 };
    normal_image(side, side, 2)
}

/// R1 on `device` as host calls: each blur uploads its input and reads its result back.
fn chain_host_calls(device: Device<'_>, image: &ndarray::Array2<f32>) -> Result<()> {
    let params = BlurParams::new(2.0);
    let mut current = image.clone();
    for _ in 0..CHAIN_BLURS {
        current = blur::gaussian_filter(device, current.view(), &params)?;
    }
    Ok(())
}

/// R1 on `ctx` as device arrays: one upload, the blurs recorded on the device, one read-back.
fn chain_resident(ctx: &GpuContext, image: &ndarray::Array2<f32>) -> Result<()> {
    let params = BlurParams::new(2.0);
    let mut current =
        gpusci::array::DeviceArray::from_host(ctx, image.view(), gpusci::gpu::Arith::Single)?;
    for _ in 0..CHAIN_BLURS {
        current = blur::gaussian_filter_device(&current, &params)?;
    }
    current.to_host::<f32>().map(drop)
}

/// The R1 rows of one GPU adapter: host calls, then the resident chain, each with the
/// counters of one warm run.
fn chain_rows(
    ctx: &GpuContext,
    name: &str,
    software: bool,
    runs: usize,
    quick: bool,
) -> Result<Vec<BenchRow>> {
    let image = chain_image(quick);
    let shape = format!("{}x{}", image.nrows(), image.ncols());
    let device = Device::Gpu(ctx, Precision::Auto);
    let mut rows = Vec::new();
    for resident in [false, true] {
        let run = || {
            if resident {
                chain_resident(ctx, &image)
            } else {
                chain_host_calls(device, &image)
            }
        };
        let seconds = median_seconds(runs, run)?;
        ctx.reset_stats();
        run()?;
        let stats = ctx.reset_stats();
        rows.push(BenchRow {
            workload: "R1",
            what: format!(
                "{CHAIN_BLURS} blurs of {shape} f32, sigma 2: {}",
                if resident {
                    "device arrays (one upload, one read-back)"
                } else {
                    "host calls (an upload and a read-back each)"
                }
            ),
            backend: "gpu",
            adapter: name.to_string(),
            seconds,
            runs,
            includes_transfer: true,
            software,
            arithmetic: "float32",
            device_stats: Some(stats),
        });
    }
    Ok(rows)
}

/// A context on every adapter that runs compute shaders, narrowed by `GPUSCI_ADAPTER` here as
/// everywhere (an adapter whose device failed to open comes with its error).
///
/// # Errors
/// [`Error::NoAdapter`] when `GPUSCI_ADAPTER` names no adapter.
fn wanted_adapters() -> Result<Vec<(gpusci::gpu::AdapterSummary, Result<GpuContext>)>> {
    let wanted = std::env::var(gpusci::gpu::ADAPTER_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let opened = open_all_adapters();
    let named = wanted
        .as_deref()
        .map(|pattern| gpusci::gpu::adapters_named(opened.iter().map(|(s, _)| s), pattern));
    let adapters: Vec<_> = opened
        .into_iter()
        .filter(|(summary, _)| named.as_ref().is_none_or(|n| n.contains(&summary.index)))
        .collect();
    match (&wanted, adapters.is_empty()) {
        (Some(pattern), true) => Err(Error::NoAdapter(format!(
            "{}={pattern} matches no adapter",
            gpusci::gpu::ADAPTER_ENV
        ))),
        _ => Ok(adapters),
    }
}

/// Times every workload on the CPU path and on every adapter. `progress` is told what is
/// about to run.
///
/// # Errors
/// Errors of the CPU path. A GPU adapter that fails is reported in a row's place through
/// `progress` and skipped, so one broken driver does not hide the other figures.
pub fn run_all(options: BenchOptions, mut progress: impl FnMut(&str)) -> Result<Vec<BenchRow>> {
    progress("generating the data");
    let mut workloads = all_workloads(options.quick);
    if options.extended {
        workloads.extend(extended_workloads(options.quick));
    }
    let runs = if options.quick { 3 } else { 7 };
    let mut rows = Vec::new();
    let cpu_name = format!("{} threads", rayon::current_num_threads());
    for workload in &workloads {
        progress(&format!("{} on cpu", workload.id()));
        let seconds = median_seconds(runs, || workload.run(&Executor::Cpu))?;
        rows.push(BenchRow::cpu(
            workload.id(),
            workload.describe(),
            &cpu_name,
            (seconds, runs),
            workload.arithmetic(Device::Cpu),
        ));
    }
    if options.resident {
        progress("R1 on cpu");
        let image = chain_image(options.quick);
        let seconds = median_seconds(runs, || chain_host_calls(Device::Cpu, &image))?;
        rows.push(BenchRow::cpu(
            "R1",
            format!(
                "{CHAIN_BLURS} blurs of {}x{} f32, sigma 2",
                image.nrows(),
                image.ncols()
            ),
            &cpu_name,
            (seconds, runs),
            "float32",
        ));
    }
    let fft_points = if options.quick { 1 << 20 } else { FFT_POINTS };
    if options.fft {
        progress("FFT on the CPU");
        let mut data: Vec<gpusci::fft::Complex<f64>> = (0..fft_points)
            .map(|i| gpusci::fft::Complex::new((i % 7) as f64 - 3.0, (i % 5) as f64 - 2.0))
            .collect();
        let seconds = median_seconds(runs, || {
            gpusci::fft::cpu::fft_rows(&mut data, fft_points, false)
        })?;
        rows.push(BenchRow::cpu(
            "FFT",
            fft_description(fft_points),
            &cpu_name,
            (seconds, runs),
            "float64",
        ));
    }
    if options.backend == Backend::Cpu {
        return Ok(rows);
    }
    let adapters = wanted_adapters()?;
    if adapters.is_empty() && options.backend == Backend::Gpu {
        return Err(Error::NoAdapter(
            "wgpu found no adapter that runs compute shaders".into(),
        ));
    }
    for (summary, ctx) in adapters {
        let name = format!("{} [{}]", summary.name, summary.backend);
        let exec = match ctx {
            Ok(ctx) => Executor::Gpu(Box::new(ctx)),
            Err(error) => {
                progress(&format!("skipping {name}: {error}"));
                continue;
            }
        };
        // Software adapters take seconds per full-size run; fewer runs keep the bench short.
        let gpu_runs = if summary.is_software() {
            runs.min(3)
        } else {
            runs
        };
        let device = exec.device().with_precision(options.precision);
        for workload in workloads.iter() {
            progress(&format!("{} on {name}", workload.id()));
            let timed = median_seconds(gpu_runs, || workload.run(device)).and_then(|seconds| {
                // One more warm call, counted alone.
                let ctx = exec.gpu().expect("a GPU executor");
                ctx.reset_stats();
                workload.run(device)?;
                Ok((seconds, ctx.reset_stats()))
            });
            match timed {
                Ok((seconds, stats)) => rows.push(BenchRow {
                    workload: workload.id(),
                    what: workload.describe(),
                    backend: "gpu",
                    adapter: name.clone(),
                    seconds,
                    runs: gpu_runs,
                    includes_transfer: true,
                    software: summary.is_software(),
                    arithmetic: workload.arithmetic(device),
                    device_stats: Some(stats),
                }),
                Err(error) => progress(&format!("{} failed on {name}: {error}", workload.id())),
            }
        }
        if let (true, Executor::Gpu(ctx)) = (options.resident, &exec) {
            progress(&format!("R1 on {name}"));
            match chain_rows(ctx, &name, summary.is_software(), gpu_runs, options.quick) {
                Ok(chain) => rows.extend(chain),
                Err(error) => progress(&format!("R1 failed on {name}: {error}")),
            }
        }
        if let (true, Executor::Gpu(ctx)) = (options.fft, &exec) {
            progress(&format!("FFT on {name}"));
            let timed = gpusci::fft::gpu::FftGpu::<f32>::new(ctx)
                .and_then(|fft| fft.time_resident(ctx, fft_points, 1, gpu_runs.max(3)));
            match timed {
                Ok(time) => rows.push(BenchRow {
                    workload: "FFT",
                    what: fft_description(fft_points),
                    backend: "gpu",
                    adapter: name.clone(),
                    seconds: time.as_secs_f64(),
                    runs: gpu_runs.max(3),
                    includes_transfer: false,
                    software: summary.is_software(),
                    arithmetic: "float32",
                    device_stats: None,
                }),
                Err(error) => progress(&format!("FFT failed on {name}: {error}")),
            }
        }
    }
    Ok(rows)
}

/// The FFT row's size: 2^24 complex points, issue 5's bandwidth-floor workload.
pub const FFT_POINTS: usize = 1 << 24;

fn fft_description(points: usize) -> String {
    let passes = gpusci::fft::gpu::global_stages(points).len();
    format!(
        "complex FFT of 2^{} points (CPU float64; GPU float32 resident, {passes} passes over {} MiB)",
        points.trailing_zeros(),
        (points * 8) >> 20
    )
}

/// The table: workload, backend, adapter, median time, and speed relative to the CPU path.
pub fn format_table(rows: &[BenchRow]) -> String {
    let cpu = |workload: &str| {
        rows.iter()
            .find(|r| r.workload == workload && r.backend == "cpu")
            .map(|r| r.seconds)
    };
    let mut out = format!(
        "{:<5} {:<4} {:<58} {:>12} {:>9}  {}\n",
        "id", "on", "adapter", "median", "vs cpu", "workload"
    );
    for row in rows {
        let ratio = match cpu(row.workload) {
            Some(c) if row.seconds > 0.0 => format!("{:.2}x", c / row.seconds),
            _ => "-".into(),
        };
        let mut adapter = row.adapter.clone();
        if row.software {
            adapter.push_str(" (software)");
        }
        adapter.truncate(58);
        out.push_str(&format!(
            "{:<5} {:<4} {:<58} {:>12} {:>9}  {}\n",
            row.workload,
            row.backend,
            adapter,
            format_seconds(row.seconds),
            ratio,
            if row.backend == "gpu" && row.arithmetic != "float32" {
                format!("{} [in {}]", row.what, row.arithmetic)
            } else {
                row.what.clone()
            }
        ));
    }
    out.push_str("vs cpu: how many times faster than the CPU path (above 1 = faster). GPU times include upload and read-back.\n");
    if rows.iter().any(|r| r.software) {
        out.push_str("Software adapters (lavapipe, llvmpipe) emulate a GPU on the CPU: their times are not GPU speed.\n");
    }
    out
}

/// `1.23 ms`-style rendering of a duration in seconds.
pub fn format_seconds(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.3} s")
    } else if seconds >= 1e-3 {
        format!("{:.3} ms", seconds * 1e3)
    } else {
        format!("{:.1} us", seconds * 1e6)
    }
}

/// One operation's calibration on one adapter: the CPU's and the GPU's time per size, and the
/// crossover found.
#[derive(Clone, Debug)]
pub struct CalibrationRow {
    /// The operation.
    pub operation: gpusci::route::Operation,
    /// The arithmetic on the GPU.
    pub arith: gpusci::gpu::Arith,
    /// (elements, CPU seconds, GPU seconds) per size, medians of warm runs with transfers.
    pub times: Vec<(usize, f64, f64)>,
    /// The smallest size from which the GPU was faster at every larger size (`u64::MAX`:
    /// never).
    pub crossover: u64,
}

/// `gpusci bench --calibrate` on one adapter: the rows, the table written, and where.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// The adapter, in words.
    pub adapter: String,
    /// The measured rows.
    pub rows: Vec<CalibrationRow>,
    /// The table: the defaults with the measured crossovers over them.
    pub table: gpusci::route::Crossovers,
    /// The file written (`None`: no cache directory is known).
    pub path: Option<std::path::PathBuf>,
}

/// The smallest measured size from which the GPU is faster at every larger size.
pub fn crossover_of(times: &[(usize, f64, f64)]) -> u64 {
    let mut crossover = u64::MAX;
    for &(elements, cpu, gpu) in times.iter().rev() {
        if gpu < cpu {
            crossover = elements as u64;
        } else {
            break;
        }
    }
    crossover
}

/// Measures `backend='auto'`'s crossovers on each adapter (as `GPUSCI_ADAPTER` narrows them):
/// blurs and real FFTs in float32 and the device's float64, 1-D convolutions with a 65-tap
/// kernel, and `histogram2d` on a 256 x 256 grid, at sizes from 2^8 elements up by fours
/// (to 2^22; 2^16 with `quick`), the CPU and the GPU timed alike (warm, transfers included).
/// Each adapter's table goes to the file `GPUSCI_CROSSOVER_FILE` names, else to its cache file.
///
/// # Errors
/// Errors of the operations and GPU errors; the file cannot be written.
pub fn calibrate(quick: bool, mut progress: impl FnMut(&str)) -> Result<Vec<Calibration>> {
    use gpusci::gpu::Arith;
    use gpusci::route::{AdapterClass, Crossovers, Operation, CROSSOVER_FILE_ENV};
    let opened = wanted_adapters()?;
    let max_log2 = if quick { 16 } else { 22 };
    let runs = 3;
    let chosen = opened.len();
    if chosen > 1 && std::env::var_os(CROSSOVER_FILE_ENV).is_some_and(|v| !v.is_empty()) {
        return Err(Error::param(
            CROSSOVER_FILE_ENV,
            format!(
                "the file holds one adapter's crossovers, and {chosen} adapters would be \
                 calibrated: name one with {}",
                gpusci::gpu::ADAPTER_ENV
            ),
        ));
    }
    let mut out = Vec::new();
    for (summary, ctx) in opened {
        let name = format!("{} [{}]", summary.name, summary.backend);
        let ctx = match ctx {
            Ok(ctx) => ctx,
            Err(error) => {
                progress(&format!("skipping {name}: {error}"));
                continue;
            }
        };
        let gpu = Device::Gpu(&ctx, Precision::Auto);
        let float64 = gpu.float64_arith().unwrap_or(Arith::Native64);
        let mut rows = Vec::new();
        let mut table = Crossovers::defaults(AdapterClass::of(&ctx));
        let jobs = [
            (Operation::Blur, Arith::Single),
            (Operation::Blur, float64),
            (Operation::Fft, Arith::Single),
            (Operation::Fft, float64),
            (Operation::Convolve, Arith::Single),
            (Operation::Convolve, float64),
            (Operation::Histogram2d, Arith::Single),
            (Operation::Heatmap, Arith::Single),
            (Operation::RollingMean, float64),
            (Operation::Crossings, float64),
        ];
        for (operation, arith) in jobs {
            progress(&format!(
                "calibrating {} ({arith:?}) on {name}",
                operation.name()
            ));
            let mut times = Vec::new();
            for log2 in (8..=max_log2).step_by(2) {
                let elements = 1usize << log2;
                let time = |device: Device<'_>| -> Result<f64> {
                    calibration_run(operation, arith, elements, device, runs)
                };
                times.push((elements, time(Device::Cpu)?, time(gpu)?));
            }
            let crossover = crossover_of(&times);
            table.set(operation, arith, crossover);
            rows.push(CalibrationRow {
                operation,
                arith,
                times,
                crossover,
            });
        }
        let path = std::env::var_os(CROSSOVER_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| Crossovers::cache_path(&ctx));
        if let Some(path) = &path {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            // Written whole to a temporary file first, so a failure leaves the old table.
            let text = table.to_file_text(&name);
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            let io = |source| Error::Io {
                path: path.clone(),
                source,
            };
            let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
            std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
            file.persist(path).map_err(|e| io(e.error))?;
        }
        out.push(Calibration {
            adapter: name,
            rows,
            table,
            path,
        });
    }
    Ok(out)
}

/// The median time of one calibration job of `elements` on `device`.
fn calibration_run(
    operation: gpusci::route::Operation,
    arith: gpusci::gpu::Arith,
    elements: usize,
    device: Device<'_>,
    runs: usize,
) -> Result<f64> {
    use gpusci::gpu::Arith;
    use gpusci::route::Operation;
    let device = match (device, arith) {
        (Device::Gpu(ctx, _), Arith::Single) => Device::Gpu(ctx, Precision::Single),
        (other, _) => other,
    };
    let float64 = arith != Arith::Single;
    match operation {
        Operation::Blur => {
            let side = (elements as f64).sqrt() as usize;
            let image = normal_image(side, side, 1);
            let params = BlurParams::new(2.0);
            if float64 {
                let image = image.mapv(f64::from);
                median_seconds(runs, || {
                    blur::gaussian_filter(device, image.view(), &params).map(drop)
                })
            } else {
                median_seconds(runs, || {
                    blur::gaussian_filter(device, image.view(), &params).map(drop)
                })
            }
        }
        Operation::Fft => {
            let signal = noisy_signal(elements, 3).into_dyn();
            let params = gpusci::fft::FftParams::default();
            if float64 {
                median_seconds(runs, || {
                    gpusci::fft::rfft(device, signal.view(), &params).map(drop)
                })
            } else {
                let signal = signal.mapv(|v| v as f32);
                median_seconds(runs, || {
                    gpusci::fft::rfft(device, signal.view(), &params).map(drop)
                })
            }
        }
        Operation::Heatmap | Operation::RollingMean | Operation::Crossings => {
            calibration_run_more(operation, elements, device, runs)
        }
        Operation::Convolve => {
            let a = noisy_signal(elements, 5);
            let v = Array1::from_elem(65, 1.0 / 65.0);
            median_seconds(runs, || {
                gpusci::conv::np_convolve(
                    device,
                    a.view(),
                    v.view(),
                    gpusci::conv::Mode::Same,
                    gpusci::conv::Method::Auto,
                )
                .map(drop)
            })
        }
        _ => {
            let (x, y) = clustered_points(elements, 7);
            let plan = DensityParams::new(256, 256).plan(x.view(), y.view(), PointType::F64)?;
            median_seconds(runs, || {
                density::histogram2d(device, x.view(), y.view(), None, &plan).map(drop)
            })
        }
    }
}

/// The calibration jobs of the operations that take samples or points whole: heatmaps (256 x
/// 256, sigma 3), rolling means (of 20) and crossings (of 0).
fn calibration_run_more(
    operation: gpusci::route::Operation,
    elements: usize,
    device: Device<'_>,
    runs: usize,
) -> Result<f64> {
    use gpusci::route::Operation;
    match operation {
        Operation::Heatmap => {
            let (x, y) = clustered_points(elements, 7);
            let points = Points {
                x,
                y,
                weights: None,
                kind: PointType::F64,
            };
            let params = w3_params(256);
            median_seconds(runs, || heatmap(device, &points, &params).map(drop))
        }
        Operation::RollingMean => {
            let x = noisy_signal(elements, 9);
            let params = gpusci::signal::RollingParams::new(20);
            median_seconds(runs, || {
                gpusci::signal::rolling_mean(device, x.view(), &params).map(drop)
            })
        }
        _ => {
            let x = noisy_signal(elements, 11);
            let params = gpusci::signal::CrossingParams::new(0.0);
            median_seconds(runs, || {
                gpusci::signal::crossings(device, x.view(), &params).map(drop)
            })
        }
    }
}
