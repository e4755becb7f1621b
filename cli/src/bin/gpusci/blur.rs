//! `gpusci blur IN.npy OUT.npy --sigma S[,S1] ...`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use gpusci::blur::{self, BlurParams, Mode, NanPolicy};
use gpusci::io::{read_npy, write_npy, NpyArray};
use ndarray::{Ix1, Ix2};

use crate::BackendArg;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Input .npy (1-D: gaussian_filter1d; 2-D: gaussian_filter). float32 stays float32;
    /// float64 and integers give float64.
    input: PathBuf,
    /// Output .npy.
    output: PathBuf,
    /// Standard deviation in samples: one value, or one per axis (S0,S1). 0 = no blur on that axis.
    #[arg(long, value_name = "S[,S1]", allow_hyphen_values = true)]
    sigma: String,
    /// Kernel half-width in sigmas: radius = int(truncate*sigma + 0.5).
    #[arg(
        long,
        default_value = "4.0",
        value_name = "T",
        allow_hyphen_values = true
    )]
    truncate: String,
    /// Explicit kernel radius (one, or one per axis), instead of --truncate.
    #[arg(long, value_name = "R[,R1]", allow_hyphen_values = true)]
    radius: Option<String>,
    /// Derivative order (0, 1 or 2; one, or one per axis).
    #[arg(
        long,
        default_value = "0",
        value_name = "O[,O1]",
        allow_hyphen_values = true
    )]
    order: String,
    /// Edge mode: reflect, constant, nearest, mirror or wrap.
    #[arg(long, default_value = "reflect")]
    mode: String,
    /// The value beyond the edges in constant mode.
    #[arg(
        long,
        default_value = "0.0",
        value_name = "C",
        allow_hyphen_values = true
    )]
    cval: String,
    /// NaN handling: propagate (SciPy) or omit (normalised blur that ignores NaN cells).
    #[arg(long, default_value = "propagate")]
    nan_policy: String,
    #[command(flatten)]
    backend: BackendArg,
}

fn parse_list<T: std::str::FromStr>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    let values: Result<Vec<T>, _> = text
        .split(',')
        .map(|part| part.trim().parse::<T>())
        .collect();
    match values {
        Ok(v) if !v.is_empty() && v.len() <= 2 => Ok(v),
        _ => bail!("invalid --{name} '{text}': expected one number or two separated by a comma"),
    }
}

fn parse_number(name: &str, text: &str) -> anyhow::Result<f64> {
    text.trim()
        .parse::<f64>()
        .with_context(|| format!("invalid --{name} '{text}': not a number"))
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let mut params = BlurParams::per_axis(&parse_list::<f64>("sigma", &args.sigma)?)
        .with_truncate(parse_number("truncate", &args.truncate)?)
        .with_orders(&parse_list::<u32>("order", &args.order)?)
        .with_mode(args.mode.parse::<Mode>()?)
        .with_cval(parse_number("cval", &args.cval)?)
        .with_nan_policy(args.nan_policy.parse::<NanPolicy>()?);
    if let Some(radius) = &args.radius {
        params.radius = Some(parse_list::<usize>("radius", radius)?);
    }
    // Validate before touching the data or the GPU.
    let input = read_npy(&args.input)?;
    let shape = input.shape().to_vec();
    if shape.is_empty() || shape.len() > 2 {
        bail!(
            "{}: expected a 1-D or 2-D array, got shape {shape:?} ({} dimensions)",
            args.input.display(),
            shape.len()
        );
    }
    // An empty array is blurred into an empty array of the same shape and dtype, as SciPy.
    params.plan(shape.len())?;
    let exec = args.backend.executor()?;
    let start = Instant::now();
    let dtype = match input {
        NpyArray::F32(a) => {
            let out = if shape.len() == 1 {
                blur::gaussian_filter1d(&exec, a.view().into_dimensionality::<Ix1>()?, &params)?
                    .into_dyn()
            } else {
                blur::gaussian_filter(&exec, a.view().into_dimensionality::<Ix2>()?, &params)?
                    .into_dyn()
            };
            write_npy(&args.output, &out)?;
            "float32"
        }
        NpyArray::F64(a) => {
            let out = if shape.len() == 1 {
                blur::gaussian_filter1d(&exec, a.view().into_dimensionality::<Ix1>()?, &params)?
                    .into_dyn()
            } else {
                blur::gaussian_filter(&exec, a.view().into_dimensionality::<Ix2>()?, &params)?
                    .into_dyn()
            };
            write_npy(&args.output, &out)?;
            "float64"
        }
    };
    println!(
        "blur {shape:?} {dtype}, sigma {}, {} -> {} on {} in {}",
        args.sigma,
        params.mode,
        args.output.display(),
        exec.describe(),
        gpusci_cli::bench::format_seconds(start.elapsed().as_secs_f64())
    );
    Ok(())
}
