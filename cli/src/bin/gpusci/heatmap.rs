//! `gpusci heatmap POINTS OUT.png [--size W,H] [--range X0,X1,Y0,Y1] [--sigma S] [--scale ...] [--colormap NAME]`

use std::path::PathBuf;
use std::time::Instant;

use gpusci::heatmap::{heatmap_file, HeatmapParams, Scale};
use gpusci::render::{write_png, Colormap};

use crate::{args, progress, BackendArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Points: an (N, 2) .npy of x, y, or a CSV with x,y[,weight] columns.
    points: PathBuf,
    /// Output PNG. Rows are y, the highest y at the top; empty bins are transparent.
    output: PathBuf,
    /// Image size in pixels (one bin per pixel).
    #[arg(long, default_value = "800,600", value_name = "W,H")]
    size: String,
    /// The drawn range (smaller than the data's to zoom in); without it, the data's.
    #[arg(long, value_name = "X0,X1,Y0,Y1", allow_hyphen_values = true)]
    range: Option<String>,
    /// Gaussian blur of the binned grid, in bins (a KDE with bandwidth sigma x bin width).
    #[arg(
        long,
        default_value = "0",
        value_name = "S",
        allow_hyphen_values = true
    )]
    sigma: String,
    /// Colour scaling: linear, log (log1p), cbrt or eq_hist.
    #[arg(long, default_value = "log")]
    scale: String,
    /// Clip values (counts after blurring) to LO,HI before scaling, as datashader's span.
    #[arg(long, value_name = "LO,HI")]
    span: Option<String>,
    /// Colormap, as matplotlib names it: viridis, magma, inferno, plasma, cividis, turbo, gray,
    /// hot or coolwarm; add _r for the reversed map (viridis_r).
    #[arg(long, default_value = "viridis")]
    colormap: String,
    /// Draw empty bins in the colormap's low colour instead of transparent.
    #[arg(long)]
    opaque: bool,
    #[command(flatten)]
    backend: BackendArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let size = args::numbers::<usize>("size", &args.size, 2, 2)?;
    if size.contains(&0) {
        anyhow::bail!(
            "invalid --size {}: width and height must be at least 1",
            args.size
        );
    }
    let sigma = args::number("sigma", &args.sigma)?;
    if !sigma.is_finite() || sigma < 0.0 {
        // Checked here so that a bad flag fails before the file is read.
        anyhow::bail!("invalid --sigma {sigma}: must be finite and non-negative");
    }
    let params = HeatmapParams {
        width: size[0],
        height: size[1],
        range: args.range.as_deref().map(args::range).transpose()?,
        sigma,
        scale: args.scale.parse::<Scale>()?,
        span: match &args.span {
            Some(text) => {
                let v = args::numbers::<f64>("span", text, 2, 2)?;
                if !(v[0].is_finite() && v[1].is_finite() && 0.0 <= v[0] && v[0] < v[1]) {
                    anyhow::bail!("invalid --span {text}: needs 0 <= LO < HI, both finite");
                }
                Some([v[0], v[1]])
            }
            None => None,
        },
        colormap: args.colormap.parse::<Colormap>()?,
        transparent_empty: !args.opaque,
    };
    let exec = args.backend.executor()?;
    let start = Instant::now();
    let (bar, progress) = progress::for_file(&args.points);
    let image = heatmap_file(&exec, &args.points, &params, progress)?;
    bar.finish_and_clear();
    write_png(
        &args.output,
        image.width as u32,
        image.height as u32,
        &image.rgba,
    )?;
    let h = &image;
    println!(
        "heatmap {}x{}: {} points drawn, {} outside the range, {} non-finite -> {} on {} in {}",
        image.width,
        image.height,
        h.used,
        h.out_of_range,
        h.non_finite,
        args.output.display(),
        exec.describe(),
        gpusci_cli::bench::format_seconds(start.elapsed().as_secs_f64())
    );
    Ok(())
}
