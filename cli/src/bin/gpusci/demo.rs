//! `gpusci demo [--out DIR]`: the main job on built-in data. Blurs a generated image and a
//! noisy signal of 10,000 samples, draws a heatmap of 10^7 clustered points, writes the
//! pictures, and runs the balanced LIF network (raster and voltage traces), animates the
//! leapfrog wave solver (GIF) with its convergence plot, and prints the timing table.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use gpusci::blur::{self, BlurParams};
use gpusci::data::{clustered_points, noisy_signal};
use gpusci::density::PointType;
use gpusci::heatmap::{heatmap, HeatmapParams, Scale};
use gpusci::io::Points;
use gpusci::lif::{LifParams, Network, NetworkParams};
use gpusci::render::{colorize, write_png, Colormap};
use gpusci_cli::bench::{format_seconds, format_table, run_all, BenchOptions};
use gpusci_cli::pictures::{write_raster, write_traces};
use ndarray::Array2;
use rand::{Rng, SeedableRng};

use crate::BackendArg;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder for the pictures (created if missing).
    #[arg(long, default_value = "gpusci-demo")]
    out: PathBuf,
    #[command(flatten)]
    backend: BackendArg,
}

/// A 768 x 1024 test image: bright Gaussian "cells" of several sizes, a sharp-edged bar and
/// salt-and-pepper noise, so the blur's effect is easy to see.
fn demo_image() -> Array2<f32> {
    let (rows, cols) = (768, 1024);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let cells: Vec<(f32, f32, f32, f32)> = (0..60)
        .map(|_| {
            (
                rng.random_range(0.0..rows as f32),
                rng.random_range(0.0..cols as f32),
                rng.random_range(4.0..30.0),
                rng.random_range(0.3..1.0),
            )
        })
        .collect();
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (y, x) = (r as f32, c as f32);
        let mut v: f32 = cells
            .iter()
            .map(|&(cy, cx, s, a)| {
                a * (-((y - cy).powi(2) + (x - cx).powi(2)) / (2.0 * s * s)).exp()
            })
            .sum();
        if (300..340).contains(&r) && (100..900).contains(&c) {
            v += 0.8;
        }
        if rng.random::<f32>() < 0.08 {
            v += rng.random_range(-1.0..1.0);
        }
        v
    })
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let exec = args.backend.executor()?;
    println!("gpusci demo: computing on {}", exec.describe());

    let image = demo_image();
    let start = Instant::now();
    let blurred = blur::gaussian_filter(&exec, image.view(), &BlurParams::new(3.0))?;
    let elapsed = start.elapsed().as_secs_f64();
    let (lo, hi) = image
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (w, h) = (image.ncols() as u32, image.nrows() as u32);
    let before = args.out.join("blur_before.png");
    let after = args.out.join("blur_after.png");
    write_png(
        &before,
        w,
        h,
        &colorize(image.view(), lo, hi, Colormap::Viridis),
    )?;
    write_png(
        &after,
        w,
        h,
        &colorize(blurred.view(), lo, hi, Colormap::Viridis),
    )?;
    println!(
        "blur: {}x{} image, sigma 3, in {} -> {}, {}",
        h,
        w,
        format_seconds(elapsed),
        before.display(),
        after.display()
    );

    let signal = noisy_signal(10_000, 3);
    let start = Instant::now();
    let smooth = blur::gaussian_filter1d(&exec, signal.view(), &BlurParams::new(100.0))?;
    println!(
        "smoothing: 10,000 noisy samples, sigma 100, in {} (first value {:.4})",
        format_seconds(start.elapsed().as_secs_f64()),
        smooth[0]
    );

    // The seed's heatmap question at our users' scale: 10^7 clustered points.
    let (x, y) = clustered_points(10_000_000, 4);
    let points = Points {
        x,
        y,
        weights: None,
        kind: PointType::F64,
    };
    let params = HeatmapParams {
        width: 1024,
        height: 768,
        range: Some([[0.0, 1.0], [0.0, 1.0]]),
        sigma: 1.5,
        scale: Scale::Log,
        span: None,
        colormap: Colormap::Inferno,
        transparent_empty: false,
    };
    let start = Instant::now();
    let image = heatmap(&exec, &points, &params)?;
    let heat = args.out.join("heatmap.png");
    write_png(&heat, image.width as u32, image.height as u32, &image.rgba)?;
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "heatmap: 10,000,000 clustered points -> 1024x768, sigma 1.5, log scale, in {} ({:.0} million points/s) -> {}",
        format_seconds(elapsed),
        10.0 / elapsed,
        heat.display()
    );

    // The seed's balanced network: 2000 neurons, 2 s, its raster and voltage traces.
    let network = Network::draw(&NetworkParams::default())?;
    let start = Instant::now();
    let run = gpusci::lif::simulate(
        &gpusci::Executor::Cpu,
        &[(network.into(), LifParams::default())],
        |_| {},
    )?
    .runs
    .remove(0);
    let elapsed = start.elapsed().as_secs_f64();
    let raster = args.out.join("raster.png");
    write_raster(&run, &raster, 1200, 800)?;
    let traces = args.out.join("traces.png");
    write_traces(&run, 3, &traces, 1200, 600)?;
    println!(
        "spiking network: 2000 LIF neurons, 2 s simulated in {} ({:.1}x real time), {} spikes, {:.2} Hz -> {}, {}",
        format_seconds(elapsed),
        2.0 / elapsed,
        run.spikes.len(),
        run.mean_rate(),
        raster.display(),
        traces.display()
    );

    // The seed's time-shift question: a noisy sine copied one second (1024 samples) late.
    let rate = 1024usize;
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let y: Vec<f64> = (0..5 * rate)
        .map(|i| {
            let phase = (i % rate) as f64 / (rate - 1) as f64 * std::f64::consts::TAU;
            phase.sin() + 5.0 * rng.sample::<f64, _>(rand_distr::StandardNormal)
        })
        .collect();
    let (y1, y2) = (&y[rate..4 * rate], &y[..3 * rate]);
    let start = Instant::now();
    let found = gpusci::conv::lag(
        &gpusci::gpu::Executor::Cpu,
        ndarray::ArrayView1::from(y1),
        ndarray::ArrayView1::from(y2),
        gpusci::conv::Method::Auto,
    )?;
    println!(
        "lag: a noisy sine copied 1 s late (1024 Hz, noise sd 5): lag {} samples = {} s (Pearson {:.3}) in {}",
        found.samples,
        found.samples as f64 / rate as f64,
        found.pearson,
        format_seconds(start.elapsed().as_secs_f64())
    );

    // The last two seeds: the leapfrog wave solver, animated, and its convergence study.
    let start = Instant::now();
    let params = gpusci::wave::WaveParams {
        problem: gpusci::wave::Problem::Answer,
        t: 1.0,
        every: 4,
        ..gpusci::wave::WaveParams::new(200)
    };
    let run = gpusci::wave::simulate(&exec, &params)?;
    let gif = args.out.join("wave.gif");
    let axes = gpusci_cli::animate::LineAxes::wave(params.n, params.every as f64 * run.dt);
    let animation = gpusci_cli::animate::line_animation(&run.frames, &axes, (480, 270), 25.0)?;
    let written = animation.save(&gif, |_, _| {})?;
    let sizes: Vec<usize> = (50..1000).step_by(50).collect();
    let study = gpusci::wave::convergence(&exec, &gpusci::wave::WaveParams::new(0), &sizes)?;
    let plot = args.out.join("wave_convergence.png");
    gpusci_cli::pictures::write_loglog_convergence(
        &plot,
        &study.n,
        &study.error_p,
        &study.error_u,
        (800, 500),
    )?;
    println!(
        "wave: leapfrog, {} frames -> {written}; convergence over n = 50..950: order {:.3} (p), {:.3} (u) -> {} in {}",
        animation.frames.len(),
        study.order_p,
        study.order_u,
        plot.display(),
        format_seconds(start.elapsed().as_secs_f64())
    );

    println!("\ntiming table (gpusci bench --quick; run `gpusci bench` for the standard sizes):");
    let rows = run_all(
        BenchOptions {
            quick: true,
            backend: args.backend.parse()?,
            fft: false,
            extended: false,
            precision: gpusci::Precision::Auto,
            resident: false,
        },
        |_| {},
    )?;
    print!("{}", format_table(&rows));
    Ok(())
}
