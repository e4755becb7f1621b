//! `gpusci animate points|spikes|field|traveling-wave ... OUT.gif|OUT.mp4`: animations as
//! GIF (default) or MP4 through ffmpeg when it is on the PATH.

use std::path::{Path, PathBuf};

use anyhow::bail;
use gpusci::io::{read_npy, NpyArray};
use gpusci::lif::{LifParams, Network, NetworkParams};
use gpusci::render::Colormap;
use gpusci_cli::animate::{
    heatmap_animation, line_animation, raster_animation, traveling_wave, Animation, LineAxes,
    TimeWindows,
};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{ArrayD, Ix2};

use crate::{args, BackendArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    source: Source,
}

/// Options every animation takes.
#[derive(Debug, clap::Args)]
pub(crate) struct FrameArgs {
    /// Output: .gif, or .mp4 (through ffmpeg; a .gif is written instead when ffmpeg is missing).
    output: PathBuf,
    /// Frames per second.
    #[arg(long, default_value = "30")]
    fps: String,
    /// Frame width in pixels (line plots and rasters).
    #[arg(long, default_value_t = 640)]
    width: usize,
    /// Frame height in pixels (line plots and rasters).
    #[arg(long, default_value_t = 360)]
    height: usize,
    /// At most this many frames, evenly spaced (default: every frame).
    #[arg(long, value_name = "K")]
    frames: Option<usize>,
}

#[derive(Debug, clap::Subcommand)]
enum Source {
    /// Time-stamped points (N x 3 .npy or CSV x,y,t) binned per time window.
    Points {
        /// The points: (N, 3) .npy or CSV rows x,y,t.
        input: PathBuf,
        #[command(flatten)]
        frames: FrameArgs,
        /// Time window per frame (in t's units).
        #[arg(long)]
        window: String,
        /// Step between frames' starts (default: the window: tumbling; smaller slides).
        #[arg(long)]
        step: Option<String>,
        /// Bins along x and y: the frame's size in pixels.
        #[arg(long, default_value_t = 256)]
        bins: usize,
        /// Colormap, as matplotlib names it: viridis, magma, inferno, plasma, cividis, turbo,
        /// gray, hot or coolwarm; add _r for the reversed map (inferno_r).
        #[arg(long, default_value = "inferno")]
        cmap: String,
        #[command(flatten)]
        backend: BackendArg,
    },
    /// A balanced LIF network run (as `gpusci lif`), its spike raster scrolling.
    Spikes {
        #[command(flatten)]
        frames: FrameArgs,
        /// Neurons.
        #[arg(long, default_value_t = 2000)]
        n: usize,
        /// Simulated time (s).
        #[arg(long, default_value = "1")]
        t: String,
        /// Seed of the network and the initial voltages.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Time shown in each frame (s).
        #[arg(long, default_value = "0.2")]
        window: String,
        /// Frames.
        #[arg(long, default_value_t = 120)]
        count: usize,
        #[command(flatten)]
        backend: BackendArg,
    },
    /// A 1-D field over time: a (frames, points) .npy, one line plot per row.
    Field {
        /// The field: 2-D, rows are frames.
        input: PathBuf,
        #[command(flatten)]
        frames: FrameArgs,
    },
    /// A traveling wave, sin(2 pi (x - t)), 200 frames.
    TravelingWave {
        #[command(flatten)]
        frames: FrameArgs,
    },
}

/// Writes `animation` (at most `max_frames` of its frames) with a progress bar and says
/// what was written.
pub(crate) fn save(
    animation: &mut Animation,
    path: &Path,
    max_frames: Option<usize>,
) -> anyhow::Result<()> {
    if let Some(k) = max_frames {
        if k == 0 {
            bail!("invalid --frames 0: at least 1");
        }
        animation.keep_frames(k);
    }
    let bar = ProgressBar::new(animation.frames.len() as u64);
    if let Ok(style) = ProgressStyle::with_template("encoding {bar:40} {pos}/{len} frames") {
        bar.set_style(style);
    }
    let written = animation.save(path, |done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    println!(
        "{} frames of {}x{} at {} fps -> {written}",
        animation.frames.len(),
        animation.width,
        animation.height,
        animation.fps
    );
    Ok(())
}

fn positive(name: &str, text: &str) -> anyhow::Result<f64> {
    let v = args::number(name, text)?;
    if !(v.is_finite() && v > 0.0) {
        bail!("invalid --{name} {v}: must be positive");
    }
    Ok(v)
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    match args.source {
        Source::Points {
            input,
            frames,
            window,
            step,
            bins,
            cmap,
            backend,
        } => {
            let exec = backend.executor()?;
            let fps = positive("fps", &frames.fps)?;
            let window = positive("window", &window)?;
            let step = step
                .as_deref()
                .map(|s| positive("step", s))
                .transpose()?
                .unwrap_or(window);
            let (x, y, t) = read_xyt(&input)?;
            let mut animation = heatmap_animation(
                &exec,
                (x.view(), y.view(), t.view()),
                &TimeWindows {
                    bins: [bins, bins],
                    window,
                    step,
                    colormap: cmap.parse::<Colormap>()?,
                },
                fps,
            )?;
            save(&mut animation, &frames.output, frames.frames)
        }
        Source::Spikes {
            frames,
            n,
            t,
            seed,
            window,
            count,
            backend,
        } => {
            let exec = backend.executor()?;
            let fps = positive("fps", &frames.fps)?;
            let params = LifParams {
                t: positive("t", &t)?,
                ..LifParams::default()
            };
            let network = Network::draw(&NetworkParams {
                n,
                seed,
                ..NetworkParams::default()
            })?;
            let run = gpusci::lif::simulate(&exec, &[(network.into(), params.clone())], |_| {})?
                .runs
                .pop()
                .ok_or_else(|| anyhow::anyhow!("no run"))?;
            let window_steps = (positive("window", &window)? / params.dt).round() as usize;
            let mut animation = raster_animation(
                &run,
                window_steps.min(run.steps),
                count,
                (frames.width, frames.height),
                fps,
            )?;
            save(&mut animation, &frames.output, frames.frames)
        }
        Source::Field { input, frames } => {
            let field: ArrayD<f64> = match read_npy(&input)? {
                NpyArray::F64(a) => a,
                NpyArray::F32(a) => a.mapv(f64::from),
            };
            if field.ndim() != 2 {
                bail!(
                    "{}: a {}-D array; give (frames, points)",
                    input.display(),
                    field.ndim()
                );
            }
            let field = field.into_dimensionality::<Ix2>()?;
            let rows: Vec<Vec<f32>> = field
                .outer_iter()
                .map(|r| r.iter().map(|&v| v as f32).collect())
                .collect();
            let fps = positive("fps", &frames.fps)?;
            save(
                &mut line_animation(
                    &rows,
                    &LineAxes::default(),
                    (frames.width, frames.height),
                    fps,
                )?,
                &frames.output,
                frames.frames,
            )
        }
        Source::TravelingWave { frames } => {
            let fps = positive("fps", &frames.fps)?;
            save(
                &mut line_animation(
                    &traveling_wave(),
                    &LineAxes::traveling_wave(),
                    (frames.width, frames.height),
                    fps,
                )?,
                &frames.output,
                frames.frames,
            )
        }
    }
}

/// x, y, t columns of an (N, 3) .npy or a CSV of x,y,t rows.
fn read_xyt(
    path: &Path,
) -> anyhow::Result<(
    ndarray::Array1<f64>,
    ndarray::Array1<f64>,
    ndarray::Array1<f64>,
)> {
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        let array: ArrayD<f64> = match read_npy(path)? {
            NpyArray::F64(a) => a,
            NpyArray::F32(a) => a.mapv(f64::from),
        };
        if array.ndim() != 2 || array.shape()[1] != 3 {
            bail!(
                "{}: shape {:?}; give (N, 3) columns x, y, t",
                path.display(),
                array.shape()
            );
        }
        let a = array.into_dimensionality::<Ix2>()?;
        return Ok((
            a.column(0).to_owned(),
            a.column(1).to_owned(),
            a.column(2).to_owned(),
        ));
    }
    // CSV: the point reader takes x,y and a third column (as weights there): t here.
    let points = gpusci::io::read_points(path)?;
    match points.weights {
        Some(t) => Ok((points.x, points.y, t)),
        None => bail!("{}: rows of x,y without t; give x,y,t", path.display()),
    }
}
