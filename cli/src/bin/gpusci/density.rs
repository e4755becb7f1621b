//! `gpusci density POINTS OUT.npy --bins NX,NY --range X0,X1,Y0,Y1 [--weights W.npy] [--density]`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use gpusci::density::{self, DensityParams};
use gpusci::io::{read_npy, write_npy, NpyArray};
use ndarray::Ix1;

use crate::{args, progress, BackendArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Points: an (N, 2) .npy of x, y, or a CSV with x,y[,weight] columns (a header line is allowed).
    points: PathBuf,
    /// Output .npy: float64, shape (NX, NY), H[i, j] counts x in bin i and y in bin j.
    output: PathBuf,
    /// Bins along x and y (one number: the same on both).
    #[arg(long, value_name = "NX,NY")]
    bins: String,
    /// The binned range; without it, the data's min and max as NumPy.
    #[arg(long, value_name = "X0,X1,Y0,Y1", allow_hyphen_values = true)]
    range: Option<String>,
    /// Weights, a 1-D .npy with one value per point (overrides a CSV's weight column).
    #[arg(long, value_name = "W.npy")]
    weights: Option<PathBuf>,
    /// Normalise to a probability density over the range (NumPy's density=True).
    #[arg(long)]
    density: bool,
    #[command(flatten)]
    backend: BackendArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let bins = args::numbers::<usize>("bins", &args.bins, 1, 2)?;
    let (nx, ny) = (bins[0], *bins.last().expect("one or two"));
    let mut params = DensityParams::new(nx, ny).with_density(args.density);
    if let Some(text) = &args.range {
        params.range = Some(args::range(text)?);
    }
    let weights = match &args.weights {
        Some(path) => {
            let w = match read_npy(path)? {
                NpyArray::F64(a) => a,
                NpyArray::F32(a) => a.mapv(f64::from),
            };
            let Ok(w) = w.into_dimensionality::<Ix1>() else {
                bail!("{}: weights must be a 1-D array", path.display());
            };
            Some(w)
        }
        None => None,
    };
    let exec = args.backend.executor()?;
    let start = Instant::now();
    let (bar, progress) = progress::for_file(&args.points);
    let h = density::histogram2d_file(
        &exec,
        &args.points,
        &params,
        weights.as_ref().map(|w| w.view()),
        progress,
    )?;
    bar.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();
    write_npy(&args.output, &h.values.clone().into_dyn())?;
    println!(
        "density {nx}x{ny}: {} points binned, {} outside the range, {} non-finite -> {} on {} in {}",
        h.used,
        h.out_of_range,
        h.non_finite,
        args.output.display(),
        exec.describe(),
        gpusci_cli::bench::format_seconds(elapsed)
    );
    Ok(())
}
